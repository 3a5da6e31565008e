// f32 logarithms, vectorised. log (for probabilities) is musl's logf, within 1 ulp: x = 2^k·m
// with m in [√2/2, √2) found by integer arithmetic on the bits, f = m − 1, s = f/(2+f), and
// log(1+f) = 2·atanh(s) from an even minimax polynomial in s. log1p on [0, 1] (for softplus)
// is 2·atanh(u/(2+u)) directly. Scalar tails and the no-SIMD build use AssemblyScript's
// Mathf.log / Mathf.log1p (musl).

import { madd } from './simd';

// @ts-ignore: decorator
@inline const SQRT_HALF_BITS: i32 = 0x3F3504F3; // 0x1.6A09E6p-1 = √2/2: lower end of the mantissa range
// @ts-ignore: decorator
@inline const ONE_BITS: i32 = 0x3F800000; // 1.0f: exponent bias
// @ts-ignore: decorator
@inline const LG1: f32 = reinterpret<f32>(0x3F2AAAAA); // 0x1.555554p-1: minimax coefficient of s^2 (≈ 2/3)
// @ts-ignore: decorator
@inline const LG2: f32 = reinterpret<f32>(0x3ECCCE13); // 0x1.999C26p-2: s^4 (≈ 2/5)
// @ts-ignore: decorator
@inline const LG3: f32 = reinterpret<f32>(0x3E91E9EE); // 0x1.23D3DCp-2: s^6 (≈ 2/7)
// @ts-ignore: decorator
@inline const LG4: f32 = reinterpret<f32>(0x3E789E26); // 0x1.F13C4Cp-3: s^8 (≈ 2/9)
// @ts-ignore: decorator
@inline const LN2_HI: f32 = reinterpret<f32>(0x3F317180); // 0x1.62E300p-1: ln2, high part (k·ln2_hi exact for |k| < 2^8)
// @ts-ignore: decorator
@inline const LN2_LO: f32 = reinterpret<f32>(0x3717F7D1); // 0x1.2FEFA2p-17: ln2 − ln2_hi
// @ts-ignore: decorator
@inline const TWO_23: f32 = reinterpret<f32>(0x4B000000); // 0x1p23: lifts subnormal inputs into the normal range

/** log x: 0 → -inf, +inf → +inf, x < 0 or NaN → NaN, subnormals exact to 1 ulp. */
// @ts-ignore: decorator
@inline
export function f32x4_log(vx: v128): v128 {
  // Subnormals are scaled into the normal range first, and k corrected by 23.
  const vsub = f32x4.lt(vx, f32x4.splat(reinterpret<f32>(0x00800000)));
  const vy = v128.bitselect(f32x4.mul(vx, f32x4.splat(TWO_23)), vx, vsub);
  const vi = i32x4.add(vy, i32x4.splat(ONE_BITS - SQRT_HALF_BITS));
  const vk0 = v128.and(vsub, i32x4.splat(23));
  const vk = f32x4.convert_i32x4_s(i32x4.sub(i32x4.sub(i32x4.shr_s(vi, 23), i32x4.splat(0x7F)), vk0));
  const vm = i32x4.add(v128.and(vi, i32x4.splat(0x007FFFFF)), i32x4.splat(SQRT_HALF_BITS));
  const vf = f32x4.sub(vm, f32x4.splat(1));
  const vs = f32x4.div(vf, f32x4.add(vf, f32x4.splat(2)));
  const vz = f32x4.mul(vs, vs);
  const vw = f32x4.mul(vz, vz);
  const vt1 = f32x4.mul(vw, madd(vw, f32x4.splat(LG4), f32x4.splat(LG2)));
  const vt2 = f32x4.mul(vz, madd(vw, f32x4.splat(LG3), f32x4.splat(LG1)));
  const vhfsq = f32x4.mul(f32x4.mul(f32x4.splat(0.5), vf), vf);
  let vr = madd(vs, f32x4.add(vhfsq, f32x4.add(vt2, vt1)), f32x4.mul(vk, f32x4.splat(LN2_LO)));
  vr = f32x4.add(f32x4.sub(vr, vhfsq), vf);
  vr = madd(vk, f32x4.splat(LN2_HI), vr);
  const vinf = f32x4.splat(Infinity);
  let vspecial = v128.bitselect(f32x4.neg(vinf), f32x4.splat(NaN), f32x4.eq(vx, f32x4.splat(0)));
  vspecial = v128.bitselect(vinf, vspecial, f32x4.eq(vx, vinf));
  const vok = v128.and(f32x4.gt(vx, f32x4.splat(0)), f32x4.lt(vx, vinf));
  return v128.bitselect(vr, vspecial, vok);
}

// Taylor coefficients of atanh(s)/s = Σ s^2k/(2k+1): for |s| ≤ 1/3 the terms through s^12
// leave a truncation error of 1.4e-8 relative.
// @ts-ignore: decorator
@inline const ATANH3: f32 = reinterpret<f32>(0x3EAAAAAB); // 0x1.555556p-2 = 1/3
// @ts-ignore: decorator
@inline const ATANH5: f32 = reinterpret<f32>(0x3E4CCCCD); // 0x1.99999Ap-3 = 1/5
// @ts-ignore: decorator
@inline const ATANH7: f32 = reinterpret<f32>(0x3E124925); // 0x1.24924Ap-3 = 1/7
// @ts-ignore: decorator
@inline const ATANH9: f32 = reinterpret<f32>(0x3DE38E39); // 0x1.C71C72p-4 = 1/9
// @ts-ignore: decorator
@inline const ATANH11: f32 = reinterpret<f32>(0x3DBA2E8C); // 0x1.745D18p-4 = 1/11
// @ts-ignore: decorator
@inline const ATANH13: f32 = reinterpret<f32>(0x3D9D89D9); // 0x1.3B13B2p-4 = 1/13

/**
 * log(1 + u) for u in [0, 1] (NaN in, unspecified out: callers have the NaN elsewhere in the
 * same sum), as 2·atanh(s) with s = u/(2 + u) in [0, 1/3]: one division and a polynomial, no
 * exponent split and no 1 + u rounding to repair. Max relative error 2.2e-7 (dense sweep of
 * [0, 1] plus powers of two down to 2^-40, two-rounding evaluation).
 */
// @ts-ignore: decorator
@inline
export function f32x4_log1p_unit(vu: v128): v128 {
  const vs = f32x4.div(vu, f32x4.add(vu, f32x4.splat(2)));
  const vz = f32x4.mul(vs, vs);
  let vp = madd(f32x4.splat(ATANH13), vz, f32x4.splat(ATANH11));
  vp = madd(vp, vz, f32x4.splat(ATANH9));
  vp = madd(vp, vz, f32x4.splat(ATANH7));
  vp = madd(vp, vz, f32x4.splat(ATANH5));
  vp = madd(vp, vz, f32x4.splat(ATANH3));
  vp = madd(vp, vz, f32x4.splat(1));
  return f32x4.mul(f32x4.add(vs, vs), vp);
}
