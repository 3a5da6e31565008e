// Logit soft-capping y = cap·tanh(x/cap) (Gemma 2) with its derivative sech²(x/cap), f32,
// vectorised, from the exp of exp.ts: with a = |u| and e = exp(−2a),
//   tanh a = (1 − e)/(1 + e),   sech² u = 1 − tanh² u = 4e/(1 + e)²,
// one exp and one division for both. sech² never cancels (it is 4e·r², r = 1/(1 + e)), so the
// gradient keeps its relative accuracy even where the cap saturates. 1 − e cancels as a → 0,
// so below a = 0.55 tanh comes from an odd polynomial instead: a + a³·P(a²), P of degree 3
// fitted for least maximum relative error on [0, 0.55] (4e-8 in exact arithmetic), and there
// sech² = 1 − tanh² ≥ 0.75 needs no exp either.
// Measured max relative error of tanh against float64 over dense sweeps of [-20, 20] and bit
// by bit around the branch point: 2.4e-7 (test/softcap-tanh.test.ts holds every build to 1e-6);
// e = 0 past a ≈ 43.7 gives tanh = ±1 and sech² = 0 exactly.

import { f32_expminusmax_rr2_p5, f32x4_expminusmax_p5 } from './exp';
import { SECH2 } from './frame';
import { V_ONE, V_SIGN, madd, sconst, vconst } from './simd';

// @ts-ignore: decorator
@inline export const SMALL: f32 = 0.55; // below it, the polynomial (no 1 − e cancellation)
// @ts-ignore: decorator
@inline const T3: f32 = reinterpret<f32>(0xBEAAAA21); // -0x1.555442p-2: coefficient of a^3 (≈ -1/3)
// @ts-ignore: decorator
@inline const T5: f32 = reinterpret<f32>(0x3E086627); // 0x1.10CC4Ep-3: a^5 (≈ 2/15)
// @ts-ignore: decorator
@inline const T7: f32 = reinterpret<f32>(0xBD579D1B); // -0x1.AF3A36p-5: a^7 (≈ -17/315)
// @ts-ignore: decorator
@inline const T9: f32 = reinterpret<f32>(0x3C862CCB); // 0x1.0C5996p-6: a^9 (≈ 62/2835)

// Their slots in static data, read by the vector code (vconst) and the scalar twin (sconst).
const V_SMALL = memory.data<f32>([SMALL]);
const V_T3 = memory.data<f32>([T3]);
const V_T5 = memory.data<f32>([T5]);
const V_T7 = memory.data<f32>([T7]);
const V_T9 = memory.data<f32>([T9]);
const V_MINUS_TWO = memory.data<f32>([-2]);
const V_FOUR = memory.data<f32>([4]);

/** e = exp(−2|u|) from a = |u|: the one exp tanh and sech² both come from (0 past a ≈ 43.7, NaN for NaN). */
// @ts-ignore: decorator
@inline
export function f32x4_tanh_exp(va: v128): v128 {
  return f32x4_expminusmax_p5(f32x4.mul(va, vconst(V_MINUS_TWO)), false);
}

/** sech² u = 4e·r² from e = exp(−2|u|) and r = 1/(1 + e). */
// @ts-ignore: decorator
@inline
export function f32x4_sech2(ve: v128, vr: v128): v128 {
  return f32x4.mul(f32x4.mul(f32x4.mul(ve, vconst(V_FOUR)), vr), vr);
}

/** tanh u for |u| < 0.55 from u and z = u²: u + u·z·P(z) (odd, so the sign comes with u). */
// @ts-ignore: decorator
@inline
export function f32x4_tanh_poly(vu: v128, vz: v128): v128 {
  let vp = madd(vz, vconst(V_T9), vconst(V_T7));
  vp = madd(vp, vz, vconst(V_T5));
  vp = madd(vp, vz, vconst(V_T3));
  return madd(f32x4.mul(vp, vz), vu, vu);
}

/** tanh u from u, a = |u|, e = exp(−2a) and r = 1/(1 + e); NaN → NaN, ±inf → ±1. */
// @ts-ignore: decorator
@inline
export function f32x4_tanh(vu: v128, va: v128, ve: v128, vr: v128): v128 {
  const vlarge = f32x4.mul(f32x4.sub(vconst(V_ONE), ve), vr);
  const vsmall = f32x4_tanh_poly(va, f32x4.mul(va, va));
  const vt = v128.bitselect(vsmall, vlarge, f32x4.lt(va, vconst(V_SMALL)));
  // |tanh| carries u's sign; a NaN u gives a NaN e, so a NaN tanh either way.
  return v128.or(vt, v128.and(vu, vconst(V_SIGN)));
}

/**
 * Scalar twin: tanh u, storing sech² u at res + SECH2 unless res is 0 (frame.ts); for tails,
 * single values and the no-SIMD build.
 */
export function f32_tanh_sech2(u: f32, res: usize): f32 {
  const a = abs(u);
  if (a < SMALL) {
    const z = a * a;
    const t = (((sconst(V_T9) * z + sconst(V_T7)) * z + sconst(V_T5)) * z + sconst(V_T3)) * z * a + a;
    if (res) store<f32>(res, 1 - t * t, SECH2);
    return copysign<f32>(t, u);
  }
  // NaN fails the test above and stays NaN here: (1 − NaN)·r.
  const e = f32_expminusmax_rr2_p5(-2 * a);
  const r: f32 = 1 / (1 + e);
  if (res) store<f32>(res, 4 * e * r * r, SECH2);
  return copysign<f32>((1 - e) * r, u);
}
