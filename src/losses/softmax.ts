/**
 * Softmax and log-softmax, row-wise: their kernels.
 */
import { expNonPositive, rowMax, rowSumExp } from '../backends/js.js';
import { type FloatArray, type Kernel, operand, scalar } from '../kernels/kernel.js';

/** Row-wise softmax / log-softmax. */
export interface RowwiseArgs<F extends FloatArray = FloatArray> {
  x: F;
  n: number;
  c: number;
  /** Out [n, c]; may be the same array as x. */
  out: F;
}

function softmaxJs(a: RowwiseArgs): void {
  const { x, n, c, out } = a;
  for (let r = 0; r < n; r++) {
    const off = r * c;
    const m = rowMax(x, off, c);
    const invS = 1 / rowSumExp(x, off, c, m);
    for (let k = off; k < off + c; k++) out[k] = expNonPositive(x[k] - m) * invS;
  }
}

function logSoftmaxJs(a: RowwiseArgs): void {
  const { x, n, c, out } = a;
  for (let r = 0; r < n; r++) {
    const off = r * c;
    const m = rowMax(x, off, c);
    const shift = m + Math.log(rowSumExp(x, off, c, m));
    for (let k = off; k < off + c; k++) out[k] = x[k] - shift;
  }
}

/** The parameters of a row-wise kernel (assembly/rowwise.ts). */
const PARAMS = [operand<RowwiseArgs>('x', 'rows'), scalar<RowwiseArgs>('n'), scalar<RowwiseArgs>('c'), operand<RowwiseArgs>('out', 'rows', { out: true, inPlaceOf: 'x' })];

/** Softmax, row-wise. */
export const SOFTMAX: Kernel<RowwiseArgs> = { export: 'softmax', main: 'x', params: PARAMS, js: softmaxJs };

/** Log-softmax, row-wise. */
export const LOG_SOFTMAX: Kernel<RowwiseArgs> = { export: 'log_softmax', main: 'x', params: PARAMS, js: logSoftmaxJs };
