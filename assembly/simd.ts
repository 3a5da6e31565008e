// Helpers that pick the instruction by build variant (`ASC_FEATURE_*` are compile-time
// constants, so each build keeps exactly one branch), and the way kernels read vector constants.

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

/**
 * A constant in all four lanes, read from its slot in static data (`memory.data<f32>([c])`, or
 * `<i32>` for bit patterns): one load (vbroadcastss), which V8 reuses within a loop iteration.
 * Kernels write their vector constants this way, never `f32x4.splat(c)` or `v128.const`
 * inside a loop: binaryen turns a splat of a constant into v128.const at every use, and V8
 * 13.6 and 14.6 (Node 24, 26) rebuild each such use from an immediate in three instructions
 * (movq r10, imm64; vmovq xmm, r10; vpunpcklqdq), two of them on the vector pipes, where V8
 * 12.4 (Node 22) kept it in a register: that made the kernels 20-45% slower there than on
 * Node 22. Zero (`f32x4.splat(0)`, one xor) is exempt.
 */
// @ts-ignore: decorator
@inline
export function vconst(slot: usize): v128 {
  return v128.load32_splat(slot);
}

/**
 * The f32 constant in `slot`, for scalar loops: V8 builds a float constant at each use from an
 * immediate (movl r10, imm32; vmovd xmm, r10), every version; a load is one instruction.
 */
// @ts-ignore: decorator
@inline
export function sconst(slot: usize): f32 {
  return load<f32>(slot);
}

// Slots of constants that several kernels use.
export const V_ONE = memory.data<f32>([1]);
export const V_NAN = memory.data<f32>([NaN]);
export const V_INF = memory.data<f32>([Infinity]);
export const V_MINUS_INF = memory.data<f32>([-Infinity]);
/** The f32 sign bit. */
export const V_SIGN = memory.data<i32>([0x80000000]);
