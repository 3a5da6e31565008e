/**
 * Softmax cross-entropy with integer class labels (PyTorch `F.cross_entropy`, class indices):
 * its kernel, with the training extras the sparse losses share (softcap, z-loss, focal γ,
 * statistics).
 */
import { cappedRow, expNonPositive, rowArgmax, rowMax, rowSumExp, rowWeightedShifted } from '../backends/js.js';
import { COLUMN_SPLIT, sparseByColumns } from '../kernels/columns.js';
import { type FloatArray, type Kernel, operand, scalar } from '../kernels/kernel.js';

/**
 * Softmax cross-entropy with integer class labels (PyTorch `F.cross_entropy`, class indices).
 * The training extras (softcap, zLoss, focalGamma, rowLse, rowArgmax) are off when absent.
 */
export interface SparseArgs<F extends FloatArray = FloatArray> {
  /** Row-major [n, c] logits. */
  logits: F;
  /** n labels, each in [0, c) or equal to ignoreIndex. */
  labels: Int32Array;
  n: number;
  c: number;
  /** Per-class weights (length c), or null for all ones. */
  weight: F | null;
  ignoreIndex: number;
  /** Label smoothing ε in [0, 1). */
  smoothing: number;
  /**
   * Out (length n), or null: row n's loss
   * (1-ε)·w[y]·(lse - x_y) + (ε/c)·Σ_k w_k·(lse - x_k); exactly 0 for an ignored row.
   */
  rowLoss: F | null;
  /**
   * Out (length n·c), or null for loss only: the gradient of the row losses w.r.t. logits,
   * each row multiplied by rowScale[n] when rowScale is given, else by gradScale:
   * scale·[ a·p_k − (1-ε)·w[y]·[k = y] − (ε/c)·w_k ] with a = (1-ε)·w[y] + (ε/c)·Σ_k w_k.
   * Ignored rows get exactly 0. May be the same array as logits (in-place).
   */
  grad: F | null;
  gradScale: number;
  /** Per-row gradient multipliers (length n), or null to use gradScale (and zGradScale). */
  rowScale: F | null;
  /**
   * Logit soft-capping c > 0, or 0 for none: every logit x is replaced by c·tanh(x/c) before
   * the softmax (and in the loss), and the gradient is multiplied by 1 − tanh²(x/c).
   */
  softcap?: number;
  /**
   * z-loss coefficient z ≥ 0. The kernel adds only its gradient, zGradScale·2z·lse·p_k for each
   * counted row (rowScale[n] instead of zGradScale when rowScale is given); rowLoss and the
   * returned sum exclude the z·lse² term, which the front adds from rowLse.
   */
  zLoss?: number;
  zGradScale?: number;
  /**
   * Focal loss γ ≥ 0 (smoothing is then 0), or -1 for cross-entropy. A counted row's loss is
   * w[y]·(1 − p_y)^γ·(−log p_y) and its gradient scale·w[y]·G·(p_k − [k = y]) with
   * G = (1 − p_y)^γ·(1 + γ·p_y·(−log p_y)/(1 − p_y)) (G = 1 for γ = 0, 0 when p_y = 1 and γ > 0).
   */
  focalGamma?: number;
  /** Out (length n), or null: each row's log-sum-exp (of the capped logits); NaN for ignored rows. */
  rowLse?: F | null;
  /**
   * Out (length n), or null: each row's argmax of the logits as given (before the cap), the
   * lowest index among equal maxima, the first NaN if the row has one (torch.argmax); -1 for
   * ignored rows.
   */
  rowArgmax?: Int32Array | null;
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

function sparseJs(a: SparseArgs): number {
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

/** The sparse softmax cross-entropy kernel (assembly/sparse.ts). */
export const SPARSE_XENT: Kernel<SparseArgs> = {
  export: 'sparse_xent',
  main: 'logits',
  params: [
    operand('logits', 'rows'), operand('labels', 'row'), scalar('n'), scalar('c'), operand('weight', 'whole'), scalar('ignoreIndex'),
    scalar('smoothing'), operand('rowLoss', 'row', { out: true }), operand('grad', 'rows', { out: true, inPlaceOf: 'logits' }),
    scalar('gradScale'), operand('rowScale', 'row'), scalar('softcap', 0), scalar('zLoss', 0), scalar('zGradScale', 0),
    scalar('focalGamma', -1), operand('rowLse', 'row', { out: true }), operand('rowArgmax', 'row', { out: true }),
  ],
  js: sparseJs,
  // Rows wider than COLUMN_SPLIT, without the training extras, go one column block at a time.
  wide: {
    when: (a) => a.c > COLUMN_SPLIT && !a.softcap && !a.zLoss && (a.focalGamma ?? -1) < 0 && !a.rowLse && !a.rowArgmax,
    run: sparseByColumns,
  },
};
