// xent's WebAssembly kernels. One source, three builds (scripts/build-wasm.mjs): no SIMD,
// SIMD, and relaxed SIMD, chosen in the source by the compile-time ASC_FEATURE_* constants.
// The module's exports are those of the entry files asconfig.json lists: this one (settings,
// the scratch base, diagnostics) and one file per loss family, which exports its kernels and
// nothing else (a new loss is its file and its line there, with no line here).
// Every export takes byte offsets into the (imported) linear memory and lengths; 0 stands for
// an absent optional array (the adapter never places data at offset 0). Nothing allocates:
// the adapter owns all memory above scratch_base(). A kernel whose passes have second results
// takes a last argument, its frame: scratch of its own per call and thread (frame.ts).

import { f32_exp_rr2_p5, f32x4_exp_rr2_p5 } from './exp';
import { f32_sum_u16_acc4 } from './sum';
import { V_ONE, vconst } from './simd';
import { f32_tanh_sech2, f32x4_tanh, f32x4_tanh_exp } from './tanh';

// The adapter's verdict on relaxed_madd (fused or not), which the relaxed build's softmax passes
// need for their fastest accurate exp; until it is set they compute what the SIMD build does.
export { set_fused_madd } from './exp';

/** First byte the adapter may use, 16-byte aligned (above the module's own static data). */
export function scratch_base(): usize {
  return (__heap_base + 15) & ~<usize>15;
}

/** out_k = e^{x_k} with the kernels' own f32 exp, for accuracy tests and diagnostics. */
export function f32_exp(x: usize, len: i32, out: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= len; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, f32x4_exp_rr2_p5(v128.load(x + o)));
    }
  }
  for (; i < len; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, f32_exp_rr2_p5(load<f32>(x + o)));
  }
}

/** out_k = tanh(x_k) with the kernels' own f32 tanh (the softcap's), for accuracy tests. */
export function f32_tanh(x: usize, len: i32, out: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= len; i += 4) {
      const o = <usize>i << 2;
      const vu = v128.load(x + o);
      const va = f32x4.abs(vu);
      const ve = f32x4_tanh_exp(va);
      const vone = vconst(V_ONE);
      const vr = f32x4.div(vone, f32x4.add(ve, vone));
      v128.store(out + o, f32x4_tanh(vu, va, ve, vr));
    }
  }
  for (; i < len; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, f32_tanh_sech2(load<f32>(x + o), 0));
  }
}

/** Σ_k x_k in one read pass: the throughput floor the losses are measured against. */
export function f32_sum(x: usize, len: i32): f64 {
  return f32_sum_u16_acc4(x, len);
}
