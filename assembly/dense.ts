// Softmax cross-entropy with probability targets (PyTorch's probability-target path), with
// per-class weights and label smoothing t' = (1−ε)·t + ε/c, and the fused gradient.
//
// Row loss Σ_k w_k·t'_k·(lse − x_k) = W·log s − S with W = Σ w_k·t'_k and
// S = Σ w_k·t'_k·(x_k − m): both sums have terms of one sign, so nothing cancels. A term with
// w_k·t'_k = 0 is dropped by masking rather than multiplied, so x_k = -inf there adds 0 (no
// 0·inf), and a row with no such term has loss 0 whatever its logits (W = 0). W and S are taken before the exp pass, which may overwrite the logits (in-place);
// the gradient pass then reads the stored exp(x_k − m) and the targets:
// grad_k = (scale·W/s)·e_k − scale·w_k·t'_k. The exp pass of a row also takes the max of
// the next row.
//
// With softcap, the passes of capped.ts take W, S and s in one pass through the cap and a
// second recomputes e_k and sech²_k for the gradient; the z-loss adds 2z·lse to scale·W (see
// sparse.ts).

import { f32_raddcappedexp, f32_vcappedgrad } from './capped';
import { f32_raddexpminusmax_u16_acc4, f32_raddstoreexpminusmax_u16_acc4, f64_raddstoreexpminusmax } from './exp-sum';
import { COEF_SUM, DOT, NEXT_MAX } from './frame';
import { f32_rmax_u16_acc4, f64_rmax } from './max';
import { madd, hsum } from './simd';
import { FLUSH } from './sum';
import { f32_tanh_sech2 } from './tanh';

/** w·t' = w·(keep·t + add) for one vector (w is 1 when not weighted). */
// @ts-ignore: decorator
@inline
function f32x4_wt(vt: v128, vw: v128, vkeep: v128, vadd: v128, weighted: bool): v128 {
  const v = madd(vt, vkeep, vadd);
  return weighted ? f32x4.mul(v, vw) : v;
}

/** The body of f32_rdense_terms (`weighted`: w not null). */
// @ts-ignore: decorator
@inline
function f32_rdense_terms_u16(x: usize, t: usize, w: usize, c: i32, m: f32, keep: f32, add: f32, res: usize, weighted: bool): f64 {
  let sw: f64 = 0;
  let ss: f64 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vmax = f32x4.splat(m);
    const vkeep = f32x4.splat(keep);
    const vadd = f32x4.splat(add);
    const vzero = f32x4.splat(0);
    for (let b = 0; b + 4 <= c; b += FLUSH) {
      const end = min(c, b + FLUSH);
      let vsw = vzero;
      let vss = vzero;
      for (; i + 16 <= end; i += 16) {
        const o = <usize>i << 2;
        const vwt0 = f32x4_wt(v128.load(t + o), weighted ? v128.load(w + o) : vzero, vkeep, vadd, weighted);
        const vwt1 = f32x4_wt(v128.load(t + o, 16), weighted ? v128.load(w + o, 16) : vzero, vkeep, vadd, weighted);
        const vwt2 = f32x4_wt(v128.load(t + o, 32), weighted ? v128.load(w + o, 32) : vzero, vkeep, vadd, weighted);
        const vwt3 = f32x4_wt(v128.load(t + o, 48), weighted ? v128.load(w + o, 48) : vzero, vkeep, vadd, weighted);
        vsw = f32x4.add(vsw, f32x4.add(f32x4.add(vwt0, vwt1), f32x4.add(vwt2, vwt3)));
        // A term with w·t' = 0 is masked out, so x = -inf there adds 0, not 0·inf.
        const vs0 = v128.andnot(f32x4.mul(vwt0, f32x4.sub(v128.load(x + o), vmax)), f32x4.eq(vwt0, vzero));
        const vs1 = v128.andnot(f32x4.mul(vwt1, f32x4.sub(v128.load(x + o, 16), vmax)), f32x4.eq(vwt1, vzero));
        const vs2 = v128.andnot(f32x4.mul(vwt2, f32x4.sub(v128.load(x + o, 32), vmax)), f32x4.eq(vwt2, vzero));
        const vs3 = v128.andnot(f32x4.mul(vwt3, f32x4.sub(v128.load(x + o, 48), vmax)), f32x4.eq(vwt3, vzero));
        vss = f32x4.add(vss, f32x4.add(f32x4.add(vs0, vs1), f32x4.add(vs2, vs3)));
      }
      for (; i + 4 <= end; i += 4) {
        const o = <usize>i << 2;
        const vwt = f32x4_wt(v128.load(t + o), weighted ? v128.load(w + o) : vzero, vkeep, vadd, weighted);
        vsw = f32x4.add(vsw, vwt);
        vss = f32x4.add(vss, v128.andnot(f32x4.mul(vwt, f32x4.sub(v128.load(x + o), vmax)), f32x4.eq(vwt, vzero)));
      }
      sw += hsum(vsw);
      ss += hsum(vss);
    }
  }
  for (; i < c; i++) {
    const o = <usize>i << 2;
    let wt = load<f32>(t + o) * keep + add;
    if (weighted) wt *= load<f32>(w + o);
    sw += <f64>wt;
    if (wt != 0) ss += <f64>(wt * (load<f32>(x + o) - m));
  }
  store<f64>(res, sw, COEF_SUM);
  return ss;
}

