// Row scaling in place: x_k ← a·x_k − b·w_k, the gradient pass after an exp pass stored e_k.

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

/** x_k ← a·x_k − b·w_k (w null: w_k = 1); b = 0 skips the w term. */
export function f64_vscalesub(x: usize, c: i32, a: f64, b: f64, w: usize): void {
  for (let i = 0; i < c; i++) {
    const o = <usize>i << 3;
    let v = load<f64>(x + o) * a;
    if (b != 0) v -= w == 0 ? b : b * load<f64>(w + o);
    store<f64>(x + o, v);
  }
}
