// Row passes shared by the softmax-family losses. Each takes a row pointer and a length; the
// hot ones run a 16-wide main loop (four vectors per iteration: independent work for the core
// to overlap, and V8's per-iteration loop overhead amortised), then a 4-wide vector tail and a
// scalar tail. Vector sums are kept in f32 lanes, flushed to f64 every FLUSH elements, and
// returned as f64; scalar tails, and so the whole row in the no-SIMD build, accumulate in f64.

import { f32_expminusmax_rr2_p5, f32x4_expminusmax_p5, fusedMadd } from './exp';
import { hmax, hsum } from './simd';

/**
 * max_k x_k. The vector loop uses pmax (one instruction on x86, unlike f32x4.max) and so may
 * skip a NaN; that is harmless because every caller then sums exp(x_k − max) over the whole
 * row, and the NaN poisons that sum.
 */
export function f32_rmax_u16_acc4(x: usize, c: i32): f32 {
  let i = 0;
  let m: f32 = -Infinity;
  if (ASC_FEATURE_SIMD) {
    let vm0 = f32x4.splat(-Infinity);
    let vm1 = vm0, vm2 = vm0, vm3 = vm0;
    for (; i + 16 <= c; i += 16) {
      const p = x + (<usize>i << 2);
      vm0 = f32x4.pmax(vm0, v128.load(p));
      vm1 = f32x4.pmax(vm1, v128.load(p, 16));
      vm2 = f32x4.pmax(vm2, v128.load(p, 32));
      vm3 = f32x4.pmax(vm3, v128.load(p, 48));
    }
    vm0 = f32x4.pmax(f32x4.pmax(vm0, vm1), f32x4.pmax(vm2, vm3));
    for (; i + 4 <= c; i += 4) {
      vm0 = f32x4.pmax(vm0, v128.load(x + (<usize>i << 2)));
    }
    m = hmax(vm0);
  }
  for (; i < c; i++) {
    m = max(m, load<f32>(x + (<usize>i << 2)));
  }
  return m;
}

/**
 * Elements per f32-lane partial sum of the exp pass before it is flushed to f64. In a row
 * whose max term (1) sits in one lane, every small term added to that lane costs up to half an
 * ulp of 1; flushing every 1024 elements caps that at 64 adds per lane. Measured on the
 * benchmark's 512x50257 batch (logits ~ N(0, 3), some rows with one dominant entry): worst
 * gradient error 7.6e-6 unflushed, 1.2e-7 flushed.
 */
// @ts-ignore: decorator
@inline export const FLUSH: i32 = 1024;

/** Max of the row passed as `xn` to the last exp pass (its second result). */
export let nextRowMax: f32 = 0;

/**
 * The first k with x_k = m of the last exp pass with argmax (-1 if none): the row's argmax,
 * lowest index on ties (torch.argmax), found where the pass has x_k − m anyway; the checks
 * stop at the first hit, a compare per element over half a row on average.
 */
export let argmaxFound: i32 = -1;

/**
 * Σ_k exp(x_k − m); with `stores`, each exp(x_k − m) is also written to out (which may be x
 * itself); the same loop takes the max of the following row xn (nextRowMax). Those loads
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
 * and Horner's scheme (callers pass fusedMadd).
 */
// @ts-ignore: decorator
@inline
function f32_exppass_u16_acc4(
  x: usize, c: i32, m: f32, out: usize, xn: usize, gp: usize, alpha: f32, stores: bool, withScale: bool,
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
  nextRowMax = mn;
  if (withArgmax) argmaxFound = found;
  return s;
}

// The exp passes with their flags fixed, one function each (not inlined into the wrappers
// below): two inlined copies of the pass in one function that differ only in a flag are folded
// by binaryen into one body that tests the flag in every iteration. The fused-madd forms exist
// in the relaxed build only (see set_fused_madd).

