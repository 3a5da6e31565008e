/**
 * The pure-TypeScript kernels: the fallback where WebAssembly is unavailable, and the same
 * `Kernels` interface as every wasm build. Float32 inputs are read into float64 locals, so the
 * math is float64 throughout and only the stored outputs round to float32.
 */
import type {
  DenseArgs, ExpScaleArgs, FloatArray, Kernels, ProbArgs, RowStateArgs, RowwiseArgs, SigmoidArgs, SigmoidFocalArgs, SparseArgs,
} from '../kernels.js';

/*
 * e^x for x ≤ 0 (every exponent here is shifted by a row max or is -|x|), in float64:
 * x = (64·k + j)·ln2/64 + r with |r| ≤ ln2/128, e^x = 2^k · 2^(j/64) · e^r, where 2^k and
 * 2^(j/64) come from tables and e^r from its degree-4 Taylor polynomial (truncation error
 * r^5/120 ≤ 4e-14). Measured max relative error vs Math.exp over [-700, 0]: 6.2e-14; 2-3x
 * the speed of Math.exp in V8 (measured here), which calls out to C for every element.
 */
/** 64 / ln 2: x in units of ln2/64. */
const INV_LN2_64 = 64 / Math.LN2;
/** ln2/64 rounded to 36 significant bits, so n·HI is exact for |n| < 2^17 (Cody-Waite). */
const LN2_64_HI = Math.round((Math.LN2 / 64) * 2 ** 42) / 2 ** 42;
/** The rest of ln2/64. */
const LN2_64_LO = Math.LN2 / 64 - LN2_64_HI;
/** 1.5·2^52: adding it rounds a double to an integer (magic-bias rounding, faster than Math.round). */
const ROUND_BIAS = 6755399441055744;
/** 2^(j/64), j = 0..63. */
const POW2_FRAC = Float64Array.from({ length: 64 }, (_, j) => Math.pow(2, j / 64));
/** 2^-k, k = 0..1075 (2^-1075 and below round to 0). */
const POW2_NEG = Float64Array.from({ length: 1076 }, (_, k) => Math.pow(2, -k));

/** e^x for x ≤ 0 (or NaN): 0 below -745 and at -inf, NaN for NaN. */
export function expNonPositive(x: number): number {
  if (!(x >= -745)) return x !== x ? x : 0;
  const n = x * INV_LN2_64 + ROUND_BIAS - ROUND_BIAS;
  const r = x - n * LN2_64_HI - n * LN2_64_LO;
  const ni = n | 0;
  const er = 1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24))));
  return POW2_NEG[-(ni >> 6)] * POW2_FRAC[ni & 63] * er;
}

/** max over a row; NaN entries are skipped here and surface through the exp sum. */
function rowMax(x: FloatArray, off: number, c: number): number {
  let m = -Infinity;
  for (let k = off, end = off + c; k < end; k++) {
    const v = x[k];
    if (v > m) m = v;
  }
  return m;
}

/** Σ exp(x - m) over a row: the stable half of log-sum-exp (two accumulators). */
function rowSumExp(x: FloatArray, off: number, c: number, m: number): number {
  let s0 = 0;
  let s1 = 0;
  const end = off + c;
  let k = off;
  for (; k + 1 < end; k += 2) {
    s0 += expNonPositive(x[k] - m);
    s1 += expNonPositive(x[k + 1] - m);
  }
  if (k < end) s0 += expNonPositive(x[k] - m);
  return s0 + s1;
}

/**
 * Σ w_k·(x_k - m) over a row, w = 1 when null; shifted by the max so no term cancels another.
 * A class of weight 0 contributes 0 even against a -inf logit (no 0·inf NaN).
 */
function rowWeightedShifted(x: FloatArray, off: number, c: number, m: number, w: FloatArray | null): number {
  let s = 0;
  if (w) {
    for (let k = 0; k < c; k++) if (w[k] !== 0) s += w[k] * (x[off + k] - m);
  } else {
    for (let k = 0; k < c; k++) s += x[off + k] - m;
  }
  return s;
}

