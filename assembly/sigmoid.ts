// Binary cross-entropy with logits, elementwise (PyTorch binary_cross_entropy_with_logits):
// loss = w·[(1−t)·x + lw·softplus(−x)], lw = 1 + (pw−1)·t,
// softplus(−x) = log1p(exp(−|x|)) + max(−x, 0), which never overflows;
// grad = scale·w·[(1−t) − lw·σ(−x)] with σ(−x) = (x ≥ 0 ? e : 1)/(1 + e), e = exp(−|x|),
// so one exp serves the loss and the gradient. exp(−|x|) keeps gradual underflow (the
// general exp), so large |x| still gives PyTorch's tiny nonzero losses.
//
// The loss is evaluated without cancellation: for x < 0, (1−t)·x + lw·(−x) = −pw·t·x, so
// loss = w·[(x ≥ 0 ? (1−t)·x : −pw·t·x) + lw·log1p(e)], two non-negative terms (the formula
// as written loses |x|·ulp(1) absolute: in f32 3e-5 at x = -91, t = 0.002; in f64 the whole
// 3.7e-44 loss at x = -100, t = 0). x = -inf still gives NaN, as PyTorch's
// (1−t)·x − lw·log_sigmoid(x) does.

import { f32_exp_rr2_p5, f32x4_exp_rr2_p5 } from './exp';
import { f32x4_log1p_unit } from './log';
import { FLUSH } from './sum';
import { V_MINUS_INF, V_NAN, V_ONE, hsum, vconst } from './simd';

/**
 * One span of len elements; w, pw, loss, g, sc are 0 when absent (w then 1, pw 1, sc the
 * constant scale). Returns Σ of the element losses.
 */
function f32_sigmoid_span(
  x: usize, t: usize, w: usize, pw: usize, loss: usize, g: usize, sc: usize, len: i32, scale: f32,
): f64 {
  let i = 0;
  let total: f64 = 0;
  if (ASC_FEATURE_SIMD) {
    const vone = vconst(V_ONE);
    const vzero = f32x4.splat(0);
    const vscale = f32x4.splat(scale);
    let vsum = vzero;
    for (; i + 4 <= len; i += 4) {
      const o = <usize>i << 2;
      const vx = v128.load(x + o);
      const vt = v128.load(t + o);
      const ve = f32x4_exp_rr2_p5(f32x4.neg(f32x4.abs(vx)));
      const vpw = pw ? v128.load(pw + o) : vone;
      const vlw = pw ? f32x4.add(vone, f32x4.mul(f32x4.sub(vpw, vone), vt)) : vone;
      const vomt = f32x4.sub(vone, vt);
      const vcoef = v128.bitselect(vomt, f32x4.neg(f32x4.mul(vpw, vt)), f32x4.ge(vx, vzero));
      const vlin = v128.bitselect(vconst(V_NAN), f32x4.mul(vcoef, vx), f32x4.eq(vx, vconst(V_MINUS_INF)));
      let vl = f32x4.add(vlin, f32x4.mul(vlw, f32x4_log1p_unit(ve)));
      const vw = w ? v128.load(w + o) : vone;
      if (w) vl = f32x4.mul(vl, vw);
      vsum = f32x4.add(vsum, vl);
      if (loss) v128.store(loss + o, vl);
      if (g) {
        const vnum = v128.bitselect(ve, vone, f32x4.ge(vx, vzero));
        const vsig = f32x4.div(vnum, f32x4.add(vone, ve));
        const vs = sc ? v128.load(sc + o) : vscale;
        v128.store(g + o, f32x4.mul(f32x4.mul(vs, vw), f32x4.sub(vomt, f32x4.mul(vlw, vsig))));
      }
    }
    total = hsum(vsum);
  }
  for (; i < len; i++) {
    const o = <usize>i << 2;
    const xv = load<f32>(x + o);
    const tv = load<f32>(t + o);
    const e = f32_exp_rr2_p5(-abs(xv));
    const pwv: f32 = pw ? load<f32>(pw + o) : 1;
    const lw: f32 = pw ? 1 + (pwv - 1) * tv : 1;
    const wv: f32 = w ? load<f32>(w + o) : 1;
    const lin: f32 = xv == -Infinity ? NaN : (xv >= 0 ? (1 - tv) * xv : -pwv * tv * xv);
    const l = wv * (lin + lw * Mathf.log1p(e));
    total += <f64>l;
    if (loss) store<f32>(loss + o, l);
    if (g) {
      const sig = (xv >= 0 ? e : 1) / (1 + e);
      const s = sc ? load<f32>(sc + o) : scale;
      store<f32>(g + o, s * wv * ((1 - tv) - lw * sig));
    }
  }
  return total;
}

/**
 * Σ of n·c element losses (f32). weight: per class (length c) or, with weightPerElement, per
 * element; posWeight per class; elemLoss, grad, elemScale per element; 0 when absent. grad
 * may equal logits: each element is read before its gradient is stored.
 */
export function f32_sigmoid_xent(
  logits: usize, targets: usize, n: i32, c: i32, weight: usize, weightPerElement: bool,
  posWeight: usize, elemLoss: usize, grad: usize, gradScale: f64, elemScale: usize,
): f64 {
  const rowBytes = <usize>c << 2;
  const scale = <f32>gradScale;
  let total: f64 = 0;
  for (let r = 0; r < n; r++) {
    const ro = <usize>r * rowBytes;
    const wr = weight ? (weightPerElement ? weight + ro : weight) : 0;
    for (let k = 0; k < c; k += FLUSH) {
      const o = <usize>k << 2;
      total += f32_sigmoid_span(
        logits + ro + o, targets + ro + o, wr ? wr + o : 0, posWeight ? posWeight + o : 0,
        elemLoss ? elemLoss + ro + o : 0, grad ? grad + ro + o : 0, elemScale ? elemScale + ro + o : 0,
        min(FLUSH, c - k), scale,
      );
    }
  }
  return total;
}

/** f64 twin of f32_sigmoid_xent. */
export function f64_sigmoid_xent(
  logits: usize, targets: usize, n: i32, c: i32, weight: usize, weightPerElement: bool,
  posWeight: usize, elemLoss: usize, grad: usize, gradScale: f64, elemScale: usize,
): f64 {
  let total: f64 = 0;
  for (let r = 0; r < n; r++) {
    for (let k = 0; k < c; k++) {
      const i = r * c + k;
      const o = <usize>i << 3;
      const ko = <usize>k << 3;
      const x = load<f64>(logits + o);
      const t = load<f64>(targets + o);
      const e = Math.exp(-abs(x));
      const pw = posWeight ? load<f64>(posWeight + ko) : 1;
      const lw = posWeight ? 1 + (pw - 1) * t : 1;
      const w = weight ? load<f64>(weight + (weightPerElement ? o : ko)) : 1;
      const lin = x == -Infinity ? NaN : (x >= 0 ? (1 - t) * x : -pw * t * x);
      const l = w * (lin + lw * Math.log1p(e));
      total += l;
      if (elemLoss) store<f64>(elemLoss + o, l);
      if (grad) {
        const sig = (x >= 0 ? e : 1) / (1 + e);
        const s = elemScale ? load<f64>(elemScale + o) : gradScale;
        store<f64>(grad + o, s * w * ((1 - t) - lw * sig));
      }
    }
  }
  return total;
}