function f32_pass_sum(x: usize, c: i32, m: f32, xn: usize): f64 {
  return f32_exppass_u16_acc4(x, c, m, 0, xn, 0, 0, false, false, false, false);
}
function f32_pass_sum_fused(x: usize, c: i32, m: f32, xn: usize): f64 {
  return f32_exppass_u16_acc4(x, c, m, 0, xn, 0, 0, false, false, false, true);
}
function f32_pass_sum_argmax(x: usize, c: i32, m: f32, xn: usize): f64 {
  return f32_exppass_u16_acc4(x, c, m, 0, xn, 0, 0, false, false, true, false);
}
function f32_pass_sum_argmax_fused(x: usize, c: i32, m: f32, xn: usize): f64 {
  return f32_exppass_u16_acc4(x, c, m, 0, xn, 0, 0, false, false, true, true);
}
function f32_pass_store(x: usize, c: i32, m: f32, out: usize, xn: usize): f64 {
  return f32_exppass_u16_acc4(x, c, m, out, xn, 0, 0, true, false, false, false);
}
function f32_pass_store_fused(x: usize, c: i32, m: f32, out: usize, xn: usize): f64 {
  return f32_exppass_u16_acc4(x, c, m, out, xn, 0, 0, true, false, false, true);
}
function f32_pass_store_scale(x: usize, c: i32, m: f32, out: usize, xn: usize, gp: usize, alpha: f32): f64 {
  return f32_exppass_u16_acc4(x, c, m, out, xn, gp, alpha, true, true, false, false);
}
function f32_pass_store_scale_fused(x: usize, c: i32, m: f32, out: usize, xn: usize, gp: usize, alpha: f32): f64 {
  return f32_exppass_u16_acc4(x, c, m, out, xn, gp, alpha, true, true, false, true);
}
function f32_pass_store_argmax(x: usize, c: i32, m: f32, out: usize, xn: usize): f64 {
  return f32_exppass_u16_acc4(x, c, m, out, xn, 0, 0, true, false, true, false);
}
function f32_pass_store_argmax_fused(x: usize, c: i32, m: f32, out: usize, xn: usize): f64 {
  return f32_exppass_u16_acc4(x, c, m, out, xn, 0, 0, true, false, true, true);
}
function f32_pass_store_scale_argmax(x: usize, c: i32, m: f32, out: usize, xn: usize, gp: usize, alpha: f32): f64 {
  return f32_exppass_u16_acc4(x, c, m, out, xn, gp, alpha, true, true, true, false);
}
function f32_pass_store_scale_argmax_fused(x: usize, c: i32, m: f32, out: usize, xn: usize, gp: usize, alpha: f32): f64 {
  return f32_exppass_u16_acc4(x, c, m, out, xn, gp, alpha, true, true, true, true);
}

/**
 * Σ_k exp(x_k − m); if xn is not 0, also sets nextRowMax = max of the c floats at xn. Without a
 * next row, the pass takes the max of the row itself (in cache, result unused) rather than
 * doubling the passes' variants; with a fused madd every pass takes its fused form, so that a
 * row's numbers do not depend on the pass it takes (with or without argmax, whole or in shards).
 */
export function f32_raddexpminusmax_u16_acc4(x: usize, c: i32, m: f32, xn: usize): f64 {
  const next = xn ? xn : x;
  return ASC_FEATURE_RELAXED_SIMD && fusedMadd ? f32_pass_sum_fused(x, c, m, next) : f32_pass_sum(x, c, m, next);
}

/** As f32_raddexpminusmax_u16_acc4, also setting argmaxFound. */
export function f32_raddexpminusmax_argmax_u16_acc4(x: usize, c: i32, m: f32, xn: usize): f64 {
  const next = xn ? xn : x;
  return ASC_FEATURE_RELAXED_SIMD && fusedMadd ? f32_pass_sum_argmax_fused(x, c, m, next) : f32_pass_sum_argmax(x, c, m, next);
}

