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
//
// Training extras, all per row on top of that:
// - softcap: the passes of capped.ts replace the exp pass (y = cap·tanh(x/cap) recomputed from
//   x, the gradient times sech²). Without smoothing one pass stores e_k·sech²_k and the scaling
//   pass is the usual one; with smoothing the gradient needs both e_k and sech²_k per class, so
//   a second pass recomputes them.
// - z-loss z·lse²: only its gradient is the kernel's, 2z·lse·p_k folded into the scale α of
//   the scaling pass (the front adds the loss term from rowLse).
// - focal γ: the row loss w·(1 − p)^γ·(−log p) and a row factor G on the gradient
//   w·G·(p_k − [k = y]); p_y and 1 − p_y come from −log p_y in f64 (expm1: no cancellation).
// - statistics: rowLse, and rowArgmax: the first k with x_k − max = 0, looked for in the exp
//   pass (which has x_k − max anyway) until found; capped rows and rows whose max is infinite
//   are searched by an early-exit scan of the logits before their pass.

import { f32_raddcappedexp, f32_vcappedgrad } from './capped';
import { f32_rdotminusmax, f64_rdotminusmax } from './dot';
import {
  f32_raddexpminusmax_argmax_u16_acc4,
  f32_raddexpminusmax_u16_acc4,
  f32_raddstoreexpminusmax_argmax_u16_acc4,
  f32_raddstoreexpminusmax_u16_acc4,
  f64_raddstoreexpminusmax,
} from './exp-sum';
import { ARGMAX, DOT, NEXT_MAX, ROW_HIT, SECH2 } from './frame';
import { f32_rfirsteq, f32_rfirstnan, f32_rmax_u16_acc4, f64_rargmax, f64_rmax } from './max';
import { f32_vscalesub, f64_vscalesub } from './scale';
import { f32_sum_u16_acc4, f64_sum } from './sum';
import { f32_tanh_sech2 } from './tanh';

/** Widest row (8 KiB of f32) whose gradient scaling is deferred into the next row's exp pass. */
// @ts-ignore: decorator
@inline const DEFER_MAX_C: i32 = 2048;

/**
 * The loss of a counted row from ls = log s, dy = y_y − max and sd = Σ w_k·(y_k − max):
 * cross-entropy (with smoothing) or, for focalGamma ≥ 0, the focal loss; stores at res + ROW_HIT
 * (frame.ts) the coefficient of the row's one-hot term in its gradient.
 */
// @ts-ignore: decorator
@inline
function rowLossOf(ls: f64, dy: f64, sd: f64, wy: f64, eps: f64, epsc: f64, wsum: f64, focalGamma: f64, res: usize): f64 {
  const nll = ls - dy;
  if (focalGamma >= 0) {
    // 1 − p = −expm1(−nll), exact as p → 1; nll/(1 − p) → 1 there, and p·nll → 0 as p → 0.
    const q = -Math.expm1(-nll);
    const p = Math.exp(-nll);
    const f = focalGamma == 0 ? 1 : Math.exp(focalGamma * Math.log(q));
    const pn = p == 0 ? 0 : p * (q > 0 ? nll / q : 1);
    store<f64>(res, wy * f * (1 + focalGamma * pn), ROW_HIT);
    return wy == 0 ? 0 : wy * f * nll;
  }
  store<f64>(res, (1 - eps) * wy, ROW_HIT);
  let loss = wy == 0 ? 0 : (1 - eps) * wy * nll;
  if (eps > 0) loss += epsc * (wsum * ls - sd);
  return loss;
}

/**
 * Σ_n rowLoss_n over n rows of c logits (f32). weight, rowLoss, grad, rowScale, rowLse and
 * rowArgmax are 0 when absent; grad may equal logits. Ignored rows: loss 0, gradient 0, lse
 * NaN, argmax -1, logits never read. softcap 0: no cap; zLoss 0: no z-loss; focalGamma < 0:
 * cross-entropy (src/losses/softmax-cross-entropy.ts states each formula). frame: FRAME_BYTES of
 * scratch for the passes' second results (frame.ts).
 */
