// The kernels' own f32 tanh (assembly/tanh.ts, the softcap's) against Math.tanh in float64, on
// every build this runtime can run: relative error ≤ 1e-6 everywhere (the brief of the softcap:
// the capped logit c·tanh(x/c) is as good as the float32 logit it replaces), and the edges.
import { describe, expect, it } from 'vitest';
import { TANH_F32 } from '../src/kernels/diagnostics.js';
import { WASM_VARIANTS, createWasmKernels, supportedWasmVariants } from '../src/backends/wasm.js';

const BOUND = 1e-6;

/** A dense sweep of [lo, hi]: `count` evenly spaced points, rounded to f32. */
function sweep(lo: number, hi: number, count: number): Float32Array {
  const x = new Float32Array(count);
  for (let i = 0; i < count; i++) x[i] = lo + ((hi - lo) * i) / (count - 1);
  return x;
}

/** `count` consecutive f32 values from `lo` upwards, bit by bit. */
function everyFloatFrom(lo: number, count: number): Float32Array {
  const bits = new Uint32Array(count);
  const start = new Uint32Array(new Float32Array([lo]).buffer)[0];
  for (let i = 0; i < count; i++) bits[i] = start + i;
  return new Float32Array(bits.buffer);
}

const variants = WASM_VARIANTS;
const supported = supportedWasmVariants();

describe.each(variants)('f32 tanh, %s build', (variant) => {
  const run = supported.includes(variant) ? it : it.skip;

  run(`relative error ≤ ${BOUND} over [-20, 20], around the branch point 0.55 and near 0`, () => {
    const k = createWasmKernels(variant);
    let worst = 0;
    let worstX = 0;
    const inputs = [sweep(-20, 20, 1 << 20), sweep(-1, 1, 1 << 18), everyFloatFrom(0.54, 1 << 17), everyFloatFrom(-0.56, 1 << 17), everyFloatFrom(1e-6, 1 << 16)];
    for (const x of inputs) {
      const out = new Float32Array(x.length);
      k.run(TANH_F32, { x: x, out: out, n: x.length, c: 1 });
      for (let i = 0; i < x.length; i++) {
        const want = Math.tanh(x[i]);
        if (want === 0) continue;
        const rel = Math.abs(out[i] - want) / Math.abs(want);
        if (rel > worst) {
          worst = rel;
          worstX = x[i];
        }
      }
    }
    console.log(`${variant}: max relative error of tanh ${worst.toExponential(3)} at x = ${worstX}`);
    expect(worst).toBeLessThanOrEqual(BOUND);
  });

  run('edge values: ±inf → ±1, large |x| → ±1, NaN → NaN, ±0 → ±0, odd symmetry', () => {
    const k = createWasmKernels(variant);
    const x = new Float32Array([Infinity, -Infinity, 50, -50, 1e30, NaN, 0, -0, 0.3, -0.3, 3, -3]);
    const out = new Float32Array(x.length);
    k.run(TANH_F32, { x: x, out: out, n: x.length, c: 1 });
    expect(Array.from(out.subarray(0, 5))).toEqual([1, -1, 1, -1, 1]);
    expect(out[5]).toBeNaN();
    expect(Object.is(out[6], 0)).toBe(true);
    expect(Object.is(out[7], -0)).toBe(true);
    expect(out[9]).toBe(-out[8]);
    expect(out[11]).toBe(-out[10]);
  });
});
