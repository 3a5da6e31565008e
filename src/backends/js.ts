/**
 * The pure-TypeScript kernels: the fallback where WebAssembly is unavailable, and the same
 * `Kernels` interface as every wasm build. Float32 inputs are read into float64 locals, so the
 * math is float64 throughout and only the stored outputs round to float32.
 */
import type { DenseArgs, FloatArray, Kernels, ProbArgs, RowwiseArgs, SigmoidArgs, SparseArgs } from '../kernels.js';

/** max over a row; NaN entries are skipped here and surface through the exp sum. */
function rowMax(x: FloatArray, off: number, c: number): number {
  let m = -Infinity;
  for (let k = off, end = off + c; k < end; k++) {
    const v = x[k];
    if (v > m) m = v;
  }
  return m;
}

/** Σ exp(x - m) over a row: the stable half of log-sum-exp. */
function rowSumExp(x: FloatArray, off: number, c: number, m: number): number {
  let s = 0;
  for (let k = off, end = off + c; k < end; k++) s += Math.exp(x[k] - m);
  return s;
}

/** Σ w_k·(x_k - m) over a row, w = 1 when null; shifted by the max so no term cancels another. */
function rowWeightedShifted(x: FloatArray, off: number, c: number, m: number, w: FloatArray | null): number {
  let s = 0;
  if (w) for (let k = 0; k < c; k++) s += w[k] * (x[off + k] - m);
  else for (let k = 0; k < c; k++) s += x[off + k] - m;
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
    let loss = (1 - eps) * wy * (logS - (x[off + y] - m));
    if (eps > 0) loss += e * (wSum * logS - rowWeightedShifted(x, off, c, m, w));
    if (rowLoss) rowLoss[r] = loss;
    total += loss;
    if (grad) {
      const scale = rowScale ? rowScale[r] : gradScale;
      const amp = ((1 - eps) * wy + e * wSum) * scale;
      const invS = 1 / s;
      for (let k = 0; k < c; k++) {
        let g = amp * Math.exp(x[off + k] - m) * invS;
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
        grad[off + k] = scale * (coefSum * Math.exp(x[off + k] - m) * invS - coef);
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
      const ez = Math.exp(-Math.abs(v));
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
    for (let k = off; k < off + c; k++) out[k] = Math.exp(x[k] - m) * invS;
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
};
