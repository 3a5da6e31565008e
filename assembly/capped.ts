// Row passes through the logit cap (softcap, Gemma 2), shared by the sparse and dense losses:
// the softmax sees y_k = cap·tanh(x_k/cap) and the gradient w.r.t. x_k gains the factor
// sech²(x_k/cap) = 1 − tanh². The capped row is never stored: every pass recomputes y_k from
// x_k, so a pass may write its output over the logits (in-place) element by element.
//
// The row max of y is cap·tanh(max x/cap) (tanh is increasing), so the raw max that the
// previous row's pass already took serves, and no pass is spent on it.
//
// The f32 lane sums are flushed to f64 every FLUSH elements, as in reduce.ts.

import { f32_expminusmax_rr2_p5, f32x4_expminusmax_rr2_p5 } from './exp';
import { FLUSH } from './reduce';
import { hmax, hsum, madd } from './simd';
import { f32_tanh_sech2, f32x4_sech2, f32x4_tanh, f32x4_tanh_exp, sech2 } from './tanh';

/** Σ coef_k·(y_k − my) over coef_k ≠ 0, the second result of the last f32_raddcappedexp call with `dot`. */
export let cappedDot: f64 = 0;
/** Σ coef_k, its third result. */
export let cappedCoefSum: f64 = 0;
/** Max of the c raw logits at `xn` of the last f32_raddcappedexp call that had one. */
export let cappedNextMax: f32 = 0;

/**
 * Σ_k exp(y_k − my), y_k = cap·tanh(x_k/cap). With out ≠ 0, stores e_k·sech²_k to out (which
 * may be x): the gradient of a row without smoothing, before its row scale. With `dot`, sets
 * cappedDot and cappedCoefSum for coef_k = (t ? keep·t_k + add : add)·(w ? w_k : 1); a class
 * whose coef is 0 adds nothing to cappedDot (as in the uncapped passes). With xn ≠ 0, also sets
 * cappedNextMax to the max of the c raw logits at xn.
 */
export function f32_raddcappedexp(
  x: usize, c: i32, cap: f32, my: f32, out: usize, dot: bool, t: usize, w: usize, keep: f32, add: f32, xn: usize,
): f64 {
  const invCap: f32 = 1 / cap;
  let s: f64 = 0;
  let sd: f64 = 0;
  let sw: f64 = 0;
  let mn: f32 = -Infinity;
  for (let b = 0; b < c; b += FLUSH) {
    const end = min(c, b + FLUSH);
    let i = b;
    if (ASC_FEATURE_SIMD) {
      const vinv = f32x4.splat(invCap);
      const vcap = f32x4.splat(cap);
      const vmy = f32x4.splat(my);
      const vone = f32x4.splat(1);
      const vzero = f32x4.splat(0);
      let vs = vzero;
      let vsd = vzero;
      let vsw = vzero;
      let vm = f32x4.splat(-Infinity);
      for (; i + 4 <= end; i += 4) {
        const o = <usize>i << 2;
        if (xn) vm = f32x4.pmax(vm, v128.load(xn + o));
        const vu = f32x4.mul(v128.load(x + o), vinv);
        const va = f32x4.abs(vu);
        const ve2 = f32x4_tanh_exp(va);
        const vr = f32x4.div(vone, f32x4.add(ve2, vone));
        const vd = f32x4.sub(f32x4.mul(f32x4_tanh(vu, va, ve2, vr), vcap), vmy);
        const ve = f32x4_expminusmax_rr2_p5(vd);
        vs = f32x4.add(vs, ve);
        if (out) v128.store(out + o, f32x4.mul(ve, f32x4_sech2(ve2, vr)));
        if (dot) {
          let vcoef = t ? madd(v128.load(t + o), f32x4.splat(keep), f32x4.splat(add)) : f32x4.splat(add);
          if (w) vcoef = f32x4.mul(vcoef, v128.load(w + o));
          vsw = f32x4.add(vsw, vcoef);
          vsd = f32x4.add(vsd, v128.andnot(f32x4.mul(vcoef, vd), f32x4.eq(vcoef, vzero)));
        }
      }
      s += hsum(vs);
      sd += hsum(vsd);
      sw += hsum(vsw);
      if (xn) mn = max(mn, hmax(vm));
    }
    for (; i < end; i++) {
      const o = <usize>i << 2;
      if (xn) mn = max(mn, load<f32>(xn + o));
      const d = f32_tanh_sech2(load<f32>(x + o) * invCap) * cap - my;
      const e = f32_expminusmax_rr2_p5(d);
      s += <f64>e;
      if (out) store<f32>(out + o, e * sech2);
      if (dot) {
        let coef: f32 = t ? load<f32>(t + o) * keep + add : add;
        if (w) coef *= load<f32>(w + o);
        sw += <f64>coef;
        if (coef != 0) sd += <f64>(coef * d);
      }
    }
  }
  cappedDot = sd;
  cappedCoefSum = sw;
  if (xn) cappedNextMax = mn;
  return s;
}

/**
 * out_k = sech²_k·(α·e_k − β·coef_k), with y_k, e_k = exp(y_k − my) and sech²_k recomputed from
 * x_k (out may be x) and coef_k as in f32_raddcappedexp: the gradient of a capped row whose
 * targets are spread over the classes (label smoothing, probability targets).
 */
export function f32_vcappedgrad(
  x: usize, c: i32, cap: f32, my: f32, out: usize, alpha: f32, beta: f32, t: usize, w: usize, keep: f32, add: f32,
): void {
  const invCap: f32 = 1 / cap;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vinv = f32x4.splat(invCap);
    const vcap = f32x4.splat(cap);
    const vmy = f32x4.splat(my);
    const vone = f32x4.splat(1);
    const valpha = f32x4.splat(alpha);
    const vbeta = f32x4.splat(beta);
    for (; i + 4 <= c; i += 4) {
      const o = <usize>i << 2;
      const vu = f32x4.mul(v128.load(x + o), vinv);
      const va = f32x4.abs(vu);
      const ve2 = f32x4_tanh_exp(va);
      const vr = f32x4.div(vone, f32x4.add(ve2, vone));
      const ve = f32x4_expminusmax_rr2_p5(f32x4.sub(f32x4.mul(f32x4_tanh(vu, va, ve2, vr), vcap), vmy));
      let vcoef = t ? madd(v128.load(t + o), f32x4.splat(keep), f32x4.splat(add)) : f32x4.splat(add);
      if (w) vcoef = f32x4.mul(vcoef, v128.load(w + o));
      const vg = f32x4.sub(f32x4.mul(ve, valpha), f32x4.mul(vcoef, vbeta));
      v128.store(out + o, f32x4.mul(vg, f32x4_sech2(ve2, vr)));
    }
  }
  for (; i < c; i++) {
    const o = <usize>i << 2;
    const e = f32_expminusmax_rr2_p5(f32_tanh_sech2(load<f32>(x + o) * invCap) * cap - my);
    let coef: f32 = t ? load<f32>(t + o) * keep + add : add;
    if (w) coef *= load<f32>(w + o);
    store<f32>(out + o, (e * alpha - coef * beta) * sech2);
  }
}
