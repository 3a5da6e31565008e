// A kernel's frame: FRAME_BYTES of memory that the caller (src/wasm/staging.ts, and per slot
// src/threads/blocks.ts) passes to every kernel export that takes one, its own per call and
// per thread. A pass with more than one result returns the first and stores the others at the
// frame's offsets below, where its caller reads them back. (Not in module globals, which a
// kernel set of many instances would have to keep straight, and not in static data, which
// every instance on a shared memory shares: a threaded engine's threads would overwrite each
// other's results.) A store and a load of the same address per row cost nothing measurable.

/** Bytes a kernel's frame takes (src/kernels/kernel.ts FRAME_BYTES says the same). */
// @ts-ignore: decorator
@inline export const FRAME_BYTES: usize = 64;

/** v128: sech² u of the last f32x4_tanh_sech2_any (capped.ts). 16-byte aligned. */
// @ts-ignore: decorator
@inline export const SECH2_V: usize = 0;
/** f64: Σ coef_k·(y_k − m) of a capped pass with `dot` (capped.ts). */
// @ts-ignore: decorator
@inline export const DOT: usize = 16;
/** f64: Σ coef_k, the weight of a row's targets (capped.ts, dense.ts). */
// @ts-ignore: decorator
@inline export const COEF_SUM: usize = 24;
/** f64: the coefficient of a row's one-hot term in its gradient (sparse.ts). */
// @ts-ignore: decorator
@inline export const ROW_HIT: usize = 32;
/** f32: the max of the next row, taken by an exp pass (exp-sum.ts, capped.ts). */
// @ts-ignore: decorator
@inline export const NEXT_MAX: usize = 40;
/** i32: the first index of the row max found by an exp pass with argmax, or -1 (exp-sum.ts). */
// @ts-ignore: decorator
@inline export const ARGMAX: usize = 44;
/** f32: sech² u of the last scalar f32_tanh_sech2 (tanh.ts). */
// @ts-ignore: decorator
@inline export const SECH2: usize = 48;
