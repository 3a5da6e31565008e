/**
 * Property tests: every method on every available backend against the float64 reference
 * (test/reference.ts), on random shapes, values and options; and properties of the API itself
 * (in-place gradients, gradOut, 'sum' = Σ 'none', no dependence on earlier calls).
 *
 * Tolerances (|got − want|, want from the reference on the very values the engine reads):
 * - float32 inputs: losses and log-probabilities ≤ 2e-5·max(1, |want|); gradient entries and
 *   probabilities ≤ 1e-6·max(1, amp) + 2e-5·|want|;
 * - float64 inputs: ≤ 1e-12 + 1e-10·|want| (losses), 1e-12·max(1, amp) + 1e-10·|want| (gradients);
 * - a non-finite want must be matched exactly (NaN by NaN).
 * `amp` is the size of the terms a gradient entry is the difference of (reference.ts, gradAmp):
 * with unit weights and gradOutput it is at most 2, so the absolute term is the stated 1e-6 (or
 * 1e-12); a gradient scaled up by weights, gradOutput or a small mean denominator gets a
 * proportionally scaled absolute tolerance, as float32 arithmetic can do no better.
 *
 * Counterexamples print as one line of parameters plus, when small, the arrays themselves; the
 * failure message names the backend, the output and index (row, class), got, want and tolerance,
 * and the inputs of the offending row.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Engine } from '../src/index.js';
import { BACKENDS, engineFor, untyped } from './backends.js';
import {
  type RefResult,
  refCrossEntropy,
  refEntropy,
  refKlDivergence,
  refLogSoftmax,
  refSigmoidCrossEntropy,
  refSoftmax,
  refSoftmaxCrossEntropy,
  refSoftmaxCrossEntropyDense,
} from './reference.js';
import { rng } from './random.js';
import { guardsOf, viewOf } from './arrays.js';

// =============================================================================================
// Random numbers: arrays are filled from a seeded PRNG (fast and compact to print); fast-check
// draws and shrinks the seed, the shape and every distribution parameter.
// =============================================================================================


function normal(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

type Precision = 'f32' | 'f64' | 'number[]';
/** How a side array (weight, posWeight, gradOutput array) is passed. */
type Container = 'same typed' | 'number[]' | 'other typed' | 'view';
type Reduction = 'mean' | 'sum' | 'none';
type Float = Float32Array | Float64Array;

const precisionArb = fc.constantFrom<Precision>('f32', 'f64', 'number[]');
const containerArb = fc.constantFrom<Container>('same typed', 'number[]', 'other typed', 'view');
const reductionArb = fc.constantFrom<Reduction>('mean', 'sum', 'none');

/**
 * n in 0..40 and c in 1..70; occasionally wide rows (c up to 3000), many rows (more elements than
 * the wasm backends stage in one block) or rows wider than a block. `view`: the main input is a
 * subarray in the middle of a larger buffer whose other entries are NaN.
 */
interface Shape {
  n: number;
  c: number;
  view: boolean;
}
const shapeArb: fc.Arbitrary<Shape> = fc.oneof(
  { weight: 40, arbitrary: fc.record({ n: fc.integer({ min: 0, max: 40 }), c: fc.integer({ min: 1, max: 70 }), view: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ n: fc.integer({ min: 0, max: 6 }), c: fc.integer({ min: 71, max: 3000 }), view: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ n: fc.integer({ min: 100, max: 400 }), c: fc.integer({ min: 30, max: 200 }), view: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ n: fc.integer({ min: 1, max: 3 }), c: fc.integer({ min: 16000, max: 40000 }), view: fc.boolean() }) },
);

/** How logits are drawn. */
interface LogitParams {
  seed: number;
  /** Normal scale; 0 mixes the scales 0.1, 1, 3 and 10 element by element. */
  scale: number;
  /** Probability of a large magnitude, ±(40..100). */
  pBig: number;
  /** Probability of -Infinity at a non-target class (where the method allows one). */
  pNegInf: number;
  /** Small integers only: ties, equal maxima, constant rows. */
  ties: boolean;
}

const logitParamsArb: fc.Arbitrary<LogitParams> = fc.record({
  seed: fc.nat(),
  scale: fc.constantFrom(1, 0, 0.1, 3, 10),
  pBig: fc.constantFrom(0, 0, 0.03, 0.3),
  pNegInf: fc.constantFrom(0, 0, 0.05, 0.5),
  ties: fc.boolean(),
});

const MIX = [0.1, 1, 3, 10];

/** One logit value. */
function logitValue(p: LogitParams, r: () => number): number {
  if (r() < p.pBig) return (r() < 0.5 ? -1 : 1) * (40 + 60 * r());
  if (p.ties) return Math.round(2 * normal(r));
  const scale = p.scale === 0 ? MIX[Math.floor(r() * MIX.length)] : p.scale;
  return scale * normal(r);
}

/**
 * Logits [n, c]; -Infinity only where `allowInf(i, k)` (never at row i's target), rounded to
 * float32 unless the precision is f64.
 */
function makeLogits(p: LogitParams, n: number, c: number, prec: Precision, allowInf: (i: number, k: number) => boolean): number[] {
  const r = rng(p.seed);
  const out: number[] = [];
  for (let i = 0; i < n; i++)
    for (let k = 0; k < c; k++) {
      const v = p.pNegInf > 0 && allowInf(i, k) && r() < p.pNegInf ? -Infinity : logitValue(p, r);
      out.push(prec === 'f64' ? v : Math.fround(v));
    }
  return out;
}

/** The main input as the precision says: a typed array (or a view), or number[] (read as float32). */
function mainArray(values: number[], prec: Precision, view = false): Float32Array | Float64Array | number[] {
  if (prec === 'number[]') return values.slice();
  const a = prec === 'f64' ? Float64Array.from(values) : Float32Array.from(values);
  return view ? viewOf(a, NaN) : a;
}

/** A side array in the requested container; values are rounded to float32 unless f64. */
function sideArray(values: number[], prec: Precision, container: Container): Float32Array | Float64Array | number[] {
  const v = prec === 'f64' ? values : values.map(Math.fround);
  const f64 = prec === 'f64';
  if (container === 'number[]') return v.slice();
  if (container === 'same typed') return f64 ? Float64Array.from(v) : Float32Array.from(v);
  if (container === 'view') return viewOf(f64 ? Float64Array.from(v) : Float32Array.from(v), NaN);
  return f64 ? Float32Array.from(v) : Float64Array.from(v);
}

/** The number a side value reads as in the engine (float32 unless the computation is f64). */
function asRead(v: number, prec: Precision): number {
  return prec === 'f64' ? v : Math.fround(v);
}

// =============================================================================================
// Printing
// =============================================================================================

