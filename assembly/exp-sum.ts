// The exp pass: Σ_k exp(x_k − m) over a row, storing each term or not, with the next row's max
// (and the row's argmax) taken in the same loop. See sum.ts for the loop shape and FLUSH.

import { f32_expminusmax_rr2_p5, f32x4_expminusmax_p5, fusedMadd } from './exp';
import { ARGMAX, NEXT_MAX } from './frame';
import { hmax, hsum } from './simd';
import { FLUSH } from './sum';

/**
 * Σ_k exp(x_k − m); with `stores`, each exp(x_k − m) is also written to out (which may be x
 * itself); the same loop takes the max of the following row xn (stored at res + NEXT_MAX). Those loads
 * overlap the exp arithmetic, so the next row streams in from memory while this one computes:
 * measured 3-5% faster at 4096x1000 and 11-16% at 512x50257 (rows wider than L1) than a
 * separate max pass per row, and the sums are bit-identical to it. (A per-element online
 * max with rescaling needs two exps per element and ran at 0.55-0.6x; a blocked online max
 * was slower than this at 1000 wide and made the loss depend on the block boundaries.)
 *
 * The main loop takes 16 elements (four exps) per iteration, over blocks of FLUSH elements:
 * the four exps are summed pairwise into one f32x4 (64 adds per lane per block, each of a
 * sum of four terms: the error of 16 separate partial sums, in one register instead of four)
 * and the block's sum is flushed to f64 after its loop, not tested for in every iteration.
 * V8 has 16 vector registers; with the exp's constants, m and the running sums, four
 * accumulators made it spill in every iteration. `fused`: the exp's one-step range reduction
 * and Horner's scheme (callers pass fusedMadd). `res`: the caller's frame (frame.ts), where the
 * next row's max and, `withArgmax`, the argmax (first k with x_k = m, or -1) are stored.
 */
// @ts-ignore: decorator
@inline
function f32_exppass_u16_acc4(
  x: usize, c: i32, m: f32, out: usize, xn: usize, res: usize, gp: usize, alpha: f32, stores: bool, withScale: bool,
  withArgmax: bool, fused: bool,
): f64 {
  let i = 0;
  let s: f64 = 0;
  let mn: f32 = -Infinity;
  let found = -1;
  if (ASC_FEATURE_SIMD) {
    const vmax = f32x4.splat(m);
    const valpha = f32x4.splat(alpha);
    let vm = f32x4.splat(-Infinity);
    for (let b = 0; b + 16 <= c; b += FLUSH) {
      const end = min(c, b + FLUSH);
      let vs = f32x4.splat(0);
      for (; i + 16 <= end; i += 16) {
        const o = <usize>i << 2;
        const vn01 = f32x4.pmax(v128.load(xn + o), v128.load(xn + o, 16));
        vm = f32x4.pmax(vm, f32x4.pmax(vn01, f32x4.pmax(v128.load(xn + o, 32), v128.load(xn + o, 48))));
        if (withScale) {
          v128.store(gp + o, f32x4.mul(v128.load(gp + o), valpha));
          v128.store(gp + o, f32x4.mul(v128.load(gp + o, 16), valpha), 16);
          v128.store(gp + o, f32x4.mul(v128.load(gp + o, 32), valpha), 32);
          v128.store(gp + o, f32x4.mul(v128.load(gp + o, 48), valpha), 48);
        }
        const vd0 = f32x4.sub(v128.load(x + o), vmax);
        const vd1 = f32x4.sub(v128.load(x + o, 16), vmax);
        const vd2 = f32x4.sub(v128.load(x + o, 32), vmax);
        const vd3 = f32x4.sub(v128.load(x + o, 48), vmax);
        // x − m ≤ 0, so a 0 in any of the 16 shows as a 0 in their lane-wise max (a NaN may hide
        // one, but a NaN row's argmax is its first NaN, found after the pass).
        if (withArgmax && found < 0 && v128.any_true(f32x4.eq(f32x4.pmax(f32x4.pmax(vd0, vd1), f32x4.pmax(vd2, vd3)), f32x4.splat(0)))) {
          const vz = f32x4.splat(0);
          const b0 = i32x4.bitmask(f32x4.eq(vd0, vz));
          const b1 = i32x4.bitmask(f32x4.eq(vd1, vz));
          const b2 = i32x4.bitmask(f32x4.eq(vd2, vz));
          const b3 = i32x4.bitmask(f32x4.eq(vd3, vz));
          found = i + <i32>ctz(b0 | (b1 << 4) | (b2 << 8) | (b3 << 12));
        }
        const ve0 = f32x4_expminusmax_p5(vd0, fused);
        const ve1 = f32x4_expminusmax_p5(vd1, fused);
        const ve2 = f32x4_expminusmax_p5(vd2, fused);
        const ve3 = f32x4_expminusmax_p5(vd3, fused);
        if (stores) {
          v128.store(out + o, ve0);
          v128.store(out + o, ve1, 16);
          v128.store(out + o, ve2, 32);
          v128.store(out + o, ve3, 48);
        }
        vs = f32x4.add(vs, f32x4.add(f32x4.add(ve0, ve1), f32x4.add(ve2, ve3)));
      }
      s += hsum(vs);
    }
    let vs = f32x4.splat(0);
    for (; i + 4 <= c; i += 4) {
      const o = <usize>i << 2;
      vm = f32x4.pmax(vm, v128.load(xn + o));
      if (withScale) v128.store(gp + o, f32x4.mul(v128.load(gp + o), valpha));
      const vd = f32x4.sub(v128.load(x + o), vmax);
      if (withArgmax && found < 0) {
        const bits = i32x4.bitmask(f32x4.eq(vd, f32x4.splat(0)));
        if (bits) found = i + <i32>ctz(bits);
      }
      const ve = f32x4_expminusmax_p5(vd, fused);
      if (stores) v128.store(out + o, ve);
      vs = f32x4.add(vs, ve);
    }
    s += hsum(vs);
    mn = hmax(vm);
  }
  // Scalar (the whole row in the no-SIMD build): with argmax, the loop that checks runs only
  // until the first hit, and the plain loop takes the rest.
  if (withArgmax) {
    for (; i < c && found < 0; i++) {
      const o = <usize>i << 2;
      mn = max(mn, load<f32>(xn + o));
      if (withScale) store<f32>(gp + o, load<f32>(gp + o) * alpha);
      const d = load<f32>(x + o) - m;
      if (d == 0) found = i;
      const e = f32_expminusmax_rr2_p5(d);
      if (stores) store<f32>(out + o, e);
      s += <f64>e;
    }
  }
  for (; i < c; i++) {
    const o = <usize>i << 2;
    mn = max(mn, load<f32>(xn + o));
    if (withScale) store<f32>(gp + o, load<f32>(gp + o) * alpha);
    const e = f32_expminusmax_rr2_p5(load<f32>(x + o) - m);
    if (stores) store<f32>(out + o, e);
    s += <f64>e;
  }
  store<f32>(res, mn, NEXT_MAX);
  if (withArgmax) store<i32>(res, found, ARGMAX);
  return s;
}