export function f32_sparse_xent(
  logits: usize, labels: usize, n: i32, c: i32, weight: usize, ignoreIndex: i32,
  smoothing: f64, rowLoss: usize, grad: usize, gradScale: f64, rowScale: usize,
  softcap: f64, zLoss: f64, zGradScale: f64, focalGamma: f64, rowLse: usize, rowArgmax: usize, frame: usize,
): f64 {
  const rowBytes = <usize>c << 2;
  const eps = smoothing;
  const epsc = eps / <f64>c;
  // With ε = 0 the smoothing terms are skipped, not multiplied by 0: -inf masks would give 0·inf.
  const smooth = eps > 0;
  const wsum: f64 = smooth ? (weight ? f32_sum_u16_acc4(weight, c) : <f64>c) : 0;
  const capped = softcap > 0;
  const cap = <f32>softcap;
  const invCap: f32 = capped ? 1 / cap : 0;
  let total: f64 = 0;
  // The max of row r, when the exp pass of row r − 1 already took it.
  let known = false;
  let mKnown: f32 = 0;
  // Without smoothing and for rows that fit in L1 three at a time, row r's gradient scaling
  // rides on row r + 1's exp pass (4096x1000: +5% loss+grad; for 50257-wide rows it costs
  // 5-15%, so they scale in a pass of their own). The row still to scale (0 if none), its
  // factor, and its target entry, rewritten after the scaling.
  const defer = !smooth && !capped && c <= DEFER_MAX_C;
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
      if (rowLse) store<f32>(rowLse + (<usize>r << 2), NaN);
      if (rowArgmax) store<i32>(rowArgmax + (<usize>r << 2), -1);
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
    let am = -1;
    // With an infinite max (an +inf logit, or nothing above -inf) x − m is NaN at the max and
    // the exp pass makes NaNs of more than the NaNs: such rows are searched in the logits now.
    const nanFirst = rowArgmax != 0 && !isFinite(m);
    if (nanFirst) {
      am = f32_rfirsteq(x, c, m);
      const k = f32_rfirstnan(x, c);
      if (k >= 0) am = k;
    } else if (rowArgmax && capped) {
      am = f32_rfirsteq(x, c, m);
    }
    const xn = r + 1 < n && load<i32>(labels + (<usize>(r + 1) << 2)) != ignoreIndex ? x + rowBytes : 0;
    // The row's max, y_y − max and Σ w_k·(y_k − max) as the softmax sees them (capped or not).
    let mm: f64;
    let dy: f64;
    let sd: f64 = 0;
    let s: f64;
    let my: f32 = 0;
    let ty: f32 = 0;
    let sech2y: f64 = 0;
    // Whether the pass wrote each row entry to g (a NaN there marks a NaN logit).
    let stored = g != 0;
    if (capped) {
      my = f32_tanh_sech2(m * invCap, 0) * cap;
      ty = f32_tanh_sech2(load<f32>(x + yo) * invCap, frame) * cap;
      sech2y = <f64>load<f32>(frame, SECH2);
      dy = <f64>ty - <f64>my;
      stored = g != 0 && !smooth;
      s = f32_raddcappedexp(x, c, cap, my, stored ? g : 0, smooth, 0, weight, 0, 1, xn, frame);
      sd = load<f64>(frame, DOT);
      mm = <f64>my;
    } else {
      dy = <f64>load<f32>(x + yo) - <f64>m;
      if (smooth) sd = f32_rdotminusmax(x, weight, c, m);
      if (rowArgmax && !nanFirst) {
        s = g
          ? f32_raddstoreexpminusmax_argmax_u16_acc4(x, c, m, g, xn, frame, pend, pendAlpha)
          : f32_raddexpminusmax_argmax_u16_acc4(x, c, m, xn, frame);
        am = load<i32>(frame, ARGMAX);
      } else {
        s = g
          ? f32_raddstoreexpminusmax_u16_acc4(x, c, m, g, xn, frame, pend, pendAlpha)
          : f32_raddexpminusmax_u16_acc4(x, c, m, xn, frame);
      }
      if (pend) {
        store<f32>(pendY, pendGy);
        pend = 0;
      }
      mm = <f64>m;
    }
    mKnown = load<f32>(frame, NEXT_MAX);
    known = xn != 0;
    if (rowArgmax) {
      if (!nanFirst && s != s) {
        const k = f32_rfirstnan(stored ? g : x, c);
        if (k >= 0) am = k;
      }
      store<i32>(rowArgmax + (<usize>r << 2), am);
    }
    const ls = Math.log(s);
    const lse = mm + ls;
    if (rowLse) store<f32>(rowLse + (<usize>r << 2), <f32>lse);
    const loss = rowLossOf(ls, dy, sd, wy, eps, epsc, wsum, focalGamma, frame);
    const hit = load<f64>(frame, ROW_HIT);
    if (rowLoss) store<f32>(rowLoss + (<usize>r << 2), <f32>loss);
    total += loss;
    if (g) {
      const scale = rowScale ? <f64>load<f32>(rowScale + (<usize>r << 2)) : gradScale;
      const zScale = rowScale ? scale : zGradScale;
      // α·s: the softmax term's coefficient, with the z-loss's 2z·lse.
      const as = scale * (hit + epsc * wsum) + (zLoss > 0 ? 2 * zLoss * lse * zScale : 0);
      const alpha = as / s;
      // What the target entry subtracts from α·e_y.
      const sub = scale * (epsc * wy + hit);
      if (capped) {
        if (smooth) f32_vcappedgrad(x, c, cap, my, g, <f32>alpha, <f32>(scale * epsc), 0, weight, 0, 1, frame);
        else f32_vscalesub(g, c, <f32>alpha, 0, 0);
        store<f32>(g + yo, <f32>(sech2y * (alpha * Math.exp(dy) - sub)));
      } else {
        const gy = <f32>(alpha * <f64>load<f32>(g + yo) - sub);
        if (!defer) {
          f32_vscalesub(g, c, <f32>alpha, <f32>(scale * epsc), weight);
          store<f32>(g + yo, gy);
        } else {
          pend = g;
          pendAlpha = <f32>alpha;
          pendY = g + yo;
          pendGy = gy;
        }
      }
    }
  }
  if (pend) {
    f32_vscalesub(pend, c, pendAlpha, 0, 0);
    store<f32>(pendY, pendGy);
  }
  return total;
}

