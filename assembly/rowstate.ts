// Row states: the softmax family split by columns. A block of columns of each row (one
// vocabulary shard, or one piece of a row too wide to stage) gives its max m, Σ exp(x_k − m)
// and, for label smoothing, Σ w_k·(x_k − m); the front merges the states of all blocks in
// float64 (src/shards.ts). Then each block's slice of the softmax or gradient is
// α·exp(x_k − M) − β·w_k with the merged max M and per-row α, β. These are the same row passes
// the whole-row kernels use, so a split row gives the numbers of an unsplit one to rounding.
//
// A block whose entries are all -inf has nothing to add: m = -inf, sum 0, weighted sum 0
// (exp(x − m) would be NaN there); but a NaN among them (which the max may skip) still makes
// the sum NaN. Per-row outputs are f64 whatever the logits' type: a max
// of f32 logits is exact in f64, and sums are taken in f64 anyway.

import { f32_rdotminusmax, f64_rdotminusmax } from './dot';
import { f32_raddexpminusmax_u16_acc4, f32_raddstoreexpminusmax_u16_acc4, f64_raddstoreexpminusmax } from './exp-sum';
import { NEXT_MAX } from './frame';
import { f32_rmax_u16_acc4, f64_rmax } from './max';
import { f32_vscalesub, f64_vscalesub } from './scale';

/** NaN if the row holds a NaN, else 0: the exp sum of a row whose max is -inf. */
function f32_nan_or_zero(x: usize, c: i32): f64 {
  for (let i = 0; i < c; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    if (v != v) return NaN;
  }
  return 0;
}

function f64_nan_or_zero(x: usize, c: i32): f64 {
  for (let i = 0; i < c; i++) {
    const v = load<f64>(x + (<usize>i << 3));
    if (v != v) return NaN;
  }
  return 0;
}

/**
 * For n rows of c logits (f32): max[r] = max_k x_k, sumExp[r] = Σ_k exp(x_k − max[r]) and, when
 * wdot is not 0, wdot[r] = Σ_k w_k·(x_k − max[r]) (w 0: all ones). Outputs are f64 arrays.
 */
export function f32_row_states(
  x: usize, n: i32, c: i32, w: usize, outMax: usize, outSum: usize, wdot: usize, frame: usize,
): void {
  const rowBytes = <usize>c << 2;
  // Each row's exp pass takes the next row's max (into the frame), as in the whole-row losses.
  let m = n > 0 ? f32_rmax_u16_acc4(x, c) : 0;
  for (let r = 0; r < n; r++) {
    const xr = x + <usize>r * rowBytes;
    const xn = r + 1 < n ? xr + rowBytes : 0;
    const o = <usize>r << 3;
    store<f64>(outMax + o, <f64>m);
    if (m == -Infinity) {
      store<f64>(outSum + o, f32_nan_or_zero(xr, c));
      if (wdot) store<f64>(wdot + o, 0);
      m = xn ? f32_rmax_u16_acc4(xn, c) : 0;
      continue;
    }
    store<f64>(outSum + o, f32_raddexpminusmax_u16_acc4(xr, c, m, xn, frame));
    if (wdot) store<f64>(wdot + o, f32_rdotminusmax(xr, w, c, m));
    m = load<f32>(frame, NEXT_MAX);
  }
}

/** f64 twin of f32_row_states. */
export function f64_row_states(
  x: usize, n: i32, c: i32, w: usize, outMax: usize, outSum: usize, wdot: usize, _frame: usize,
): void {
  const rowBytes = <usize>c << 3;
  for (let r = 0; r < n; r++) {
    const xr = x + <usize>r * rowBytes;
    const o = <usize>r << 3;
    const m = f64_rmax(xr, c);
    store<f64>(outMax + o, m);
    if (m == -Infinity) {
      store<f64>(outSum + o, f64_nan_or_zero(xr, c));
      if (wdot) store<f64>(wdot + o, 0);
      continue;
    }
    store<f64>(outSum + o, f64_raddstoreexpminusmax(xr, c, m, 0));
    if (wdot) store<f64>(wdot + o, f64_rdotminusmax(xr, w, c, m));
  }
}

/**
 * For n rows of c logits (f32): out_k = alpha[r]·exp(x_k − shift[r]) − beta[r]·w_k (w 0: all
 * ones; beta[r] = 0 skips the w term). shift[r] must be ≥ every x_k of the row (a merged max);
 * shift, alpha and beta are f64 arrays. out may be x itself.
 */
export function f32_row_expscale(
  x: usize, n: i32, c: i32, shift: usize, alpha: usize, beta: usize, w: usize, out: usize, frame: usize,
): void {
  const rowBytes = <usize>c << 2;
  for (let r = 0; r < n; r++) {
    const xr = x + <usize>r * rowBytes;
    const yr = out + <usize>r * rowBytes;
    const o = <usize>r << 3;
    // The next row's max is not needed, but its loads bring the row in while this one computes.
    f32_raddstoreexpminusmax_u16_acc4(xr, c, <f32>load<f64>(shift + o), yr, r + 1 < n ? xr + rowBytes : 0, frame, 0, 0);
    f32_vscalesub(yr, c, <f32>load<f64>(alpha + o), <f32>load<f64>(beta + o), w);
  }
}

/** f64 twin of f32_row_expscale. */
export function f64_row_expscale(
  x: usize, n: i32, c: i32, shift: usize, alpha: usize, beta: usize, w: usize, out: usize, _frame: usize,
): void {
  const rowBytes = <usize>c << 3;
  for (let r = 0; r < n; r++) {
    const xr = x + <usize>r * rowBytes;
    const yr = out + <usize>r * rowBytes;
    const o = <usize>r << 3;
    f64_raddstoreexpminusmax(xr, c, load<f64>(shift + o), yr);
    f64_vscalesub(yr, c, load<f64>(alpha + o), load<f64>(beta + o), w);
  }
}
