/**
 * Cases the differential fuzz (test/fuzz.test.ts) found, each pinned on every engine of
 * test/backends.ts with the number PyTorch (or the float64 reference) gives.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../src/index.js';
import { BACKENDS, engineFor } from './backends.js';

describe.each(BACKENDS)('fuzz findings on %s', (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await engineFor(backend);
  });

  it('logSoftmax of two equal logits of 1e30 is −log 2 ((x − max) − log Σ, not x − lse)', () => {
    for (const x of [new Float32Array([1e30, 1e30]), new Float64Array([1e30, 1e30]), new Float64Array([-1e300, -1e300])]) {
      const out = engine.logSoftmax(x, { classes: 2 });
      expect(out[0]).toBeCloseTo(-Math.LN2, 6);
      expect(out[1]).toBeCloseTo(-Math.LN2, 6);
    }
  });

  it('crossEntropy and klDivergence with q = null are a TypeError, not the entropy of p', () => {
    const p = [0.25, 0.75];
    for (const method of ['crossEntropy', 'klDivergence'] as const) {
      expect(() => engine[method](p, null as never)).toThrow(TypeError);
      expect(() => engine[method](p, null as never)).toThrow(`${method}: q must be a Float32Array, Float64Array or number[], got null`);
    }
    expect(engine.entropy(p)).toBeCloseTo(-(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75)), 6);
  });

  it('sigmoidFocalLossWithGrad: where 1 − p_t = 0 and the BCE is NaN (x = −∞), the focal term of the gradient is 0 in every build', () => {
    // x = −∞ with t = 0: BCE is NaN (PyTorch's), q = σ(x) = 0; the gradient is (p − t)·q^γ = 0.
    // Eight elements, so the SIMD builds take them in their vector loop.
    const x = new Float32Array([-Infinity, -Infinity, 1, -1, -Infinity, 2, -Infinity, 0.5]);
    const t = new Float32Array([0, 0, 1, 0, 0, 1, 0, 0]);
    for (const gamma of [0.5, 2, 3.5]) {
      const { loss, grad } = engine.sigmoidFocalLossWithGrad(x, t, { gamma, reduction: 'none' });
      for (const i of [0, 1, 4, 6]) {
        expect(Number.isNaN(loss[i])).toBe(true);
        expect(grad[i]).toBe(0);
      }
      for (const i of [2, 3, 5, 7]) expect(Number.isFinite(grad[i])).toBe(true);
    }
  });
});