// The exp passes with their flags fixed, one function each (not inlined into the wrappers
// below): two inlined copies of the pass in one function that differ only in a flag are folded
// by binaryen into one body that tests the flag in every iteration. The fused-madd forms exist
// in the relaxed build only (see set_fused_madd).

function f32_pass_sum(x: usize, c: i32, m: f32, xn: usize, res: usize): f64 {
  return f32_exppass_u16_acc4(x, c, m, 0, xn, res, 0, 0, false, false, false, false);
}
function f32_pass_sum_fused(x: usize, c: i32, m: f32, xn: usize, res: usize): f64 {
  return f32_exppass_u16_acc4(x, c, m, 0, xn, res, 0, 0, false, false, false, true);
}
function f32_pass_sum_argmax(x: usize, c: i32, m: f32, xn: usize, res: usize): f64 {
  return f32_exppass_u16_acc4(x, c, m, 0, xn, res, 0, 0, false, false, true, false);
}
function f32_pass_sum_argmax_fused(x: usize, c: i32, m: f32, xn: usize, res: usize): f64 {
  return f32_exppass_u16_acc4(x, c, m, 0, xn, res, 0, 0, false, false, true, true);
}
function f32_pass_store(x: usize, c: i32, m: f32, out: usize, xn: usize, res: usize): f64 {
  return f32_exppass_u16_acc4(x, c, m, out, xn, res, 0, 0, true, false, false, false);
}
function f32_pass_store_fused(x: usize, c: i32, m: f32, out: usize, xn: usize, res: usize): f64 {
  return f32_exppass_u16_acc4(x, c, m, out, xn, res, 0, 0, true, false, false, true);
}
function f32_pass_store_scale(x: usize, c: i32, m: f32, out: usize, xn: usize, res: usize, gp: usize, alpha: f32): f64 {
  return f32_exppass_u16_acc4(x, c, m, out, xn, res, gp, alpha, true, true, false, false);
}
function f32_pass_store_scale_fused(x: usize, c: i32, m: f32, out: usize, xn: usize, res: usize, gp: usize, alpha: f32): f64 {
  return f32_exppass_u16_acc4(x, c, m, out, xn, res, gp, alpha, true, true, false, true);
}
function f32_pass_store_argmax(x: usize, c: i32, m: f32, out: usize, xn: usize, res: usize): f64 {
  return f32_exppass_u16_acc4(x, c, m, out, xn, res, 0, 0, true, false, true, false);
}
function f32_pass_store_argmax_fused(x: usize, c: i32, m: f32, out: usize, xn: usize, res: usize): f64 {
  return f32_exppass_u16_acc4(x, c, m, out, xn, res, 0, 0, true, false, true, true);
}
function f32_pass_store_scale_argmax(x: usize, c: i32, m: f32, out: usize, xn: usize, res: usize, gp: usize, alpha: f32): f64 {
  return f32_exppass_u16_acc4(x, c, m, out, xn, res, gp, alpha, true, true, true, false);
}
function f32_pass_store_scale_argmax_fused(x: usize, c: i32, m: f32, out: usize, xn: usize, res: usize, gp: usize, alpha: f32): f64 {
  return f32_exppass_u16_acc4(x, c, m, out, xn, res, gp, alpha, true, true, true, true);
}

