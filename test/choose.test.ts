// Which build 'auto' runs (src/backends/choose.ts): relaxed SIMD only where f32x4.relaxed_madd
// fuses, the SIMD build otherwise; checked against float64 arithmetic and against what the two
// builds' own kernels compute here.
import { describe, expect, it } from 'vitest';
import { MADD_PROBE, rankVariants, relaxedMaddFuses } from '../src/backends/choose.js';
import { createWasmKernels, supportedWasmVariants } from '../src/backends/wasm.js';
import { EXP_F32 } from '../src/kernels/diagnostics.js';
import { availableBackends, createEngine } from '../src/index.js';

describe('the relaxed_madd probe', () => {
  it('has inputs whose fused and unfused results differ', () => {
    const { a, c } = MADD_PROBE;
    // In float64 a·a and a·a + c are exact (24 significant bits at most): the fused result.
    expect(a * a + c).toBe(MADD_PROBE.fused);
    expect(MADD_PROBE.fused).toBeGreaterThan(0);
    // Product rounded to f32, then the sum rounded: two roundings.
    expect(Math.fround(Math.fround(a * a) + c)).toBe(MADD_PROBE.unfused);
    expect(Math.fround(a)).toBe(a);
    expect(Math.fround(c)).toBe(c);
  });

  it("agrees with the relaxed build's exp, which differs from the SIMD build's exactly when madd fuses", () => {
    if (!supportedWasmVariants().includes('relaxed-simd')) {
      expect(relaxedMaddFuses()).toBe(false);
      return;
    }
    // The two builds differ only in madd (assembly/simd.ts), which the exp polynomial is made of:
    // with two roundings they agree bit for bit, fused they differ in the last bits somewhere.
    const x = new Float32Array(1 << 16);
    for (let i = 0; i < x.length; i++) x[i] = -20 + (40 * i) / x.length;
    const [relaxed, simd] = (['relaxed-simd', 'simd'] as const).map((v) => {
      const out = new Float32Array(x.length);
      createWasmKernels(v).run(EXP_F32, { x, out, n: x.length, c: 1 });
      return out;
    });
    const differ = relaxed.some((r, i) => r !== simd[i]);
    expect(relaxedMaddFuses()).toBe(differ);
  });
});

describe('rankVariants', () => {
  const never = () => {
    throw new Error('asked whether madd fuses where it cannot matter');
  };

  it('keeps relaxed-simd first where madd fuses', () => {
    expect(rankVariants(['relaxed-simd', 'simd', 'wasm'], () => true)).toEqual(['relaxed-simd', 'simd', 'wasm']);
  });

  it('puts simd ahead of relaxed-simd where madd does not fuse', () => {
    expect(rankVariants(['relaxed-simd', 'simd', 'wasm'], () => false)).toEqual(['simd', 'relaxed-simd', 'wasm']);
  });

  it('asks nothing where relaxed SIMD or SIMD does not run', () => {
    expect(rankVariants(['simd', 'wasm'], never)).toEqual(['simd', 'wasm']);
    expect(rankVariants(['wasm'], never)).toEqual(['wasm']);
    expect(rankVariants([], never)).toEqual([]);
  });
});

describe("'auto' here", () => {
  it('runs relaxed-simd only where it validates and madd fuses, else the SIMD build', async () => {
    const supported = supportedWasmVariants();
    const want = supported.includes('relaxed-simd') && relaxedMaddFuses() ? 'relaxed-simd' : 'simd';
    expect(availableBackends()[0]).toBe(want);
    expect((await createEngine()).backend).toBe(want);
    expect([...availableBackends()].sort()).toEqual([...supported, 'js'].sort());
  });
});