function fmt(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  return Object.is(v, -0) ? '-0' : String(Number(v.toPrecision(9)));
}

function fmtArray(a: ArrayLike<number | bigint>, max = 24): string {
  const name = Array.isArray(a) ? '' : (a as object).constructor.name;
  const items = Array.from({ length: Math.min(a.length, max) }, (_, i) => (typeof a[i] === 'bigint' ? `${a[i]}n` : fmt(a[i] as number)));
  return `${name}[${items.join(', ')}${a.length > max ? `, … (${a.length})` : ''}]`;
}

function fmtValue(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (typeof v === 'number') return fmt(v);
  if (typeof v === 'string') return `'${v}'`;
  if (Array.isArray(v) || ArrayBuffer.isView(v)) return fmtArray(v as ArrayLike<number>);
  return String(v);
}

function fmtOptions(o: Record<string, unknown>): string {
  return `{ ${Object.entries(o)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${fmtValue(v)}`)
    .join(', ')} }`;
}

/** Rows of a flat array, for the counterexample (all of it when small). */
function fmtRows(x: ArrayLike<number>, c: number): string {
  if (x.length > 96) return `<${x.length / c}×${c}>`;
  const rows: string[] = [];
  for (let off = 0; off < x.length; off += c) rows.push(fmtArray(Array.prototype.slice.call(x, off, off + c), 96).replace(/^\w*/, ''));
  return `${Array.isArray(x) ? 'number[]' : (x as object).constructor.name}[${rows.join(', ')}]`;
}

/** Attaches the one-line description fast-check prints for a counterexample. */
function printable<T extends object>(value: T, describeFn: (v: T) => string): T {
  Object.defineProperty(value, fc.toStringMethod, { value: () => describeFn(value), enumerable: false });
  return value;
}

// =============================================================================================
// Comparison with the reference
// =============================================================================================

type Kind = 'loss' | 'prob';

function tolerance(prec: Precision, kind: Kind, want: number, amp = 0): number {
  const a = Math.abs(want);
  if (prec === 'f64') return kind === 'loss' ? 1e-12 + 1e-10 * a : 1e-12 * Math.max(1, amp) + 1e-10 * a;
  return kind === 'loss' ? 2e-5 * Math.max(1, a) : 1e-6 * Math.max(1, amp) + 2e-5 * a;
}

/**
 * XENT_PROPERTY_MARGINS=1 prints, per backend, output and precision, the largest |got − want| /
 * tolerance seen (how much room each backend has).
 */
const MARGINS = globalThis.process?.env.XENT_PROPERTY_MARGINS ? new Map<string, { ratio: number; at: string }>() : null;
let marginKey = '';
let marginCase: () => string = () => '';

function noteMargin(got: number, want: number, tol: number, at: () => string): void {
  if (!MARGINS || !Number.isFinite(want)) return;
  const ratio = Math.abs(got - want) / tol;
  const m = MARGINS.get(marginKey);
  if (!m || ratio > m.ratio) MARGINS.set(marginKey, { ratio, at: `${at()} in ${marginCase()}` });
}

function close(got: number, want: number, tol: number): boolean {
  if (Number.isNaN(want)) return Number.isNaN(got);
  if (!Number.isFinite(want)) return got === want;
  return Math.abs(got - want) <= tol;
}

/** What a failure message says about a position: (row, class) and the inputs of that row. */
type Where = (index: number) => string;

class Mismatch extends Error {}

function expectNumber(what: string, got: unknown, want: number, prec: Precision): void {
  if (typeof got !== 'number') throw new Mismatch(`${what}: expected a number, got ${fmtValue(got)}`);
  const tol = tolerance(prec, 'loss', want);
  noteMargin(got, want, tol, () => `${what}: got ${got}, want ${want}`);
  if (!close(got, want, tol)) throw new Mismatch(`${what}: got ${got}, want ${want} (|Δ| ${Math.abs(got - want)}, tolerance ${tol})`);
}

function expectArray(what: string, got: unknown, want: ArrayLike<number>, prec: Precision, kind: Kind, where: Where, amp?: ArrayLike<number>): void {
  const Type = prec === 'f64' ? Float64Array : Float32Array;
  if (!(got instanceof Type)) throw new Mismatch(`${what}: expected a ${Type.name}, got ${fmtValue(got)}`);
  if (got.length !== want.length) throw new Mismatch(`${what}: length ${got.length}, expected ${want.length}`);
  let bad = 0;
  let first = '';
  for (let i = 0; i < want.length; i++) {
    const tol = tolerance(prec, kind, want[i], amp ? amp[i] : 0);
    noteMargin(got[i], want[i], tol, () => `${what}[${i}] ${where(i)}: got ${got[i]}, want ${want[i]}, amp ${amp ? amp[i] : '-'}`);
    if (close(got[i], want[i], tol)) continue;
    if (bad++ === 0) first = `${what}[${i}] ${where(i)}: got ${got[i]}, want ${want[i]} (|Δ| ${Math.abs(got[i] - want[i])}, tolerance ${tol})`;
  }
  if (bad) throw new Mismatch(`${first}${bad > 1 ? ` — and ${bad - 1} more entries of ${what} out of tolerance` : ''}`);
}

function expectLoss(what: string, got: unknown, want: number | Float64Array, prec: Precision, where: Where): void {
  if (typeof want === 'number') expectNumber(what, got, want, prec);
  else expectArray(what, got, want, prec, 'loss', where);
}

/** Snapshot of the inputs, to check that a call leaves them alone. */
function snapshot(arrays: Record<string, unknown>): () => void {
  const copies = Object.entries(arrays)
    .filter(([, v]) => Array.isArray(v) || ArrayBuffer.isView(v))
    .map(([k, v]) => [k, v, Array.from(v as ArrayLike<number>)] as const);
  return () => {
    for (const [k, v, copy] of copies) {
      const now = Array.from(v as ArrayLike<number>);
      const i = now.findIndex((x, j) => !Object.is(x, copy[j]));
      if (i >= 0) throw new Mismatch(`input ${k}[${i}] was modified: ${copy[i]} → ${now[i]}`);
    }
  };
}

// =============================================================================================
// Cases
// =============================================================================================

type GradOutputKind = 'default' | 'scalar' | 'array';

interface GradParams {
  kind: GradOutputKind;
  scalar: number;
  container: Container;
}

const gradParamsArb: fc.Arbitrary<GradParams> = fc.record({
  kind: fc.constantFrom<GradOutputKind>('default', 'scalar', 'array'),
  scalar: fc.constantFrom(1, -1, 0.5, 2, -1.75, 0),
  container: containerArb,
});

/** gradOutput for a call: default (absent), a number, or for 'none' one value per row / element. */
function makeGradOutput(g: GradParams, reduction: Reduction, count: number, prec: Precision, seed: number): number | Float32Array | Float64Array | number[] | undefined {
  if (g.kind === 'default') return undefined;
  if (g.kind === 'scalar' || reduction !== 'none') return g.scalar;
  const r = rng(seed ^ 0x5bd1e995);
  return sideArray(Array.from({ length: count }, () => (r() < 0.1 ? 0 : 4 * r() - 2)), prec, g.container);
}

/** A case every method's property takes: the engine call, the reference, and how to print it. */
interface Case {
  method: string;
  prec: Precision;
  n: number;
  c: number;
  /** Arguments for the engine (inputs first, options last). */
  args: unknown[];
  opts: Record<string, unknown>;
  /** The reference's answer. */
  ref: () => RefResult | { loss: number | Float64Array };
  /** For messages: the inputs of row i. */
  rowInputs: (row: number) => string;
  /** Whether the 'none' loss is per element (sigmoid) rather than per row. */
  perElement: boolean;
  /** The names of the array arguments, for printing; 'labels' prints flat, the others as rows. */
  names: string[];
  /** How the arrays were drawn (enough to draw them again). */
  gen: string;
}

function describeCase(k: Case): string {
  const inputs = k.names.map((name, i) => {
    const a = k.args[i] as ArrayLike<number>;
    return `${name}=${name === 'labels' ? fmtArray(a, 96) : fmtRows(a, k.c)}`;
  });
  return `${k.method} ${k.prec} n=${k.n} c=${k.c} opts=${fmtOptions(k.opts)} ${inputs.join(' ')} (drawn from ${k.gen})`;
}

function whereIn(k: Case, perRowOutput: boolean): Where {
  return (i) => {
    if (perRowOutput && !k.perElement) return `(row ${i}; ${k.rowInputs(i)})`;
    const row = Math.floor(i / k.c);
    return `(row ${row}, class ${i % k.c}; ${k.rowInputs(row)})`;
  };
}

function rowOf(x: ArrayLike<number>, c: number, i: number): string {
  return fmtArray(Array.prototype.slice.call(x, i * c, (i + 1) * c), 40);
}

// ----- softmaxCrossEntropy -----

type IgnoreKind = 'default -100' | '-1' | 'a class index' | 'beyond int32';
type LabelContainer = 'Int32Array' | 'number[]' | 'BigInt64Array';

interface SparseParams {
  prec: Precision;
  shape: Shape;
  logits: LogitParams;
  reduction: Reduction;
  weight: 'none' | 'random' | 'all zero';
  weightContainer: Container;
  labelSmoothing: number;
  ignore: IgnoreKind;
  pIgnored: number;
  labels: LabelContainer;
  grad: GradParams;
}

const sparseParamsArb: fc.Arbitrary<SparseParams> = fc.record({
  prec: precisionArb,
  shape: shapeArb,
  logits: logitParamsArb,
  reduction: reductionArb,
  weight: fc.constantFrom('none', 'random', 'random', 'all zero'),
  weightContainer: containerArb,
  labelSmoothing: fc.oneof(fc.constant(0), fc.constantFrom(0.1, 0.5, 0.9), fc.double({ min: 1e-6, max: 0.999, noNaN: true })),
  ignore: fc.constantFrom<IgnoreKind>('default -100', '-1', 'a class index', 'beyond int32'),
  pIgnored: fc.constantFrom(0, 0.2, 1),
  labels: fc.constantFrom<LabelContainer>('Int32Array', 'number[]', 'BigInt64Array'),
  grad: gradParamsArb,
});

function sparseCase(p: SparseParams, method: string): Case {
  const { n, c } = p.shape;
  const r = rng(p.logits.seed ^ 0x2545f491);
  const ignoreIndex = p.ignore === 'default -100' ? undefined : p.ignore === '-1' ? -1 : p.ignore === 'a class index' ? Math.floor(r() * c) : 2 ** 31 + 7;
  const ignoreValue = ignoreIndex ?? -100;
  const labelValues = Array.from({ length: n }, () => {
    if (r() < p.pIgnored) return ignoreValue;
    let y = Math.floor(r() * c);
    if (y === ignoreValue) y = (y + 1) % c; // keep pIgnored meaningful (with c = 1 this stays ignored)
    return y;
  });
  // An Int32Array cannot hold an ignoreIndex beyond int32: those labels go as number[] or BigInt64Array.
  const container: LabelContainer = p.labels === 'Int32Array' && ignoreValue > 2 ** 31 - 1 ? 'number[]' : p.labels;
  const labels =
    container === 'Int32Array'
      ? p.shape.view
        ? viewOf(Int32Array.from(labelValues), 2 ** 31 - 1)
        : Int32Array.from(labelValues)
      : container === 'BigInt64Array' ? BigInt64Array.from(labelValues.map(BigInt)) : labelValues;
  const logitValues = makeLogits(p.logits, n, c, p.prec, (i, k) => k !== labelValues[i]);
  const logits = mainArray(logitValues, p.prec, p.shape.view);
  const weight =
    p.weight === 'none'
      ? undefined
      : sideArray(
          Array.from({ length: c }, () => (p.weight === 'all zero' || r() < 0.1 ? 0 : 3 * r())),
          p.prec,
          p.weightContainer,
        );
  const opts: Record<string, unknown> = { classes: c, reduction: p.reduction, weight, ignoreIndex, labelSmoothing: p.labelSmoothing || undefined };
  const withGrad = method.endsWith('WithGrad');
  if (withGrad) opts.gradOutput = makeGradOutput(p.grad, p.reduction, n, p.prec, p.logits.seed);
  const refWeight = weight && Array.from(weight);
  return printable(
    {
      method,
      prec: p.prec,
      n,
      c,
      args: [logits, labels, opts],
      opts,
      perElement: false,
      names: ['logits', 'labels'],
      gen: JSON.stringify(p),
      rowInputs: (i: number) => `label ${labelValues[i]}, logits ${rowOf(logitValues, c, i)}`,
      ref: () =>
        refSoftmaxCrossEntropy(logitValues, labelValues, {
          classes: c,
          reduction: p.reduction,
          weight: refWeight,
          ignoreIndex,
          labelSmoothing: p.labelSmoothing,
          gradOutput: readGradOutput(opts.gradOutput, p.prec),
        }),
    },
    describeCase,
  );
}

/** gradOutput as the engine reads it: an array in the computation's precision; a number as it is. */
function readGradOutput(g: unknown, prec: Precision): number | number[] | undefined {
  if (g === undefined || typeof g === 'number') return g as number | undefined;
  return Array.from(g as ArrayLike<number>, (v) => asRead(v, prec));
}

// ----- softmaxCrossEntropyDense -----

type TargetKind = 'one-hot' | 'soft' | 'sparse soft' | 'unnormalized';

interface DenseParams {
  prec: Precision;
  shape: Shape;
  logits: LogitParams;
  targets: TargetKind;
  reduction: Reduction;
  weight: 'none' | 'random' | 'all zero';
  weightContainer: Container;
  targetsContainer: Container;
  labelSmoothing: number;
  grad: GradParams;
}

const denseParamsArb: fc.Arbitrary<DenseParams> = fc.record({
  prec: precisionArb,
  shape: shapeArb,
  logits: logitParamsArb,
  targets: fc.constantFrom<TargetKind>('one-hot', 'soft', 'sparse soft', 'unnormalized'),
  reduction: reductionArb,
  weight: fc.constantFrom('none', 'random', 'random', 'all zero'),
  weightContainer: containerArb,
  targetsContainer: containerArb,
  labelSmoothing: fc.oneof(fc.constant(0), fc.constantFrom(0.1, 0.5, 0.9), fc.double({ min: 1e-6, max: 0.999, noNaN: true })),
  grad: gradParamsArb,
});

function denseTargets(kind: TargetKind, n: number, c: number, r: () => number): number[] {
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const row: number[] = new Array<number>(c).fill(0);
    if (kind === 'one-hot') row[Math.floor(r() * c)] = 1;
    else {
      const pZero = kind === 'sparse soft' ? 0.8 : kind === 'unnormalized' ? 0.3 : 0;
      for (let k = 0; k < c; k++) row[k] = r() < pZero ? 0 : kind === 'unnormalized' ? r() : Math.exp(2 * normal(r));
      if (kind !== 'unnormalized') {
        if (!row.some((v) => v !== 0)) row[Math.floor(r() * c)] = 1;
        const s = row.reduce((a, b) => a + b, 0);
        for (let k = 0; k < c; k++) row[k] /= s;
      }
    }
    t.push(...row);
  }
  return t;
}

function denseCase(p: DenseParams, method: string): Case {
  const { n, c } = p.shape;
  const r = rng(p.logits.seed ^ 0x27d4eb2f);
  const targetsRaw = denseTargets(p.targets, n, c, r);
  const targets = sideArray(targetsRaw, p.prec, p.targetsContainer);
  const targetValues = Array.from(targets as ArrayLike<number>, (v) => asRead(v, p.prec));
  // -inf only where the target is 0, and never in a row's first positive-target class (every row
  // keeps a finite logit).
  const keep = Array.from({ length: n }, (_, i) => {
    const k = targetValues.slice(i * c, (i + 1) * c).findIndex((v) => v > 0);
    return k < 0 ? 0 : k;
  });
  const logitValues = makeLogits(p.logits, n, c, p.prec, (i, k) => k !== keep[i] && targetValues[i * c + k] === 0);
  const logits = mainArray(logitValues, p.prec, p.shape.view);
  const weight =
    p.weight === 'none' ? undefined : sideArray(Array.from({ length: c }, () => (p.weight === 'all zero' || r() < 0.15 ? 0 : 3 * r())), p.prec, p.weightContainer);
  const opts: Record<string, unknown> = { classes: c, reduction: p.reduction, weight, labelSmoothing: p.labelSmoothing || undefined };
  if (method.endsWith('WithGrad')) opts.gradOutput = makeGradOutput(p.grad, p.reduction, n, p.prec, p.logits.seed);
  const refWeight = weight && Array.from(weight);
  return printable(
    {
      method,
      prec: p.prec,
      n,
      c,
      args: [logits, targets, opts],
      opts,
      perElement: false,
      names: ['logits', 'targets'],
      gen: JSON.stringify(p),
      rowInputs: (i: number) => `targets ${rowOf(targetValues, c, i)}, logits ${rowOf(logitValues, c, i)}`,
      ref: () =>
        refSoftmaxCrossEntropyDense(logitValues, targetValues, {
          classes: c,
          reduction: p.reduction,
          weight: refWeight,
          labelSmoothing: p.labelSmoothing,
          gradOutput: readGradOutput(opts.gradOutput, p.prec),
        }),
    },
    describeCase,
  );
}

// ----- sigmoidCrossEntropy -----

interface SigmoidParams {
  prec: Precision;
  shape: Shape;
  logits: LogitParams;
  targets: 'binary' | 'soft' | 'mixed';
  reduction: Reduction;
  weight: 'none' | 'per class' | 'per element';
  weightContainer: Container;
  posWeight: 'none' | 'number' | 'per class';
  posWeightContainer: Container;
  grad: GradParams;
}

const sigmoidParamsArb: fc.Arbitrary<SigmoidParams> = fc.record({
  prec: precisionArb,
  shape: shapeArb,
  logits: logitParamsArb,
  targets: fc.constantFrom('binary', 'soft', 'mixed'),
  reduction: reductionArb,
  weight: fc.constantFrom('none', 'per class', 'per element'),
  weightContainer: containerArb,
  posWeight: fc.constantFrom('none', 'number', 'per class'),
  posWeightContainer: containerArb,
  grad: gradParamsArb,
});

function sigmoidCase(p: SigmoidParams, method: string): Case {
  const { n, c } = p.shape;
  const count = n * c;
  const r = rng(p.logits.seed ^ 0x165667b1);
  const targetsRaw = Array.from({ length: count }, () => {
    const u = r();
    if (p.targets === 'binary' || (p.targets === 'mixed' && u < 0.6)) return r() < 0.5 ? 0 : 1;
    return r();
  });
  const targets = p.prec === 'f64' ? Float64Array.from(targetsRaw) : Float32Array.from(targetsRaw);
  const targetValues = Array.from(targets);
  const logitValues = makeLogits(p.logits, n, c, p.prec, () => false);
  const logits = mainArray(logitValues, p.prec, p.shape.view);
  const weight =
    p.weight === 'none'
      ? undefined
      : sideArray(Array.from({ length: p.weight === 'per class' ? c : count }, () => (r() < 0.1 ? 0 : 3 * r())), p.prec, p.weightContainer);
  const posWeight =
    p.posWeight === 'none'
      ? undefined
      : p.posWeight === 'number'
        ? Math.round(40 * r()) / 10
        : sideArray(Array.from({ length: c }, () => 4 * r()), p.prec, p.posWeightContainer);
  const opts: Record<string, unknown> = { classes: c, reduction: p.reduction, weight, posWeight };
  if (method.endsWith('WithGrad')) opts.gradOutput = makeGradOutput(p.grad, p.reduction, count, p.prec, p.logits.seed);
  // A weight of length C is per class even when N = 1 makes it also N·C long (same numbers).
  const refWeight = weight && Array.from(weight);
  const refPosWeight = typeof posWeight === 'number' ? asRead(posWeight, p.prec) : posWeight && Array.from(posWeight);
  return printable(
    {
      method,
      prec: p.prec,
      n,
      c,
      args: [logits, targets, opts],
      opts,
      perElement: true,
      names: ['logits', 'targets'],
      gen: JSON.stringify(p),
      rowInputs: (i: number) => `targets ${rowOf(targetValues, c, i)}, logits ${rowOf(logitValues, c, i)}`,
      ref: () =>
        refSigmoidCrossEntropy(logitValues, targetValues, {
          classes: c,
          reduction: p.reduction,
          weight: refWeight,
          posWeight: refPosWeight,
          gradOutput: readGradOutput(opts.gradOutput, p.prec),
        }),
    },
    describeCase,
  );
}

// ----- crossEntropy, entropy, klDivergence -----

interface ProbParams {
  prec: Precision;
  shape: Shape;
  seed: number;
  /** Probability of an exact 0 in p. */
  pZero: number;
  /** q: a distribution of its own; equal to p; or p's support plus zeros where p > 0 (→ inf). */
  q: 'independent' | 'equal to p' | 'zeros where p > 0';
  /** Rows normalized to 1, or independent values in [0, 1]. */
  normalized: boolean;
  reduction: Reduction;
  base: 'default' | 'e' | 2;
}

const probParamsArb: fc.Arbitrary<ProbParams> = fc.record({
  prec: precisionArb,
  shape: shapeArb,
  seed: fc.nat(),
  pZero: fc.constantFrom(0, 0.3, 0.9),
  q: fc.constantFrom('independent', 'independent', 'equal to p', 'zeros where p > 0'),
  normalized: fc.boolean(),
  reduction: reductionArb,
  base: fc.constantFrom<'default' | 'e' | 2>('default', 'e', 2),
});

function distribution(n: number, c: number, pZero: number, normalized: boolean, r: () => number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const row = Array.from({ length: c }, () => (r() < pZero ? 0 : normalized ? Math.exp(1.5 * normal(r)) : r()));
    if (normalized) {
      const s = row.reduce((a, b) => a + b, 0);
      if (s > 0) for (let k = 0; k < c; k++) row[k] = Math.min(1, row[k] / s);
    }
    out.push(...row);
  }
  return out;
}

function probCase(p: ProbParams, method: 'crossEntropy' | 'entropy' | 'klDivergence'): Case {
  const { n, c } = p.shape;
  const r = rng(p.seed);
  const round = (v: number[]) => (p.prec === 'f64' ? v : v.map(Math.fround)).map((x) => Math.min(1, x));
  const pValues = round(distribution(n, c, p.pZero, p.normalized, r));
  let qValues: number[];
  if (p.q === 'equal to p') qValues = pValues.slice();
  else {
    qValues = round(distribution(n, c, 0.2, p.normalized, r));
    if (p.q === 'zeros where p > 0') qValues = qValues.map((q, i) => (pValues[i] > 0 && r() < 0.1 ? 0 : q));
  }
  const opts: Record<string, unknown> = { classes: c, reduction: p.reduction, base: p.base === 'default' ? undefined : p.base };
  const pArg = mainArray(pValues, p.prec, p.shape.view);
  const qArg = p.prec === 'f64' ? Float64Array.from(qValues) : Float32Array.from(qValues);
  const refOpts = { classes: c, reduction: p.reduction, base: p.base === 'default' ? undefined : p.base };
  return printable(
    {
      method,
      prec: p.prec,
      n,
      c,
      args: method === 'entropy' ? [pArg, opts] : [pArg, qArg, opts],
      opts,
      perElement: false,
      names: method === 'entropy' ? ['p'] : ['p', 'q'],
      gen: JSON.stringify(p),
      rowInputs: (i: number) => `p ${rowOf(pValues, c, i)}${method === 'entropy' ? '' : `, q ${rowOf(qValues, c, i)}`}`,
      ref: () => ({
        loss:
          method === 'crossEntropy'
            ? refCrossEntropy(pValues, qValues, refOpts)
            : method === 'entropy'
              ? refEntropy(pValues, refOpts)
              : refKlDivergence(pValues, qValues, refOpts),
      }),
    },
    describeCase,
  );
}

// ----- softmax, logSoftmax -----

interface RowwiseParams {
  prec: Precision;
  shape: Shape;
  logits: LogitParams;
  out: 'none' | 'given' | 'given view' | 'in place';
}

const rowwiseParamsArb: fc.Arbitrary<RowwiseParams> = fc.record({
  prec: precisionArb,
  shape: shapeArb,
  logits: logitParamsArb,
  out: fc.constantFrom('none', 'given', 'given view', 'in place'),
});

// =============================================================================================
// Running a case against the reference
// =============================================================================================

function call(engine: Engine, method: string, args: unknown[]): unknown {
  return untyped(engine)[method](...args);
}

/** The engine's result for a case equals the reference's; the inputs are left as they were. */
function checkAgainstReference(engine: Engine, k: Case): void {
  const ctx = `${engine.backend} ${k.method}`;
  marginKey = `${ctx} ${k.prec === 'f64' ? 'f64' : 'f32'}`;
  marginCase = () => describeCase(k);
  const want = k.ref();
  const unchanged = snapshot({ input0: k.args[0], input1: k.args[1], ...k.opts });
  const got = call(engine, k.method, k.args);
  unchanged();
  const withGrad = k.method.endsWith('WithGrad');
  const loss = withGrad ? (got as { loss: unknown }).loss : got;
  expectLoss(`${ctx} loss`, loss, want.loss, k.prec, whereIn(k, true));
  if (withGrad) {
    const w = want as RefResult;
    const grad = (got as { grad: unknown }).grad;
    expectArray(`${ctx} grad`, grad, w.grad, k.prec, 'prob', whereIn(k, false), w.gradAmp);
    if (grad === k.args[0]) throw new Mismatch(`${ctx}: the gradient was written into the logits without gradOut`);
  }
}

interface RowwiseCase {
  method: 'softmax' | 'logSoftmax';
  prec: Precision;
  n: number;
  c: number;
  values: number[];
  view: boolean;
  out: RowwiseParams['out'];
}

function rowwiseArb(method: 'softmax' | 'logSoftmax'): fc.Arbitrary<RowwiseCase> {
  return rowwiseParamsArb.map((p) =>
    printable(
      { method, prec: p.prec, n: p.shape.n, c: p.shape.c, view: p.shape.view, out: p.out, values: makeLogits(p.logits, p.shape.n, p.shape.c, p.prec, (_i, k) => k !== 0) },
      (k) => `${k.method} ${k.prec} n=${k.n} c=${k.c} out=${k.out}${k.view ? ' (input: a view)' : ''} logits=${fmtRows(k.values, k.c)} (drawn from ${JSON.stringify(p)})`,
    ),
  );
}

/** softmax / logSoftmax equal the reference; `out` (given or the input itself) is the result. */
function checkRowwise(engine: Engine, k: RowwiseCase): void {
  const { n, c, values, method } = k;
  marginKey = `${engine.backend} ${method} ${k.prec === 'f64' ? 'f64' : 'f32'}`;
  const want = method === 'softmax' ? refSoftmax(values, { classes: c }) : refLogSoftmax(values, { classes: c });
  let x = mainArray(values, k.prec, k.view);
  let out: Float | undefined;
  if (k.out === 'given' || k.out === 'given view') {
    out = (k.prec === 'f64' ? new Float64Array(n * c) : new Float32Array(n * c)).fill(NaN);
    if (k.out === 'given view') out = viewOf(out, 7);
  }
  if (k.out === 'in place') {
    x = viewOf(k.prec === 'f64' ? Float64Array.from(values) : Float32Array.from(values), 7);
    out = x;
  }
  const unchanged = k.out === 'in place' ? () => {} : snapshot({ logits: x });
  const guards = out ? guardsOf(out) : [];
  const got = call(engine, method, [x, { classes: c, out }]);
  unchanged();
  if (out && got !== out) throw new Mismatch(`${engine.backend} ${method}: the result is not the given out array`);
  if (out && guardsOf(out).some((v, i) => v !== guards[i])) throw new Mismatch(`${engine.backend} ${method}: wrote outside the out array (a view)`);
  const where: Where = (i) => `(row ${Math.floor(i / c)}, class ${i % c}; logits ${rowOf(values, c, Math.floor(i / c))})`;
  expectArray(`${engine.backend} ${method}`, got, want, k.prec, method === 'softmax' ? 'prob' : 'loss', where);
}

// =============================================================================================
// Run settings
// =============================================================================================

/** A fixed seed per property (from its name), so runs are reproducible. */
function seedOf(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return (h + SEED_SHIFT) | 0;
}

/**
 * Runs per property. XENT_PROPERTY_SCALE multiplies them and XENT_PROPERTY_SEED shifts every
 * seed, for longer soak runs (e.g. XENT_PROPERTY_SCALE=20 XENT_PROPERTY_SEED=7 npx vitest run
 * test/property.test.ts); the defaults keep the file at a few seconds. The knobs are read in Node
 * only (the browser project has no process.env and runs the defaults).
 */
const SCALE = Number(globalThis.process?.env.XENT_PROPERTY_SCALE ?? 1);
const SEED_SHIFT = Number(globalThis.process?.env.XENT_PROPERTY_SEED ?? 0);
const RUNS = Math.round(150 * SCALE);
const RUNS_API = Math.round(40 * SCALE);
const RUNS_HISTORY = Math.round(25 * SCALE);

function assertProperty<T>(name: string, arb: fc.Arbitrary<T>, check: (v: T) => void, numRuns = RUNS, examples: T[] = []): void {
  fc.assert(
    fc.property(arb, (v) => {
      check(v);
    }),
    { seed: seedOf(name), numRuns, examples: examples.map((e) => [e] as [T]) },
  );
}

const SPARSE = ['softmaxCrossEntropy', 'softmaxCrossEntropyWithGrad'] as const;
const DENSE = ['softmaxCrossEntropyDense', 'softmaxCrossEntropyDenseWithGrad'] as const;
const SIGMOID = ['sigmoidCrossEntropy', 'sigmoidCrossEntropyWithGrad'] as const;
const PROB = ['crossEntropy', 'entropy', 'klDivergence'] as const;

/** Every loss method's case arbitrary, by method name. */
function caseArb(method: string): fc.Arbitrary<Case> {
  if ((SPARSE as readonly string[]).includes(method)) return sparseParamsArb.map((p) => sparseCase(p, method));
  if ((DENSE as readonly string[]).includes(method)) return denseParamsArb.map((p) => denseCase(p, method));
  if ((SIGMOID as readonly string[]).includes(method)) return sigmoidParamsArb.map((p) => sigmoidCase(p, method));
  return probParamsArb.map((p) => probCase(p, method as (typeof PROB)[number]));
}

// ----- Pinned cases: counterexamples found by soak runs, always run first -----

const NO_GRAD: GradParams = { kind: 'default', scalar: 1, container: 'same typed' };
const PLAIN_LOGITS: LogitParams = { seed: 0, scale: 1, pBig: 0, pNegInf: 0, ties: false };

/** Label smoothing over a GPT-2-sized vocabulary, one-hot and soft targets (float32). */
const PINNED_DENSE: DenseParams[] = [
  {
    prec: 'f32', shape: { n: 1, c: 50257, view: false }, logits: PLAIN_LOGITS, targets: 'one-hot', reduction: 'none',
    weight: 'none', weightContainer: 'same typed', targetsContainer: 'same typed', labelSmoothing: 0.1, grad: NO_GRAD,
  },
  {
    prec: 'f32', shape: { n: 1, c: 16000, view: false }, logits: { ...PLAIN_LOGITS, seed: 186347408 }, targets: 'unnormalized',
    reduction: 'mean', weight: 'none', weightContainer: 'same typed', targetsContainer: 'same typed', labelSmoothing: 0.0340214074, grad: NO_GRAD,
  },
];

/** Strong label smoothing, a wide row and many large-magnitude logits (float32). */
const PINNED_SPARSE: SparseParams[] = [
  {
    prec: 'f32', shape: { n: 1, c: 50257, view: false }, logits: { seed: 7, scale: 1, pBig: 0.3, pNegInf: 0, ties: true }, reduction: 'none',
    weight: 'none', weightContainer: 'same typed', labelSmoothing: 0.999, ignore: 'default -100', pIgnored: 0, labels: 'Int32Array', grad: NO_GRAD,
  },
];

/** Large |x| with soft targets, weights and posWeight (float32). */
const PINNED_SIGMOID: SigmoidParams[] = [
  {
    prec: 'f32', shape: { n: 35, c: 58, view: false }, logits: { seed: 1941325320, scale: 1, pBig: 0.3, pNegInf: 0, ties: false }, targets: 'soft',
    reduction: 'none', weight: 'per class', weightContainer: 'same typed', posWeight: 'per class', posWeightContainer: 'same typed', grad: NO_GRAD,
  },
  {
    prec: 'f32', shape: { n: 133, c: 112, view: false }, logits: { seed: 179851647, scale: 1, pBig: 0.3, pNegInf: 0, ties: false }, targets: 'soft',
    reduction: 'none', weight: 'per element', weightContainer: 'same typed', posWeight: 'per class', posWeightContainer: 'same typed', grad: NO_GRAD,
  },
];

function pinnedCases(method: string): Case[] {
  if ((SPARSE as readonly string[]).includes(method)) return PINNED_SPARSE.map((p) => sparseCase(p, method));
  if ((DENSE as readonly string[]).includes(method)) return PINNED_DENSE.map((p) => denseCase(p, method));
  if ((SIGMOID as readonly string[]).includes(method)) return PINNED_SIGMOID.map((p) => sigmoidCase(p, method));
  return [];
}

// =============================================================================================
// Properties of the API
// =============================================================================================

/** Exactly the same numbers (NaN equals NaN). */
function expectIdentical(what: string, got: unknown, want: unknown): void {
  const g = typeof got === 'number' ? [got] : (got as ArrayLike<number>);
  const w = typeof want === 'number' ? [want] : (want as ArrayLike<number>);
  if (typeof got !== typeof want || g.length !== w.length) throw new Mismatch(`${what}: got ${fmtValue(got)}, want ${fmtValue(want)}`);
  for (let i = 0; i < w.length; i++) {
    if (g[i] === w[i] || (Number.isNaN(g[i]) && Number.isNaN(w[i]))) continue;
    throw new Mismatch(`${what}[${i}]: got ${g[i]}, want ${w[i]} (must be identical)`);
  }
}

/** A result with its arrays copied (so later calls cannot change what was seen). */
function settle(r: unknown): unknown {
  if (typeof r === 'number') return r;
  if (ArrayBuffer.isView(r)) return (r as Float).slice();
  const o = r as { loss: unknown; grad: Float };
  return { loss: settle(o.loss), grad: o.grad.slice() };
}

function expectSameResult(what: string, got: unknown, want: unknown): void {
  if (typeof want === 'object' && want !== null && 'grad' in want) {
    const g = got as { loss: unknown; grad: unknown };
    const w = want as { loss: unknown; grad: unknown };
    expectIdentical(`${what} loss`, g.loss, w.loss);
    expectIdentical(`${what} grad`, g.grad, w.grad);
  } else expectIdentical(what, got, want);
}

/** The logits of a case as a typed array of the computation's precision (a fresh copy). */
function typedCopy(k: Case): Float {
  const x = k.args[0] as ArrayLike<number>;
  return k.prec === 'f64' ? Float64Array.from(x) : Float32Array.from(x);
}

/** The case's call with some options replaced (and, optionally, other logits). */
function withOptions(k: Case, extra: Record<string, unknown>, logits?: Float): unknown[] {
  const args = k.args.slice();
  args[args.length - 1] = { ...k.opts, ...extra };
  if (logits) args[0] = logits;
  return args;
}

const GRAD_METHODS = ['softmaxCrossEntropyWithGrad', 'softmaxCrossEntropyDenseWithGrad', 'sigmoidCrossEntropyWithGrad'] as const;
const LOSS_METHODS = ['softmaxCrossEntropy', 'softmaxCrossEntropyDense', 'sigmoidCrossEntropy', ...PROB] as const;

/**
 * In place (gradOut = the logits) gives the very numbers of the out-of-place call, for a plain
 * typed array and for a view into a larger buffer (whose other entries stay as they were).
 */
function checkInPlace(engine: Engine, k: Case): void {
  const ctx = `${engine.backend} ${k.method}`;
  const outOfPlace = settle(call(engine, k.method, k.args)) as { loss: unknown; grad: Float };
  for (const view of [false, true]) {
    const x = view ? viewOf(typedCopy(k), 7) : typedCopy(k);
    const guards = guardsOf(x);
    const inPlace = call(engine, k.method, withOptions(k, { gradOut: x }, x)) as { loss: unknown; grad: Float };
    const what = view ? 'in place (a view)' : 'in place';
    if (inPlace.grad !== x) throw new Mismatch(`${ctx}: with gradOut = logits (${what}) the result's grad is not that array`);
    if (guardsOf(x).some((v, i) => v !== guards[i])) throw new Mismatch(`${ctx}: ${what} wrote outside the array`);
    expectSameResult(`${ctx} ${what} vs out of place:`, inPlace, outOfPlace);
  }
}

