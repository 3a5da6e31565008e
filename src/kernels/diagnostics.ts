/**
 * Kernels of the WebAssembly builds that compute no loss: the builds' own f32 exp and tanh (for
 * their accuracy tests) and one read pass over an array (the benchmark's floor). They have no
 * TypeScript body: only the wasm backends run them.
 */
import { kernel, operand, scalar } from './kernel.js';

/** An elementwise function of a flat array: n = its length, c = 1. */
export interface ElementwiseArgs {
  x: Float32Array;
  n: number;
  c: number;
  /** Out (length n); may be x itself. */
  out: Float32Array;
}

/** out_k = e^{x_k} with the builds' own f32 exp. */
export const EXP_F32 = kernel<ElementwiseArgs>({
  export: 'exp',
  main: 'x',
  params: [operand('x', 'row'), scalar('n'), operand('out', 'row', { out: true, inPlaceOf: 'x' })],
});

/** out_k = tanh(x_k) with the builds' own f32 tanh (the softcap's). */
export const TANH_F32 = kernel<ElementwiseArgs>({ ...EXP_F32, export: 'tanh' });

/** Σ x over a flat array (n = its length, c = 1). */
export interface SumArgs {
  x: Float32Array;
  n: number;
  c: number;
}

/** Σ_k x_k in one read pass: the throughput floor the losses are measured against. */
export const SUM_F32 = kernel<SumArgs>({
  export: 'sum',
  main: 'x',
  params: [operand('x', 'row'), scalar('n')],
});
