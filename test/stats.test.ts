/**
 * softmaxCrossEntropy with `stats: true` (and its WithGrad twin) on every backend: per-row
 * log-sum-exp, torch.argmax predictions (lowest index on ties, first NaN), correctness,
 * accuracy over counted rows and perplexity, against the float64 reference, with every other
 * option (weights, ignored rows, smoothing, zLoss, softcap, in-place gradients); the edge rows
 * (NaN, ±inf, all -inf) one by one; and the README's worked example.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine, SoftmaxStats } from '../src/index.js';
import { BACKENDS, engineFor } from './backends.js';
import { argmaxRow, refSoftmaxCrossEntropy } from './reference.js';
import {
  type LogitParams,
  type Precision,
  type Reduction,
  Mismatch,
  asInput,
  asRead,
  assertProperty,
  expectIdentical,
  expectValues,
  logitParamsArb,
  makeLogits,
  precisionArb,
  reductionArb,
  rng,
  shapeArb,
} from './extras-cases.js';

interface Params {
  prec: Precision;
  shape: { n: number; c: number };
  logits: LogitParams;
  reduction: Reduction;
  weight: boolean;
  smoothing: number;
  pIgnored: number;
  zLoss: number;
  softcap: number | undefined;
  pNaN: number;
  withGrad: boolean;
  inPlace: boolean;
}

const paramsArb: fc.Arbitrary<Params> = fc.record({
  prec: precisionArb,
  shape: shapeArb,
  logits: logitParamsArb,
  reduction: reductionArb,
  weight: fc.boolean(),
  smoothing: fc.constantFrom(0, 0, 0.1),
  pIgnored: fc.constantFrom(0, 0.2, 1),
  zLoss: fc.constantFrom(0, 0, 1e-4),
  softcap: fc.constantFrom(undefined, undefined, 5, 30),
  pNaN: fc.constantFrom(0, 0, 0.01),
  withGrad: fc.boolean(),
  inPlace: fc.boolean(),
});

/** The stats equal the reference's: lse within the loss tolerance, predictions exactly, perplexity in log space. */
function expectStats(ctx: string, got: SoftmaxStats, want: ReturnType<typeof refSoftmaxCrossEntropy>['stats'], prec: Precision, lossScale: number): void {
  expectValues(`${ctx} lse`, got.lse, want.lse, prec, 'loss', undefined, lossScale);
  expectIdentical(`${ctx} predicted`, got.predicted, want.predicted);
  if (!(got.predicted instanceof Int32Array) || !(got.correct instanceof Uint8Array)) throw new Mismatch(`${ctx}: predicted / correct types`);
  expectIdentical(`${ctx} correct`, got.correct, want.correct);
  expectIdentical(`${ctx} counts`, [got.correctCount, got.counted], [want.correctCount, want.counted]);
  expectIdentical(`${ctx} accuracy`, got.accuracy, want.accuracy);
  expectValues(`${ctx} log perplexity`, Math.log(got.perplexity), Math.log(want.perplexity), prec, 'loss', undefined, lossScale);
}

function check(engine: Engine, p: Params): void {
  const { n, c } = p.shape;
  const r = rng(p.logits.seed ^ 0x9e3779b9);
  const labels = Array.from({ length: n }, () => (r() < p.pIgnored ? -100 : Math.floor(r() * c)));
  const x = makeLogits(p.logits, n, c, p.prec, (i, k) => k !== labels[i]).map((v) => (r() < p.pNaN ? NaN : v));
  const weight = p.weight ? Array.from({ length: c }, () => 3 * r()) : undefined;
  const ref = refSoftmaxCrossEntropy(x, labels, {
    classes: c, reduction: p.reduction, weight: weight?.map((v) => asRead(v, p.prec)), labelSmoothing: p.smoothing, zLoss: p.zLoss, softcap: p.softcap,
  });
  const gradOut = p.inPlace && p.withGrad ? (p.prec === 'f64' ? Float64Array.from(x) : Float32Array.from(x)) : undefined;
  const logits = gradOut ?? asInput(x, p.prec);
  const opts = {
    classes: c, reduction: p.reduction, weight, labelSmoothing: p.smoothing || undefined, zLoss: p.zLoss || undefined,
    softcap: p.softcap, stats: true, gradOut,
  } as const;
  const ctx = `${engine.backend} stats${p.withGrad ? ' with grad' : ''}${opts.gradOut ? ' in place' : ''}`;
  const got = p.withGrad ? engine.softmaxCrossEntropyWithGrad(logits, labels, opts) : engine.softmaxCrossEntropy(logits, labels, opts);
  if ('zLoss' in got) throw new Mismatch(`${ctx}: zLoss returned without returnZLoss`);
  expectValues(`${ctx} loss`, got.loss, ref.loss, p.prec, 'loss');
  // The cap's f32 tanh moves each capped logit by up to 2.4e-7 of the cap.
  expectStats(ctx, got.stats, ref.stats, p.prec, p.softcap && p.prec !== 'f64' ? Math.max(1, p.softcap / 10) : 1);
}

