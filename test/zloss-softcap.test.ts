/**
 * zLoss and softcap (with returnZLoss) on softmaxCrossEntropy and softmaxCrossEntropyDense, on
 * every backend, against the float64 reference (test/reference.ts): random shapes, logits
 * (large values, -inf masks, ties), labels with ignored rows, class weights, label smoothing,
 * every reduction and gradOutput; plus the decisions the README states (the z-loss mean over
 * counted rows, not weighted; 'loss' includes the z term), in-place gradients, and the worked
 * examples of the README.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../src/index.js';
import { BACKENDS, engineFor, untyped } from './backends.js';
import { refSoftmaxCrossEntropy, refSoftmaxCrossEntropyDense } from './reference.js';
import {
  type Float,
  type LogitParams,
  type Precision,
  type Reduction,
  asInput,
  asRead,
  assertProperty,
  expectIdentical,
  expectValues,
  gradKindArb,
  logitParamsArb,
  makeGradOutput,
  makeLogits,
  precisionArb,
  reductionArb,
  rng,
  shapeArb,
} from './extras-cases.js';

type Call = (...args: unknown[]) => Record<string, unknown> | number | Float;
const call = (e: Engine, method: string): Call => untyped(e)[method];

interface Params {
  prec: Precision;
  shape: { n: number; c: number };
  logits: LogitParams;
  reduction: Reduction;
  weight: 'none' | 'random' | 'all zero';
  smoothing: number;
  pIgnored: number;
  zLoss: number;
  softcap: number | undefined;
  returnZLoss: boolean;
  grad: 'default' | 'scalar' | 'array';
  dense: 'one-hot' | 'soft';
}

const paramsArb: fc.Arbitrary<Params> = fc.record({
  prec: precisionArb,
  shape: shapeArb,
  logits: logitParamsArb,
  reduction: reductionArb,
  weight: fc.constantFrom('none', 'random', 'random', 'all zero'),
  smoothing: fc.constantFrom(0, 0, 0.1, 0.5),
  pIgnored: fc.constantFrom(0, 0.2, 1),
  zLoss: fc.constantFrom(0, 1e-4, 0.01, 0.5),
  softcap: fc.constantFrom(undefined, 1, 5, 30),
  returnZLoss: fc.boolean(),
  grad: gradKindArb,
  dense: fc.constantFrom('one-hot', 'soft'),
});

/** The inputs and options of a case, and the reference's answer. */
function sparseCase(p: Params, withGrad: boolean) {
  const { n, c } = p.shape;
  const r = rng(p.logits.seed ^ 0x2545f491);
  const labels = Array.from({ length: n }, () => (r() < p.pIgnored ? -100 : Math.floor(r() * c)));
  const x = makeLogits(p.logits, n, c, p.prec, (i, k) => k !== labels[i]);
  const weight = p.weight === 'none' ? undefined : Array.from({ length: c }, () => (p.weight === 'all zero' || r() < 0.1 ? 0 : 3 * r()));
  const gradOutput = withGrad ? makeGradOutput(p.grad, p.reduction, n, p.logits.seed) : undefined;
  const opts = {
    classes: c, reduction: p.reduction, weight, labelSmoothing: p.smoothing || undefined,
    zLoss: p.zLoss, softcap: p.softcap, returnZLoss: p.returnZLoss || undefined, gradOutput,
  };
  const read = (a: number[] | undefined) => a && a.map((v) => asRead(v, p.prec));
  const ref = refSoftmaxCrossEntropy(x, labels, {
    classes: c, reduction: p.reduction, weight: read(weight), labelSmoothing: p.smoothing,
    zLoss: p.zLoss, softcap: p.softcap, gradOutput: Array.isArray(gradOutput) ? read(gradOutput) : gradOutput,
  });
  return { args: [asInput(x, p.prec), Int32Array.from(labels), opts] as unknown[], ref, x };
}

