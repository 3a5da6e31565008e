/**
 * The NaN / Inf policy (README "Non-finite values"), on every backend:
 * - a NaN logit makes its row's loss and gradient NaN, and no other row's;
 * - -inf logits on non-target classes are masks: finite loss, exactly zero gradient there;
 * - ignored rows give loss 0 and gradient 0 whatever their logits;
 * - a mean over zero counted rows is 0, with a zero gradient (PyTorch gives NaN).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, engineFor, expectClose } from './backends.js';
import type { Engine } from '../src/index.js';

/** -log softmax(x)[y] in float64, over the finite entries only. */
function nll(x: number[], y: number): number {
  const finite = x.filter((v) => v !== -Infinity);
  const m = Math.max(...finite);
  return m + Math.log(finite.reduce((s, v) => s + Math.exp(v - m), 0)) - x[y];
}

describe.each(BACKENDS)('non-finite values on %s', (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await engineFor(backend);
  });

  it('a NaN logit poisons its own row only', () => {
    const x = new Float32Array([1, NaN, 3, 0.5, 0.25, -1, 2, 2, 2]);
    const { loss, grad } = engine.softmaxCrossEntropyWithGrad(x, [0, 1, 2], { classes: 3, reduction: 'none' });
    expect(Number.isNaN(loss[0])).toBe(true);
    expectClose(loss.subarray(1), [nll([0.5, 0.25, -1], 1), nll([2, 2, 2], 2)], 1e-6);
    expect(Array.from(grad.subarray(0, 3)).every(Number.isNaN)).toBe(true);
    expect(Array.from(grad.subarray(3)).every(Number.isFinite)).toBe(true);
    expect(Number.isNaN(engine.softmaxCrossEntropy(x, [0, 1, 2], { classes: 3 }))).toBe(true);
  });

  it('-inf logits on non-target classes are masks: finite loss, zero gradient there', () => {
    const x = new Float32Array([-Infinity, 2, 1, -Infinity, 0.5, -Infinity, 3, -Infinity]);
    const labels = [1, 2];
    const { loss, grad } = engine.softmaxCrossEntropyWithGrad(x, labels, { classes: 4, reduction: 'none' });
    expectClose(loss, [nll([-Infinity, 2, 1, -Infinity], 1), nll([0.5, -Infinity, 3, -Infinity], 2)], 1e-6);
    for (const i of [0, 3, 5, 7]) expect(grad[i]).toBe(0);
    // The unmasked entries are the softmax over the unmasked classes minus the one-hot target.
    const p = Math.exp(2) / (Math.exp(2) + Math.exp(1));
    expectClose([grad[1], grad[2]], [p - 1, 1 - p], 1e-6, 1e-7);
  });

  it('a masked row with label smoothing has an infinite loss (PyTorch agrees) and a finite gradient', () => {
    const x = new Float32Array([-Infinity, 2, 1]);
    const { loss, grad } = engine.softmaxCrossEntropyWithGrad(x, [1], { classes: 3, labelSmoothing: 0.1 });
    expect(loss).toBe(Infinity);
    expect(Array.from(grad).every(Number.isFinite)).toBe(true);
  });

  it('ignored rows give loss 0 and gradient 0 whatever their logits', () => {
    const x = new Float32Array([NaN, Infinity, -Infinity, 1, 2, 3]);
    const { loss, grad } = engine.softmaxCrossEntropyWithGrad(x, [-100, 2], { classes: 3, reduction: 'none' });
    expect(loss[0]).toBe(0);
    expect(Array.from(grad.subarray(0, 3))).toEqual([0, 0, 0]);
    expectClose(loss[1], nll([1, 2, 3], 2), 1e-6);
    expectClose(engine.softmaxCrossEntropy(x, [-100, 2], { classes: 3 }), nll([1, 2, 3], 2), 1e-6);
  });

  it('a mean over zero counted rows is 0 with a zero gradient', () => {
    const x = new Float32Array([1, 2, 3, 4, 5, 6]);
    expect(engine.softmaxCrossEntropy(x, [-100, -100], { classes: 3 })).toBe(0);
    const { loss, grad } = engine.softmaxCrossEntropyWithGrad(x, [-100, -100], { classes: 3, labelSmoothing: 0.2 });
    expect(loss).toBe(0);
    expect(Array.from(grad)).toEqual([0, 0, 0, 0, 0, 0]);
    // Weights that sum to zero over the counted rows count as no rows too.
    const weighted = engine.softmaxCrossEntropyWithGrad(x, [0, 0], { classes: 3, weight: [0, 1, 1] });
    expect(weighted.loss).toBe(0);
    expect(Array.from(weighted.grad)).toEqual([0, 0, 0, 0, 0, 0]);
    // An empty batch likewise.
    expect(engine.softmaxCrossEntropy(new Float32Array(0), [], { classes: 3 })).toBe(0);
    expect(engine.softmaxCrossEntropyDense(new Float32Array(0), [], { classes: 3 })).toBe(0);
    expect(engine.sigmoidCrossEntropy(new Float32Array(0), [])).toBe(0);
  });

  it('logits of ±1e4 are exact, not overflowed', () => {
    const x = new Float32Array([1e4, -1e4, 0, -1e4, 1e4, 1e4]);
    const loss = engine.softmaxCrossEntropy(x, [1, 1], { classes: 3, reduction: 'none' });
    expectClose(loss, [2e4, Math.LN2], 1e-6);
    const dense = engine.softmaxCrossEntropyDense(x, [0, 1, 0, 0, 0.5, 0.5], { classes: 3, reduction: 'none' });
    expectClose(dense, [2e4, Math.LN2], 1e-6);
    const sig = engine.sigmoidCrossEntropy(new Float32Array([1e4, -1e4]), [0, 0], { reduction: 'none' });
    expectClose(sig, [1e4, 0], 1e-6);
  });

  it('dense targets of 0 against -inf logits contribute 0, not NaN', () => {
    const x = new Float32Array([-Infinity, 1, 2]);
    const { loss, grad } = engine.softmaxCrossEntropyDenseWithGrad(x, [0, 0.25, 0.75], { classes: 3 });
    const lse = Math.log(Math.exp(1) + Math.exp(2));
    expectClose(loss, 0.25 * (lse - 1) + 0.75 * (lse - 2), 1e-6);
    expect(grad[0]).toBe(0);
    expect(Array.from(grad).every(Number.isFinite)).toBe(true);
  });

  it('softmax of a masked row gives exact zeros there', () => {
    const p = engine.softmax(new Float32Array([-Infinity, 0, 0, -Infinity]), { classes: 4 });
    expect(Array.from(p)).toEqual([0, 0.5, 0.5, 0]);
  });

  it('a class of weight 0 contributes nothing, even against a -inf logit (sparse agrees with dense)', () => {
    const x = new Float32Array([0, -Infinity, 1]);
    const opts = { classes: 3, weight: [1, 0, 1], labelSmoothing: 0.1 };
    const sparse = engine.softmaxCrossEntropyWithGrad(x, [0], opts);
    const dense = engine.softmaxCrossEntropyDenseWithGrad(x, [1, 0, 0], opts);
    const lse = Math.log(1 + Math.E);
    // (1-ε)·(lse - 0) + (ε/3)·[(lse - 0) + (lse - 1)], over the denominator w[0] = 1
    expectClose(sparse.loss, 0.9 * lse + (0.1 / 3) * (2 * lse - 1), 1e-6);
    expectClose(dense.loss, sparse.loss, 1e-6);
    expectClose(sparse.grad, dense.grad, 1e-6, 1e-7);
    expect(sparse.grad[1]).toBe(0);
  });
});
