// Sigmoid focal loss, elementwise: torchvision.ops.sigmoid_focal_loss, transcribed as
//   loss = a_t·BCE(x, t)·q^γ,  q = 1 − p_t = t·σ(−x) + (1 − t)·σ(x),
//   a_t = α·t + (1 − α)·(1 − t) for α ≥ 0, else 1,
// with BCE written as in sigmoid.ts (two non-negative terms, no overflow) and q as a sum of two
// non-negative terms (torchvision's 1 − p_t cancels as p_t → 1). Gradient, with p = σ(x):
//   d/dx = a_t·[ (p − t)·q^γ + γ·BCE·(1 − 2t)·(p·(1 − p)/q)·q^γ ],
// p − t = (1 − t)·σ(x) − t·σ(−x) and p·(1 − p)/q ≤ 1 (so q^(γ−1) never overflows); where q is
// exactly 0 the second term is its limit, 0 (torch gives NaN there for γ < 1). One exp,
// exp(−|x|), serves σ(x), σ(−x) and the BCE; q^γ is q·q for γ = 2 (torchvision's default),
// q for γ = 1, and exp(γ·log q) otherwise (0 at q = 0), sparing the modules AssemblyScript's pow (about 7 KB each).
//
// The f32 partial sums are flushed to f64 every FLUSH elements, as in sigmoid.ts.

import { f32_exp_rr2_p5, f32x4_exp_rr2_p5 } from './exp';
import { f32x4_log, f32x4_log1p_unit } from './log';
import { FLUSH } from './sum';
import { V_MINUS_INF, V_NAN, V_ONE, hsum, vconst } from './simd';

/** q^γ by the kind of γ: 0 → 1, 1 → q, 2 → q², else exp(γ·log q) (0 at q = 0). */
// @ts-ignore: decorator
@inline
function f32x4_powq(vq: v128, kind: i32, vgamma: v128): v128 {
  if (kind == 0) return vconst(V_ONE);
  if (kind == 1) return vq;
  if (kind == 2) return f32x4.mul(vq, vq);
  return f32x4_exp_rr2_p5(f32x4.mul(vgamma, f32x4_log(vq)));
}

/** The kind of γ for f32x4_powq. */
function gammaKind(gamma: f64): i32 {
  return gamma == 0 ? 0 : gamma == 1 ? 1 : gamma == 2 ? 2 : 3;
}

/** One span of len elements (f32); loss, g, sc are 0 when absent. Returns Σ of the element losses. */
function f32_sigmoid_focal_span(
  x: usize, t: usize, loss: usize, g: usize, sc: usize, len: i32, gamma: f32, alpha: f32, scale: f32,
): f64 {
  const kind = gammaKind(gamma);
  const weighted = alpha >= 0;
  let i = 0;
  let total: f64 = 0;
  if (ASC_FEATURE_SIMD) {
    const vone = vconst(V_ONE);
    const vzero = f32x4.splat(0);
    const vscale = f32x4.splat(scale);
    const vgamma = f32x4.splat(gamma);
    const valpha = f32x4.splat(alpha);
    let vsum = vzero;
    for (; i + 4 <= len; i += 4) {
      const o = <usize>i << 2;
      const vx = v128.load(x + o);
      const vt = v128.load(t + o);
      const vomt = f32x4.sub(vone, vt);
      const vpos = f32x4.ge(vx, vzero);
      const ve = f32x4_exp_rr2_p5(f32x4.neg(f32x4.abs(vx)));
      const vlin = v128.bitselect(
        vconst(V_NAN),
        f32x4.mul(v128.bitselect(vomt, f32x4.neg(vt), vpos), vx),
        f32x4.eq(vx, vconst(V_MINUS_INF)),
      );
      const vce = f32x4.add(vlin, f32x4_log1p_unit(ve));
      const vr = f32x4.div(vone, f32x4.add(vone, ve));
      const ver = f32x4.mul(ve, vr);
      const vsp = v128.bitselect(vr, ver, vpos); // σ(x)
      const vsn = v128.bitselect(ver, vr, vpos); // σ(−x)
      const vq = f32x4.add(f32x4.mul(vt, vsn), f32x4.mul(vomt, vsp));
      const vfq = f32x4_powq(vq, kind, vgamma);
      const vat = weighted ? f32x4.add(f32x4.mul(valpha, vt), f32x4.mul(f32x4.sub(vone, valpha), vomt)) : vone;
      const vl = f32x4.mul(f32x4.mul(vat, vce), vfq);
      vsum = f32x4.add(vsum, vl);
      if (loss) v128.store(loss + o, vl);
      if (g) {
        const vdpt = f32x4.sub(f32x4.mul(vomt, vsp), f32x4.mul(vt, vsn));
        let vg = f32x4.mul(vdpt, vfq);
        if (kind != 0) {
          const vratio = f32x4.div(f32x4.mul(vsp, vsn), vq);
          const vone2t = f32x4.sub(vone, f32x4.add(vt, vt));
          const vterm = f32x4.mul(f32x4.mul(f32x4.mul(vgamma, vce), f32x4.mul(vone2t, vratio)), vfq);
          // The whole term is 0 where q = 0, as in the scalar loop: masking only the ratio left
          // γ·BCE·0 = NaN where the BCE is NaN (x = −∞), unlike the scalar build and js.
          vg = f32x4.add(vg, v128.andnot(vterm, f32x4.eq(vq, vzero)));
        }
        const vs = sc ? v128.load(sc + o) : vscale;
        v128.store(g + o, f32x4.mul(f32x4.mul(vs, vat), vg));
      }
    }
    total = hsum(vsum);
  }
  for (; i < len; i++) {
    const o = <usize>i << 2;
    const xv = load<f32>(x + o);
    const tv = load<f32>(t + o);
    const e = f32_exp_rr2_p5(-abs(xv));
    const lin: f32 = xv == -Infinity ? NaN : (xv >= 0 ? (1 - tv) * xv : -tv * xv);
    const ce = lin + Mathf.log1p(e);
    const r: f32 = 1 / (1 + e);
    const sp: f32 = xv >= 0 ? r : e * r;
    const sn: f32 = xv >= 0 ? e * r : r;
    const q = tv * sn + (1 - tv) * sp;
    const fq: f32 = kind == 0 ? 1 : kind == 1 ? q : kind == 2 ? q * q : <f32>Math.exp(<f64>gamma * Math.log(<f64>q));
    const at: f32 = weighted ? alpha * tv + (1 - alpha) * (1 - tv) : 1;
    const l = at * ce * fq;
    total += <f64>l;
    if (loss) store<f32>(loss + o, l);
    if (g) {
      let gv: f32 = ((1 - tv) * sp - tv * sn) * fq;
      if (kind != 0 && q != 0) gv += gamma * ce * (1 - 2 * tv) * (sp * sn / q) * fq;
      const s = sc ? load<f32>(sc + o) : scale;
      store<f32>(g + o, s * at * gv);
    }
  }
  return total;
}

