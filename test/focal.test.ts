/**
 * softmaxFocalLoss and sigmoidFocalLoss (+ WithGrad) on every backend, against the float64
 * reference (test/reference.ts): random shapes and logits, γ (0, fractional, 1, 2, above 2), α
 * (a number, per class, torchvision's negative "off"), class weights and ignored rows, every
 * reduction and gradOutput, in place; plus γ = 0 giving cross-entropy, the default reduction,
 * and the README's worked examples.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../src/index.js';
import { BACKENDS, engineFor, untyped } from './backends.js';
import { refSigmoidFocalLoss, refSoftmaxFocalLoss } from './reference.js';
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

type Call = (...args: unknown[]) => { loss: number | Float; grad: Float } | number | Float;
const call = (e: Engine, method: string): Call => untyped(e)[method];

const gammaArb = fc.constantFrom(0, 0.5, 1, 2, 2, 3.7);

interface SoftmaxParams {
  prec: Precision;
  shape: { n: number; c: number };
  logits: LogitParams;
  reduction: Reduction;
  gamma: number;
  alpha: 'none' | 'number' | 'per class';
  weight: 'none' | 'random';
  pIgnored: number;
  grad: 'default' | 'scalar' | 'array';
}

const softmaxArb: fc.Arbitrary<SoftmaxParams> = fc.record({
  prec: precisionArb,
  shape: shapeArb,
  logits: logitParamsArb,
  reduction: reductionArb,
  gamma: gammaArb,
  alpha: fc.constantFrom('none', 'number', 'per class'),
  weight: fc.constantFrom('none', 'random'),
  pIgnored: fc.constantFrom(0, 0.2, 1),
  grad: gradKindArb,
});

function softmaxCase(p: SoftmaxParams, withGrad: boolean) {
  const { n, c } = p.shape;
  const r = rng(p.logits.seed ^ 0x3c6ef372);
  const labels = Array.from({ length: n }, () => (r() < p.pIgnored ? -100 : Math.floor(r() * c)));
  const x = makeLogits(p.logits, n, c, p.prec, (i, k) => k !== labels[i]);
  const weight = p.weight === 'none' ? undefined : Array.from({ length: c }, () => (r() < 0.1 ? 0 : 3 * r()));
  const alpha = p.alpha === 'none' ? undefined : p.alpha === 'number' ? 0.25 : Array.from({ length: c }, () => r());
  const gradOutput = withGrad ? makeGradOutput(p.grad, p.reduction, n, p.logits.seed) : undefined;
  const read = (a: number[] | undefined) => a && a.map((v) => asRead(v, p.prec));
  const ref = refSoftmaxFocalLoss(x, labels, {
    classes: c, reduction: p.reduction, gamma: p.gamma, weight: read(weight),
    alpha: typeof alpha === 'number' ? asRead(alpha, p.prec) : read(alpha),
    gradOutput: Array.isArray(gradOutput) ? read(gradOutput) : gradOutput,
  });
  const opts = { classes: c, reduction: p.reduction, gamma: p.gamma, alpha, weight, gradOutput };
  return { args: [asInput(x, p.prec), Int32Array.from(labels), opts] as unknown[], ref, x };
}

interface SigmoidParams {
  prec: Precision;
  shape: { n: number; c: number };
  logits: LogitParams;
  targets: 'binary' | 'soft';
  reduction: Reduction;
  gamma: number;
  alpha: number | undefined;
  grad: 'default' | 'scalar' | 'array';
}

const sigmoidArb: fc.Arbitrary<SigmoidParams> = fc.record({
  prec: precisionArb,
  shape: shapeArb,
  logits: logitParamsArb,
  targets: fc.constantFrom('binary', 'soft'),
  reduction: reductionArb,
  gamma: gammaArb,
  alpha: fc.constantFrom(undefined, 0.25, 0.75, -1),
  grad: gradKindArb,
});

function sigmoidCase(p: SigmoidParams, withGrad: boolean) {
  const { n, c } = p.shape;
  const r = rng(p.logits.seed ^ 0x165667b1);
  const t = Array.from({ length: n * c }, () => asRead(p.targets === 'binary' ? (r() < 0.3 ? 1 : 0) : r(), p.prec));
  const x = makeLogits(p.logits, n, c, p.prec, () => false);
  const gradOutput = withGrad ? makeGradOutput(p.grad, p.reduction, n * c, p.logits.seed) : undefined;
  const read = (a: number[]) => a.map((v) => asRead(v, p.prec));
  const ref = refSigmoidFocalLoss(x, t, {
    classes: c, reduction: p.reduction, gamma: p.gamma, alpha: p.alpha === undefined ? undefined : asRead(p.alpha, p.prec),
    gradOutput: Array.isArray(gradOutput) ? read(gradOutput) : gradOutput,
  });
  const targets = p.prec === 'f64' ? Float64Array.from(t) : Float32Array.from(t);
  const opts = { classes: c, reduction: p.reduction, gamma: p.gamma, alpha: p.alpha, gradOutput };
  return { args: [asInput(x, p.prec), targets, opts] as unknown[], ref, x };
}

function check(engine: Engine, method: string, prec: Precision, k: ReturnType<typeof softmaxCase>): void {
  const withGrad = method.endsWith('WithGrad');
  const ctx = `${engine.backend} ${method}`;
  const got = call(engine, method)(...k.args);
  const r = (withGrad ? got : { loss: got }) as { loss: number | Float; grad?: Float };
  expectValues(`${ctx} loss`, r.loss, k.ref.loss, prec, 'loss');
  if (!withGrad) return;
  expectValues(`${ctx} grad`, r.grad, k.ref.grad, prec, 'grad', k.ref.gradAmp);
  const x = prec === 'f64' ? Float64Array.from(k.x) : Float32Array.from(k.x);
  const args = k.args.slice();
  args[0] = x;
  args[2] = { ...(args[2] as object), gradOut: x };
  const inPlace = call(engine, method)(...args) as { loss: number | Float; grad: Float };
  if (inPlace.grad !== x) throw new Error(`${ctx}: in place, grad is not the logits array`);
  expectIdentical(`${ctx} in-place grad`, x, r.grad!);
  expectIdentical(`${ctx} in-place loss`, inPlace.loss, r.loss);
}

describe.each(BACKENDS)('focal losses on %s', (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await engineFor(backend);
  });

  for (const method of ['softmaxFocalLoss', 'softmaxFocalLossWithGrad']) {
    it(`${method} equals the float64 reference`, () =>
      assertProperty(`${backend} ${method}`, softmaxArb, (p) => check(engine, method, p.prec, softmaxCase(p, method.endsWith('WithGrad'))), 120));
  }
  for (const method of ['sigmoidFocalLoss', 'sigmoidFocalLossWithGrad']) {
    it(`${method} equals the float64 reference (torchvision.ops.sigmoid_focal_loss)`, () =>
      assertProperty(`${backend} ${method}`, sigmoidArb, (p) => check(engine, method, p.prec, sigmoidCase(p, method.endsWith('WithGrad'))), 120));
  }

  it('softmaxFocalLoss with γ = 0 and no α is softmaxCrossEntropy (weights, ignored rows, gradient)', () => {
    const x = new Float64Array(Array.from({ length: 60 }, (_, i) => 2 * Math.sin(1.7 * i)));
    const labels = [0, 3, -100, 5, 2, 1];
    const weight = [1, 0.5, 2, 0, 1.5, 1, 3, 0.25, 1, 1];
    const focal = engine.softmaxFocalLossWithGrad(x, labels, { classes: 10, gamma: 0, weight });
    const ce = engine.softmaxCrossEntropyWithGrad(x, labels, { classes: 10, weight });
    expect(focal.loss).toBeCloseTo(ce.loss, 12);
    focal.grad.forEach((g, i) => expect(g).toBeCloseTo(ce.grad[i], 12));
  });

  it("sigmoidFocalLoss defaults: γ = 2, α = 0.25, reduction 'mean' (torchvision's default reduction is 'none')", () => {
    const x = new Float64Array([2, -1, 0.5, -3]);
    const t = new Float64Array([1, 0, 0, 1]);
    const none = engine.sigmoidFocalLoss(x, t, { reduction: 'none' });
    const explicit = engine.sigmoidFocalLoss(x, t, { gamma: 2, alpha: 0.25, reduction: 'mean' });
    expect(engine.sigmoidFocalLoss(x, t)).toBe(explicit);
    expect(explicit).toBeCloseTo(Array.from(none).reduce((a, b) => a + b, 0) / 4, 14);
  });

  it('README: focal loss worked examples', () => {
    const logits = new Float32Array([2.0, 0.5, -1.0, 0.1, 0.2, 3.0]);
    const labels = new Int32Array([0, 2]);
    expect(engine.softmaxFocalLoss(logits, labels, { classes: 3, gamma: 2 })).toBeCloseTo(0.0061369, 6);
    expect(engine.softmaxFocalLoss(logits, labels, { classes: 3, gamma: 2, alpha: [0.25, 0.5, 1] })).toBeCloseTo(0.0019771, 6);
    const boxes = new Float32Array([3.0, -2.0, 0.5, -0.5]);
    const hits = new Float32Array([1, 0, 1, 0]);
    const r = engine.sigmoidFocalLossWithGrad(boxes, hits, { reduction: 'none' });
    const want = [0.0000273208, 0.00135267, 0.0168934, 0.0506801];
    r.loss.forEach((v, i) => expect(v).toBeCloseTo(want[i], 6));
  });
});
