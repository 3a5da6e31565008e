/**
 * Softmax cross-entropy with probability targets (PyTorch's probability-target path): its
 * kernel.
 */
import { cappedRow, expNonPositive, rowMax, rowSumExp } from '../backends/js.js';
import { type FloatArray, type Kernel, operand, scalar } from '../kernels/kernel.js';

/** Softmax cross-entropy with probability targets [n, c] (PyTorch's probability-target path). */
export interface DenseArgs<F extends FloatArray = FloatArray> {
  logits: F;
  /** Row-major [n, c] target probabilities; smoothing applies t' = (1-ε)·t + ε/c. */
  targets: F;
  n: number;
  c: number;
  weight: F | null;
  smoothing: number;
  /**
   * Out (length n), or null: Σ_k w_k·t'_k·(lse - x_k). A term with w_k·t'_k = 0 contributes 0
   * even when x_k = -inf (0·log 0 = 0; PyTorch would give NaN there).
   */
  rowLoss: F | null;
  /** Out [n, c] or null: scale·[ p_k·Σ_j w_j·t'_j − w_k·t'_k ]. May be the logits array. */
  grad: F | null;
  gradScale: number;
  rowScale: F | null;
  /** As SparseArgs.softcap. */
  softcap?: number;
  /** As SparseArgs.zLoss (every row counts). */
  zLoss?: number;
  zGradScale?: number;
  /** Out (length n), or null: each row's log-sum-exp (of the capped logits). */
  rowLse?: F | null;
}

function denseJs(a: DenseArgs): number {
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

/** The dense softmax cross-entropy kernel (assembly/dense.ts). */
export const DENSE_XENT: Kernel<DenseArgs> = {
  export: 'dense_xent',
  main: 'logits',
  params: [
    operand('logits', 'rows'), operand('targets', 'rows'), scalar('n'), scalar('c'), operand('weight', 'whole'), scalar('smoothing'),
    operand('rowLoss', 'row', { out: true }), operand('grad', 'rows', { out: true, inPlaceOf: 'logits' }), scalar('gradScale'),
    operand('rowScale', 'row'), scalar('softcap', 0), scalar('zLoss', 0), scalar('zGradScale', 0), operand('rowLse', 'row', { out: true }),
  ],
  js: denseJs,
};
