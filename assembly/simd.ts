// Helpers that pick the instruction by build variant. `ASC_FEATURE_*` are compile-time
// constants, so each build keeps exactly one branch.

/** a·b + c: fused (one rounding) where relaxed SIMD maps it to an FMA, else two roundings. */
// @ts-ignore: decorator
@inline
export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f32x4.relaxed_madd(a, b, c);
  } else {
    return f32x4.add(f32x4.mul(a, b), c);
  }
}

/** Σ of the four f32 lanes, in float64. */
// @ts-ignore: decorator
@inline
export function hsum(v: v128): f64 {
  return (<f64>f32x4.extract_lane(v, 0) + <f64>f32x4.extract_lane(v, 1))
    + (<f64>f32x4.extract_lane(v, 2) + <f64>f32x4.extract_lane(v, 3));
}

/** Largest of the four f32 lanes; a NaN lane makes the result NaN. */
// @ts-ignore: decorator
@inline
export function hmax(v: v128): f32 {
  return max(
    max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)),
    max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)),
  );
}