/**
 * S = Σ w_k·t'_k·(x_k − m), skipping w_k·t'_k = 0; stores W = Σ w_k·t'_k at res + COEF_SUM
 * (frame.ts). The f32 lane sums are flushed to f64 every FLUSH elements.
 */
function f32_rdense_terms(x: usize, t: usize, w: usize, c: i32, m: f32, keep: f32, add: f32, res: usize): f64 {
  return w
    ? f32_rdense_terms_u16(x, t, w, c, m, keep, add, res, true)
    : f32_rdense_terms_u16(x, t, 0, c, m, keep, add, res, false);
}

/** The body of f32_vdense_grad (`weighted`: w not null). */
// @ts-ignore: decorator
@inline
function f32_vdense_grad_u16(g: usize, t: usize, w: usize, c: i32, alpha: f32, scale: f32, keep: f32, add: f32, weighted: bool): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const valpha = f32x4.splat(alpha);
    const vscale = f32x4.splat(scale);
    const vkeep = f32x4.splat(keep);
    const vadd = f32x4.splat(add);
    const vzero = f32x4.splat(0);
    for (; i + 16 <= c; i += 16) {
      const o = <usize>i << 2;
      const vwt0 = f32x4_wt(v128.load(t + o), weighted ? v128.load(w + o) : vzero, vkeep, vadd, weighted);
      const vwt1 = f32x4_wt(v128.load(t + o, 16), weighted ? v128.load(w + o, 16) : vzero, vkeep, vadd, weighted);
      const vwt2 = f32x4_wt(v128.load(t + o, 32), weighted ? v128.load(w + o, 32) : vzero, vkeep, vadd, weighted);
      const vwt3 = f32x4_wt(v128.load(t + o, 48), weighted ? v128.load(w + o, 48) : vzero, vkeep, vadd, weighted);
      v128.store(g + o, f32x4.sub(f32x4.mul(v128.load(g + o), valpha), f32x4.mul(vwt0, vscale)));
      v128.store(g + o, f32x4.sub(f32x4.mul(v128.load(g + o, 16), valpha), f32x4.mul(vwt1, vscale)), 16);
      v128.store(g + o, f32x4.sub(f32x4.mul(v128.load(g + o, 32), valpha), f32x4.mul(vwt2, vscale)), 32);
      v128.store(g + o, f32x4.sub(f32x4.mul(v128.load(g + o, 48), valpha), f32x4.mul(vwt3, vscale)), 48);
    }
    for (; i + 4 <= c; i += 4) {
      const o = <usize>i << 2;
      const vwt = f32x4_wt(v128.load(t + o), weighted ? v128.load(w + o) : vzero, vkeep, vadd, weighted);
      v128.store(g + o, f32x4.sub(f32x4.mul(v128.load(g + o), valpha), f32x4.mul(vwt, vscale)));
    }
  }
  for (; i < c; i++) {
    const o = <usize>i << 2;
    let wt = load<f32>(t + o) * keep + add;
    if (weighted) wt *= load<f32>(w + o);
    store<f32>(g + o, load<f32>(g + o) * alpha - wt * scale);
  }
}

/** g_k ← α·g_k − scale·w_k·t'_k. */
function f32_vdense_grad(g: usize, t: usize, w: usize, c: i32, alpha: f32, scale: f32, keep: f32, add: f32): void {
  if (w) f32_vdense_grad_u16(g, t, w, c, alpha, scale, keep, add, true);
  else f32_vdense_grad_u16(g, t, 0, c, alpha, scale, keep, add, false);
}

/**
 * Σ_n rowLoss_n over n rows (f32); weight, rowLoss, grad, rowScale, rowLse 0 when absent; grad
 * may equal logits. softcap 0: no cap; zLoss 0: no z-loss.
 */
