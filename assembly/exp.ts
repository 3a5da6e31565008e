// f32 e^x, vectorised: range reduction x = n·ln2 + t with n = round(x·log2e) found by
// magic-bias rounding, t computed in two steps (Cody-Waite: ln2 = ln2_hi + ln2_lo, ln2_hi with
// trailing zero bits so n·ln2_hi is exact), e^t ≈ 1 + t·p(t) with a degree-5 minimax
// polynomial on [-ln2/2, ln2/2], and 2^n built directly in the exponent bits.
//
// Accuracy: max relative error 1.9e-7 (measured over a dense sweep of [-87.3, 88.7] for both
// the two-rounding and the FMA evaluation; test/wasm-exp.test.ts holds every build to
// 5e-7), i.e. within about 2 ulp wherever the result is a normal float.
//
// Two entry points share the polynomial:
// - `*_exp_rr2_p5` for any x: 2^n is applied as two factors 2^(n>>1)·2^(n-(n>>1)) so that n
//   up to 128 (x just below 88.72) and down to -150 (subnormal results) stay exact.
// - `*_expminusmax_*` for x ≤ 0 (x = logit − row max, the softmax hot loop): one factor,
//   and x below the cutoff gives exactly 0 by masking, including x = -inf, which is what makes
//   -inf logits work as masks with an exactly-zero gradient. Where relaxed_madd is a fused
//   multiply-add (the adapter says so with set_fused_madd, from its one probe; V8 fuses,
//   JavaScriptCore does not) the softmax passes of the relaxed build reduce in one step,
//   t = fma(n, −ln2, x): ln2 rounded to f32 is off by only 1.9e-9, so n·that adds at most 2.4e-7
//   (n = −126) to the error: 2.1e-7 over [-20, 0] and 3.9e-7 down to the cutoff (measured;
//   test/wasm-exp.test.ts holds the passes to 5e-7), for one FMA less per four logits in the
//   hottest loop (5-15% faster there); and evaluate the polynomial by Horner's scheme. Rounded
//   twice the one-step reduction would be off by 4e-6 (measured in Bun), so unless told, the
//   relaxed build computes exactly what the SIMD build does (two steps, Estrin's scheme), only
//   with relaxed_madd for each a·b + c.

import { madd, sconst, vconst } from './simd';

// @ts-ignore: decorator
@inline const LOG2E: f32 = reinterpret<f32>(0x3FB8AA3B); // 0x1.715476p+0: log2(e), scales x to n + fraction
// @ts-ignore: decorator
@inline const MAGIC_BIAS: f32 = reinterpret<f32>(0x4B400000); // 0x1.8p23: adding it rounds to an integer held in the low mantissa bits
// @ts-ignore: decorator
@inline const MAGIC_BIAS_127: f32 = reinterpret<f32>(0x4B40007F); // 0x1.8000FEp23: same, plus the exponent bias 127, so `bits << 23` is 2^n
// @ts-ignore: decorator
@inline const MINUS_LN2_HI: f32 = reinterpret<f32>(0xBF317200); // -0x1.62E400p-1: -ln2, high part; its 9 trailing zero bits keep n·ln2_hi exact
// @ts-ignore: decorator
@inline const MINUS_LN2: f32 = reinterpret<f32>(0xBF317218); // -0x1.62E430p-1: -ln2 rounded to f32, for the one-step reduction with FMA
// @ts-ignore: decorator
@inline const MINUS_LN2_LO: f32 = reinterpret<f32>(0xB5BFBE8E); // -0x1.7F7D1Cp-20: -ln2 - (-ln2_hi), the low part
// @ts-ignore: decorator
@inline const C5: f32 = reinterpret<f32>(0x3C07CFCE); // 0x1.0F9F9Cp-7: minimax coefficient of t^5 (≈ 1/120)
// @ts-ignore: decorator
@inline const C4: f32 = reinterpret<f32>(0x3D2B9D0D); // 0x1.573A1Ap-5: t^4 (≈ 1/24)
// @ts-ignore: decorator
@inline const C3: f32 = reinterpret<f32>(0x3E2AAD40); // 0x1.555A80p-3: t^3 (≈ 1/6)
// @ts-ignore: decorator
@inline const C2: f32 = reinterpret<f32>(0x3EFFFEE3); // 0x1.FFFDC6p-2: t^2 (≈ 1/2)
// @ts-ignore: decorator
@inline const C1: f32 = reinterpret<f32>(0x3F7FFFFB); // 0x1.FFFFF6p-1: t (≈ 1)
// @ts-ignore: decorator
@inline const DENORM_CUTOFF: f32 = reinterpret<f32>(0xC2AEAC4F); // -0x1.5D589Ep6: ln(2^-126); below it e^x is subnormal and 2^n underflows, so flush to 0
// @ts-ignore: decorator
@inline const X_MIN: f32 = reinterpret<f32>(0xC2DC0000); // -0x1.B8p6 = -110: e^x rounds to 0 well above this; clamping keeps n·ln2 and n>>1 in range (-inf → 0)
// @ts-ignore: decorator
@inline const X_MAX: f32 = reinterpret<f32>(0x42B20000); // 0x1.64p6 = 89: e^x overflows to +inf below this; clamping keeps n ≤ 128 (+inf → +inf)
// @ts-ignore: decorator
@inline const ONE_BITS: i32 = 0x3F800000; // 1.0f: exponent bias, added to n << 23 to make 2^n