/**
 * As f32_raddexpminusmax_u16_acc4, storing each exp(x_k − m) to out (which may be x itself);
 * if gp is not 0, the same loop also multiplies the c floats at gp (the previous row's
 * gradient) by alpha, so that pass rides on this one's exp arithmetic.
 */
export function f32_raddstoreexpminusmax_u16_acc4(x: usize, c: i32, m: f32, out: usize, xn: usize, gp: usize, alpha: f32): f64 {
  const next = xn ? xn : x;
  if (ASC_FEATURE_RELAXED_SIMD && fusedMadd) {
    return gp ? f32_pass_store_scale_fused(x, c, m, out, next, gp, alpha) : f32_pass_store_fused(x, c, m, out, next);
  }
  return gp ? f32_pass_store_scale(x, c, m, out, next, gp, alpha) : f32_pass_store(x, c, m, out, next);
}

/** As f32_raddstoreexpminusmax_u16_acc4, also setting argmaxFound. */
export function f32_raddstoreexpminusmax_argmax_u16_acc4(x: usize, c: i32, m: f32, out: usize, xn: usize, gp: usize, alpha: f32): f64 {
  const next = xn ? xn : x;
  if (ASC_FEATURE_RELAXED_SIMD && fusedMadd) {
    return gp ? f32_pass_store_scale_argmax_fused(x, c, m, out, next, gp, alpha) : f32_pass_store_argmax_fused(x, c, m, out, next);
  }
  return gp ? f32_pass_store_scale_argmax(x, c, m, out, next, gp, alpha) : f32_pass_store_argmax(x, c, m, out, next);
}

/**
 * Index of the first x_k equal to m, or -1: the argmax once the max is known (the lowest index
 * among equal maxima, as torch.argmax). It stops at the first match, so on average it reads
 * half a row, and it runs before the row's exp pass, which may overwrite the logits.
 */
export function f32_rfirsteq(x: usize, c: i32, m: f32): i32 {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vm = f32x4.splat(m);
    for (; i + 16 <= c; i += 16) {
      const p = x + (<usize>i << 2);
      const hit = v128.or(
        v128.or(f32x4.eq(v128.load(p), vm), f32x4.eq(v128.load(p, 16), vm)),
        v128.or(f32x4.eq(v128.load(p, 32), vm), f32x4.eq(v128.load(p, 48), vm)),
      );
      if (v128.any_true(hit)) break;
    }
  }
  for (; i < c; i++) {
    if (load<f32>(x + (<usize>i << 2)) == m) return i;
  }
  return -1;
}

/** Index of the first NaN among c floats, or -1 (torch.argmax takes a row's first NaN). */
export function f32_rfirstnan(x: usize, c: i32): i32 {
  for (let i = 0; i < c; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    if (v != v) return i;
  }
  return -1;
}

/** a·x − b·w for one vector (w null: b alone; b = 0: no term at all). */
// @ts-ignore: decorator
@inline
function f32x4_scalesub(vx: v128, va: v128, vb: v128, vw: v128, sub: bool, weighted: bool): v128 {
  const v = f32x4.mul(vx, va);
  if (!sub) return v;
  return f32x4.sub(v, weighted ? f32x4.mul(vw, vb) : vb);
}

