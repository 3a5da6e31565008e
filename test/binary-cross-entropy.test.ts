/**
 * binaryCrossEntropy(+WithGrad), PyTorch `binary_cross_entropy` on probabilities, on every
 * engine of test/backends.ts (threaded included): PyTorch's numbers (test/golden/losses/, written
 * by scripts/golden.py, p = 0 and 1 exactly among them), a float64 reference written here from
 * the formula for shapes wider and longer than a staging block and a thread block, the gradient
 * in place of the probabilities, and the refusals (a probability or target outside [0, 1], NaN
 * included, is a RangeError naming the method; the engine keeps working).
 */
/// <reference types="vite/client" />
import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../src/index.js';
import { BACKENDS, engineFor, untyped } from './backends.js';
import { compare, floatArray, type GoldenCase, type Num } from './golden-helpers.js';

interface BinaryCase extends Omit<GoldenCase, 'method'> {
  method: 'binaryCrossEntropy';
}

const GOLDEN = Object.values(import.meta.glob<{ cases: BinaryCase[] }>('./golden/losses/binary-cross-entropy.json', { eager: true, import: 'default' }));
const CASES = GOLDEN.flatMap((f) => f.cases);

/** Runs one golden case, loss-only and with the gradient; returns every disagreement. */
function runCase(engine: Engine, c: BinaryCase): string[] {
  const problems: string[] = [];
  const e = untyped(engine);
  const p = floatArray(c.dtype, c.p!);
  const t = floatArray(c.dtype, c.targets!);
  for (const withGrad of [false, true]) {
    const opts: Record<string, unknown> = { ...c.opts };
    if (Array.isArray(opts.weight)) opts.weight = floatArray(c.dtype, opts.weight as Num[]);
    if (withGrad && c.gradOutput !== undefined) opts.gradOutput = Array.isArray(c.gradOutput) ? floatArray(c.dtype, c.gradOutput) : c.gradOutput;
    const raw = e[withGrad ? 'binaryCrossEntropyWithGrad' : 'binaryCrossEntropy'](p, t, opts);
    const r = (withGrad ? raw : { loss: raw }) as { loss: unknown; grad?: unknown };
    problems.push(...compare(`${c.method}${withGrad ? 'WithGrad' : ''} loss`, r.loss, c.want.loss!, c.dtype, 'loss'));
    if (withGrad) problems.push(...compare(`${c.method}WithGrad grad`, r.grad, c.want.grad!, c.dtype, 'prob'));
  }
  return problems.map((m) => `${c.name}: ${m}`);
}

/** The float64 reference: PyTorch's formula, element by element (its 1e-12 is a float32 constant). */
function reference(p: ArrayLike<number>, t: ArrayLike<number>, w: ArrayLike<number> | null, c: number) {
  const loss: number[] = [];
  const grad: number[] = [];
  for (let i = 0; i < p.length; i++) {
    const wi = w ? w[w.length === c ? i % c : i] : 1;
    loss.push(-wi * (t[i] * Math.max(Math.log(p[i]), -100) + (1 - t[i]) * Math.max(Math.log(1 - p[i]), -100)));
    grad.push((wi * (p[i] - t[i])) / Math.max(p[i] * (1 - p[i]), Math.fround(1e-12)));
  }
  return { loss, grad };
}

