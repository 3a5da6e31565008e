/** The worked examples of DESIGN.md and the seed documents, on every backend. */
import { beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, engineFor } from './backends.js';
import type { Engine } from '../src/index.js';

describe.each(BACKENDS)('worked examples on %s', (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await engineFor(backend);
  });

  it('one-hot truth [0,1,0]: a good prediction costs -log 0.8 ≈ 0.22 nats', () => {
    expect(engine.crossEntropy([0, 1, 0], [0.1, 0.8, 0.1])).toBeCloseTo(0.2231, 4);
  });

  it('a bad prediction [0.7, 0.2, 0.1] costs -log 0.2 ≈ 1.61 nats', () => {
    expect(engine.crossEntropy([0, 1, 0], [0.7, 0.2, 0.1])).toBeCloseTo(1.6094, 4);
  });

  it('both predictions as a batch: per-row losses and their mean', () => {
    const perRow = engine.crossEntropy([0, 1, 0, 0, 1, 0], [0.1, 0.8, 0.1, 0.7, 0.2, 0.1], { classes: 3, reduction: 'none' });
    expect(perRow).toBeInstanceOf(Float32Array);
    expect(perRow[0]).toBeCloseTo(-Math.log(0.8), 6);
    expect(perRow[1]).toBeCloseTo(-Math.log(0.2), 6);
    expect(engine.crossEntropy([0, 1, 0, 0, 1, 0], [0.1, 0.8, 0.1, 0.7, 0.2, 0.1], { classes: 3 })).toBeCloseTo(
      (-Math.log(0.8) - Math.log(0.2)) / 2,
      6,
    );
  });

  it('entropy of a 75% / 25% forecast is 0.81 bits; 50/50 is 1 bit; 100/0 is 0', () => {
    expect(engine.entropy([0.75, 0.25], { base: 2 })).toBeCloseTo(0.8113, 4);
    expect(engine.entropy([0.5, 0.5], { base: 2 })).toBeCloseTo(1, 6);
    expect(engine.entropy([1, 0], { base: 2 })).toBe(0);
  });

  it('the cat example: truth [1,0,0,0] against [0.4,0.3,0.1,0.1] costs -log2 0.4 = 1.32 bits', () => {
    expect(engine.crossEntropy([1, 0, 0, 0], [0.4, 0.3, 0.1, 0.1], { base: 2 })).toBeCloseTo(1.3219, 4);
  });

  it('KL(P || Q) = H(P, Q) - H(P)', () => {
    const p = [0.75, 0.25];
    const q = [0.5, 0.5];
    const kl = engine.klDivergence(p, q, { base: 2 });
    expect(kl).toBeCloseTo(engine.crossEntropy(p, q, { base: 2 }) - engine.entropy(p, { base: 2 }), 6);
    expect(kl).toBeCloseTo(1 - 0.811278, 5);
  });

  it('from logits: softmax cross-entropy equals -log of the softmax probability of the true class', () => {
    // log([0.1, 0.8, 0.1]) as logits: the softmax gives the probabilities back.
    const logits = [Math.log(0.1), Math.log(0.8), Math.log(0.1)];
    expect(engine.softmaxCrossEntropy(logits, [1], { classes: 3 })).toBeCloseTo(0.2231, 4);
    const { grad } = engine.softmaxCrossEntropyWithGrad(logits, [1], { classes: 3 });
    // softmax(x) - onehot(y)
    expect(Array.from(grad)).toEqual([expect.closeTo(0.1, 6), expect.closeTo(-0.2, 6), expect.closeTo(0.1, 6)]);
  });

  it("the README's quick start: two rows, mean 0.1755", () => {
    const logits = new Float32Array([2.0, 0.5, -1.0, 0.1, 0.2, 3.0]);
    expect(engine.softmaxCrossEntropy(logits, new Int32Array([0, 2]), { classes: 3 })).toBeCloseTo(0.17546, 5);
  });
});