/** The body of f32_vscalesub, one loop per case (`sub`: b ≠ 0; `weighted`: w not null). */
// @ts-ignore: decorator
@inline
function f32_vscalesub_u16(x: usize, c: i32, a: f32, b: f32, w: usize, sub: bool, weighted: bool): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const va = f32x4.splat(a);
    const vb = f32x4.splat(b);
    const vz = f32x4.splat(0);
    for (; i + 16 <= c; i += 16) {
      const o = <usize>i << 2;
      const p = x + o;
      const q = w + o;
      v128.store(p, f32x4_scalesub(v128.load(p), va, vb, weighted ? v128.load(q) : vz, sub, weighted));
      v128.store(p, f32x4_scalesub(v128.load(p, 16), va, vb, weighted ? v128.load(q, 16) : vz, sub, weighted), 16);
      v128.store(p, f32x4_scalesub(v128.load(p, 32), va, vb, weighted ? v128.load(q, 32) : vz, sub, weighted), 32);
      v128.store(p, f32x4_scalesub(v128.load(p, 48), va, vb, weighted ? v128.load(q, 48) : vz, sub, weighted), 48);
    }
    for (; i + 4 <= c; i += 4) {
      const o = <usize>i << 2;
      v128.store(x + o, f32x4_scalesub(v128.load(x + o), va, vb, weighted ? v128.load(w + o) : vz, sub, weighted));
    }
  }
  for (; i < c; i++) {
    const o = <usize>i << 2;
    let v = load<f32>(x + o) * a;
    if (sub) v -= weighted ? load<f32>(w + o) * b : b;
    store<f32>(x + o, v);
  }
}

/** x_k ← a·x_k − b·w_k (w null: w_k = 1). With b = 0 the w term is skipped, so 0·a stays 0. */
export function f32_vscalesub(x: usize, c: i32, a: f32, b: f32, w: usize): void {
  if (b == 0) f32_vscalesub_u16(x, c, a, 0, 0, false, false);
  else if (w == 0) f32_vscalesub_u16(x, c, a, b, 0, true, false);
  else f32_vscalesub_u16(x, c, a, b, w, true, true);
}

/** w·(x − m) for one vector, 0 where w = 0 (masked, not 0·inf); x − m alone when not weighted. */
// @ts-ignore: decorator
@inline
function f32x4_dotterm(vx: v128, vm: v128, vw: v128, weighted: bool): v128 {
  const vd = f32x4.sub(vx, vm);
  if (!weighted) return vd;
  return v128.andnot(f32x4.mul(vd, vw), f32x4.eq(vw, f32x4.splat(0)));
}

/** The body of f32_rdotminusmax (`weighted`: w not null). */
// @ts-ignore: decorator
@inline
function f32_rdotminusmax_u16(x: usize, w: usize, c: i32, m: f32, weighted: bool): f64 {
  let s: f64 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vm = f32x4.splat(m);
    const vz = f32x4.splat(0);
    for (let b = 0; b + 16 <= c; b += FLUSH) {
      const end = min(c, b + FLUSH);
      let vs = f32x4.splat(0);
      for (; i + 16 <= end; i += 16) {
        const o = <usize>i << 2;
        const p = x + o;
        const q = w + o;
        const v01 = f32x4.add(
          f32x4_dotterm(v128.load(p), vm, weighted ? v128.load(q) : vz, weighted),
          f32x4_dotterm(v128.load(p, 16), vm, weighted ? v128.load(q, 16) : vz, weighted),
        );
        const v23 = f32x4.add(
          f32x4_dotterm(v128.load(p, 32), vm, weighted ? v128.load(q, 32) : vz, weighted),
          f32x4_dotterm(v128.load(p, 48), vm, weighted ? v128.load(q, 48) : vz, weighted),
        );
        vs = f32x4.add(vs, f32x4.add(v01, v23));
      }
      s += hsum(vs);
    }
    let vs = f32x4.splat(0);
    for (; i + 4 <= c; i += 4) {
      const o = <usize>i << 2;
      vs = f32x4.add(vs, f32x4_dotterm(v128.load(x + o), vm, weighted ? v128.load(w + o) : vz, weighted));
    }
    s += hsum(vs);
  }
  for (; i < c; i++) {
    const o = <usize>i << 2;
    const d = load<f32>(x + o) - m;
    if (!weighted) {
      s += <f64>d;
    } else if (load<f32>(w + o) != 0) {
      s += <f64>(d * load<f32>(w + o));
    }
  }
  return s;
}

/**
 * Σ_k w_k·(x_k − m) (w null: w_k = 1); every term is ≤ 0, so the sum does not cancel. A class
 * of weight 0 adds 0 even against x_k = -inf (masked, not 0·inf). The f32 lane sums are
 * flushed to f64 every FLUSH elements.
 */
