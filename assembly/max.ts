// Row maxima: max x_k, and the argmax searches (the first index of a known max, of the first
// NaN; the f64 argmax in one pass). The exp pass (exp-sum.ts) also takes the next row's max
// and can find the argmax on the way.

import { hmax } from './simd';

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