/** f64 twin of f32_sparse_xent (scalar, NativeMath exp/log/tanh). */
export function f64_sparse_xent(
  logits: usize, labels: usize, n: i32, c: i32, weight: usize, ignoreIndex: i32,
  smoothing: f64, rowLoss: usize, grad: usize, gradScale: f64, rowScale: usize,
  softcap: f64, zLoss: f64, zGradScale: f64, focalGamma: f64, rowLse: usize, rowArgmax: usize, frame: usize,
): f64 {
  const rowBytes = <usize>c << 3;
  const eps = smoothing;
  const epsc = eps / <f64>c;
  const smooth = eps > 0;
  const wsum: f64 = smooth ? (weight ? f64_sum(weight, c) : <f64>c) : 0;
  const capped = softcap > 0;
  let total: f64 = 0;
  for (let r = 0; r < n; r++) {
    const x = logits + <usize>r * rowBytes;
    const g = grad ? grad + <usize>r * rowBytes : 0;
    const y = load<i32>(labels + (<usize>r << 2));
    if (y == ignoreIndex) {
      if (rowLoss) store<f64>(rowLoss + (<usize>r << 3), 0);
      if (rowLse) store<f64>(rowLse + (<usize>r << 3), NaN);
      if (rowArgmax) store<i32>(rowArgmax + (<usize>r << 2), -1);
      if (g) memory.fill(g, 0, rowBytes);
      continue;
    }
    if (rowArgmax) store<i32>(rowArgmax + (<usize>r << 2), f64_rargmax(x, c));
    const yo = <usize>y << 3;
    const wy: f64 = weight ? load<f64>(weight + yo) : 1;
    let m: f64;
    let dy: f64;
    let sd: f64 = 0;
    let s: f64;
    let sech2y: f64 = 0;
    if (capped) {
      // The capped row, recomputed from x in every pass (the gradient pass may overwrite x).
      m = softcap * Math.tanh(f64_rmax(x, c) / softcap);
      const ty = Math.tanh(load<f64>(x + yo) / softcap);
      sech2y = 1 - ty * ty;
      dy = softcap * ty - m;
      s = 0;
      for (let k = 0; k < c; k++) {
        const d = softcap * Math.tanh(load<f64>(x + (<usize>k << 3)) / softcap) - m;
        s += Math.exp(d);
        if (smooth) {
          const wk: f64 = weight ? load<f64>(weight + (<usize>k << 3)) : 1;
          if (wk != 0) sd += wk * d;
        }
      }
    } else {
      m = f64_rmax(x, c);
      dy = load<f64>(x + yo) - m;
      if (smooth) sd = f64_rdotminusmax(x, weight, c, m);
      s = f64_raddstoreexpminusmax(x, c, m, g);
    }
    const ls = Math.log(s);
    const lse = m + ls;
    if (rowLse) store<f64>(rowLse + (<usize>r << 3), lse);
    const loss = rowLossOf(ls, dy, sd, wy, eps, epsc, wsum, focalGamma, frame);
    const hit = load<f64>(frame, ROW_HIT);
    if (rowLoss) store<f64>(rowLoss + (<usize>r << 3), loss);
    total += loss;
    if (g) {
      const scale = rowScale ? load<f64>(rowScale + (<usize>r << 3)) : gradScale;
      const zScale = rowScale ? scale : zGradScale;
      const alpha = (scale * (hit + epsc * wsum) + (zLoss > 0 ? 2 * zLoss * lse * zScale : 0)) / s;
      const sub = scale * (epsc * wy + hit);
      if (capped) {
        for (let k = 0; k < c; k++) {
          const o = <usize>k << 3;
          const t = Math.tanh(load<f64>(x + o) / softcap);
          let v = alpha * Math.exp(softcap * t - m);
          if (smooth) v -= scale * epsc * (weight ? load<f64>(weight + o) : 1);
          store<f64>(g + o, v * (1 - t * t));
        }
        store<f64>(g + yo, sech2y * (alpha * Math.exp(dy) - sub));
      } else {
        const ey = load<f64>(g + yo);
        f64_vscalesub(g, c, alpha, scale * epsc, weight);
        store<f64>(g + yo, alpha * ey - sub);
      }
    }
  }
  return total;
}
