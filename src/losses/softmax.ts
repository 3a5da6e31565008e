/**
 * softmax, logSoftmax: row-wise, into `opts.out` when given (which may be the input itself).
 */
import { expNonPositive, rowMax, rowSumExp } from '../backends/js.js';
import type { Call } from '../front/call.js';
import { DEFAULT_FRONT } from '../front/default.js';
import type { Front } from '../front/front.js';
import { CLASSES, option, options } from '../front/options.js';
import { type FloatArray, type Kernel, kernel, operand, scalar } from '../kernels/kernel.js';
import type { FloatInput, FloatOutput } from '../types.js';

/** Options of `softmax` / `logSoftmax`. */
export interface RowwiseOptions {
  classes?: number;
  /** Where to write the result (same type and length as the input; may be the input itself). */
  out?: FloatOutput;
}

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
    // (x − max) − log Σ, never x − (max + log Σ): at |x| ~ 1e30, max + log 2 rounds to max and
    // two equal logits would get log-probability 0 instead of −log 2 (the wasm builds and PyTorch
    // subtract in this order too).
    const logS = Math.log(rowSumExp(x, off, c, m));
    for (let k = off; k < off + c; k++) out[k] = x[k] - m - logS;
  }
}

/** The parameters of a row-wise kernel (assembly/rowwise.ts). */
const PARAMS = [operand<RowwiseArgs>('x', 'rows'), scalar<RowwiseArgs>('n'), scalar<RowwiseArgs>('c'), operand<RowwiseArgs>('out', 'rows', { out: true, inPlaceOf: 'x' })];

/** Softmax, row-wise. */
export const SOFTMAX = kernel<RowwiseArgs>({ export: 'softmax', main: 'x', params: PARAMS, frame: true, js: softmaxJs });

/** Log-softmax, row-wise. */
export const LOG_SOFTMAX = kernel<RowwiseArgs>({ export: 'log_softmax', main: 'x', params: PARAMS, frame: true, js: logSoftmaxJs });

/** Where to write the result (Call.output). */
const OUT = option('out', []);

const ROWWISE_OPTIONS = options(CLASSES, OUT);

function run(call: Call, raw: unknown, kernel: Kernel<RowwiseArgs>): FloatArray {
  const { x, f64, n, c } = call.rows('logits', raw, 'one row');
  const out = call.output(OUT, f64, x, []);
  call.run(kernel, { x, n, c, out });
  return out;
}

/** Softmax, row-wise. */
export function softmaxMethod(logits: FloatInput, opts?: RowwiseOptions): FloatOutput;
export function softmaxMethod(this: Front, logits: unknown, opts?: unknown): FloatArray {
  return run(this.begin('softmax', ROWWISE_OPTIONS, opts, false), logits, SOFTMAX);
}

/** Log-softmax, row-wise. */
export function logSoftmaxMethod(logits: FloatInput, opts?: RowwiseOptions): FloatOutput;
export function logSoftmaxMethod(this: Front, logits: unknown, opts?: unknown): FloatArray {
  return run(this.begin('logSoftmax', ROWWISE_OPTIONS, opts, false), logits, LOG_SOFTMAX);
}

export default {
  methods: { softmax: softmaxMethod, logSoftmax: logSoftmaxMethod },
};

/** `engine.softmax` on the default engine. */
export const softmax = softmaxMethod.bind(DEFAULT_FRONT);
/** `engine.logSoftmax` on the default engine. */
export const logSoftmax = logSoftmaxMethod.bind(DEFAULT_FRONT);
