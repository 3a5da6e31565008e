// Softmax cross-entropy with integer labels (PyTorch F.cross_entropy, class indices), with
// per-class weights, label smoothing and ignore_index, and the fused gradient. A class of
// weight 0 contributes 0 to the loss even against a -inf logit (no 0·inf), as in the dense
// path where w·t' = 0 terms are dropped.
//
// Per row: m = max x, s = Σ exp(x_k − m), lse − x_k = log s − (x_k − m); every sum is of
// non-negative (or non-positive) terms, so nothing cancels, and log and the row loss are
// taken in f64. With a gradient, the exp pass stores exp(x_k − m) straight into grad and a
// second pass scales it: grad_k = α·e_k − β·w_k with α = scale·a/s, β = scale·ε/c; the
// target entry is then rewritten in f64 from its stored e_y. The target logit and the
// smoothing sum are read before the exp pass, which may overwrite the logits (in-place).
// The exp pass of a row also takes the max of the next (non-ignored) row.

import {
  f32_raddexpminusmax_u16_acc4,
  f32_raddstoreexpminusmax_u16_acc4,
  f32_rdotminusmax,
  f32_rmax_u16_acc4,
  f32_sum_u16_acc4,
  f32_vscalesub,
  f64_raddstoreexpminusmax,
  f64_rdotminusmax,
  f64_rmax,
  f64_sum,
  f64_vscalesub,
  nextRowMax,
} from './reduce';

/** Widest row (8 KiB of f32) whose gradient scaling is deferred into the next row's exp pass. */
// @ts-ignore: decorator
@inline const DEFER_MAX_C: i32 = 2048;

/**
 * Σ_n rowLoss_n over n rows of c logits (f32). weight, rowLoss, grad and rowScale are 0 when
 * absent; grad may equal logits. Ignored rows: loss 0, gradient 0, logits never read.
 */
export function f32_sparse_xent(
  logits: usize, labels: usize, n: i32, c: i32, weight: usize, ignoreIndex: i32,
  smoothing: f64, rowLoss: usize, grad: usize, gradScale: f64, rowScale: usize,
): f64 {
  const rowBytes = <usize>c << 2;
  const eps = smoothing;
  const epsc = eps / <f64>c;
  // With ε = 0 the smoothing terms are skipped, not multiplied by 0: -inf masks would give 0·inf.
  const smooth = eps > 0;
  const wsum: f64 = smooth ? (weight ? f32_sum_u16_acc4(weight, c) : <f64>c) : 0;
  let total: f64 = 0;
  // The max of row r, when the exp pass of row r − 1 already took it.
  let known = false;
  let mKnown: f32 = 0;
  // Without smoothing and for rows that fit in L1 three at a time, row r's gradient scaling
  // rides on row r + 1's exp pass (4096x1000: +5% loss+grad; for 50257-wide rows it costs
  // 5-15%, so they scale in a pass of their own). The row still to scale (0 if none), its
  // factor, and its target entry, rewritten after the scaling.
  const defer = !smooth && c <= DEFER_MAX_C;
  let pend: usize = 0;
  let pendAlpha: f32 = 0;
  let pendY: usize = 0;
  let pendGy: f32 = 0;
  for (let r = 0; r < n; r++) {
    const x = logits + <usize>r * rowBytes;
    const g = grad ? grad + <usize>r * rowBytes : 0;
    const y = load<i32>(labels + (<usize>r << 2));
    if (y == ignoreIndex) {
      if (rowLoss) store<f32>(rowLoss + (<usize>r << 2), 0);
      if (g) memory.fill(g, 0, rowBytes);
      if (pend) {
        f32_vscalesub(pend, c, pendAlpha, 0, 0);
        store<f32>(pendY, pendGy);
        pend = 0;
      }
      known = false;
      continue;
    }
    const yo = <usize>y << 2;
    const wy: f64 = weight ? <f64>load<f32>(weight + yo) : 1;
    const m = known ? mKnown : f32_rmax_u16_acc4(x, c);
    const dy = <f64>load<f32>(x + yo) - <f64>m;
    const sd = smooth ? f32_rdotminusmax(x, weight, c, m) : 0;
    const xn = r + 1 < n && load<i32>(labels + (<usize>(r + 1) << 2)) != ignoreIndex ? x + rowBytes : 0;
    const s = g ? f32_raddstoreexpminusmax_u16_acc4(x, c, m, g, xn, pend, pendAlpha) : f32_raddexpminusmax_u16_acc4(x, c, m, xn);
    if (pend) {
      store<f32>(pendY, pendGy);
      pend = 0;
    }
    known = xn != 0;
    mKnown = nextRowMax;
    const ls = Math.log(s);
    let loss = wy == 0 ? 0 : (1 - eps) * wy * (ls - dy);
    if (smooth) loss += epsc * (wsum * ls - sd);
    if (rowLoss) store<f32>(rowLoss + (<usize>r << 2), <f32>loss);
    total += loss;
    if (g) {
      const scale = rowScale ? <f64>load<f32>(rowScale + (<usize>r << 2)) : gradScale;
      const a = (1 - eps) * wy + epsc * wsum;
      const ey = <f64>load<f32>(g + yo);
      const gy = <f32>(scale * (a * ey / s - epsc * wy - (1 - eps) * wy));
      if (!defer) {
        f32_vscalesub(g, c, <f32>(scale * a / s), <f32>(scale * epsc), weight);
        store<f32>(g + yo, gy);
      } else {
        pend = g;
        pendAlpha = <f32>(scale * a / s);
        pendY = g + yo;
        pendGy = gy;
      }
    }
  }
  if (pend) {
    f32_vscalesub(pend, c, pendAlpha, 0, 0);
    store<f32>(pendY, pendGy);
  }
  return total;
}