describe.each(BACKENDS)('stats on %s', (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await engineFor(backend);
  });

  it('equal the float64 reference, with every other option, loss-only and with the gradient (in place too)', () =>
    assertProperty(`${backend} stats`, paramsArb, (p) => check(engine, p), 150));

  it('predicted: the lowest index among equal maxima, the first NaN, +inf, rows of -inf; ignored rows', () => {
    const rows = [
      [1, 3, 3, 0], // tie: 1
      [1, NaN, 5, NaN], // first NaN: 1
      [2, Infinity, 1, Infinity], // first +inf: 1 (loss NaN)
      [Infinity, 0, NaN, 1], // NaN beats +inf: 2
      [-Infinity, -Infinity, -Infinity, -Infinity], // all -inf: 0
      [-Infinity, NaN, -Infinity, 0], // NaN: 1
      [-Infinity, -Infinity, 2, -Infinity], // 2
      [7, 7, 7, 7], // ignored
    ];
    const labels = [2, 0, 1, 3, 0, 3, 2, -100];
    const want = rows.map((row, i) => (labels[i] === -100 ? -1 : argmaxRow(row)));
    expect(want).toEqual([1, 1, 1, 2, 0, 1, 2, -1]);
    for (const F of [Float32Array, Float64Array]) {
      for (const inPlace of [false, true]) {
        const x = F.from(rows.flat());
        const r = inPlace
          ? engine.softmaxCrossEntropyWithGrad(x, labels, { classes: 4, stats: true, gradOut: x, reduction: 'none' })
          : engine.softmaxCrossEntropy(x, labels, { classes: 4, stats: true, reduction: 'none' });
        expect(Array.from(r.stats.predicted), `${F.name}${inPlace ? ' in place' : ''}`).toEqual(want);
        expect(Array.from(r.stats.correct)).toEqual([0, 0, 1, 0, 1, 0, 1, 0]);
        expect(r.stats.counted).toBe(7);
        expect(r.stats.lse[7]).toBeNaN();
        expect(r.stats.lse[6]).toBe(2);
      }
    }
  });

  it('perplexity is exp(loss) of a plain mean call; nothing counted gives accuracy 0 and perplexity 1', () => {
    const x = new Float64Array(Array.from({ length: 50 }, (_, i) => Math.cos(i * 0.37) * 4));
    const labels = [3, 9, 0, 4, 7];
    const r = engine.softmaxCrossEntropy(x, labels, { classes: 10, stats: true });
    expect(r.stats.perplexity).toBeCloseTo(Math.exp(r.loss), 12);
    const none = engine.softmaxCrossEntropy(x, [-100, -100, -100, -100, -100], { classes: 10, stats: true });
    expect(none.loss).toBe(0);
    expect([none.stats.accuracy, none.stats.perplexity, none.stats.counted, none.stats.correctCount]).toEqual([0, 1, 0, 0]);
  });

  it('asking for stats changes neither the loss nor the gradient', () => {
    const x = new Float32Array(Array.from({ length: 3000 }, (_, i) => Math.sin(i * 1.3) * 5));
    const labels = Array.from({ length: 3 }, (_, i) => (i * 377) % 1000);
    const plain = engine.softmaxCrossEntropyWithGrad(x, labels, { classes: 1000, zLoss: 1e-4 });
    const withStats = engine.softmaxCrossEntropyWithGrad(x, labels, { classes: 1000, zLoss: 1e-4, stats: true });
    expect(withStats.loss).toBe(plain.loss);
    expectIdentical('grad', withStats.grad, plain.grad);
  });

  it('README: the statistics worked example', () => {
    const logits = new Float32Array([2.0, 0.5, -1.0, 0.1, 0.2, 3.0, 1.0, 1.5, 0.2]);
    const labels = new Int32Array([0, 2, 0]);
    const { loss, stats } = engine.softmaxCrossEntropy(logits, labels, { classes: 3, stats: true });
    expect(Array.from(stats.predicted)).toEqual([0, 2, 1]);
    expect(Array.from(stats.correct)).toEqual([1, 1, 0]);
    expect(stats.accuracy).toBeCloseTo(2 / 3, 12);
    expect(stats.perplexity).toBeCloseTo(Math.exp(loss), 6);
    expect(stats.perplexity).toBeCloseTo(1.6387, 4);
  });
});