/** First index of the row's largest entry (lowest on ties), or of its first NaN (torch.argmax). */
function rowArgmax(x: FloatArray, off: number, c: number): number {
  let best = -Infinity;
  let at = 0;
  for (let k = 0; k < c; k++) {
    const v = x[off + k];
    if (v !== v) return k;
    if (v > best) {
      best = v;
      at = k;
    }
  }
  return at;
}

/** The row as the softmax sees it: c·tanh(x/c) into `out` when capped (out[0..c)), else the logits themselves. */
function cappedRow(x: FloatArray, off: number, c: number, cap: number, out: Float64Array): { v: FloatArray; o: number } {
  if (cap === 0) return { v: x, o: off };
  for (let k = 0; k < c; k++) out[k] = cap * Math.tanh(x[off + k] / cap);
  return { v: out, o: 0 };
}

/**
 * Focal factors from a row's nll = −log p_y: f = (1 − p)^γ and the gradient's
 * G = f·(1 + γ·p·nll/(1 − p)), with 1 − p = −expm1(−nll) (no cancellation as p → 1), the limits
 * nll/(1 − p) → 1 as p → 1 and p·nll → 0 as p → 0 (a -inf target logit).
 */
function focalFactors(nll: number, gamma: number): { f: number; g: number } {
  const q = -Math.expm1(-nll);
  const p = Math.exp(-nll);
  const f = gamma === 0 ? 1 : Math.pow(q, gamma);
  const pn = p === 0 ? 0 : p * (q > 0 ? nll / q : 1);
  return { f, g: f * (1 + gamma * pn) };
}

function sparse(a: SparseArgs): number {
  const { logits: x, labels, n, c, weight: w, ignoreIndex, smoothing: eps, rowLoss, grad, gradScale, rowScale } = a;
  const { softcap: cap = 0, zLoss: z = 0, zGradScale = 0, focalGamma: gamma = -1, rowLse = null, rowArgmax: argmax = null } = a;
  const focal = gamma >= 0;
  let wSum = c;
  if (w) {
    wSum = 0;
    for (let k = 0; k < c; k++) wSum += w[k];
  }
  const e = eps / c;
  const capped = new Float64Array(cap > 0 ? c : 0);
  let total = 0;
  for (let r = 0; r < n; r++) {
    const off = r * c;
    const y = labels[r];
    if (y === ignoreIndex) {
      if (rowLoss) rowLoss[r] = 0;
      if (grad) grad.fill(0, off, off + c);
      if (rowLse) rowLse[r] = NaN;
      if (argmax) argmax[r] = -1;
      continue;
    }
    const at = argmax ? rowArgmax(x, off, c) : -1;
    if (argmax) argmax[r] = at;
    const { v, o } = cappedRow(x, off, c, cap, capped);
    // Uncapped, the argmax is where the max is (a NaN there makes the row NaN either way).
    const m = at >= 0 && cap === 0 ? x[off + at] : rowMax(v, o, c);
    const s = rowSumExp(v, o, c, m);
    const logS = Math.log(s);
    const lse = m + logS;
    if (rowLse) rowLse[r] = lse;
    const wy = w ? w[y] : 1;
    // -log p_k = (lse - x_k) = log s - (x_k - m)
    const nll = logS - (v[o + y] - m);
    let loss: number;
    // The coefficient of the one-hot term in the gradient.
    let hit: number;
    if (focal) {
      const { f, g } = focalFactors(nll, gamma);
      loss = wy === 0 ? 0 : wy * f * nll;
      hit = wy * g;
    } else {
      loss = wy === 0 ? 0 : (1 - eps) * wy * nll;
      if (eps > 0) loss += e * (wSum * logS - rowWeightedShifted(v, o, c, m, w));
      hit = (1 - eps) * wy;
    }
    if (rowLoss) rowLoss[r] = loss;
    total += loss;
    if (grad) {
      const scale = rowScale ? rowScale[r] : gradScale;
      const zScale = rowScale ? rowScale[r] : zGradScale;
      const amp = (hit + e * wSum) * scale + (z > 0 ? 2 * z * lse * zScale : 0);
      const invS = 1 / s;
      for (let k = 0; k < c; k++) {
        let g = amp * expNonPositive(v[o + k] - m) * invS;
        if (eps > 0) g -= e * (w ? w[k] : 1) * scale;
        if (k === y) g -= hit * scale;
        // Chain rule through c·tanh(x/c): d/dx = 1 − tanh²(x/c).
        if (cap > 0) g *= 1 - (v[o + k] / cap) ** 2;
        grad[off + k] = g;
      }
    }
  }
  return total;
}

