// f32 logarithms, vectorised. log (for probabilities) is musl's logf, within 1 ulp: x = 2^k·m
// with m in [√2/2, √2) found by integer arithmetic on the bits, f = m − 1, s = f/(2+f), and
// log(1+f) = 2·atanh(s) from an even minimax polynomial in s. log1p on [0, 1] (for softplus)
// is 2·atanh(u/(2+u)) directly. Scalar tails and the no-SIMD build use AssemblyScript's
// Mathf.log / Mathf.log1p (musl).

import { V_INF, V_MINUS_INF, V_NAN, V_ONE, madd, vconst } from './simd';

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

// Slots in static data of the vector code's constants (see vconst).
const V_MIN_NORMAL = memory.data<i32>([0x00800000]); // 0x1p-126: below it, subnormal
const V_TWO_23 = memory.data<f32>([TWO_23]);
const V_BIAS_SHIFT = memory.data<i32>([ONE_BITS - SQRT_HALF_BITS]); // moves m's range [√2/2, √2) onto whole exponents
const V_SUBNORMAL_K = memory.data<i32>([23]);
const V_EXP_BIAS = memory.data<i32>([0x7F]);
const V_MANTISSA = memory.data<i32>([0x007FFFFF]);
const V_SQRT_HALF_BITS = memory.data<i32>([SQRT_HALF_BITS]);
const V_TWO = memory.data<f32>([2]);
const V_HALF = memory.data<f32>([0.5]);
const V_LG1 = memory.data<f32>([LG1]);
const V_LG2 = memory.data<f32>([LG2]);
const V_LG3 = memory.data<f32>([LG3]);
const V_LG4 = memory.data<f32>([LG4]);
const V_LN2_HI = memory.data<f32>([LN2_HI]);
const V_LN2_LO = memory.data<f32>([LN2_LO]);

/** log x: 0 → -inf, +inf → +inf, x < 0 or NaN → NaN, subnormals exact to 1 ulp. */
// @ts-ignore: decorator
@inline
export function f32x4_log(vx: v128): v128 {
  // Subnormals are scaled into the normal range first, and k corrected by 23.
  const vsub = f32x4.lt(vx, vconst(V_MIN_NORMAL));
  const vy = v128.bitselect(f32x4.mul(vx, vconst(V_TWO_23)), vx, vsub);
  const vi = i32x4.add(vy, vconst(V_BIAS_SHIFT));
  const vk0 = v128.and(vsub, vconst(V_SUBNORMAL_K));
  const vk = f32x4.convert_i32x4_s(i32x4.sub(i32x4.sub(i32x4.shr_s(vi, 23), vconst(V_EXP_BIAS)), vk0));
  const vm = i32x4.add(v128.and(vi, vconst(V_MANTISSA)), vconst(V_SQRT_HALF_BITS));
  const vf = f32x4.sub(vm, vconst(V_ONE));
  const vs = f32x4.div(vf, f32x4.add(vf, vconst(V_TWO)));
  const vz = f32x4.mul(vs, vs);
  const vw = f32x4.mul(vz, vz);
  const vt1 = f32x4.mul(vw, madd(vw, vconst(V_LG4), vconst(V_LG2)));
  const vt2 = f32x4.mul(vz, madd(vw, vconst(V_LG3), vconst(V_LG1)));
  const vhfsq = f32x4.mul(f32x4.mul(vconst(V_HALF), vf), vf);
  let vr = madd(vs, f32x4.add(vhfsq, f32x4.add(vt2, vt1)), f32x4.mul(vk, vconst(V_LN2_LO)));
  vr = f32x4.add(f32x4.sub(vr, vhfsq), vf);
  vr = madd(vk, vconst(V_LN2_HI), vr);
  const vinf = vconst(V_INF);
  let vspecial = v128.bitselect(vconst(V_MINUS_INF), vconst(V_NAN), f32x4.eq(vx, f32x4.splat(0)));
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
const V_ATANH3 = memory.data<f32>([ATANH3]);
const V_ATANH5 = memory.data<f32>([ATANH5]);
const V_ATANH7 = memory.data<f32>([ATANH7]);
const V_ATANH9 = memory.data<f32>([ATANH9]);
const V_ATANH11 = memory.data<f32>([ATANH11]);
const V_ATANH13 = memory.data<f32>([ATANH13]);

/**
 * log(1 + u) for u in [0, 1] (NaN in, unspecified out: callers have the NaN elsewhere in the
 * same sum), as 2·atanh(s) with s = u/(2 + u) in [0, 1/3]: one division and a polynomial, no
 * exponent split and no 1 + u rounding to repair. Max relative error 2.2e-7 (dense sweep of
 * [0, 1] plus powers of two down to 2^-40, two-rounding evaluation).
 */
// @ts-ignore: decorator
@inline
export function f32x4_log1p_unit(vu: v128): v128 {
  const vs = f32x4.div(vu, f32x4.add(vu, vconst(V_TWO)));
  const vz = f32x4.mul(vs, vs);
  let vp = madd(vconst(V_ATANH13), vz, vconst(V_ATANH11));
  vp = madd(vp, vz, vconst(V_ATANH9));
  vp = madd(vp, vz, vconst(V_ATANH7));
  vp = madd(vp, vz, vconst(V_ATANH5));
  vp = madd(vp, vz, vconst(V_ATANH3));
  vp = madd(vp, vz, vconst(V_ONE));
  return f32x4.mul(f32x4.add(vs, vs), vp);
}