function denseCase(p: Params, withGrad: boolean) {
  const { n, c } = p.shape;
  const r = rng(p.logits.seed ^ 0x27d4eb2f);
  const targets: number[] = [];
  for (let i = 0; i < n; i++) {
    const row = Array.from({ length: c }, () => (p.dense === 'soft' ? Math.exp(2 * r()) : 0));
    if (p.dense === 'one-hot') row[Math.floor(r() * c)] = 1;
    const s = row.reduce((a, b) => a + b, 0);
    targets.push(...row.map((v) => asRead(v / s, p.prec)));
  }
  const x = makeLogits(p.logits, n, c, p.prec, (i, k) => targets[i * c + k] === 0);
  const weight = p.weight === 'none' ? undefined : Array.from({ length: c }, () => (p.weight === 'all zero' || r() < 0.1 ? 0 : 3 * r()));
  const gradOutput = withGrad ? makeGradOutput(p.grad, p.reduction, n, p.logits.seed) : undefined;
  const opts = {
    classes: c, reduction: p.reduction, weight, labelSmoothing: p.smoothing || undefined,
    zLoss: p.zLoss, softcap: p.softcap, returnZLoss: p.returnZLoss || undefined, gradOutput,
  };
  const read = (a: number[] | undefined) => a && a.map((v) => asRead(v, p.prec));
  const ref = refSoftmaxCrossEntropyDense(x, targets, {
    classes: c, reduction: p.reduction, weight: read(weight), labelSmoothing: p.smoothing,
    zLoss: p.zLoss, softcap: p.softcap, gradOutput: Array.isArray(gradOutput) ? read(gradOutput) : gradOutput,
  });
  const t = p.prec === 'f64' ? Float64Array.from(targets) : Float32Array.from(targets);
  return { args: [asInput(x, p.prec), t, opts] as unknown[], ref, x };
}

/** The engine's answer equals the reference's: loss (with the z term), zLoss when asked, gradient. */
function check(engine: Engine, method: string, p: Params): void {
  const withGrad = method.endsWith('WithGrad');
  const dense = method.startsWith('softmaxCrossEntropyDense');
  const k = dense ? denseCase(p, withGrad) : sparseCase(p, withGrad);
  const got = call(engine, method)(...k.args);
  const ctx = `${engine.backend} ${method}`;
  const fields = (withGrad || p.returnZLoss ? got : { loss: got }) as Record<string, unknown>;
  expectValues(`${ctx} loss`, fields.loss, k.ref.loss, p.prec, 'loss');
  if (p.returnZLoss) expectValues(`${ctx} zLoss`, fields.zLoss, k.ref.zLoss, p.prec, 'loss');
  else if ('zLoss' in fields) throw new Error(`${ctx}: zLoss returned without returnZLoss`);
  if (withGrad) {
    expectValues(`${ctx} grad`, fields.grad, k.ref.grad, p.prec, 'grad', k.ref.gradAmp);
    // In place (gradOut = a copy of the logits) gives the very same numbers.
    const x = p.prec === 'f64' ? Float64Array.from(k.x) : Float32Array.from(k.x);
    const args = k.args.slice();
    args[0] = x;
    args[2] = { ...(args[2] as object), gradOut: x };
    const inPlace = call(engine, method)(...args) as Record<string, unknown>;
    if (inPlace.grad !== x) throw new Error(`${ctx}: in place, grad is not the logits array`);
    expectIdentical(`${ctx} in-place grad`, x, fields.grad as Float);
    expectIdentical(`${ctx} in-place loss`, inPlace.loss as Float, fields.loss as Float);
  }
}

