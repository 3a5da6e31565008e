// Row passes through the logit cap (softcap, Gemma 2), shared by the sparse and dense losses:
// the softmax sees y_k = cap·tanh(x_k/cap) and the gradient w.r.t. x_k gains the factor
// sech²(x_k/cap) = 1 − tanh². The capped row is never stored: every pass recomputes y_k from
// x_k, so a pass may write its output over the logits (in-place) element by element.
//
// The row max of y is cap·tanh(max x/cap) (tanh is increasing), so the raw max that the
// previous row's pass already took serves, and no pass is spent on it.
//
// The f32 lane sums are flushed to f64 every FLUSH elements, as in sum.ts.

import { f32_expminusmax_rr2_p5, f32x4_expminusmax_p5 } from './exp';
import { COEF_SUM, DOT, NEXT_MAX, SECH2, SECH2_V } from './frame';
import { FLUSH } from './sum';
import { V_ONE, hmax, hsum, madd, vconst } from './simd';
import { SMALL, f32_tanh_sech2, f32x4_sech2, f32x4_tanh, f32x4_tanh_exp, f32x4_tanh_poly } from './tanh';

/** The slot of SMALL² (see vconst): |u| < SMALL where u² < SMALL². */
const V_SMALL2 = memory.data<f32>([SMALL * SMALL]);

/** tanh u for any u, storing sech² u at res + SECH2_V: the out-of-line path for vectors beyond the polynomial's range. */
function f32x4_tanh_sech2_any(vu: v128, res: usize): v128 {
  const vone = vconst(V_ONE);
  const va = f32x4.abs(vu);
  const ve2 = f32x4_tanh_exp(va);
  const vr = f32x4.div(vone, f32x4.add(ve2, vone));
  v128.store(res, f32x4_sech2(ve2, vr), SECH2_V);
  return f32x4_tanh(vu, va, ve2, vr);
}

/**
 * The body of f32_raddcappedexp (xn always a row: the caller passes x itself when there is no
 * next row). The main loop takes 16 logits at a time with four accumulators, as the uncapped
 * exp pass does; a block whose |x/cap| are all below 0.55 (logits well inside the cap, the
 * usual case: Gemma's cap 30 against logits of a few units) takes tanh from the polynomial
 * alone and sech² = 1 − tanh² (no cancellation there), with no exp and no division; other
 * blocks go through f32x4_tanh_sech2_any. `stores` and `dot` are runtime flags, tested once
 * per 16 logits: one body keeps the modules small.
 */
