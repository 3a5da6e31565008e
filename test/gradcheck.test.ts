/**
 * Proves test/reference.ts: its gradients against central finite differences of its own losses
 * (float64), for every gradient method and every option combination on small random cases; the
 * engine's gradients against finite differences of the engine's own losses (every backend, float64
 * inputs); and the reference's losses and gradients against PyTorch's (test/golden/*.json).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../src/index.js';
import { BACKENDS, engineFor } from './backends.js';
import {
  type Loss,
  type RefResult,
  type Reduction,
  refCrossEntropy,
  refEntropy,
  refKlDivergence,
  refLogSoftmax,
  refSigmoidCrossEntropy,
  refSoftmax,
  refSoftmaxCrossEntropy,
  refSoftmaxCrossEntropyDense,
} from './reference.js';
import { decode, loadGolden, type GoldenCase, type Num } from './golden-helpers.js';
import { rng } from './random.js';


function seedOf(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** A standard normal draw (Box–Muller). */
function normal(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

const N = 3;
const C = 4;
const REDUCTIONS: Reduction[] = ['mean', 'sum', 'none'];

/** gradOutput variants: the default (1), a scalar, and for 'none' one per row (or element). */
type GradOutputKind = 'default' | 'scalar' | 'array';
function gradOutputKinds(reduction: Reduction): GradOutputKind[] {
  return reduction === 'none' ? ['default', 'scalar', 'array'] : ['default', 'scalar'];
}
function makeGradOutput(kind: GradOutputKind, count: number, r: () => number): number | Float64Array | undefined {
  if (kind === 'default') return undefined;
  if (kind === 'scalar') return -1.7;
  return Float64Array.from({ length: count }, () => 2 * r() - 0.5);
}

/**
 * The scalar objective autograd differentiates: g·loss for 'mean' / 'sum', Σ_i g_i·loss_i for
 * 'none' (g = gradOutput, one number or one per row / element; default 1).
 */
function objective(loss: AnyLoss, gradOutput: number | ArrayLike<number> | undefined): number {
  if (typeof loss === 'number') return (typeof gradOutput === 'number' ? gradOutput : 1) * loss;
  let s = 0;
  for (let i = 0; i < loss.length; i++) {
    const g = gradOutput === undefined ? 1 : typeof gradOutput === 'number' ? gradOutput : gradOutput[i];
    s += g * loss[i];
  }
  return s;
}

/** A loss from the reference or the engine: a number, or one per row / element. */
type AnyLoss = number | ArrayLike<number>;

const H = 1e-5;

/** Central differences of f at x: (f(x + h·e_j) − f(x − h·e_j)) / 2h for every j. */
function finiteDifferences(x: Float64Array, f: (x: Float64Array) => number): Float64Array {
  const out = new Float64Array(x.length);
  for (let j = 0; j < x.length; j++) {
    const xp = Float64Array.from(x);
    const xm = Float64Array.from(x);
    xp[j] += H;
    xm[j] -= H;
    out[j] = (f(xp) - f(xm)) / (2 * H);
  }
  return out;
}

/** Asserts |analytic − numeric| ≤ 1e-7 + 1e-6·|numeric| entrywise, naming the first failure. */
function expectGradClose(what: string, analytic: ArrayLike<number>, numeric: Float64Array): void {
  expect(analytic.length, `${what}: gradient length`).toBe(numeric.length);
  for (let j = 0; j < numeric.length; j++) {
    const err = Math.abs(analytic[j] - numeric[j]);
    if (!(err <= 1e-7 + 1e-6 * Math.abs(numeric[j]))) {
      throw new Error(
        `${what}: grad[${j}] (row ${Math.floor(j / C)}, class ${j % C}) analytic ${analytic[j]}, finite difference ${numeric[j]} (|Δ| ${err})`,
      );
    }
  }
}

/** A gradient-method case: what the reference and the engine are called with. */
interface GradCase {
  name: string;
  logits: Float64Array;
  gradOutput: number | Float64Array | undefined;
  ref: (x: Float64Array) => RefResult;
  engineLoss: (e: Engine, x: Float64Array) => AnyLoss;
  engineGrad: (e: Engine, x: Float64Array) => { loss: AnyLoss; grad: ArrayLike<number> };
}

function randomLogits(r: () => number, count: number): Float64Array {
  return Float64Array.from({ length: count }, () => 2 * normal(r));
}

// ----- softmaxCrossEntropy (class indices) -----

type LabelKind = 'plain' | 'some ignored (-100)' | 'custom ignoreIndex 1' | 'all ignored' | 'zero-weight labels';

function sparseCases(): GradCase[] {
  const out: GradCase[] = [];
  for (const reduction of REDUCTIONS)
    for (const weighted of [false, true])
      for (const eps of [0, 0.2])
        for (const labelKind of ['plain', 'some ignored (-100)', 'custom ignoreIndex 1', 'all ignored', 'zero-weight labels'] as LabelKind[])
          for (const g of gradOutputKinds(reduction)) {
            if (labelKind === 'zero-weight labels' && !weighted) continue;
            const name = `softmaxCrossEntropy reduction=${reduction} weight=${weighted} labelSmoothing=${eps} labels: ${labelKind} gradOutput=${g}`;
            const r = rng(seedOf(name));
            const logits = randomLogits(r, N * C);
            const weight = weighted ? Float64Array.from({ length: C }, () => 0.2 + 1.8 * r()) : undefined;
            let labels = Int32Array.from({ length: N }, () => Math.floor(r() * C));
            let ignoreIndex: number | undefined;
            if (labelKind === 'some ignored (-100)') labels[1] = -100;
            if (labelKind === 'custom ignoreIndex 1') {
              ignoreIndex = 1;
              labels = Int32Array.from([1, 0, 3]);
            }
            if (labelKind === 'all ignored') labels.fill(-100);
            if (labelKind === 'zero-weight labels') {
              // Σ of the counted weights is 0: the mean is 0 (xent's decision), with gradient 0.
              weight![2] = 0;
              labels.fill(2);
            }
            const gradOutput = makeGradOutput(g, N, r);
            const opts = { classes: C, reduction, weight, ignoreIndex, labelSmoothing: eps };
            out.push({
              name,
              logits,
              gradOutput,
              ref: (x) => refSoftmaxCrossEntropy(x, labels, { ...opts, gradOutput }),
              engineLoss: (e, x) => e.softmaxCrossEntropy(x, labels, opts),
              engineGrad: (e, x) => e.softmaxCrossEntropyWithGrad(x, labels, { ...opts, gradOutput }),
            });
          }
  return out;
}

// ----- softmaxCrossEntropyDense (probability targets) -----

type TargetKind = 'soft' | 'one-hot' | 'unnormalized';

function denseTargets(kind: TargetKind, r: () => number): Float64Array {
  const t = new Float64Array(N * C);
  for (let i = 0; i < N; i++) {
    if (kind === 'one-hot') {
      t[i * C + Math.floor(r() * C)] = 1;
      continue;
    }
    let s = 0;
    for (let k = 0; k < C; k++) s += t[i * C + k] = r() < 0.25 ? 0 : r();
    if (kind === 'soft') for (let k = 0; k < C; k++) t[i * C + k] = s === 0 ? 1 / C : t[i * C + k] / s;
  }
  return t;
}

function denseCases(): GradCase[] {
  const out: GradCase[] = [];
  for (const reduction of REDUCTIONS)
    for (const weighted of [false, true])
      for (const eps of [0, 0.2])
        for (const kind of ['soft', 'one-hot', 'unnormalized'] as TargetKind[])
          for (const g of gradOutputKinds(reduction)) {
            const name = `softmaxCrossEntropyDense reduction=${reduction} weight=${weighted} labelSmoothing=${eps} targets: ${kind} gradOutput=${g}`;
            const r = rng(seedOf(name));
            const logits = randomLogits(r, N * C);
            const targets = denseTargets(kind, r);
            const weight = weighted ? Float64Array.from({ length: C }, (_, k) => (k === 1 ? 0 : 0.2 + 1.8 * r())) : undefined;
            const gradOutput = makeGradOutput(g, N, r);
            const opts = { classes: C, reduction, weight, labelSmoothing: eps };
            out.push({
              name,
              logits,
              gradOutput,
              ref: (x) => refSoftmaxCrossEntropyDense(x, targets, { ...opts, gradOutput }),
              engineLoss: (e, x) => e.softmaxCrossEntropyDense(x, targets, opts),
              engineGrad: (e, x) => e.softmaxCrossEntropyDenseWithGrad(x, targets, { ...opts, gradOutput }),
            });
          }
  return out;
}

// ----- sigmoidCrossEntropy (binary cross-entropy with logits) -----

type SigmoidWeight = 'none' | 'per class' | 'per element';
type PosWeight = 'none' | 'scalar' | 'per class';

function sigmoidCases(): GradCase[] {
  const out: GradCase[] = [];
  for (const reduction of REDUCTIONS)
    for (const wKind of ['none', 'per class', 'per element'] as SigmoidWeight[])
      for (const pwKind of ['none', 'scalar', 'per class'] as PosWeight[])
        for (const g of gradOutputKinds(reduction)) {
          const name = `sigmoidCrossEntropy reduction=${reduction} weight=${wKind} posWeight=${pwKind} gradOutput=${g}`;
          const r = rng(seedOf(name));
          const logits = randomLogits(r, N * C);
          // Targets in [0, 1], with exact 0s and 1s among them.
          const targets = Float64Array.from({ length: N * C }, () => {
            const u = r();
            return u < 0.3 ? 0 : u < 0.6 ? 1 : r();
          });
          const weight =
            wKind === 'none' ? undefined : Float64Array.from({ length: wKind === 'per class' ? C : N * C }, () => (r() < 0.15 ? 0 : 0.2 + 1.8 * r()));
          const posWeight = pwKind === 'none' ? undefined : pwKind === 'scalar' ? 2.5 : Float64Array.from({ length: C }, () => 3 * r());
          const gradOutput = makeGradOutput(g, N * C, r);
          const opts = { classes: C, reduction, weight, posWeight };
          out.push({
            name,
            logits,
            gradOutput,
            ref: (x) => refSigmoidCrossEntropy(x, targets, { ...opts, gradOutput }),
            engineLoss: (e, x) => e.sigmoidCrossEntropy(x, targets, opts),
            engineGrad: (e, x) => e.sigmoidCrossEntropyWithGrad(x, targets, { ...opts, gradOutput }),
          });
        }
  return out;
}

const CASES: Record<string, GradCase[]> = {
  softmaxCrossEntropyWithGrad: sparseCases(),
  softmaxCrossEntropyDenseWithGrad: denseCases(),
  sigmoidCrossEntropyWithGrad: sigmoidCases(),
};

describe('the reference gradients equal central finite differences of the reference losses (float64)', () => {
  for (const [method, cases] of Object.entries(CASES)) {
    describe(method, () => {
      it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
        const got = c.ref(c.logits);
        const numeric = finiteDifferences(c.logits, (x) => objective(c.ref(x).loss, c.gradOutput));
        expectGradClose(`reference ${c.name}`, got.grad, numeric);
      });
    });
  }
});

