// Row-wise functions on probabilities, in nats: cross-entropy −Σ p·log q, entropy −Σ p·log p,
// KL Σ p·(log p − log q). A term with p = 0 is dropped by masking (0·log 0 = 0, and 0·log q = 0
// even for q = 0), never computed as 0·(-inf).

import { f32x4_log } from './log';
import { FLUSH } from './sum';
import { hsum } from './simd';

// @ts-ignore: decorator
@inline const CROSS_ENTROPY: i32 = 0;
// @ts-ignore: decorator
@inline const ENTROPY: i32 = 1;
// @ts-ignore: decorator
@inline const KL: i32 = 2;

/** Σ of one span's terms of the given kind (−p·log q, −p·log p or p·(log p − log q)). */
// @ts-ignore: decorator
@inline
function f32_prob_span(p: usize, q: usize, len: i32, kind: i32): f64 {
  let i = 0;
  let total: f64 = 0;
  if (ASC_FEATURE_SIMD) {
    const vzero = f32x4.splat(0);
    let vsum = vzero;
    for (; i + 4 <= len; i += 4) {
      const o = <usize>i << 2;
      const vp = v128.load(p + o);
      let vterm: v128;
      if (kind == CROSS_ENTROPY) {
        vterm = f32x4.neg(f32x4.mul(vp, f32x4_log(v128.load(q + o))));
      } else if (kind == ENTROPY) {
        vterm = f32x4.neg(f32x4.mul(vp, f32x4_log(vp)));
      } else {
        vterm = f32x4.mul(vp, f32x4.sub(f32x4_log(vp), f32x4_log(v128.load(q + o))));
      }
      vsum = f32x4.add(vsum, v128.andnot(vterm, f32x4.eq(vp, vzero)));
    }
    total = hsum(vsum);
  }
  for (; i < len; i++) {
    const o = <usize>i << 2;
    const pv = load<f32>(p + o);
    if (pv == 0) continue;
    let term: f32;
    if (kind == CROSS_ENTROPY) {
      term = -pv * Mathf.log(load<f32>(q + o));
    } else if (kind == ENTROPY) {
      term = -pv * Mathf.log(pv);
    } else {
      term = pv * (Mathf.log(pv) - Mathf.log(load<f32>(q + o)));
    }
    total += <f64>term;
  }
  return total;
}

/** The rows of one kind; inlined into each export, so that `kind` is a constant in its loops. */
// @ts-ignore: decorator
@inline
function f32_prob_rows(p: usize, q: usize, n: i32, c: i32, rowLoss: usize, kind: i32): f64 {
  const rowBytes = <usize>c << 2;
  let total: f64 = 0;
  for (let r = 0; r < n; r++) {
    const ro = <usize>r * rowBytes;
    let row: f64 = 0;
    for (let k = 0; k < c; k += FLUSH) {
      const o = ro + (<usize>k << 2);
      row += f32_prob_span(p + o, q ? q + o : 0, min(FLUSH, c - k), kind);
    }
    if (rowLoss) store<f32>(rowLoss + (<usize>r << 2), <f32>row);
    total += row;
  }
  return total;
}

function f64_prob_rows(p: usize, q: usize, n: i32, c: i32, rowLoss: usize, kind: i32): f64 {
  const rowBytes = <usize>c << 3;
  let total: f64 = 0;
  for (let r = 0; r < n; r++) {
    const ro = <usize>r * rowBytes;
    let row: f64 = 0;
    for (let k = 0; k < c; k++) {
      const o = ro + (<usize>k << 3);
      const pv = load<f64>(p + o);
      if (pv == 0) continue;
      if (kind == CROSS_ENTROPY) {
        row -= pv * Math.log(load<f64>(q + o));
      } else if (kind == ENTROPY) {
        row -= pv * Math.log(pv);
      } else {
        row += pv * (Math.log(pv) - Math.log(load<f64>(q + o)));
      }
    }
    if (rowLoss) store<f64>(rowLoss + (<usize>r << 3), row);
    total += row;
  }
  return total;
}

/** Σ_n −Σ_k p_k·log q_k over n rows of c (f32); rowLoss 0 when absent. */
export function f32_cross_entropy(p: usize, q: usize, n: i32, c: i32, rowLoss: usize): f64 {
  return f32_prob_rows(p, q, n, c, rowLoss, CROSS_ENTROPY);
}

/** Σ_n −Σ_k p_k·log p_k (f32). */
export function f32_entropy(p: usize, n: i32, c: i32, rowLoss: usize): f64 {
  return f32_prob_rows(p, 0, n, c, rowLoss, ENTROPY);
}

/** Σ_n Σ_k p_k·(log p_k − log q_k) (f32). */
export function f32_kl_div(p: usize, q: usize, n: i32, c: i32, rowLoss: usize): f64 {
  return f32_prob_rows(p, q, n, c, rowLoss, KL);
}

/** f64 twin of f32_cross_entropy. */
export function f64_cross_entropy(p: usize, q: usize, n: i32, c: i32, rowLoss: usize): f64 {
  return f64_prob_rows(p, q, n, c, rowLoss, CROSS_ENTROPY);
}

/** f64 twin of f32_entropy. */
export function f64_entropy(p: usize, n: i32, c: i32, rowLoss: usize): f64 {
  return f64_prob_rows(p, 0, n, c, rowLoss, ENTROPY);
}

/** f64 twin of f32_kl_div. */
export function f64_kl_div(p: usize, q: usize, n: i32, c: i32, rowLoss: usize): f64 {
  return f64_prob_rows(p, q, n, c, rowLoss, KL);
}