/** A seeded stream of numbers in [0, 1). */
function uniform(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const close = (got: number, want: number, rel: number) => Math.abs(got - want) <= rel * Math.max(1, Math.abs(want));

describe('the golden file', () => {
  it('holds float32 and float64 cases, with p = 0 and 1 exactly', () => {
    expect(CASES.some((c) => c.dtype === 'float32')).toBe(true);
    expect(CASES.some((c) => c.dtype === 'float64')).toBe(true);
    expect(CASES.some((c) => c.p!.includes(0) && c.p!.includes(1))).toBe(true);
  });
});

describe.each(BACKENDS)('binaryCrossEntropy on %s', (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await engineFor(backend);
  });

  it("equals PyTorch's binary_cross_entropy on every golden case (loss and gradient)", () => {
    expect(CASES.length).toBeGreaterThan(40);
    expect(CASES.flatMap((c) => runCase(engine, c))).toEqual([]);
  });

  it.each([
    [3, 7, 'class'],
    [700, 13, 'element'],
    [2, 5000, 'none'],
  ] as const)('%i x %i (weights: %s) equals the float64 reference, loss per element and gradient, in float32 and float64', (n, c, weights) => {
    for (const f64 of [false, true]) {
      const next = uniform(n * 31 + c);
      const make = (length: number, f: (i: number) => number) => {
        const a = f64 ? new Float64Array(length) : new Float32Array(length);
        for (let i = 0; i < length; i++) a[i] = f(i);
        return a;
      };
      const p = make(n * c, (i) => (i % 97 === 0 ? i % 2 : next()));
      const t = make(n * c, (i) => (i % 3 === 0 ? next() : i % 2));
      const w = weights === 'none' ? null : make(weights === 'class' ? c : n * c, () => 2 * next());
      const want = reference(p, t, w, c);
      const opts = { classes: c, ...(w ? { weight: w } : {}) };
      const rel = f64 ? 1e-12 : 2e-6;
      const elems = engine.binaryCrossEntropy(p, t, { ...opts, reduction: 'none' });
      for (let i = 0; i < n * c; i++) if (!close(elems[i], want.loss[i], rel)) expect.fail(`loss[${i}] = ${elems[i]}, want ${want.loss[i]}`);
      const sum = want.loss.reduce((a, b) => a + b, 0);
      expect(close(engine.binaryCrossEntropy(p, t, { ...opts, reduction: 'sum' }), sum, rel * 10)).toBe(true);
      const { loss, grad } = engine.binaryCrossEntropyWithGrad(p, t, opts);
      expect(close(loss, sum / (n * c), rel * 10)).toBe(true);
      for (let i = 0; i < n * c; i++) {
        if (!close(grad[i], want.grad[i] / (n * c), rel)) expect.fail(`grad[${i}] = ${grad[i]}, want ${want.grad[i] / (n * c)}`);
      }
    }
  });

  it('computes the gradient in place of the probabilities (gradOut: probs)', () => {
    const p = new Float32Array([0.2, 0.9, 0.5, 0, 1, 0.3]);
    const t = new Float32Array([0, 1, 0.5, 1, 0, 0]);
    const want = engine.binaryCrossEntropyWithGrad(p, t, { classes: 3, reduction: 'sum' });
    const { grad } = engine.binaryCrossEntropyWithGrad(p, t, { classes: 3, reduction: 'sum', gradOut: p });
    expect(grad).toBe(p);
    expect(Array.from(p)).toEqual(Array.from(want.grad));
    // p = 0 against t = 1: −1/ε; p = 1 against t = 0: +1/ε (PyTorch's clamp, ε = fround(1e-12)), never inf.
    expect(p[3]).toBe(Math.fround(-1 / Math.fround(1e-12)));
    expect(p[4]).toBe(Math.fround(1 / Math.fround(1e-12)));
    expect(want.loss).toBeCloseTo(-Math.log(0.8) - Math.log(0.9) + Math.log(2) + 200 - Math.log(0.7), 5);
  });

  it('refuses a probability or target outside [0, 1] (NaN included) with a RangeError naming the method, and keeps working', () => {
    const t = new Float32Array([0, 1, 1]);
    for (const bad of [-0.5, 1.5, NaN, Infinity]) {
      const p = new Float32Array([0.5, bad, 0.5]);
      expect(() => engine.binaryCrossEntropy(p, t), String(bad)).toThrow(new RangeError(`binaryCrossEntropy: probs[1] = ${bad} is not a probability in [0, 1]`));
      expect(() => engine.binaryCrossEntropyWithGrad(t, p), String(bad)).toThrow(new RangeError(`binaryCrossEntropyWithGrad: targets[1] = ${bad} is not a probability in [0, 1]`));
    }
    expect(() => engine.binaryCrossEntropy(new Float32Array(3), new Float32Array(2))).toThrow(RangeError);
    expect(() => engine.binaryCrossEntropy(new Float32Array(4), new Float32Array(4), { classes: 2, weight: new Float32Array(3) })).toThrow(
      /^binaryCrossEntropy: weight has length 3, expected 2 \(one per class\) or 4 \(one per element\)$/,
    );
    expect(engine.binaryCrossEntropy(new Float32Array([0.25]), new Float32Array([1]))).toBeCloseTo(Math.log(4), 6);
  });
});