/**
 * A given gradOut (filled with garbage; a plain typed array or a view into a larger buffer) is
 * fully written and returned, nothing outside it is touched, and the numbers are those without.
 */
function checkGradOut(engine: Engine, k: Case): void {
  const ctx = `${engine.backend} ${k.method}`;
  const plain = settle(call(engine, k.method, k.args));
  for (const view of [false, true]) {
    let out = typedCopy(k).fill(NaN);
    if (out.length) out[0] = 12345;
    if (view) out = viewOf(out, 7);
    const guards = guardsOf(out);
    const given = call(engine, k.method, withOptions(k, { gradOut: out })) as { grad: unknown };
    const what = view ? 'gradOut (a view)' : 'gradOut';
    if (given.grad !== out) throw new Mismatch(`${ctx}: the result's grad is not the given ${what}`);
    if (guardsOf(out).some((v, i) => !Object.is(v, guards[i]))) throw new Mismatch(`${ctx}: wrote outside the given ${what}`);
    expectSameResult(`${ctx} with ${what} vs without:`, given, plain);
  }
}

/** Σ of the counted weights, the denominator of a sparse 'mean'. */
function sparseDenominator(k: Case): number {
  const labels = Array.from(k.args[1] as ArrayLike<number | bigint>, Number);
  const ignore = (k.opts.ignoreIndex as number | undefined) ?? -100;
  const w = k.opts.weight as ArrayLike<number> | undefined;
  let d = 0;
  for (const y of labels) if (y !== ignore) d += w ? asRead(w[y], k.prec) : 1;
  return d;
}

