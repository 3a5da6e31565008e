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

import { madd, hsum } from './simd';
import {
  FLUSH,
  f32_raddexpminusmax_u16_acc4,
  f32_raddstoreexpminusmax_u16_acc4,
  f32_rmax_u16_acc4,
  f64_raddstoreexpminusmax,
  f64_rmax,
  nextRowMax,
} from './reduce';

/** W, the second result of the last f32_rdense_terms call. */
let termsWeight: f64 = 0;

/**
 * S = Σ w_k·t'_k·(x_k − m), skipping w_k·t'_k = 0; sets termsWeight = Σ w_k·t'_k. The f32 lane
 * sums are flushed to f64 every FLUSH elements.
 */
function f32_rdense_terms(x: usize, t: usize, w: usize, c: i32, m: f32, keep: f32, add: f32): f64 {
  let sw: f64 = 0;
  let ss: f64 = 0;
  for (let b = 0; b < c; b += FLUSH) {
    const e = min(c, b + FLUSH);
    let i = b;
    if (ASC_FEATURE_SIMD) {
      const vmax = f32x4.splat(m);
      const vkeep = f32x4.splat(keep);
      const vadd = f32x4.splat(add);
      const vzero = f32x4.splat(0);
      let vsw = vzero;
      let vss = vzero;
      for (; i + 4 <= e; i += 4) {
        const o = <usize>i << 2;
        let vwt = madd(v128.load(t + o), vkeep, vadd);
        if (w) vwt = f32x4.mul(vwt, v128.load(w + o));
        vsw = f32x4.add(vsw, vwt);
        const vterm = f32x4.mul(vwt, f32x4.sub(v128.load(x + o), vmax));
        vss = f32x4.add(vss, v128.andnot(vterm, f32x4.eq(vwt, vzero)));
      }
      sw += hsum(vsw);
      ss += hsum(vss);
    }
    for (; i < e; i++) {
      const o = <usize>i << 2;
      let wt = load<f32>(t + o) * keep + add;
      if (w) wt *= load<f32>(w + o);
      sw += <f64>wt;
      if (wt != 0) ss += <f64>(wt * (load<f32>(x + o) - m));
    }
  }
  termsWeight = sw;
  return ss;
}

/** g_k ← α·g_k − scale·w_k·t'_k. */
function f32_vdense_grad(g: usize, t: usize, w: usize, c: i32, alpha: f32, scale: f32, keep: f32, add: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const valpha = f32x4.splat(alpha);
    const vscale = f32x4.splat(scale);
    const vkeep = f32x4.splat(keep);
    const vadd = f32x4.splat(add);
    for (; i + 4 <= c; i += 4) {
      const o = <usize>i << 2;
      let vwt = madd(v128.load(t + o), vkeep, vadd);
      if (w) vwt = f32x4.mul(vwt, v128.load(w + o));
      v128.store(g + o, f32x4.sub(f32x4.mul(v128.load(g + o), valpha), f32x4.mul(vwt, vscale)));
    }
  }
  for (; i < c; i++) {
    const o = <usize>i << 2;
    let wt = load<f32>(t + o) * keep + add;
    if (w) wt *= load<f32>(w + o);
    store<f32>(g + o, load<f32>(g + o) * alpha - wt * scale);
  }
}

/** Σ_n rowLoss_n over n rows (f32); weight, rowLoss, grad, rowScale 0 when absent; grad may equal logits. */
export function f32_dense_xent(
  logits: usize, targets: usize, n: i32, c: i32, weight: usize, smoothing: f64,
  rowLoss: usize, grad: usize, gradScale: f64, rowScale: usize,
): f64 {
  const rowBytes = <usize>c << 2;
  const keep = <f32>(1 - smoothing);
  const add = <f32>(smoothing / <f64>c);
  let total: f64 = 0;
  let m = n > 0 ? f32_rmax_u16_acc4(logits, c) : 0;
  for (let r = 0; r < n; r++) {
    const x = logits + <usize>r * rowBytes;
    const t = targets + <usize>r * rowBytes;
    const g = grad ? grad + <usize>r * rowBytes : 0;
    const ss = f32_rdense_terms(x, t, weight, c, m, keep, add);
    const sw = termsWeight;
    const xn = r + 1 < n ? x + rowBytes : 0;
    const s = g ? f32_raddstoreexpminusmax_u16_acc4(x, c, m, g, xn, 0, 0) : f32_raddexpminusmax_u16_acc4(x, c, m, xn);
    m = nextRowMax;
    const loss = sw == 0 ? 0 : sw * Math.log(s) - ss;
    if (rowLoss) store<f32>(rowLoss + (<usize>r << 2), <f32>loss);
    total += loss;
    if (g) {
      const scale = rowScale ? <f64>load<f32>(rowScale + (<usize>r << 2)) : gradScale;
      f32_vdense_grad(g, t, weight, c, <f32>(scale * sw / s), <f32>scale, keep, add);
    }
  }
  return total;
}

/** f64 twin of f32_dense_xent. */
export function f64_dense_xent(
  logits: usize, targets: usize, n: i32, c: i32, weight: usize, smoothing: f64,
  rowLoss: usize, grad: usize, gradScale: f64, rowScale: usize,
): f64 {
  const rowBytes = <usize>c << 3;
  const keep = 1 - smoothing;
  const add = smoothing / <f64>c;
  let total: f64 = 0;
  for (let r = 0; r < n; r++) {
    const x = logits + <usize>r * rowBytes;
    const t = targets + <usize>r * rowBytes;
    const g = grad ? grad + <usize>r * rowBytes : 0;
    const m = f64_rmax(x, c);
    let sw: f64 = 0;
    let ss: f64 = 0;
    for (let i = 0; i < c; i++) {
      const o = <usize>i << 3;
      let wt = load<f64>(t + o) * keep + add;
      if (weight) wt *= load<f64>(weight + o);
      sw += wt;
      if (wt != 0) ss += wt * (load<f64>(x + o) - m);
    }
    const s = f64_raddstoreexpminusmax(x, c, m, g);
    const loss = sw == 0 ? 0 : sw * Math.log(s) - ss;
    if (rowLoss) store<f64>(rowLoss + (<usize>r << 3), loss);
    total += loss;
    if (g) {
      const scale = rowScale ? load<f64>(rowScale + (<usize>r << 3)) : gradScale;
      const alpha = scale * sw / s;
      for (let i = 0; i < c; i++) {
        const o = <usize>i << 3;
        let wt = load<f64>(t + o) * keep + add;
        if (weight) wt *= load<f64>(weight + o);
        store<f64>(g + o, load<f64>(g + o) * alpha - wt * scale);
      }
    }
  }
  return total;
}
