// Row-wise softmax and log-softmax; out may be x itself. softmax = exp(x − m)/s, with the exp
// pass storing exp(x − m) and a second pass multiplying by 1/s; log-softmax = (x − m) − log s,
// subtracting m first so large logits keep their low bits. The exp pass of a row also takes
// the max of the next row.

import { f32_raddexpminusmax_u16_acc4, f32_raddstoreexpminusmax_u16_acc4, f64_raddstoreexpminusmax } from './exp-sum';
import { NEXT_MAX } from './frame';
import { f32_rmax_u16_acc4, f64_rmax } from './max';
import { f32_vscalesub, f64_vscalesub } from './scale';

/** Row-wise softmax of n rows of c (f32). */
export function f32_softmax(x: usize, n: i32, c: i32, out: usize, frame: usize): void {
  const rowBytes = <usize>c << 2;
  let m = n > 0 ? f32_rmax_u16_acc4(x, c) : 0;
  for (let r = 0; r < n; r++) {
    const xr = x + <usize>r * rowBytes;
    const yr = out + <usize>r * rowBytes;
    const s = f32_raddstoreexpminusmax_u16_acc4(xr, c, m, yr, r + 1 < n ? xr + rowBytes : 0, frame, 0, 0);
    m = load<f32>(frame, NEXT_MAX);
    f32_vscalesub(yr, c, <f32>(1 / s), 0, 0);
  }
}

/** y_k = (x_k − m) − l. */
function f32_vsubsub(x: usize, c: i32, m: f32, l: f32, out: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vm = f32x4.splat(m);
    const vl = f32x4.splat(l);
    for (; i + 16 <= c; i += 16) {
      const o = <usize>i << 2;
      const vy0 = f32x4.sub(f32x4.sub(v128.load(x + o), vm), vl);
      const vy1 = f32x4.sub(f32x4.sub(v128.load(x + o, 16), vm), vl);
      const vy2 = f32x4.sub(f32x4.sub(v128.load(x + o, 32), vm), vl);
      const vy3 = f32x4.sub(f32x4.sub(v128.load(x + o, 48), vm), vl);
      v128.store(out + o, vy0);
      v128.store(out + o, vy1, 16);
      v128.store(out + o, vy2, 32);
      v128.store(out + o, vy3, 48);
    }
    for (; i + 4 <= c; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, f32x4.sub(f32x4.sub(v128.load(x + o), vm), vl));
    }
  }
  for (; i < c; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, (load<f32>(x + o) - m) - l);
  }
}

/** Row-wise log-softmax of n rows of c (f32). */
export function f32_log_softmax(x: usize, n: i32, c: i32, out: usize, frame: usize): void {
  const rowBytes = <usize>c << 2;
  let m = n > 0 ? f32_rmax_u16_acc4(x, c) : 0;
  for (let r = 0; r < n; r++) {
    const xr = x + <usize>r * rowBytes;
    const l = <f32>Math.log(f32_raddexpminusmax_u16_acc4(xr, c, m, r + 1 < n ? xr + rowBytes : 0, frame));
    f32_vsubsub(xr, c, m, l, out + <usize>r * rowBytes);
    m = load<f32>(frame, NEXT_MAX);
  }
}

/** f64 twin of f32_softmax. */
export function f64_softmax(x: usize, n: i32, c: i32, out: usize, _frame: usize): void {
  const rowBytes = <usize>c << 3;
  for (let r = 0; r < n; r++) {
    const xr = x + <usize>r * rowBytes;
    const yr = out + <usize>r * rowBytes;
    const s = f64_raddstoreexpminusmax(xr, c, f64_rmax(xr, c), yr);
    f64_vscalesub(yr, c, 1 / s, 0, 0);
  }
}

/** f64 twin of f32_log_softmax. */
export function f64_log_softmax(x: usize, n: i32, c: i32, out: usize, _frame: usize): void {
  const rowBytes = <usize>c << 3;
  for (let r = 0; r < n; r++) {
    const xr = x + <usize>r * rowBytes;
    const yr = out + <usize>r * rowBytes;
    const m = f64_rmax(xr, c);
    const l = Math.log(f64_raddstoreexpminusmax(xr, c, m, 0));
    for (let i = 0; i < c; i++) {
      const o = <usize>i << 3;
      store<f64>(yr + o, (load<f64>(xr + o) - m) - l);
    }
  }
}
