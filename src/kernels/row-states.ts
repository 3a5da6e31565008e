/**
 * The row-state kernels: per-row pieces of log-sum-exp over a block of columns (a vocabulary
 * shard, or part of a row too wide to stage), which merge exactly across blocks (src/shards.ts),
 * and the block's slice of a softmax or gradient from the merged states.
 */
import { expNonPositive, rowMax, rowSumExp, rowWeightedShifted } from '../backends/js.js';
import { type FloatArray, kernel, operand, scalar } from './kernel.js';

/**
 * Per-row state of a block of columns (a vocabulary shard, or part of a row too wide to
 * stage): the pieces of log-sum-exp that merge exactly across blocks (src/shards.ts).
 */
export interface RowStateArgs<F extends FloatArray = FloatArray> {
  /** Row-major [n, c]: the block's columns of each row. */
  x: F;
  n: number;
  c: number;
  /** The block's class weights (length c), or null for all ones; read only for weightedShift. */
  weight: F | null;
  /** Out (length n): max_k x_k (-inf for a row of -inf). */
  max: Float64Array;
  /** Out (length n): Σ_k exp(x_k − max); 0 when max is -inf. */
  sumExp: Float64Array;
  /** Out (length n) or null: Σ_k w_k·(x_k − max) (a class of weight 0 adds 0); 0 when max is -inf. */
  weightedShift: Float64Array | null;
}

/** A block of softmax-family output from merged row states: α·exp(x_k − shift) − β·w_k. */
export interface ExpScaleArgs<F extends FloatArray = FloatArray> {
  x: F;
  n: number;
  c: number;
  /** Per row (length n), at least the row's max (the merged max of all its blocks). */
  shift: Float64Array;
  alpha: Float64Array;
  /** Per row; 0 leaves the w term out (so 0·w_k never meets an infinite exp term). */
  beta: Float64Array;
  weight: F | null;
  /** Out [n, c]; may be x itself. */
  out: F;
}

/**
 * Row states of a block of columns. A row of -inf has nothing to add (max -inf, sums 0), but a
 * NaN in it (which rowMax skips) still makes its sum NaN.
 */
function rowStatesJs(a: RowStateArgs): void {
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
function expScaleJs(a: ExpScaleArgs): void {
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

/** Row states of a block of columns (assembly/rowstate.ts). */
export const ROW_STATES = kernel<RowStateArgs>({
  export: 'row_states',
  main: 'x',
  params: [
    operand('x', 'rows'), scalar('n'), scalar('c'), operand('weight', 'whole'),
    operand('max', 'row', { out: true, type: 'f64' }), operand('sumExp', 'row', { out: true, type: 'f64' }),
    operand('weightedShift', 'row', { out: true, type: 'f64' }),
  ],
  frame: true,
  js: rowStatesJs,
});

/** out = α·exp(x − shift) − β·w per row: a block's slice of a softmax or gradient (assembly/rowstate.ts). */
export const EXP_SCALE = kernel<ExpScaleArgs>({
  export: 'row_expscale',
  main: 'x',
  params: [
    operand('x', 'rows'), scalar('n'), scalar('c'), operand('shift', 'row', { type: 'f64' }), operand('alpha', 'row', { type: 'f64' }),
    operand('beta', 'row', { type: 'f64' }),
    operand('weight', 'whole'), operand('out', 'rows', { out: true, inPlaceOf: 'x' }),
  ],
  frame: true,
  js: expScaleJs,
});