describe('the zero cases of the reference (xent decisions): gradient exactly 0', () => {
  it('mean over all-ignored rows and over zero counted weight', () => {
    const x = Float64Array.from([1, 2, 3, -1, 0, 4]);
    const allIgnored = refSoftmaxCrossEntropy(x, [-100, -100], { classes: 3 });
    expect(allIgnored.loss).toBe(0);
    expect([...allIgnored.grad].every((v) => v === 0)).toBe(true);
    const zeroWeight = refSoftmaxCrossEntropy(x, [1, 1], { classes: 3, weight: [1, 0, 1], labelSmoothing: 0.3 });
    expect(zeroWeight.loss).toBe(0);
    expect([...zeroWeight.grad].every((v) => v === 0)).toBe(true);
  });

  it('a zero dense coefficient against a -inf logit contributes 0 loss and 0 gradient', () => {
    const x = [0.5, -Infinity, 1.5];
    const r = refSoftmaxCrossEntropyDense(x, [0.25, 0, 0.75], { classes: 3, reduction: 'none' });
    expect(Number.isFinite((r.loss as Float64Array)[0])).toBe(true);
    expect(r.grad[1]).toBe(0);
    const weighted = refSoftmaxCrossEntropyDense(x, [0.25, 0.5, 0.25], { classes: 3, weight: [1, 0, 1], labelSmoothing: 0.1 });
    expect(Number.isFinite(weighted.loss as number)).toBe(true);
  });
});