/** The mean's denominator of a case: Σ w[y] (sparse), N (dense, probability), N·C (sigmoid). */
function denominator(k: Case): number {
  if (k.method.startsWith('softmaxCrossEntropy') && !k.method.startsWith('softmaxCrossEntropyDense')) return sparseDenominator(k);
  return k.perElement ? k.n * k.c : k.n;
}

/**
 * 'sum' = Σ 'none' and 'mean' = 'sum' / denominator (0 when the denominator is 0), for the loss;
 * and for the gradient: 'none' with gradOutput all ones = 'sum', 'none' with a number g = 'none'
 * with every entry g, and 'mean' = 'sum' / denominator.
 */
function checkReductions(engine: Engine, k: Case): void {
  const ctx = `${engine.backend} ${k.method}`;
  const withGrad = k.method.endsWith('WithGrad');
  const run = (extra: Record<string, unknown>) => settle(call(engine, k.method, withOptions(k, { gradOutput: undefined, ...extra }))) as { loss: unknown; grad: Float };
  const lossOf = (r: unknown) => (withGrad ? (r as { loss: unknown }).loss : r);
  const none = run({ reduction: 'none' });
  const sum = run({ reduction: 'sum' });
  const mean = run({ reduction: 'mean' });
  const perRow = lossOf(none) as Float;
  let total = 0;
  for (const v of perRow) total += v;
  expectNumber(`${ctx} 'sum' vs Σ 'none'`, lossOf(sum), total, k.prec);
  const d = denominator(k);
  expectNumber(`${ctx} 'mean' vs 'sum' / ${d}`, lossOf(mean), d === 0 ? 0 : (lossOf(sum) as number) / d, k.prec);
  if (!withGrad) return;
  const count = k.perElement ? k.n * k.c : k.n;
  const at: Where = (i) => `(row ${Math.floor(i / k.c)}, class ${i % k.c})`;
  const ones = run({ reduction: 'none', gradOutput: new Array<number>(count).fill(1) });
  expectArray(`${ctx} grad of 'none' with gradOutput ones vs 'sum'`, ones.grad, sum.grad, k.prec, 'prob', at);
  const g = -1.5;
  const scalar = run({ reduction: 'none', gradOutput: g });
  const array = run({ reduction: 'none', gradOutput: new Array<number>(count).fill(g) });
  expectArray(`${ctx} grad of 'none' with gradOutput ${g} vs an array of ${g}`, scalar.grad, array.grad, k.prec, 'prob', at);
  const scaled = sum.grad.map((v) => (d === 0 ? 0 : v / d));
  expectArray(`${ctx} grad of 'mean' vs 'sum' / ${d}`, mean.grad, scaled, k.prec, 'prob', at);
}

