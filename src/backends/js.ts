/**
 * The pure-TypeScript kernels: the fallback where WebAssembly is unavailable, and the same
 * `Kernels` interface as every wasm build. Float32 inputs are read into float64 locals, so the
 * math is float64 throughout and only the stored outputs round to float32.
 */
import type {
  DenseArgs, ExpScaleArgs, FloatArray, Kernels, ProbArgs, RowStateArgs, RowwiseArgs, SigmoidArgs, SparseArgs,
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

function sparse(a: SparseArgs): number {
  const { logits: x, labels, n, c, weight: w, ignoreIndex, smoothing: eps, rowLoss, grad, gradScale, rowScale } = a;
  let wSum = c;
  if (w) {
    wSum = 0;
    for (let k = 0; k < c; k++) wSum += w[k];
  }
  const e = eps / c;
  let total = 0;
  for (let r = 0; r < n; r++) {
    const off = r * c;
    const y = labels[r];
    if (y === ignoreIndex) {
      if (rowLoss) rowLoss[r] = 0;
      if (grad) grad.fill(0, off, off + c);
      continue;
    }
    const m = rowMax(x, off, c);
    const s = rowSumExp(x, off, c, m);
    const logS = Math.log(s);
    const wy = w ? w[y] : 1;
    // -log p_k = (lse - x_k) = log s - (x_k - m)
    let loss = wy === 0 ? 0 : (1 - eps) * wy * (logS - (x[off + y] - m));
    if (eps > 0) loss += e * (wSum * logS - rowWeightedShifted(x, off, c, m, w));
    if (rowLoss) rowLoss[r] = loss;
    total += loss;
    if (grad) {
      const scale = rowScale ? rowScale[r] : gradScale;
      const amp = ((1 - eps) * wy + e * wSum) * scale;
      const invS = 1 / s;
      for (let k = 0; k < c; k++) {
        let g = amp * expNonPositive(x[off + k] - m) * invS;
        if (eps > 0) g -= e * (w ? w[k] : 1) * scale;
        grad[off + k] = g;
      }
      grad[off + y] -= (1 - eps) * wy * scale;
    }
  }
  return total;
}

function dense(a: DenseArgs): number {
  const { logits: x, targets: t, n, c, weight: w, smoothing: eps, rowLoss, grad, gradScale, rowScale } = a;
  const e = eps / c;
  let total = 0;
  for (let r = 0; r < n; r++) {
    const off = r * c;
    const m = rowMax(x, off, c);
    const s = rowSumExp(x, off, c, m);
    const logS = Math.log(s);
    let loss = 0;
    let coefSum = 0;
    for (let k = 0; k < c; k++) {
      // 0·log 0 = 0: a zero coefficient contributes nothing, even against a -inf logit.
      const coef = (w ? w[k] : 1) * ((1 - eps) * t[off + k] + e);
      if (coef !== 0) {
        loss += coef * (logS - (x[off + k] - m));
        coefSum += coef;
      }
    }
    if (rowLoss) rowLoss[r] = loss;
    total += loss;
    if (grad) {
      const scale = rowScale ? rowScale[r] : gradScale;
      const invS = 1 / s;
      for (let k = 0; k < c; k++) {
        const coef = (w ? w[k] : 1) * ((1 - eps) * t[off + k] + e);
        grad[off + k] = scale * (coefSum * expNonPositive(x[off + k] - m) * invS - coef);
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
    const shift = m + Math.log(rowSumExp(x, off, c, m));
    for (let k = off; k < off + c; k++) out[k] = x[k] - shift;
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
  crossEntropy: (a) => probRows(a, (p, q) => -p * Math.log(q)),
  entropy: (a) => probRows(a, (p) => -p * Math.log(p)),
  klDivergence: (a) => probRows(a, (p, q) => p * (Math.log(p) - Math.log(q))),
  softmax,
  logSoftmax,
  rowStates,
  expScale,
};