/**
 * Σ of n·c element losses (f32). elemLoss, grad, elemScale per element, 0 when absent; grad
 * may equal logits (each element is read before its gradient is stored). alpha < 0: no α.
 */
export function f32_sigmoid_focal(
  logits: usize, targets: usize, n: i32, c: i32, gamma: f64, alpha: f64,
  elemLoss: usize, grad: usize, gradScale: f64, elemScale: usize,
): f64 {
  const count = n * c;
  let total: f64 = 0;
  for (let k = 0; k < count; k += FLUSH) {
    const o = <usize>k << 2;
    total += f32_sigmoid_focal_span(
      logits + o, targets + o, elemLoss ? elemLoss + o : 0, grad ? grad + o : 0, elemScale ? elemScale + o : 0,
      min(FLUSH, count - k), <f32>gamma, <f32>alpha, <f32>gradScale,
    );
  }
  return total;
}

/** f64 twin of f32_sigmoid_focal. */
export function f64_sigmoid_focal(
  logits: usize, targets: usize, n: i32, c: i32, gamma: f64, alpha: f64,
  elemLoss: usize, grad: usize, gradScale: f64, elemScale: usize,
): f64 {
  const count = n * c;
  let total: f64 = 0;
  for (let i = 0; i < count; i++) {
    const o = <usize>i << 3;
    const x = load<f64>(logits + o);
    const t = load<f64>(targets + o);
    const e = Math.exp(-abs(x));
    const lin = x == -Infinity ? NaN : (x >= 0 ? (1 - t) * x : -t * x);
    const ce = lin + Math.log1p(e);
    const sp = x >= 0 ? 1 / (1 + e) : e / (1 + e);
    const sn = x >= 0 ? e / (1 + e) : 1 / (1 + e);
    const q = t * sn + (1 - t) * sp;
    const fq = gamma == 0 ? 1 : Math.exp(gamma * Math.log(q));
    const at = alpha >= 0 ? alpha * t + (1 - alpha) * (1 - t) : 1;
    const l = at * ce * fq;
    total += l;
    if (elemLoss) store<f64>(elemLoss + o, l);
    if (grad) {
      let gv = ((1 - t) * sp - t * sn) * fq;
      if (gamma != 0 && q != 0) gv += gamma * ce * (1 - 2 * t) * (sp * sn / q) * fq;
      const s = elemScale ? load<f64>(elemScale + o) : gradScale;
      store<f64>(grad + o, s * at * gv);
    }
  }
  return total;
}