function dense(a: DenseArgs): number {
  const { logits: x, targets: t, n, c, weight: w, smoothing: eps, rowLoss, grad, gradScale, rowScale } = a;
  const { softcap: cap = 0, zLoss: z = 0, zGradScale = 0, rowLse = null } = a;
  const e = eps / c;
  const capped = new Float64Array(cap > 0 ? c : 0);
  let total = 0;
  for (let r = 0; r < n; r++) {
    const off = r * c;
    const { v, o } = cappedRow(x, off, c, cap, capped);
    const m = rowMax(v, o, c);
    const s = rowSumExp(v, o, c, m);
    const logS = Math.log(s);
    if (rowLse) rowLse[r] = m + logS;
    let loss = 0;
    let coefSum = 0;
    for (let k = 0; k < c; k++) {
      // 0·log 0 = 0: a zero coefficient contributes nothing, even against a -inf logit.
      const coef = (w ? w[k] : 1) * ((1 - eps) * t[off + k] + e);
      if (coef !== 0) {
        loss += coef * (logS - (v[o + k] - m));
        coefSum += coef;
      }
    }
    if (rowLoss) rowLoss[r] = loss;
    total += loss;
    if (grad) {
      const scale = rowScale ? rowScale[r] : gradScale;
      const zScale = rowScale ? rowScale[r] : zGradScale;
      const amp = coefSum * scale + (z > 0 ? 2 * z * (m + logS) * zScale : 0);
      const invS = 1 / s;
      for (let k = 0; k < c; k++) {
        const coef = (w ? w[k] : 1) * ((1 - eps) * t[off + k] + e);
        let g = amp * expNonPositive(v[o + k] - m) * invS - scale * coef;
        if (cap > 0) g *= 1 - (v[o + k] / cap) ** 2;
        grad[off + k] = g;
      }
    }
  }
  return total;
}

function sigmoid(a: SigmoidArgs): number {
  const { logits: x, targets: t, n, c, weight: w, weightPerElement, posWeight: pw, elemLoss, grad, gradScale, elemScale } = a;
  let total = 0;
  for (let r = 0; r < n; r++) {
    for (let k = 0; k < c; k++) {
      const i = r * c + k;
      const v = x[i];
      const ti = t[i];
      const wi = w ? w[weightPerElement ? i : k] : 1;
      const lw = pw ? 1 + (pw[k] - 1) * ti : 1;
      const ez = expNonPositive(-Math.abs(v));
      // log(1 + e^-x) written so it never overflows: log1p(e^-|x|) + max(-x, 0)
      const softplusNeg = Math.log1p(ez) + Math.max(-v, 0);
      const loss = wi * ((1 - ti) * v + lw * softplusNeg);
      if (elemLoss) elemLoss[i] = loss;
      total += loss;
      if (grad) {
        const sigNeg = v >= 0 ? ez / (1 + ez) : 1 / (1 + ez);
        const scale = elemScale ? elemScale[i] : gradScale;
        grad[i] = scale * wi * (1 - ti - lw * sigNeg);
      }
    }
  }
  return total;
}

function sigmoidFocal(a: SigmoidFocalArgs): number {
  const { logits: x, targets: t, gamma, alpha, elemLoss, grad, gradScale, elemScale } = a;
  let total = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    const ti = t[i];
    const ez = expNonPositive(-Math.abs(v));
    // BCE with logits, (1−t)·x + log(1 + e^−x), as two non-negative terms (see sigmoid above).
    const lin = v === -Infinity ? NaN : v >= 0 ? (1 - ti) * v : -ti * v;
    const ce = lin + Math.log1p(ez);
    const sigPos = v >= 0 ? 1 / (1 + ez) : ez / (1 + ez);
    const sigNeg = v >= 0 ? ez / (1 + ez) : 1 / (1 + ez);
    // 1 − p_t without cancellation: t·σ(−x) + (1 − t)·σ(x).
    const q = ti * sigNeg + (1 - ti) * sigPos;
    const fq = gamma === 0 ? 1 : Math.pow(q, gamma);
    const at = alpha >= 0 ? alpha * ti + (1 - alpha) * (1 - ti) : 1;
    const loss = at * ce * fq;
    if (elemLoss) elemLoss[i] = loss;
    total += loss;
    if (grad) {
      const scale = elemScale ? elemScale[i] : gradScale;
      // d(1 − p_t)/dx = (1 − 2t)·p·(1 − p); written with p·(1 − p)/q, which stays ≤ 1, so q^(γ−1) never overflows.
      const focalTerm = gamma === 0 || q === 0 ? 0 : gamma * ce * (1 - 2 * ti) * ((sigPos * sigNeg) / q) * fq;
      grad[i] = scale * at * (((1 - ti) * sigPos - ti * sigNeg) * fq + focalTerm);
    }
  }
  return total;
}

