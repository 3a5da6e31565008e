/** Engine creation, the plain-function exports, input and output types, gradOut and in-place use. */
import { beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, engineFor, expectClose } from './backends.js';
import * as xent from '../src/index.js';
import { availableBackends, createEngine, type Engine, type LabelInput } from '../src/index.js';

describe('createEngine', () => {
  it("'auto' (the default) picks the best available backend", async () => {
    expect((await createEngine()).backend).toBe(availableBackends()[0]);
    expect((await createEngine({ backend: 'auto' })).backend).toBe(availableBackends()[0]);
  });

  it('js is always available, last; wasm builds come first where they run', () => {
    const list = availableBackends();
    expect(list.at(-1)).toBe('js');
    expect(list).toContain('wasm');
    expect(list).toContain('simd');
  });

  it('each named backend runs as itself', async () => {
    for (const backend of availableBackends()) expect((await createEngine({ backend })).backend).toBe(backend);
  });

  it('a backend this runtime cannot run rejects with a clear error', async () => {
    const missing = (['relaxed-simd', 'simd', 'wasm'] as const).filter((b) => !availableBackends().includes(b));
    for (const backend of missing) {
      await expect(createEngine({ backend })).rejects.toThrow(new RegExp(`backend '${backend}' cannot run here`));
    }
  });
});

describe('plain-function exports on the default engine', () => {
  it('need no await', () => {
    expect(xent.softmaxCrossEntropy([0, 0, 0], [1], { classes: 3 })).toBeCloseTo(Math.log(3), 6);
    expect(xent.entropy([0.5, 0.5], { base: 2 })).toBeCloseTo(1, 6);
    expect(xent.getDefaultEngine().backend).toBe(availableBackends()[0]);
  });

  it('cover the whole API', () => {
    for (const name of [
      'softmaxCrossEntropy',
      'softmaxCrossEntropyWithGrad',
      'softmaxCrossEntropyDense',
      'softmaxCrossEntropyDenseWithGrad',
      'sigmoidCrossEntropy',
      'sigmoidCrossEntropyWithGrad',
      'crossEntropy',
      'entropy',
      'klDivergence',
      'softmax',
      'logSoftmax',
    ] as const) {
      expect(typeof xent[name]).toBe('function');
    }
  });
});