export function f32_dense_xent(
  logits: usize, targets: usize, n: i32, c: i32, weight: usize, smoothing: f64,
  rowLoss: usize, grad: usize, gradScale: f64, rowScale: usize,
  softcap: f64, zLoss: f64, zGradScale: f64, rowLse: usize, frame: usize,
): f64 {
  const rowBytes = <usize>c << 2;
  const keep = <f32>(1 - smoothing);
  const add = <f32>(smoothing / <f64>c);
  const capped = softcap > 0;
  const cap = <f32>softcap;
  let total: f64 = 0;
  let m = n > 0 ? f32_rmax_u16_acc4(logits, c) : 0;
  for (let r = 0; r < n; r++) {
    const x = logits + <usize>r * rowBytes;
    const t = targets + <usize>r * rowBytes;
    const g = grad ? grad + <usize>r * rowBytes : 0;
    const xn = r + 1 < n ? x + rowBytes : 0;
    let ss: f64;
    let sw: f64;
    let s: f64;
    let mm: f32 = m;
    if (capped) {
      mm = f32_tanh_sech2(m * (1 / cap), 0) * cap;
      s = f32_raddcappedexp(x, c, cap, mm, 0, true, t, weight, keep, add, xn, frame);
      ss = load<f64>(frame, DOT);
    } else {
      ss = f32_rdense_terms(x, t, weight, c, m, keep, add, frame);
      s = g ? f32_raddstoreexpminusmax_u16_acc4(x, c, m, g, xn, frame, 0, 0) : f32_raddexpminusmax_u16_acc4(x, c, m, xn, frame);
    }
    sw = load<f64>(frame, COEF_SUM);
    m = load<f32>(frame, NEXT_MAX);
    const ls = Math.log(s);
    const loss = sw == 0 ? 0 : sw * ls - ss;
    if (rowLse) store<f32>(rowLse + (<usize>r << 2), <f32>(<f64>mm + ls));
    if (rowLoss) store<f32>(rowLoss + (<usize>r << 2), <f32>loss);
    total += loss;
    if (g) {
      const scale = rowScale ? <f64>load<f32>(rowScale + (<usize>r << 2)) : gradScale;
      const zScale = rowScale ? scale : zGradScale;
      const alpha = <f32>((scale * sw + (zLoss > 0 ? 2 * zLoss * (<f64>mm + ls) * zScale : 0)) / s);
      if (capped) f32_vcappedgrad(x, c, cap, mm, g, alpha, <f32>scale, t, weight, keep, add, frame);
      else f32_vdense_grad(g, t, weight, c, alpha, <f32>scale, keep, add);
    }
  }
  return total;
}

/** f64 twin of f32_dense_xent. */
export function f64_dense_xent(
  logits: usize, targets: usize, n: i32, c: i32, weight: usize, smoothing: f64,
  rowLoss: usize, grad: usize, gradScale: f64, rowScale: usize,
  softcap: f64, zLoss: f64, zGradScale: f64, rowLse: usize, _frame: usize,
): f64 {
  const rowBytes = <usize>c << 3;
  const keep = 1 - smoothing;
  const add = smoothing / <f64>c;
  const capped = softcap > 0;
  let total: f64 = 0;
  for (let r = 0; r < n; r++) {
    const x = logits + <usize>r * rowBytes;
    const t = targets + <usize>r * rowBytes;
    const g = grad ? grad + <usize>r * rowBytes : 0;
    const m = capped ? softcap * Math.tanh(f64_rmax(x, c) / softcap) : f64_rmax(x, c);
    let sw: f64 = 0;
    let ss: f64 = 0;
    let s: f64 = 0;
    for (let i = 0; i < c; i++) {
      const o = <usize>i << 3;
      let wt = load<f64>(t + o) * keep + add;
      if (weight) wt *= load<f64>(weight + o);
      const d = (capped ? softcap * Math.tanh(load<f64>(x + o) / softcap) : load<f64>(x + o)) - m;
      sw += wt;
      if (wt != 0) ss += wt * d;
      if (capped) s += Math.exp(d);
    }
    // Uncapped, the exp pass stores e_k in g for the gradient pass.
    if (!capped) s = f64_raddstoreexpminusmax(x, c, m, g);
    const ls = Math.log(s);
    const loss = sw == 0 ? 0 : sw * ls - ss;
    if (rowLse) store<f64>(rowLse + (<usize>r << 3), m + ls);
    if (rowLoss) store<f64>(rowLoss + (<usize>r << 3), loss);
    total += loss;
    if (g) {
      const scale = rowScale ? load<f64>(rowScale + (<usize>r << 3)) : gradScale;
      const zScale = rowScale ? scale : zGradScale;
      const alpha = (scale * sw + (zLoss > 0 ? 2 * zLoss * (m + ls) * zScale : 0)) / s;
      for (let i = 0; i < c; i++) {
        const o = <usize>i << 3;
        let wt = load<f64>(t + o) * keep + add;
        if (weight) wt *= load<f64>(weight + o);
        if (capped) {
          const th = Math.tanh(load<f64>(x + o) / softcap);
          store<f64>(g + o, (Math.exp(softcap * th - m) * alpha - wt * scale) * (1 - th * th));
        } else {
          store<f64>(g + o, load<f64>(g + o) * alpha - wt * scale);
        }
      }
    }
  }
  return total;
}