/** Σ_rows of a row function f(p_k, q_k) summed where p_k ≠ 0 (0·log anything = 0). */
function probRows(a: ProbArgs, term: (p: number, q: number) => number): number {
  const { p, q, n, c, rowLoss } = a;
  const qq = q ?? p;
  let total = 0;
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let k = r * c, end = k + c; k < end; k++) {
      const pk = p[k];
      if (pk !== 0) s += term(pk, qq[k]);
    }
    if (rowLoss) rowLoss[r] = s;
    total += s;
  }
  return total;
}

function softmax(a: RowwiseArgs): void {
  const { x, n, c, out } = a;
  for (let r = 0; r < n; r++) {
    const off = r * c;
    const m = rowMax(x, off, c);
    const invS = 1 / rowSumExp(x, off, c, m);
    for (let k = off; k < off + c; k++) out[k] = expNonPositive(x[k] - m) * invS;
  }
}

function logSoftmax(a: RowwiseArgs): void {
  const { x, n, c, out } = a;
  for (let r = 0; r < n; r++) {
    const off = r * c;
    const m = rowMax(x, off, c);
    // (x − max) − log Σ, never x − (max + log Σ): at |x| ~ 1e30, max + log 2 rounds to max and
    // two equal logits would get log-probability 0 instead of −log 2 (the wasm builds and PyTorch
    // subtract in this order too).
    const logS = Math.log(rowSumExp(x, off, c, m));
    for (let k = off; k < off + c; k++) out[k] = x[k] - m - logS;
  }
}

/** The pure-TypeScript backend. */
/**
 * Row states of a block of columns. A row of -inf has nothing to add (max -inf, sums 0), but a
 * NaN in it (which rowMax skips) still makes its sum NaN.
 */
function rowStates(a: RowStateArgs): void {
  const { x, n, c, weight, max, sumExp, weightedShift } = a;
  for (let r = 0; r < n; r++) {
    const off = r * c;
    const m = rowMax(x, off, c);
    max[r] = m;
    const empty = m === -Infinity;
    sumExp[r] = empty ? (x.subarray(off, off + c).some(Number.isNaN) ? NaN : 0) : rowSumExp(x, off, c, m);
    if (weightedShift) weightedShift[r] = empty ? 0 : rowWeightedShifted(x, off, c, m, weight);
  }
}

/** out_k = α·exp(x_k − shift) − β·w_k per row (β = 0: no w term). */
function expScale(a: ExpScaleArgs): void {
  const { x, n, c, shift, alpha, beta, weight: w, out } = a;
  for (let r = 0; r < n; r++) {
    const off = r * c;
    const m = shift[r];
    const al = alpha[r];
    const be = beta[r];
    for (let k = 0; k < c; k++) {
      let v = al * expNonPositive(x[off + k] - m);
      if (be !== 0) v -= be * (w ? w[k] : 1);
      out[off + k] = v;
    }
  }
}

export const jsKernels: Kernels = {
  name: 'js',
  sparse,
  dense,
  sigmoid,
  sigmoidFocal,
  crossEntropy: (a) => probRows(a, (p, q) => -p * Math.log(q)),
  entropy: (a) => probRows(a, (p) => -p * Math.log(p)),
  klDivergence: (a) => probRows(a, (p, q) => p * (Math.log(p) - Math.log(q))),
  softmax,
  logSoftmax,
  rowStates,
  expScale,
};