export function f32_rdotminusmax(x: usize, w: usize, c: i32, m: f32): f64 {
  return w ? f32_rdotminusmax_u16(x, w, c, m, true) : f32_rdotminusmax_u16(x, 0, c, m, false);
}

/** Σ_k x_k, the f32 lane sums flushed to f64 every FLUSH elements. */
export function f32_sum_u16_acc4(x: usize, len: i32): f64 {
  let s: f64 = 0;
  for (let b = 0; b < len; b += FLUSH) {
    const e = min(len, b + FLUSH);
    let i = b;
    if (ASC_FEATURE_SIMD) {
      let vs0 = f32x4.splat(0);
      let vs1 = vs0, vs2 = vs0, vs3 = vs0;
      for (; i + 16 <= e; i += 16) {
        const p = x + (<usize>i << 2);
        vs0 = f32x4.add(vs0, v128.load(p));
        vs1 = f32x4.add(vs1, v128.load(p, 16));
        vs2 = f32x4.add(vs2, v128.load(p, 32));
        vs3 = f32x4.add(vs3, v128.load(p, 48));
      }
      vs0 = f32x4.add(f32x4.add(vs0, vs1), f32x4.add(vs2, vs3));
      for (; i + 4 <= e; i += 4) {
        vs0 = f32x4.add(vs0, v128.load(x + (<usize>i << 2)));
      }
      s += hsum(vs0);
    }
    for (; i < e; i++) {
      s += <f64>load<f32>(x + (<usize>i << 2));
    }
  }
  return s;
}

// f64: scalar loops with AssemblyScript's NativeMath (musl: exp and log within 1 ulp), two
// accumulators to break the add dependency chain.

/** max_k x_k; NaN propagates. */
export function f64_rmax(x: usize, c: i32): f64 {
  let m: f64 = -Infinity;
  for (let i = 0; i < c; i++) {
    m = max(m, load<f64>(x + (<usize>i << 3)));
  }
  return m;
}

/** First index of the largest x_k (lowest on ties), or of the first NaN (torch.argmax). */
export function f64_rargmax(x: usize, c: i32): i32 {
  let best: f64 = -Infinity;
  let at = 0;
  for (let i = 0; i < c; i++) {
    const v = load<f64>(x + (<usize>i << 3));
    if (v != v) return i;
    if (v > best) {
      best = v;
      at = i;
    }
  }
  return at;
}

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

/** x_k ← a·x_k − b·w_k (w null: w_k = 1); b = 0 skips the w term. */
export function f64_vscalesub(x: usize, c: i32, a: f64, b: f64, w: usize): void {
  for (let i = 0; i < c; i++) {
    const o = <usize>i << 3;
    let v = load<f64>(x + o) * a;
    if (b != 0) v -= w == 0 ? b : b * load<f64>(w + o);
    store<f64>(x + o, v);
  }
}

/** Σ_k w_k·(x_k − m) (w null: w_k = 1); a class of weight 0 adds 0. */
export function f64_rdotminusmax(x: usize, w: usize, c: i32, m: f64): f64 {
  let s: f64 = 0;
  for (let i = 0; i < c; i++) {
    const o = <usize>i << 3;
    const d = load<f64>(x + o) - m;
    if (!w) {
      s += d;
    } else if (load<f64>(w + o) != 0) {
      s += d * load<f64>(w + o);
    }
  }
  return s;
}

/** Σ_k x_k. */
export function f64_sum(x: usize, len: i32): f64 {
  let s0: f64 = 0;
  let s1: f64 = 0;
  let i = 0;
  for (; i + 2 <= len; i += 2) {
    s0 += load<f64>(x + (<usize>i << 3));
    s1 += load<f64>(x + (<usize>i << 3), 8);
  }
  if (i < len) s0 += load<f64>(x + (<usize>i << 3));
  return s0 + s1;
}