/**
 * Σ_k exp(x_k − m); if xn is not 0, also stores the max of the c floats at xn at res +
 * NEXT_MAX. Without a next row, the pass takes the max of the row itself (in cache, result
 * unused) rather than doubling the passes' variants; with a fused madd every pass takes its fused form, so that a
 * row's numbers do not depend on the pass it takes (with or without argmax, whole or in shards).
 */
export function f32_raddexpminusmax_u16_acc4(x: usize, c: i32, m: f32, xn: usize, res: usize): f64 {
  const next = xn ? xn : x;
  return ASC_FEATURE_RELAXED_SIMD && fusedMadd ? f32_pass_sum_fused(x, c, m, next, res) : f32_pass_sum(x, c, m, next, res);
}

/** As f32_raddexpminusmax_u16_acc4, also storing the argmax at res + ARGMAX. */
export function f32_raddexpminusmax_argmax_u16_acc4(x: usize, c: i32, m: f32, xn: usize, res: usize): f64 {
  const next = xn ? xn : x;
  return ASC_FEATURE_RELAXED_SIMD && fusedMadd ? f32_pass_sum_argmax_fused(x, c, m, next, res) : f32_pass_sum_argmax(x, c, m, next, res);
}

/**
 * As f32_raddexpminusmax_u16_acc4, storing each exp(x_k − m) to out (which may be x itself);
 * if gp is not 0, the same loop also multiplies the c floats at gp (the previous row's
 * gradient) by alpha, so that pass rides on this one's exp arithmetic.
 */
export function f32_raddstoreexpminusmax_u16_acc4(x: usize, c: i32, m: f32, out: usize, xn: usize, res: usize, gp: usize, alpha: f32): f64 {
  const next = xn ? xn : x;
  if (ASC_FEATURE_RELAXED_SIMD && fusedMadd) {
    return gp ? f32_pass_store_scale_fused(x, c, m, out, next, res, gp, alpha) : f32_pass_store_fused(x, c, m, out, next, res);
  }
  return gp ? f32_pass_store_scale(x, c, m, out, next, res, gp, alpha) : f32_pass_store(x, c, m, out, next, res);
}

/** As f32_raddstoreexpminusmax_u16_acc4, also storing the argmax at res + ARGMAX. */
export function f32_raddstoreexpminusmax_argmax_u16_acc4(x: usize, c: i32, m: f32, out: usize, xn: usize, res: usize, gp: usize, alpha: f32): f64 {
  const next = xn ? xn : x;
  if (ASC_FEATURE_RELAXED_SIMD && fusedMadd) {
    return gp ? f32_pass_store_scale_argmax_fused(x, c, m, out, next, res, gp, alpha) : f32_pass_store_argmax_fused(x, c, m, out, next, res);
  }
  return gp ? f32_pass_store_scale_argmax(x, c, m, out, next, res, gp, alpha) : f32_pass_store_argmax(x, c, m, out, next, res);
}


// f64: scalar, with AssemblyScript's NativeMath exp (musl: within 1 ulp).

/** Σ_k exp(x_k − m), storing each term to out unless out is 0. */
export function f64_raddstoreexpminusmax(x: usize, c: i32, m: f64, out: usize): f64 {
  let s0: f64 = 0;
  let s1: f64 = 0;
  let i = 0;
  if (out == 0) {
    for (; i + 2 <= c; i += 2) {
      const p = x + (<usize>i << 3);
      s0 += Math.exp(load<f64>(p) - m);
      s1 += Math.exp(load<f64>(p, 8) - m);
    }
    if (i < c) s0 += Math.exp(load<f64>(x + (<usize>i << 3)) - m);
  } else {
    for (; i < c; i++) {
      const o = <usize>i << 3;
      const e = Math.exp(load<f64>(x + o) - m);
      store<f64>(out + o, e);
      if (i & 1) s1 += e; else s0 += e;
    }
  }
  return s0 + s1;
}