describe.each(BACKENDS)('the engine gradients equal central finite differences of the engine losses (float64, %s backend)', (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await engineFor(backend);
  });
  for (const [method, cases] of Object.entries(CASES)) {
    describe(method, () => {
      it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
        const got = c.engineGrad(engine, c.logits);
        expect(got.grad).toBeInstanceOf(Float64Array);
        const numeric = finiteDifferences(c.logits, (x) => objective(c.engineLoss(engine, x), c.gradOutput));
        expectGradClose(`${backend} ${c.name}`, got.grad, numeric);
      });
    });
  }
});

// ----- The reference against PyTorch -----

/** The reference run on one golden case: what it would answer for `want`. */
function referenceFor(gc: GoldenCase): { loss?: Loss; grad?: Float64Array; out?: Float64Array } {
  const f32 = gc.dtype === 'float32';
  // A float32 case's inputs are the float32 values its decimals read back to.
  const nums = (v: readonly Num[] | undefined) => (v ?? []).map((d) => (f32 ? Math.fround(decode(d)) : decode(d)));
  // The engine reads float32 inputs' side arrays (weights, gradOutput) as float32: so does PyTorch.
  const side = (v: unknown) => (Array.isArray(v) ? (f32 ? Float32Array.from(v.map(decode)) : Float64Array.from(v.map(decode))) : v);
  const opts: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(gc.opts)) opts[k] = k === 'weight' || k === 'posWeight' ? side(v) : v;
  if (typeof opts.posWeight === 'number' && f32) opts.posWeight = Math.fround(opts.posWeight);
  const gradOutput = side(gc.gradOutput) as number | Float64Array | undefined;
  const o = { ...opts, classes: gc.classes, gradOutput } as never;
  const x = nums(gc.logits);
  switch (gc.method) {
    case 'softmaxCrossEntropy':
      return refSoftmaxCrossEntropy(x, gc.labels!, o);
    case 'softmaxCrossEntropyDense':
      return refSoftmaxCrossEntropyDense(x, nums(gc.targets), o);
    case 'sigmoidCrossEntropy':
      return refSigmoidCrossEntropy(x, nums(gc.targets), o);
    case 'crossEntropy':
      return { loss: refCrossEntropy(nums(gc.p), nums(gc.q), o) };
    case 'entropy':
      return { loss: refEntropy(nums(gc.p), o) };
    case 'klDivergence':
      return { loss: refKlDivergence(nums(gc.p), nums(gc.q), o) };
    case 'softmax':
      return { out: refSoftmax(x, o) };
    case 'logSoftmax':
      return { out: refLogSoftmax(x, o) };
  }
}

