/**
 * Cases the differential fuzz (test/fuzz.test.ts) found, each pinned on every engine of
 * test/backends.ts with the number PyTorch (or the float64 reference) gives.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mergeRowStates, type Engine } from '../src/index.js';
import { BACKENDS, engineFor } from './backends.js';
import { rng } from './random.js';
import { refSoftmaxCrossEntropy } from './reference.js';

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

  it("softcap with logits beyond the cap leaves the module's static data alone (threads share it: their sech² overwrote each other's)", () => {
    if (engine.backend === 'js') return;
    // The first allocation sits right above the module's static data (its math tables).
    const staticData = () => {
      const probe = engine.alloc(0);
      const bytes = new Uint8Array(probe.buffer, 0, probe.byteOffset).slice();
      engine.free(probe);
      return bytes;
    };
    const before = staticData();
    const n = 4;
    const c = 64;
    const r = rng(5);
    // |x/cap| ≥ 0.55 takes the kernels' general tanh path, which returned sech² through static data.
    const x = Float32Array.from({ length: n * c }, () => 12 * (2 * r() - 1));
    const labels = Int32Array.from({ length: n }, () => Math.floor(r() * c));
    const want = refSoftmaxCrossEntropy(x, labels, { classes: c, softcap: 5 });
    const got = engine.softmaxCrossEntropyWithGrad(x, labels, { classes: c, softcap: 5 });
    engine.softmaxCrossEntropyDenseWithGrad(x, new Float32Array(n * c).fill(1 / c), { classes: c, softcap: 5 });
    expect(got.loss).toBeCloseTo(want.loss as number, 5);
    expect(staticData()).toEqual(before);
  });

  it('a row of -inf with label smoothing is NaN when merged from vocabulary shards, as unsplit (any class weights)', () => {
    const x = new Float32Array([-Infinity, -Infinity, -Infinity, -Infinity, 1, 2, 0.5, -1]);
    const labels = [1, 2];
    for (const weight of [[0, 0, 0, 0], [1, 0.5, 2, 1]]) {
      const opts = { classes: 4, labelSmoothing: 0.1, weight, reduction: 'none' as const };
      const whole = engine.softmaxCrossEntropy(x, labels, opts);
      const states = [0, 2].map((c0) =>
        engine.softmaxCrossEntropyRowStates(
          Float32Array.from([x[c0], x[c0 + 1], x[4 + c0], x[5 + c0]]), labels, { classes: 2, classOffset: c0, weight: weight.slice(c0, c0 + 2), labelSmoothing: 0.1 },
        ),
      );
      const merged = mergeRowStates(states, { reduction: 'none' });
      expect(Number.isNaN(whole[0])).toBe(true);
      expect(Number.isNaN((merged.loss as Float64Array)[0])).toBe(true);
      expect((merged.loss as Float64Array)[1]).toBeCloseTo(whole[1], 5);
    }
  });

  it('stats.perplexity of a plain call is exp(loss), even at logits of 1e30 (lse − x_y rounded to 0 there)', () => {
    const r = engine.softmaxCrossEntropy(new Float32Array([1e30, 1e30, 2, 1e30]), [0, 1], { classes: 2, stats: true });
    expect(r.loss).toBeCloseTo((Math.LN2 + 0) / 2, 6);
    expect(r.stats.perplexity).toBeCloseTo(Math.exp(r.loss), 6);
  });

  it('option arrays from engine.alloc detached by memory growth are accepted as the inputs are (weight, alpha, posWeight, gradOutput)', () => {
    if (engine.backend === 'js') return;
    const w = engine.alloc(3);
    const g = engine.alloc(2);
    engine.view(w).set([0.5, 1, 2]);
    engine.view(g).set([1, -1]);
    // Enough to grow the memory: on a one-thread engine w and g are detached now (length 0).
    const big = engine.alloc(1 << 22);
    const x = new Float32Array([1, 2, 3, 3, 1, 0]);
    const labels = [2, 0];
    const plain = { weight: new Float32Array([0.5, 1, 2]), gradOutput: new Float32Array([1, -1]) };
    expect(engine.softmaxCrossEntropy(x, labels, { classes: 3, weight: w })).toBe(engine.softmaxCrossEntropy(x, labels, { classes: 3, weight: plain.weight }));
    expect(engine.softmaxCrossEntropyPartial(x, labels, { classes: 3, weight: w })).toEqual(engine.softmaxCrossEntropyPartial(x, labels, { classes: 3, weight: plain.weight }));
    expect(engine.softmaxFocalLoss(x, labels, { classes: 3, alpha: w })).toBe(engine.softmaxFocalLoss(x, labels, { classes: 3, alpha: plain.weight }));
    expect(engine.sigmoidCrossEntropy(x, x, { classes: 3, posWeight: w })).toBe(engine.sigmoidCrossEntropy(x, x, { classes: 3, posWeight: plain.weight }));
    const a = engine.softmaxCrossEntropyWithGrad(x, labels, { classes: 3, reduction: 'none', gradOutput: g });
    const b = engine.softmaxCrossEntropyWithGrad(x, labels, { classes: 3, reduction: 'none', gradOutput: plain.gradOutput });
    expect(a.grad).toEqual(b.grad);
    engine.free(big);
    engine.free(w);
    engine.free(g);
  });
});