/** Calls that only produce big intermediate state: wide rows and many of them (memory growth). */
const bigShapeArb = fc.constantFrom({ n: 64, c: 4096 }, { n: 512, c: 1000 }, { n: 3, c: 50257 }, { n: 1, c: 1 }, { n: 0, c: 7 });

interface HistoryCase {
  first: Case;
  second: Case;
  big: { n: number; c: number };
  bigMethod: string;
  bigPrec: Precision;
}

const ALL_METHODS = [...SPARSE, ...DENSE, ...SIGMOID, ...PROB];

const historyArb: fc.Arbitrary<HistoryCase> = fc
  .record({
    firstMethod: fc.constantFrom(...ALL_METHODS),
    secondMethod: fc.constantFrom(...ALL_METHODS),
    seed: fc.nat(),
    big: bigShapeArb,
    bigMethod: fc.constantFrom(...GRAD_METHODS, 'softmax', 'logSoftmax', 'klDivergence'),
    bigPrec: fc.constantFrom<Precision>('f32', 'f64'),
  })
  .chain((h) =>
    fc.record({
      first: caseArb(h.firstMethod),
      second: caseArb(h.secondMethod),
      big: fc.constant(h.big),
      bigMethod: fc.constant(h.bigMethod),
      bigPrec: fc.constant(h.bigPrec),
    }),
  );

