// The kernels' own f32 exp (assembly/exp.ts) against Math.exp in float64, on every build this
// runtime can run: relative error ≤ 5e-7 wherever e^x is a normal float, and the edge values;
// the same for the softmax passes' exp(x − max), which has a range reduction of its own.
import { describe, expect, it } from 'vitest';
import { relaxedMaddFuses } from '../src/backends/choose.js';
import { WASM_VARIANTS, createWasmKernels, supportedWasmVariants } from '../src/backends/wasm.js';
import { EXP_F32 } from '../src/kernels/diagnostics.js';
import { EXP_SCALE } from '../src/kernels/row-states.js';

const BOUND = 5e-7;
const FLT_MIN = 2 ** -126;
const FLT_MAX = 3.4028234663852886e38;

/** A dense sweep of [lo, hi]: `count` evenly spaced points, rounded to f32. */
function sweep(lo: number, hi: number, count: number): Float32Array {
  const x = new Float32Array(count);
  for (let i = 0; i < count; i++) x[i] = lo + ((hi - lo) * i) / (count - 1);
  return x;
}

/** Every f32 in [2^e, 2^(e+1)) for small |x|, where t = x itself and the polynomial is tested bit by bit. */
function everyFloatNear(lo: number, count: number): Float32Array {
  const bits = new Uint32Array(count);
  const start = new Uint32Array(new Float32Array([lo]).buffer)[0];
  for (let i = 0; i < count; i++) bits[i] = start + i;
  return new Float32Array(bits.buffer);
}

const variants = WASM_VARIANTS;
const supported = supportedWasmVariants();

describe.each(variants)('f32 exp, %s build', (variant) => {
  const run = supported.includes(variant) ? it : it.skip;

  run(`relative error ≤ ${BOUND} over [-87, 88] and near 0`, () => {
    const k = createWasmKernels(variant);
    let worst = 0;
    let worstX = 0;
    for (const x of [sweep(-87.3, 88.7, 1 << 21), sweep(-1, 1, 1 << 18), everyFloatNear(-0.35, 1 << 18), everyFloatNear(0.1, 1 << 18)]) {
      const out = new Float32Array(x.length);
      k.run(EXP_F32, { x: x, out: out, n: x.length, c: 1 });
      for (let i = 0; i < x.length; i++) {
        const want = Math.exp(x[i]);
        if (want < FLT_MIN || want > FLT_MAX) continue;
        const rel = Math.abs(out[i] - want) / want;
        if (rel > worst) {
          worst = rel;
          worstX = x[i];
        }
      }
    }
    console.log(`${variant}: max relative error of exp ${worst.toExponential(3)} at x = ${worstX}`);
    expect(worst).toBeLessThanOrEqual(BOUND);
  });

  run('edge values: -inf → 0, overflow → +inf, NaN → NaN, 0 → 1, subnormal results', () => {
    const k = createWasmKernels(variant);
    const x = new Float32Array([-Infinity, -1000, -110, -104, 88.8, 89, 1000, Infinity, NaN, 0, -0, -100, -95, 88.72]);
    const out = new Float32Array(x.length);
    k.run(EXP_F32, { x: x, out: out, n: x.length, c: 1 });
    expect(Array.from(out.subarray(0, 4))).toEqual([0, 0, 0, 0]);
    expect(Array.from(out.subarray(4, 8))).toEqual([Infinity, Infinity, Infinity, Infinity]);
    expect(out[8]).toBeNaN();
    expect(out[9]).toBe(1);
    expect(out[10]).toBe(1);
    // Gradual underflow: within two subnormal steps (2^-149) of the true value.
    expect(Math.abs(out[11] - Math.exp(-100))).toBeLessThanOrEqual(2 * 2 ** -149);
    expect(Math.abs(out[12] - Math.exp(-95))).toBeLessThanOrEqual(2 * 2 ** -149);
    expect(Math.abs(out[13] - Math.exp(x[13])) / Math.exp(x[13])).toBeLessThanOrEqual(BOUND);
  });

  run(`softmax pass: exp(x − max) within ${BOUND} relative over [-87.3, 0], exactly 0 below the cutoff`, () => {
    const k = createWasmKernels(variant);
    // One row through the exp pass (expScale with shift 0, α 1, β 0): a length that is not a
    // multiple of 16 or 4, so the 16-wide loop, the 4-wide loop and the scalar tail all run.
    const x = sweep(-87.3, 0, (1 << 20) + 7);
    const out = new Float32Array(x.length);
    k.run(EXP_SCALE, { x, n: 1, c: x.length, shift: Float64Array.of(0), alpha: Float64Array.of(1), beta: Float64Array.of(0), weight: null, out });
    let worst = 0;
    let worstX = 0;
    for (let i = 0; i < x.length; i++) {
      const want = Math.exp(x[i]);
      if (want < FLT_MIN) continue;
      const rel = Math.abs(out[i] - want) / want;
      if (rel > worst) {
        worst = rel;
        worstX = x[i];
      }
    }
    console.log(`${variant}: max relative error of exp(x − max) ${worst.toExponential(3)} at x = ${worstX}`);
    expect(worst).toBeLessThanOrEqual(BOUND);
    const edge = Float32Array.of(-Infinity, -1000, -87.5, -88, 0, -0);
    const edgeOut = new Float32Array(edge.length);
    k.run(EXP_SCALE, { x: edge, n: 1, c: edge.length, shift: Float64Array.of(0), alpha: Float64Array.of(1), beta: Float64Array.of(0), weight: null, out: edgeOut });
    expect(Array.from(edgeOut)).toEqual([0, 0, 0, 0, 1, 1]);
  });
});

describe('the relaxed build where relaxed_madd does not fuse', () => {
  // The adapter tells the kernels what the one probe found (choose.ts); unless it fuses, the
  // relaxed build's softmax passes compute what the SIMD build's do, bit for bit, and only where
  // it fuses do they take the one-step range reduction (inaccurate if rounded twice).
  const run = supported.includes('relaxed-simd') && supported.includes('simd') ? it : it.skip;
  run('computes the SIMD build\'s exp(x − max) bit for bit, and differs from it exactly where madd fuses', () => {
    const x = sweep(-87.3, 0, (1 << 16) + 7);
    const [relaxed, simd] = (['relaxed-simd', 'simd'] as const).map((v) => {
      const out = new Float32Array(x.length);
      createWasmKernels(v).run(EXP_SCALE, { x, n: 1, c: x.length, shift: Float64Array.of(0), alpha: Float64Array.of(1), beta: Float64Array.of(0), weight: null, out });
      return out;
    });
    expect(relaxed.some((r, i) => r !== simd[i])).toBe(relaxedMaddFuses());
  });
});
