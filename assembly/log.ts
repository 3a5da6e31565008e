// f32 natural log, vectorised (musl's logf, which is within 1 ulp): x = 2^k·m with m in
// [√2/2, √2) found by integer arithmetic on the bits, f = m − 1, s = f/(2+f), and
// log(1+f) = 2·atanh(s) from an even minimax polynomial in s. Scalar tails and the no-SIMD
// build use AssemblyScript's Mathf.log / Mathf.log1p, the same musl routines.

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

/** log(2^k·m) for y already split into m (as f) and k; shared by log and log1p. */
// @ts-ignore: decorator
@inline
function f32x4_log_reduced(vy: v128, vk0: v128): v128 {
  const vi = i32x4.add(vy, i32x4.splat(ONE_BITS - SQRT_HALF_BITS));
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
  return madd(vk, f32x4.splat(LN2_HI), vr);
}

/** log x: 0 → -inf, +inf → +inf, x < 0 or NaN → NaN, subnormals exact to 1 ulp. */
// @ts-ignore: decorator
@inline
export function f32x4_log(vx: v128): v128 {
  const vsub = f32x4.lt(vx, f32x4.splat(reinterpret<f32>(0x00800000)));
  const vy = v128.bitselect(f32x4.mul(vx, f32x4.splat(TWO_23)), vx, vsub);
  const vr = f32x4_log_reduced(vy, v128.and(vsub, i32x4.splat(23)));
  const vinf = f32x4.splat(Infinity);
  let vspecial = v128.bitselect(f32x4.neg(vinf), f32x4.splat(NaN), f32x4.eq(vx, f32x4.splat(0)));
  vspecial = v128.bitselect(vinf, vspecial, f32x4.eq(vx, vinf));
  const vok = v128.and(f32x4.gt(vx, f32x4.splat(0)), f32x4.lt(vx, vinf));
  return v128.bitselect(vr, vspecial, vok);
}

/**
 * log(1 + u) for u in [0, 1] (NaN in, unspecified out: callers have the NaN elsewhere in the
 * same sum). y = 1 + u rounds; (u − (y − 1))/y puts back what the rounding lost.
 */
// @ts-ignore: decorator
@inline
export function f32x4_log1p_unit(vu: v128): v128 {
  const vy = f32x4.add(vu, f32x4.splat(1));
  const vc = f32x4.div(f32x4.sub(vu, f32x4.sub(vy, f32x4.splat(1))), vy);
  return f32x4.add(f32x4_log_reduced(vy, i32x4.splat(0)), vc);
}