// Their slots in static data, read by the vector code (vconst) and the scalar twins (sconst).
const V_LOG2E = memory.data<f32>([LOG2E]);
const V_MAGIC_BIAS = memory.data<f32>([MAGIC_BIAS]);
const V_MAGIC_BIAS_127 = memory.data<f32>([MAGIC_BIAS_127]);
const V_MINUS_LN2 = memory.data<f32>([MINUS_LN2]);
const V_MINUS_LN2_HI = memory.data<f32>([MINUS_LN2_HI]);
const V_MINUS_LN2_LO = memory.data<f32>([MINUS_LN2_LO]);
const V_C5 = memory.data<f32>([C5]);
const V_C4 = memory.data<f32>([C4]);
const V_C3 = memory.data<f32>([C3]);
const V_C2 = memory.data<f32>([C2]);
const V_C1 = memory.data<f32>([C1]);
const V_DENORM_CUTOFF = memory.data<f32>([DENORM_CUTOFF]);
const V_X_MIN = memory.data<f32>([X_MIN]);
const V_X_MAX = memory.data<f32>([X_MAX]);
const V_ONE_BITS = memory.data<i32>([ONE_BITS]);

/**
 * p(t) with e^t ≈ 1 + t·p(t) on the reduced range |t| ≤ ln2/2. With a fused multiply-add
 * (`fused`, relaxed build), Horner's scheme (four FMAs). Otherwise Estrin's,
 * (c1 + c2·t) + t²·((c3 + c4·t) + c5·t²): one multiply more, but a dependency chain of 5
 * operations instead of 8. V8 from 13.6 (Turboshaft) and JavaScriptCore emit the exps of a loop
 * iteration one after the other as binaryen leaves them, so the chain's latency shows there:
 * Estrin ran 1-4% faster on Node 24, 6-11% on Bun 1.4, and 3-6% slower on Node 20 and 22,
 * whose V8 interleaves the exps itself (and runs the relaxed build anyway).
 */
// @ts-ignore: decorator
@inline
function f32x4_poly_p5(vt: v128, fused: bool): v128 {
  if (ASC_FEATURE_RELAXED_SIMD && fused) {
    let vp = madd(vconst(V_C5), vt, vconst(V_C4));
    vp = madd(vp, vt, vconst(V_C3));
    vp = madd(vp, vt, vconst(V_C2));
    return madd(vp, vt, vconst(V_C1));
  }
  const vt2 = f32x4.mul(vt, vt);
  const va = madd(vconst(V_C2), vt, vconst(V_C1));
  const vb = madd(vconst(V_C4), vt, vconst(V_C3));
  return madd(madd(vconst(V_C5), vt2, vb), vt2, va);
}

/**
 * Whether this instance's relaxed_madd is a fused multiply-add, as the adapter found with its
 * probe (src/backends/choose.ts) and passed to set_fused_madd; false until then. Read only
 * where ASC_FEATURE_RELAXED_SIMD holds, so the other builds have none of the fused code.
 */
export let fusedMadd: bool = false;

/** Sets fusedMadd (every instance, workers' included, before its first call). */
export function set_fused_madd(fused: bool): void {
  fusedMadd = fused;
}

/**
 * e^x for x ≤ 0 (NaN → NaN, below -87.34 including -inf → exactly 0). With `fused` (callers
 * pass fusedMadd; only the relaxed build has it), the one-step range reduction and Horner's
 * scheme; else two steps and Estrin's.
 */
