/**
 * Cross-entropy, entropy and KL divergence on probabilities, per row: their kernels.
 */
import { type FloatArray, type Kernel, type Param, operand, scalar } from '../kernels/kernel.js';

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
export const CROSS_ENTROPY: Kernel<ProbArgs> = {
  export: 'cross_entropy',
  main: 'p',
  params: probParams(true),
  js: (a) => probRows(a, (p, q) => -p * Math.log(q)),
};

/** Σ_n −Σ_k p_k·log p_k (nats). */
export const ENTROPY: Kernel<ProbArgs> = {
  export: 'entropy',
  main: 'p',
  params: probParams(false),
  js: (a) => probRows(a, (p) => -p * Math.log(p)),
};

/** Σ_n Σ_k p_k·(log p_k − log q_k) (nats). */
export const KL_DIVERGENCE: Kernel<ProbArgs> = {
  export: 'kl_div',
  main: 'p',
  params: probParams(true),
  js: (a) => probRows(a, (p, q) => p * (Math.log(p) - Math.log(q))),
};
