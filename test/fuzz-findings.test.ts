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
});