function f32_cappedpass_u16_acc4(
  x: usize, c: i32, cap: f32, my: f32, out: usize, t: usize, w: usize, keep: f32, add: f32, xn: usize, res: usize,
  dot: bool, stores: bool,
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
      const vnegmy = f32x4.splat(-my);
      const vone = vconst(V_ONE);
      const vzero = f32x4.splat(0);
      const vsmall2 = vconst(V_SMALL2);
      const vkeep = f32x4.splat(keep);
      const vadd = f32x4.splat(add);
      let vs0 = vzero;
      let vs1 = vzero;
      let vs2 = vzero;
      let vs3 = vzero;
      let vsd = vzero;
      let vsw = vzero;
      let vm0 = f32x4.splat(-Infinity);
      let vm1 = vm0;
      for (; i + 16 <= end; i += 16) {
        const o = <usize>i << 2;
        vm0 = f32x4.pmax(vm0, v128.load(xn + o));
        vm1 = f32x4.pmax(vm1, v128.load(xn + o, 16));
        vm0 = f32x4.pmax(vm0, v128.load(xn + o, 32));
        vm1 = f32x4.pmax(vm1, v128.load(xn + o, 48));
        const vu0 = f32x4.mul(v128.load(x + o), vinv);
        const vu1 = f32x4.mul(v128.load(x + o, 16), vinv);
        const vu2 = f32x4.mul(v128.load(x + o, 32), vinv);
        const vu3 = f32x4.mul(v128.load(x + o, 48), vinv);
        const vz0 = f32x4.mul(vu0, vu0);
        const vz1 = f32x4.mul(vu1, vu1);
        const vz2 = f32x4.mul(vu2, vu2);
        const vz3 = f32x4.mul(vu3, vu3);
        let vt0: v128, vt1: v128, vt2: v128, vt3: v128;
        let vh0 = vone, vh1 = vone, vh2 = vone, vh3 = vone;
        // u² < 0.55² in every lane (a NaN fails the test and takes the general path).
        const inRange = v128.and(v128.and(f32x4.lt(vz0, vsmall2), f32x4.lt(vz1, vsmall2)), v128.and(f32x4.lt(vz2, vsmall2), f32x4.lt(vz3, vsmall2)));
        if (i32x4.all_true(inRange)) {
          vt0 = f32x4_tanh_poly(vu0, vz0);
          vt1 = f32x4_tanh_poly(vu1, vz1);
          vt2 = f32x4_tanh_poly(vu2, vz2);
          vt3 = f32x4_tanh_poly(vu3, vz3);
          if (stores) {
            vh0 = f32x4.sub(vone, f32x4.mul(vt0, vt0));
            vh1 = f32x4.sub(vone, f32x4.mul(vt1, vt1));
            vh2 = f32x4.sub(vone, f32x4.mul(vt2, vt2));
            vh3 = f32x4.sub(vone, f32x4.mul(vt3, vt3));
          }
        } else {
          vt0 = f32x4_tanh_sech2_any(vu0, res);
          vh0 = v128.load(res, SECH2_V);
          vt1 = f32x4_tanh_sech2_any(vu1, res);
          vh1 = v128.load(res, SECH2_V);
          vt2 = f32x4_tanh_sech2_any(vu2, res);
          vh2 = v128.load(res, SECH2_V);
          vt3 = f32x4_tanh_sech2_any(vu3, res);
          vh3 = v128.load(res, SECH2_V);
        }
        const vd0 = madd(vt0, vcap, vnegmy);
        const vd1 = madd(vt1, vcap, vnegmy);
        const vd2 = madd(vt2, vcap, vnegmy);
        const vd3 = madd(vt3, vcap, vnegmy);
        const ve0 = f32x4_expminusmax_p5(vd0, false);
        const ve1 = f32x4_expminusmax_p5(vd1, false);
        const ve2 = f32x4_expminusmax_p5(vd2, false);
        const ve3 = f32x4_expminusmax_p5(vd3, false);
        if (stores) {
          v128.store(out + o, f32x4.mul(ve0, vh0));
          v128.store(out + o, f32x4.mul(ve1, vh1), 16);
          v128.store(out + o, f32x4.mul(ve2, vh2), 32);
          v128.store(out + o, f32x4.mul(ve3, vh3), 48);
        }
        vs0 = f32x4.add(vs0, ve0);
        vs1 = f32x4.add(vs1, ve1);
        vs2 = f32x4.add(vs2, ve2);
        vs3 = f32x4.add(vs3, ve3);
        if (dot) {
          for (let j = 0; j < 4; j++) {
            const oj = o + (<usize>j << 4);
            let vcoef = t ? madd(v128.load(t + oj), vkeep, vadd) : vadd;
            if (w) vcoef = f32x4.mul(vcoef, v128.load(w + oj));
            const vd = j == 0 ? vd0 : j == 1 ? vd1 : j == 2 ? vd2 : vd3;
            vsw = f32x4.add(vsw, vcoef);
            vsd = f32x4.add(vsd, v128.andnot(f32x4.mul(vcoef, vd), f32x4.eq(vcoef, vzero)));
          }
        }
      }
      vs0 = f32x4.add(f32x4.add(vs0, vs1), f32x4.add(vs2, vs3));
      vm0 = f32x4.pmax(vm0, vm1);
      for (; i + 4 <= end; i += 4) {
        const o = <usize>i << 2;
        vm0 = f32x4.pmax(vm0, v128.load(xn + o));
        const vt = f32x4_tanh_sech2_any(f32x4.mul(v128.load(x + o), vinv), res);
        const vd = madd(vt, vcap, vnegmy);
        const ve = f32x4_expminusmax_p5(vd, false);
        vs0 = f32x4.add(vs0, ve);
        if (stores) v128.store(out + o, f32x4.mul(ve, v128.load(res, SECH2_V)));
        if (dot) {
          let vcoef = t ? madd(v128.load(t + o), vkeep, vadd) : vadd;
          if (w) vcoef = f32x4.mul(vcoef, v128.load(w + o));
          vsw = f32x4.add(vsw, vcoef);
          vsd = f32x4.add(vsd, v128.andnot(f32x4.mul(vcoef, vd), f32x4.eq(vcoef, vzero)));
        }
      }
      s += hsum(vs0);
      sd += hsum(vsd);
      sw += hsum(vsw);
      mn = max(mn, hmax(vm0));
    }
    for (; i < end; i++) {
      const o = <usize>i << 2;
      mn = max(mn, load<f32>(xn + o));
      const d = f32_tanh_sech2(load<f32>(x + o) * invCap, res) * cap - my;
      const e = f32_expminusmax_rr2_p5(d);
      s += <f64>e;
      if (stores) store<f32>(out + o, e * load<f32>(res, SECH2));
      if (dot) {
        let coef: f32 = t ? load<f32>(t + o) * keep + add : add;
        if (w) coef *= load<f32>(w + o);
        sw += <f64>coef;
        if (coef != 0) sd += <f64>(coef * d);
      }
    }
  }
  store<f64>(res, sd, DOT);
  store<f64>(res, sw, COEF_SUM);
  store<f32>(res, mn, NEXT_MAX);
  return s;
}