describe.each(BACKENDS)('zLoss and softcap on %s', (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await engineFor(backend);
  });

  for (const method of ['softmaxCrossEntropy', 'softmaxCrossEntropyWithGrad', 'softmaxCrossEntropyDense', 'softmaxCrossEntropyDenseWithGrad']) {
    it(`${method} equals the float64 reference (with weights, ignoreIndex, smoothing, every reduction, in place)`, () =>
      assertProperty(`${backend} ${method} extras`, paramsArb, (p) => check(engine, method, p), 120));
  }

  it("'mean' = cross-entropy over Σ w[y] + z-loss over the counted rows (not weighted)", () => {
    const x = new Float64Array([2, 0.5, -1, 0.1, 0.2, 3, 1, 1, 1, -2, 4, 0]);
    const labels = [0, 2, -100, 1];
    const weight = [0.5, 2, 1];
    const lse = (r: number) => Math.log(Math.exp(x[3 * r]) + Math.exp(x[3 * r + 1]) + Math.exp(x[3 * r + 2]));
    const ce = [0, 1, 3].reduce((s, r) => s + weight[labels[r]] * (lse(r) - x[3 * r + labels[r]]), 0) / (0.5 + 1 + 2);
    const z = (1e-2 * [0, 1, 3].reduce((s, r) => s + lse(r) ** 2, 0)) / 3;
    const got = engine.softmaxCrossEntropy(x, labels, { classes: 3, weight, zLoss: 1e-2, returnZLoss: true });
    expect(got.zLoss).toBeCloseTo(z, 12);
    expect(got.loss).toBeCloseTo(ce + z, 12);
    const none = engine.softmaxCrossEntropy(x, labels, { classes: 3, weight, zLoss: 1e-2, returnZLoss: true, reduction: 'none' });
    expect(none.zLoss[2]).toBe(0);
    expect(none.loss[2]).toBe(0);
    expect(none.zLoss[1]).toBeCloseTo(1e-2 * lse(1) ** 2, 12);
  });

  it('zLoss 0 and an absent softcap give exactly the plain call; returnZLoss without zLoss gives zLoss 0', () => {
    const x = new Float32Array(Array.from({ length: 40 }, (_, i) => Math.sin(i) * 3));
    const y = [1, 3, 0, 7];
    const plain = engine.softmaxCrossEntropyWithGrad(x, y, { classes: 10 });
    const zero = engine.softmaxCrossEntropyWithGrad(x, y, { classes: 10, zLoss: 0, returnZLoss: true });
    expect(zero.loss).toBe(plain.loss);
    expect(zero.zLoss).toBe(0);
    expectIdentical('grad', zero.grad, plain.grad);
  });

  it('a softcap far above the logits changes nothing measurable; a small one bounds every logit', () => {
    const x = new Float64Array([2, 0.5, -1, 100, -100, 0]);
    const wide = engine.softmaxCrossEntropy(x.subarray(0, 3), [0], { classes: 3, softcap: 1e6 });
    expect(wide).toBeCloseTo(engine.softmaxCrossEntropy(x.subarray(0, 3), [0], { classes: 3 }), 9);
    // cap 1: the row [100, -100, 0] acts as [tanh 100, tanh -100, 0] = [1, -1, 0].
    const capped = engine.softmaxCrossEntropy(x.subarray(3), [1], { classes: 3, softcap: 1 });
    expect(capped).toBeCloseTo(Math.log(Math.E + Math.exp(-1) + 1) + 1, 12);
  });

  it("README: z-loss and softcap worked examples", () => {
    const logits = new Float32Array([2.0, 0.5, -1.0, 0.1, 0.2, 3.0]);
    const labels = new Int32Array([0, 2]);
    const r = engine.softmaxCrossEntropyWithGrad(logits, labels, { classes: 3, zLoss: 1e-4, returnZLoss: true });
    expect(r.loss).toBeCloseTo(0.17619, 5);
    expect(r.zLoss).toBeCloseTo(0.00073465, 7);
    const capped = engine.softmaxCrossEntropyWithGrad(logits, labels, { classes: 3, softcap: 2 });
    expect(capped.loss).toBeCloseTo(0.34435, 5);
    const want = [-0.0644, 0.1159, 0.0236, 0.0653, 0.0716, -0.0249];
    capped.grad.forEach((g, i) => expect(g).toBeCloseTo(want[i], 4));
  });
});