let goldenCompared = 0;

/** |ref − torch| ≤ 1e-8·max(1, |torch|) (the JSON holds float32 expectations to 9 digits). */
function goldenProblems(what: string, got: Loss | undefined, want: Num | readonly Num[] | undefined): string[] {
  if (want === undefined) return [];
  const w = (Array.isArray(want) ? want : [want]).map(decode);
  const g = got === undefined ? [] : typeof got === 'number' ? [got] : [...got];
  if (g.length !== w.length) return [`${what}: length ${g.length}, torch ${w.length}`];
  const out: string[] = [];
  goldenCompared += w.length;
  for (let i = 0; i < w.length; i++) {
    const ok = Number.isNaN(w[i]) ? Number.isNaN(g[i]) : Number.isFinite(w[i]) ? Math.abs(g[i] - w[i]) <= 1e-8 * Math.max(1, Math.abs(w[i])) : g[i] === w[i];
    if (!ok) out.push(`${what}[${i}]: reference ${g[i]}, torch ${w[i]}`);
  }
  return out;
}

describe('the reference equals PyTorch on every golden case (test/golden/*.json)', () => {
  const files = loadGolden();
  it.each(files.map((f) => [f.file, f] as const))('%s', (_file, f) => {
    const problems: string[] = [];
    const before = goldenCompared;
    for (const gc of f.cases) {
      const ref = referenceFor(gc);
      problems.push(
        ...goldenProblems(`${gc.name} loss`, ref.loss, gc.want.loss),
        ...goldenProblems(`${gc.name} grad`, ref.grad, gc.want.grad),
        ...goldenProblems(`${gc.name} out`, ref.out, gc.want.out),
      );
    }
    expect(problems.slice(0, 20)).toEqual([]);
    expect(goldenCompared - before, 'values compared').toBeGreaterThan(f.cases.length);
  });
});