/**
 * Σ_k exp(y_k − my), y_k = cap·tanh(x_k/cap). With out ≠ 0, stores e_k·sech²_k to out (which
 * may be x): the gradient of a row without smoothing, before its row scale. With `dot`, stores
 * Σ coef_k·(y_k − my) at res + DOT and Σ coef_k at res + COEF_SUM, for coef_k = (t ? keep·t_k +
 * add : add)·(w ? w_k : 1); a class whose coef is 0 adds nothing to the dot (as in the uncapped
 * passes). With xn ≠ 0, also stores the max of the c raw logits at xn at res + NEXT_MAX. `res`:
 * the caller's frame (frame.ts), also the scratch of each element's sech².
 */
export function f32_raddcappedexp(
  x: usize, c: i32, cap: f32, my: f32, out: usize, dot: bool, t: usize, w: usize, keep: f32, add: f32, xn: usize,
  res: usize,
): f64 {
  return f32_cappedpass_u16_acc4(x, c, cap, my, out, t, w, keep, add, xn ? xn : x, res, dot, out != 0);
}

/**
 * out_k = sech²_k·(α·e_k − β·coef_k), with y_k, e_k = exp(y_k − my) and sech²_k recomputed from
 * x_k (out may be x) and coef_k as in f32_raddcappedexp: the gradient of a capped row whose
 * targets are spread over the classes (label smoothing, probability targets).
 */
export function f32_vcappedgrad(
  x: usize, c: i32, cap: f32, my: f32, out: usize, alpha: f32, beta: f32, t: usize, w: usize, keep: f32, add: f32,
  res: usize,
): void {
  const invCap: f32 = 1 / cap;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vinv = f32x4.splat(invCap);
    const vcap = f32x4.splat(cap);
    const vnegmy = f32x4.splat(-my);
    const valpha = f32x4.splat(alpha);
    const vbeta = f32x4.splat(beta);
    const vkeep = f32x4.splat(keep);
    const vadd = f32x4.splat(add);
    for (; i + 4 <= c; i += 4) {
      const o = <usize>i << 2;
      const vt = f32x4_tanh_sech2_any(f32x4.mul(v128.load(x + o), vinv), res);
      const vsech2 = v128.load(res, SECH2_V);
      const ve = f32x4_expminusmax_p5(madd(vt, vcap, vnegmy), false);
      let vcoef = t ? madd(v128.load(t + o), vkeep, vadd) : vadd;
      if (w) vcoef = f32x4.mul(vcoef, v128.load(w + o));
      const vg = f32x4.sub(f32x4.mul(ve, valpha), f32x4.mul(vcoef, vbeta));
      v128.store(out + o, f32x4.mul(vg, vsech2));
    }
  }
  for (; i < c; i++) {
    const o = <usize>i << 2;
    const e = f32_expminusmax_rr2_p5(f32_tanh_sech2(load<f32>(x + o) * invCap, res) * cap - my);
    let coef: f32 = t ? load<f32>(t + o) * keep + add : add;
    if (w) coef *= load<f32>(w + o);
    store<f32>(out + o, (e * alpha - coef * beta) * load<f32>(res, SECH2));
  }
}