// @ts-ignore: decorator
@inline
export function f32x4_expminusmax_p5(vx: v128, fused: bool): v128 {
  let vn = madd(vx, vconst(V_LOG2E), vconst(V_MAGIC_BIAS_127));
  const vs = i32x4.shl(vn, 23);
  vn = f32x4.sub(vn, vconst(V_MAGIC_BIAS_127));
  let vt: v128;
  if (ASC_FEATURE_RELAXED_SIMD && fused) {
    vt = madd(vn, vconst(V_MINUS_LN2), vx);
  } else {
    vt = madd(vn, vconst(V_MINUS_LN2_HI), vx);
    vt = madd(vn, vconst(V_MINUS_LN2_LO), vt);
  }
  const vp = f32x4_poly_p5(vt, fused);
  vt = f32x4.mul(vt, vs);
  const vf = madd(vt, vp, vs);
  return v128.andnot(vf, f32x4.lt(vx, vconst(V_DENORM_CUTOFF)));
}

/** e^x for any x, with gradual underflow; NaN → NaN, -inf → 0, +inf → +inf. */
// @ts-ignore: decorator
@inline
export function f32x4_exp_rr2_p5(vx: v128): v128 {
  // pmax/pmin with x first return x itself when x is NaN, so NaN flows through.
  vx = f32x4.pmin(f32x4.pmax(vx, vconst(V_X_MIN)), vconst(V_X_MAX));
  let vn = madd(vx, vconst(V_LOG2E), vconst(V_MAGIC_BIAS));
  const ve = i32x4.sub(vn, vconst(V_MAGIC_BIAS)); // n, as vn's bits less the bias's bits
  vn = f32x4.sub(vn, vconst(V_MAGIC_BIAS));
  const ve1 = i32x4.shr_s(ve, 1);
  const vs1 = i32x4.add(i32x4.shl(ve1, 23), vconst(V_ONE_BITS));
  const vs2 = i32x4.add(i32x4.shl(i32x4.sub(ve, ve1), 23), vconst(V_ONE_BITS));
  let vt = madd(vn, vconst(V_MINUS_LN2_HI), vx);
  vt = madd(vn, vconst(V_MINUS_LN2_LO), vt);
  const vp = f32x4_poly_p5(vt, false);
  vt = f32x4.mul(vt, vs1);
  return f32x4.mul(madd(vt, vp, vs1), vs2);
}

/** Scalar twin of f32x4_expminusmax_p5 (two roundings, rr2), for tails and the no-SIMD build. */
// @ts-ignore: decorator
@inline
export function f32_expminusmax_rr2_p5(x: f32): f32 {
  if (x < sconst(V_DENORM_CUTOFF)) return 0;
  let n = x * sconst(V_LOG2E) + sconst(V_MAGIC_BIAS_127);
  const s = reinterpret<f32>(reinterpret<i32>(n) << 23);
  n -= sconst(V_MAGIC_BIAS_127);
  let t = n * sconst(V_MINUS_LN2_HI) + x;
  t = n * sconst(V_MINUS_LN2_LO) + t;
  const p = (((sconst(V_C5) * t + sconst(V_C4)) * t + sconst(V_C3)) * t + sconst(V_C2)) * t + sconst(V_C1);
  t *= s;
  return t * p + s;
}

/** Scalar twin of f32x4_exp_rr2_p5. */
export function f32_exp_rr2_p5(x: f32): f32 {
  if (x != x) return x;
  x = min(max(x, sconst(V_X_MIN)), sconst(V_X_MAX));
  let n = x * sconst(V_LOG2E) + sconst(V_MAGIC_BIAS);
  const e = reinterpret<i32>(n) - 0x4B400000;
  n -= sconst(V_MAGIC_BIAS);
  const e1 = e >> 1;
  const s1 = reinterpret<f32>((e1 << 23) + ONE_BITS);
  const s2 = reinterpret<f32>(((e - e1) << 23) + ONE_BITS);
  let t = n * sconst(V_MINUS_LN2_HI) + x;
  t = n * sconst(V_MINUS_LN2_LO) + t;
  const p = (((sconst(V_C5) * t + sconst(V_C4)) * t + sconst(V_C3)) * t + sconst(V_C2)) * t + sconst(V_C1);
  t *= s1;
  return (t * p + s1) * s2;
}