/** A big call of `method` on `shape`, results discarded. */
function bigCall(engine: Engine, method: string, shape: { n: number; c: number }, prec: Precision): void {
  const { n, c } = shape;
  const r = rng(n * 31 + c);
  const x = Array.from({ length: n * c }, () => 3 * normal(r));
  const logits = prec === 'f64' ? Float64Array.from(x) : Float32Array.from(x);
  const p = Array.from({ length: n * c }, () => r());
  const probs = prec === 'f64' ? Float64Array.from(p) : Float32Array.from(p);
  const labels = Int32Array.from({ length: n }, () => Math.floor(r() * c));
  const opts = { classes: c };
  if (method === 'softmaxCrossEntropyWithGrad') call(engine, method, [logits, labels, { ...opts, labelSmoothing: 0.1 }]);
  else if (method === 'softmaxCrossEntropyDenseWithGrad' || method === 'sigmoidCrossEntropyWithGrad') call(engine, method, [logits, probs, opts]);
  else if (method === 'klDivergence') call(engine, method, [probs, probs, opts]);
  else call(engine, method, [logits, opts]);
}

/**
 * A call, then a differently shaped call and a big one, then the first again, the second again
 * and the first again: each repeat gives the very numbers of its first run.
 */
function checkHistory(engine: Engine, h: HistoryCase): void {
  const first = settle(call(engine, h.first.method, h.first.args));
  const second = settle(call(engine, h.second.method, h.second.args));
  bigCall(engine, h.bigMethod, h.big, h.bigPrec);
  expectSameResult(`${engine.backend} ${h.first.method} after a ${h.bigMethod} call on ${h.big.n}×${h.big.c}:`, call(engine, h.first.method, h.first.args), first);
  expectSameResult(`${engine.backend} ${h.second.method} after other calls:`, call(engine, h.second.method, h.second.args), second);
  expectSameResult(`${engine.backend} ${h.first.method} after a ${h.second.method} call:`, call(engine, h.first.method, h.first.args), first);
}