describe.each(BACKENDS)('inputs and outputs on %s', (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await engineFor(backend);
  });
  const logits = [0.5, -1, 2, 0.25, 1.5, -0.5];
  const want = [Math.log(Math.exp(0.5) + Math.exp(-1) + Math.exp(2)) - 2, Math.log(Math.exp(0.25) + Math.exp(1.5) + Math.exp(-0.5)) - 0.25];

  it('number[] logits compute in float32 and return Float32Array', () => {
    const out = engine.softmaxCrossEntropy(logits, [2, 0], { classes: 3, reduction: 'none' });
    expect(out).toBeInstanceOf(Float32Array);
    expectClose(out, want, 1e-6);
  });

  it('Float64Array logits compute in float64 and return Float64Array', () => {
    const out = engine.softmaxCrossEntropyWithGrad(Float64Array.from(logits), [2, 0], { classes: 3, reduction: 'none' });
    expect(out.loss).toBeInstanceOf(Float64Array);
    expect(out.grad).toBeInstanceOf(Float64Array);
    expectClose(out.loss, want, 1e-13);
    expect(engine.softmax(Float64Array.from(logits), { classes: 3 })).toBeInstanceOf(Float64Array);
  });

  it('labels as any integer array give the same loss', () => {
    const x = Float32Array.from(logits);
    const base = engine.softmaxCrossEntropy(x, new Int32Array([2, 0]), { classes: 3 });
    expectClose(base, (want[0] + want[1]) / 2, 1e-6);
    for (const labels of [[2, 0], new Uint8Array([2, 0]), new Int16Array([2, 0]), new Uint32Array([2, 0]), new BigInt64Array([2n, 0n]), new Float64Array([2, 0])]) {
      expect(engine.softmaxCrossEntropy(x, labels as LabelInput, { classes: 3 })).toBe(base);
    }
  });

  it('classes may be left out of the sparse loss: C = logits.length / labels.length', () => {
    expectClose(engine.softmaxCrossEntropy(logits, [2, 0]), (want[0] + want[1]) / 2, 1e-6);
  });

  it('a custom ignoreIndex (inside [0, C) too) drops those rows from the mean', () => {
    expectClose(engine.softmaxCrossEntropy(logits, [2, 0], { classes: 3, ignoreIndex: 0 }), want[0], 1e-6);
    expectClose(engine.softmaxCrossEntropy(logits, [2, 7], { classes: 3, ignoreIndex: 7 }), want[0], 1e-6);
  });

  it('gradOut receives the gradient; gradOut = logits computes in place', () => {
    const x = Float32Array.from(logits);
    const fresh = engine.softmaxCrossEntropyWithGrad(x, [2, 0], { classes: 3 });
    const into = new Float32Array(6);
    const given = engine.softmaxCrossEntropyWithGrad(x, [2, 0], { classes: 3, gradOut: into });
    expect(given.grad).toBe(into);
    expect(Array.from(into)).toEqual(Array.from(fresh.grad));
    const inPlace = engine.softmaxCrossEntropyWithGrad(x, [2, 0], { classes: 3, gradOut: x });
    expect(inPlace.grad).toBe(x);
    expect(inPlace.loss).toBe(fresh.loss);
    expectClose(x, fresh.grad, 1e-7, 1e-8);
  });

  it('the logits are never modified unless gradOut is the logits', () => {
    const x = Float32Array.from(logits);
    engine.softmaxCrossEntropyWithGrad(x, [2, 0], { classes: 3 });
    engine.softmaxCrossEntropyDenseWithGrad(x, [0, 0, 1, 1, 0, 0], { classes: 3 });
    engine.sigmoidCrossEntropyWithGrad(x, [0, 0, 1, 1, 0, 0]);
    engine.softmax(x, { classes: 3 });
    expect(Array.from(x)).toEqual(Array.from(Float32Array.from(logits)));
  });

  it('gradOutput scales the gradient: a number for mean / sum, one per row for none', () => {
    const x = Float32Array.from(logits);
    const g1 = engine.softmaxCrossEntropyWithGrad(x, [2, 0], { classes: 3 }).grad;
    const g25 = engine.softmaxCrossEntropyWithGrad(x, [2, 0], { classes: 3, gradOutput: 2.5 }).grad;
    expectClose(g25, Array.from(g1, (v) => v * 2.5), 1e-6, 1e-7);
    const sum = engine.softmaxCrossEntropyWithGrad(x, [2, 0], { classes: 3, reduction: 'sum' }).grad;
    expectClose(sum, Array.from(g1, (v) => v * 2), 1e-6, 1e-7);
    const none = engine.softmaxCrossEntropyWithGrad(x, [2, 0], { classes: 3, reduction: 'none', gradOutput: [1, 3] }).grad;
    expectClose(none, [...Array.from(sum.subarray(0, 3)), ...Array.from(sum.subarray(3), (v) => v * 3)], 1e-6, 1e-7);
  });

  it('softmax and logSoftmax write into out, or in place', () => {
    const x = Float32Array.from(logits);
    const p = engine.softmax(x, { classes: 3 });
    const lp = engine.logSoftmax(x, { classes: 3 });
    expectClose(Array.from(lp, Math.exp), p, 1e-6);
    const out = new Float32Array(6);
    expect(engine.softmax(x, { classes: 3, out })).toBe(out);
    expect(engine.logSoftmax(x, { classes: 3, out: x })).toBe(x);
    expectClose(x, lp, 1e-7);
  });

  it('sigmoid weight may be per class or per element; posWeight a number or per class', () => {
    const x = Float32Array.from(logits);
    const t = [1, 0, 1, 0, 1, 0];
    const perClass = engine.sigmoidCrossEntropy(x, t, { classes: 3, weight: [1, 2, 3], posWeight: [2, 2, 2], reduction: 'none' });
    const perElem = engine.sigmoidCrossEntropy(x, t, { classes: 3, weight: [1, 2, 3, 1, 2, 3], posWeight: 2, reduction: 'none' });
    expectClose(perElem, perClass, 1e-7);
    const softplus = (v: number) => Math.log1p(Math.exp(-Math.abs(v))) + Math.max(-v, 0);
    const want = logits.map((v, i) => [1, 2, 3][i % 3] * ((1 - t[i]) * v + (1 + t[i]) * softplus(v)));
    expectClose(perClass, want, 1e-6);
  });
});