/** f64 twin of f32_sparse_xent (scalar, NativeMath exp/log). */
export function f64_sparse_xent(
  logits: usize, labels: usize, n: i32, c: i32, weight: usize, ignoreIndex: i32,
  smoothing: f64, rowLoss: usize, grad: usize, gradScale: f64, rowScale: usize,
): f64 {
  const rowBytes = <usize>c << 3;
  const eps = smoothing;
  const epsc = eps / <f64>c;
  const smooth = eps > 0;
  const wsum: f64 = smooth ? (weight ? f64_sum(weight, c) : <f64>c) : 0;
  let total: f64 = 0;
  for (let r = 0; r < n; r++) {
    const x = logits + <usize>r * rowBytes;
    const g = grad ? grad + <usize>r * rowBytes : 0;
    const y = load<i32>(labels + (<usize>r << 2));
    if (y == ignoreIndex) {
      if (rowLoss) store<f64>(rowLoss + (<usize>r << 3), 0);
      if (g) memory.fill(g, 0, rowBytes);
      continue;
    }
    const yo = <usize>y << 3;
    const wy: f64 = weight ? load<f64>(weight + yo) : 1;
    const m = f64_rmax(x, c);
    const dy = load<f64>(x + yo) - m;
    const sd = smooth ? f64_rdotminusmax(x, weight, c, m) : 0;
    const s = f64_raddstoreexpminusmax(x, c, m, g);
    const ls = Math.log(s);
    let loss = wy == 0 ? 0 : (1 - eps) * wy * (ls - dy);
    if (smooth) loss += epsc * (wsum * ls - sd);
    if (rowLoss) store<f64>(rowLoss + (<usize>r << 3), loss);
    total += loss;
    if (g) {
      const scale = rowScale ? load<f64>(rowScale + (<usize>r << 3)) : gradScale;
      const a = (1 - eps) * wy + epsc * wsum;
      const ey = load<f64>(g + yo);
      f64_vscalesub(g, c, scale * a / s, scale * epsc, weight);
      store<f64>(g + yo, scale * (a * ey / s - epsc * wy - (1 - eps) * wy));
    }
  }
  return total;
}
