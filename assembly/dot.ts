// w-weighted row dot with the shifted logits: Σ w_k·(x_k − m), the smoothing term of the
// softmax losses and of the column-split row states.

import { hsum } from './simd';
import { FLUSH } from './sum';
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