// =============================================================================================
// The properties
// =============================================================================================

afterAll(() => {
  if (!MARGINS) return;
  const lines = [...MARGINS].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, m]) => `${m.ratio.toFixed(3).padStart(8)}  ${k}  — ${m.at}`);
  console.log(`largest |got − want| / tolerance:\n${lines.join('\n')}`);
});

describe.each(BACKENDS)('%s backend', (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await engineFor(backend);
  });

  describe('equals the float64 reference', () => {
    for (const method of ALL_METHODS) {
      it(method, () => assertProperty(`${backend} ${method}`, caseArb(method), (k) => checkAgainstReference(engine, k), RUNS, pinnedCases(method)));
    }
    for (const method of ['softmax', 'logSoftmax'] as const) {
      it(method, () => assertProperty(`${backend} ${method}`, rowwiseArb(method), (k) => checkRowwise(engine, k)));
    }
  });

  describe('API properties', () => {
    for (const method of GRAD_METHODS) {
      it(`${method}: an in-place gradient (gradOut = logits) equals the out-of-place one`, () =>
        assertProperty(`${backend} ${method} in place`, caseArb(method), (k) => checkInPlace(engine, k), RUNS_API));
      it(`${method}: a given gradOut is filled and returned, same numbers as without`, () =>
        assertProperty(`${backend} ${method} gradOut`, caseArb(method), (k) => checkGradOut(engine, k), RUNS_API));
    }
    for (const method of [...LOSS_METHODS, ...GRAD_METHODS]) {
      it(`${method}: 'sum' = Σ 'none', 'mean' = 'sum' / denominator${method.endsWith('WithGrad') ? ', and their gradients agree' : ''}`, () =>
        assertProperty(`${backend} ${method} reductions`, caseArb(method), (k) => checkReductions(engine, k), RUNS_API));
    }
    it('results do not depend on earlier calls', () => assertProperty(`${backend} history`, historyArb, (h) => checkHistory(engine, h), RUNS_HISTORY));
  });
});
