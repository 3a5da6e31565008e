/**
 * crossEntropy, entropy, klDivergence: the seed formulas on probabilities, per row, in nats or
 * bits (`base`).
 */
import type { Call } from '../front/call.js';
import { DEFAULT_FRONT } from '../front/default.js';
import { describe } from '../front/describe.js';
import type { Front } from '../front/front.js';
import { checkProbabilities, newFloat } from '../front/operands.js';
import { CLASSES, REDUCTION, option, options } from '../front/options.js';
import { reduce } from '../front/reduce.js';
import { type FloatArray, type Kernel, kernel, type Param, operand, scalar } from '../kernels/kernel.js';
import type { FloatInput, FloatOutput, Loss, ReduceOptions } from '../types.js';

/** Options of the probability-space functions. */
export interface ProbOptions extends ReduceOptions {
  /** Logarithm base: 'e' (nats, default) or 2 (bits). */
  base?: 'e' | 2;
}

/** Row-wise functions on probabilities, natural log; 0·log(anything) = 0. */
export interface ProbArgs<F extends FloatArray = FloatArray> {
  p: F;
  /** Second distribution (crossEntropy, klDivergence); null for entropy. */
  q: F | null;
  n: number;
  c: number;
  /** Out (length n), or null. */
  rowLoss: F | null;
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

/** The parameters of a kernel on one or two distributions (assembly/prob.ts). */
function probParams(pair: boolean): Param<ProbArgs>[] {
  return [
    operand('p', 'rows'), ...(pair ? [operand<ProbArgs>('q', 'rows')] : []), scalar('n'), scalar('c'), operand('rowLoss', 'row', { out: true }),
  ];
}

/** Σ_n −Σ_k p_k·log q_k (nats). */
export const CROSS_ENTROPY = kernel<ProbArgs>({
  export: 'cross_entropy',
  main: 'p',
  params: probParams(true),
  js: (a) => probRows(a, (p, q) => -p * Math.log(q)),
});

/** Σ_n −Σ_k p_k·log p_k (nats). */
export const ENTROPY = kernel<ProbArgs>({
  export: 'entropy',
  main: 'p',
  params: probParams(false),
  js: (a) => probRows(a, (p) => -p * Math.log(p)),
});

/** Σ_n Σ_k p_k·(log p_k − log q_k) (nats). */
export const KL_DIVERGENCE = kernel<ProbArgs>({
  export: 'kl_div',
  main: 'p',
  params: probParams(true),
  js: (a) => probRows(a, (p, q) => p * (Math.log(p) - Math.log(q))),
});

/** options.base: the divisor that turns nats into the requested unit. */
export const BASE = option('base', [], (method, b) => {
  if (b === undefined || b === 'e') return 1;
  if (b === 2) return Math.LN2;
  throw new RangeError(`${method}: base must be 'e' or 2, got ${describe(b)}`);
});

const PROB_OPTIONS = options(CLASSES, REDUCTION, BASE);

/** A call on p, and on q unless the kernel takes one distribution (entropy: q is then undefined). */
function run(call: Call, rawP: unknown, rawQ: unknown, kernel: Kernel<ProbArgs>): Loss {
  const { method } = call;
  const { x: p, f64, n, c } = call.rows('p', rawP, 'one row');
  // Only entropy has no q: a null q for crossEntropy / klDivergence is a bad argument, not entropy.
  const q = kernel === ENTROPY ? null : call.side('q', rawQ, f64, p.length);
  const reduction = call.get(REDUCTION);
  const unit = call.get(BASE);
  checkProbabilities(method, 'p', p);
  if (q) checkProbabilities(method, 'q', q);
  const rowLoss = reduction === 'none' ? newFloat(f64, n) : null;
  const total = call.run(kernel, { p, q, n, c, rowLoss });
  return reduce(total, reduction, n, rowLoss, unit);
}

/** −Σ p log q per row, on probabilities (the seed formula). */
export function crossEntropyMethod(p: FloatInput, q: FloatInput, opts?: ProbOptions & { reduction?: 'mean' | 'sum' }): number;
export function crossEntropyMethod(p: FloatInput, q: FloatInput, opts: ProbOptions & { reduction: 'none' }): FloatOutput;
export function crossEntropyMethod(p: FloatInput, q: FloatInput, opts?: ProbOptions): Loss;
export function crossEntropyMethod(this: Front, p: unknown, q: unknown, opts?: unknown): Loss {
  return run(this.begin('crossEntropy', PROB_OPTIONS, opts, false), p, q, CROSS_ENTROPY);
}

/** −Σ p log p per row: the uncertainty of one distribution. */
export function entropyMethod(p: FloatInput, opts?: ProbOptions & { reduction?: 'mean' | 'sum' }): number;
export function entropyMethod(p: FloatInput, opts: ProbOptions & { reduction: 'none' }): FloatOutput;
export function entropyMethod(p: FloatInput, opts?: ProbOptions): Loss;
export function entropyMethod(this: Front, p: unknown, opts?: unknown): Loss {
  return run(this.begin('entropy', PROB_OPTIONS, opts, false), p, undefined, ENTROPY);
}

/** KL(p ‖ q) = Σ p (log p − log q) per row. */
export function klDivergenceMethod(p: FloatInput, q: FloatInput, opts?: ProbOptions & { reduction?: 'mean' | 'sum' }): number;
export function klDivergenceMethod(p: FloatInput, q: FloatInput, opts: ProbOptions & { reduction: 'none' }): FloatOutput;
export function klDivergenceMethod(p: FloatInput, q: FloatInput, opts?: ProbOptions): Loss;
export function klDivergenceMethod(this: Front, p: unknown, q: unknown, opts?: unknown): Loss {
  return run(this.begin('klDivergence', PROB_OPTIONS, opts, false), p, q, KL_DIVERGENCE);
}

export default {
  methods: { crossEntropy: crossEntropyMethod, entropy: entropyMethod, klDivergence: klDivergenceMethod },
};

/** `engine.crossEntropy` on the default engine. */
export const crossEntropy = crossEntropyMethod.bind(DEFAULT_FRONT);
/** `engine.entropy` on the default engine. */
export const entropy = entropyMethod.bind(DEFAULT_FRONT);
/** `engine.klDivergence` on the default engine. */
export const klDivergence = klDivergenceMethod.bind(DEFAULT_FRONT);
