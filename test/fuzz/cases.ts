/**
 * The fuzz's cases: one random call of one public method (shape, values, options, containers),
 * drawn from its seed alone, with what it must return by the float64 reference
 * (test/reference.ts).
 *
 * Values are drawn as the engine will read them (rounded to float32 unless the computation is
 * float64), so the reference sees exactly the engine's inputs.
 */
import { mergeRowStates, type Engine, type MergedRowStates, type RowStates } from '../../src/index.js';
import { viewOf } from '../arrays.js';
import { untyped } from '../backends.js';
import {
  refCrossEntropy,
  refEntropy,
  refKlDivergence,
  logSumExp,
  refLogSoftmax,
  refSigmoidCrossEntropy,
  refSigmoidFocalLoss,
  refSoftmax,
  refSoftmaxCrossEntropy,
  refSoftmaxCrossEntropyDense,
  refSoftmaxFocalLoss,
} from '../reference.js';
import { Draw } from './draw.js';

/** Every public method of the engine; 'shards' is RowStates → mergeRowStates → ShardGrad in one case. */
export const METHODS = [
  'softmaxCrossEntropy',
  'softmaxCrossEntropyWithGrad',
  'softmaxCrossEntropyDense',
  'softmaxCrossEntropyDenseWithGrad',
  'softmaxFocalLoss',
  'softmaxFocalLossWithGrad',
  'sigmoidCrossEntropy',
  'sigmoidCrossEntropyWithGrad',
  'sigmoidFocalLoss',
  'sigmoidFocalLossWithGrad',
  'crossEntropy',
  'entropy',
  'klDivergence',
  'softmax',
  'logSoftmax',
  'softmaxCrossEntropyPartial',
  'softmaxCrossEntropyPartialWithGrad',
  'shards',
] as const;
export type Method = (typeof METHODS)[number];

/** float32 typed arrays, float64 typed arrays, or number[] (read as float32). */
export type Precision = 'f32' | 'f64' | 'number[]';
export type FloatArray = Float32Array | Float64Array;

/**
 * How a value is compared with the reference (float32 / float64 computations):
 * - loss: |Δ| ≤ 2e-5·max(1, |want|)  /  1e-12 + 1e-10·|want|
 * - grad: |Δ| ≤ 1e-6·max(1, amp) + 2e-5·|want|  /  1e-12·max(1, amp) + 1e-10·|want|, amp the size
 *   of the terms the entry is the difference of (reference.ts gradAmp; 1 for probabilities)
 * - perplexity: in log space, as a loss plus `slack` (the rounding of lse − x_y, see below)
 * - exact: equal.
 * A non-finite want (after rounding to the output's type) must be matched exactly.
 */
export type Tol = 'loss' | 'grad' | 'perplexity' | 'exact';
export type ArrayType = 'Float32Array' | 'Float64Array' | 'Int32Array' | 'Uint8Array';

export type Expected =
  | { kind: 'number'; want: number; tol: Tol; slack?: number }
  /** `output`: the index in FuzzCase.outputs of the argument this result must be (gradOut, out). */
  | { kind: 'array'; type: ArrayType; want: ArrayLike<number>; tol: Tol; amp?: ArrayLike<number>; output?: number }
  | { kind: 'object'; fields: Record<string, Expected> };

export interface FuzzCase {
  /** XENT_FUZZ_SEED=<seed> XENT_FUZZ_RUNS=1 draws this case again. */
  seed: number;
  method: Method;
  prec: Precision;
  n: number;
  c: number;
  /** How the values were drawn, for the failure message. */
  values: string;
  /** The arguments (inputs, then options). */
  args: unknown[];
  /** Makes the call on an engine with (possibly substituted) arguments. */
  call(engine: Engine, args: unknown[]): unknown;
  /** What the call returns, by the reference (computed on demand). */
  expected(): Expected;
  /** Arrays the call writes (gradOut, out): everything else must be left as it was. */
  outputs: unknown[];
  /** Set on a case made invalid on purpose: what was broken. */
  invalid?: string;
}

// ---- values ----------------------------------------------------------------------------------

/** How the logits of a case are drawn. */
type Mode = 'normal' | 'ties' | 'big' | 'nonfinite' | 'masks';

const read = (prec: Precision) => (prec === 'f64' ? (v: number) => v : Math.fround);

/**
 * n·c logits. `protect(i, k)`: an entry a mask (-inf) should not hit (a row's target); a row
 * masked whole ignores it. Returns the values as the engine reads them.
 */
function drawLogits(d: Draw, prec: Precision, n: number, c: number, mode: Mode, protect: (i: number, k: number) => boolean): { values: number[]; desc: string } {
  const scale = d.pick([0.1, 1, 3, 10, 0]);
  const pSpecial = d.pick([0.02, 0.1, 0.3]);
  const pMask = d.pick([0.1, 0.5, 0.95]);
  const wholeRows = d.chance(0.3);
  const r = read(prec);
  const values: number[] = new Array<number>(n * c);
  const normal = () => (scale === 0 ? d.pick([0.1, 1, 3, 10]) : scale) * d.normal();
  for (let i = 0; i < n; i++) {
    // A row of one repeated value: all ties, all 1e30 (the logSoftmax finding), all -inf (masked whole).
    const whole = wholeRows && d.chance(0.3);
    const rowValue = mode === 'big' ? d.pick([1e30, -1e30]) : mode === 'masks' ? -Infinity : mode === 'nonfinite' ? d.pick([NaN, Infinity, -Infinity]) : Math.round(2 * d.normal());
    for (let k = 0; k < c; k++) {
      let v: number;
      if (whole) v = rowValue;
      else if (mode === 'ties') v = Math.round(2 * d.normal());
      else if (mode === 'big') v = d.chance(0.3) ? d.pick([1e30, -1e30]) : normal();
      else if (mode === 'nonfinite') v = d.chance(pSpecial) ? d.pick([NaN, Infinity, -Infinity]) : normal();
      else if (mode === 'masks') v = !protect(i, k) && d.chance(pMask) ? -Infinity : normal();
      else v = normal();
      values[i * c + k] = r(v);
    }
  }
  const desc = mode === 'normal' ? `normal×${scale || 'mixed'}` : mode === 'nonfinite' ? `nonfinite p=${pSpecial}` : mode === 'masks' ? `masks p=${pMask}` : mode;
  return { values, desc: wholeRows ? `${desc} with whole rows` : desc };
}

function drawMode(d: Draw): Mode {
  return d.weighted<Mode>([[50, () => 'normal'], [10, () => 'ties'], [10, () => 'big'], [10, () => 'nonfinite'], [20, () => 'masks']]);
}

/** The main input: a typed array (sometimes a view inside a larger buffer of NaN), or number[]. */
function mainInput(d: Draw, values: number[], prec: Precision): FloatArray | number[] {
  if (prec === 'number[]') return values.slice();
  const a = prec === 'f64' ? Float64Array.from(values) : Float32Array.from(values);
  return d.chance(0.25) ? viewOf(a, NaN) : a;
}

/** A side array (weights, targets, gradOutput, ...) in a random container; `values` are as read. */
function sideInput(d: Draw, values: number[], prec: Precision): FloatArray | number[] {
  const f64 = prec === 'f64';
  // A float64 computation reads a Float32Array side input exactly only if it holds float32 values.
  const narrow = !f64 || values.every((v) => Number.isNaN(v) || Math.fround(v) === v);
  return d.weighted<FloatArray | number[]>([
    [3, () => (f64 ? Float64Array.from(values) : Float32Array.from(values))],
    [1, () => values.slice()],
    [narrow ? 1 : 0, () => (f64 ? Float32Array.from(values) : Float64Array.from(values))],
    [1, () => viewOf(f64 ? Float64Array.from(values) : Float32Array.from(values), NaN)],
  ]);
}

/**
 * `length` values from `make`, as the engine reads them; for a float64 computation at times
 * float32 values, which a Float32Array container holds exactly (sideInput).
 */
function sideValues(d: Draw, prec: Precision, length: number, make: () => number): number[] {
  const r = prec === 'f64' && d.chance(0.3) ? Math.fround : read(prec);
  return Array.from({ length }, () => r(make()));
}

/** n·c and the shape: mostly small, N = 0 and C = 1 at times; every 50th seed rows wider than a staging block. */
function drawShape(d: Draw, seed: number, wideOk: boolean): { n: number; c: number } {
  if (wideOk && seed % 500 === 250) return { n: 1, c: (1 << 20) + d.int(1, 3000) };
  if (wideOk && seed % 50 === 25) return { n: d.int(1, 2), c: d.int(65537, 70000) };
  const c = d.weighted([
    [5, () => 1],
    [30, () => d.int(2, 17)],
    [30, () => d.int(18, 130)],
    [8, () => d.int(131, 3000)],
    [4, () => 16 * d.int(1, 8)],
    [4, () => 4 * d.int(1, 16)],
  ]);
  const nMax = Math.max(1, Math.floor(60000 / c));
  const n = d.weighted([[6, () => 0], [45, () => d.int(1, 8)], [30, () => d.int(9, 64)], [10, () => d.int(65, 300)]]);
  return { n: Math.min(n, nMax), c };
}

// ---- expectations ----------------------------------------------------------------------------

const num = (want: number, tol: Tol = 'loss', slack?: number): Expected => ({ kind: 'number', want, tol, slack });
const arr = (type: ArrayType, want: ArrayLike<number>, tol: Tol, amp?: ArrayLike<number>, given?: unknown): Expected => ({
  kind: 'array', type, want, tol, amp, output: given === undefined ? undefined : 0,
});
const obj = (fields: Record<string, Expected | undefined>): Expected => {
  const out: Record<string, Expected> = {};
  for (const [k, v] of Object.entries(fields)) if (v) out[k] = v;
  return { kind: 'object', fields: out };
};
const floatType = (prec: Precision): ArrayType => (prec === 'f64' ? 'Float64Array' : 'Float32Array');
const lossOf = (loss: number | Float64Array, prec: Precision): Expected => (typeof loss === 'number' ? num(loss) : arr(floatType(prec), loss, 'loss'));

type Reduction = 'mean' | 'sum' | 'none';

function drawReduction(d: Draw): Reduction | undefined {
  return d.pick([undefined, 'mean', 'sum', 'none'] as const);
}

/**
 * gradOutput: absent, a number, or for 'none' one per row (element) in a random container;
 * returns the option and the values the engine reads.
 */
function drawGradOutput(d: Draw, prec: Precision, reduction: Reduction | undefined, count: number, arrays = true): { option: unknown; read: number | number[] | undefined } {
  return d.weighted<{ option: unknown; read: number | number[] | undefined }>([
    [3, () => ({ option: undefined, read: undefined })],
    [2, () => {
      const g = d.pick([1, -1, 0.5, 2, 0, -1.75]);
      return { option: g, read: g };
    }],
    [arrays && reduction === 'none' ? 3 : 0, () => {
      const values = sideValues(d, prec, count, () => (d.chance(0.1) ? 0 : 4 * d.next() - 2));
      return { option: sideInput(d, values, prec), read: values };
    }],
  ]);
}

/** gradOut / out: absent, a new array, the input itself (in place), or a view with guards around it. */
function drawOutput(d: Draw, input: FloatArray | number[], prec: Precision, length: number): FloatArray | undefined {
  return d.weighted<FloatArray | undefined>([
    [5, () => undefined],
    [2, () => (prec === 'f64' ? new Float64Array(length) : new Float32Array(length))],
    [prec === 'number[]' ? 0 : 2, () => input as FloatArray],
    [1, () => viewOf(prec === 'f64' ? new Float64Array(length) : new Float32Array(length), NaN)],
  ]);
}

/** Options without the keys left undefined (so a case prints as what it passes). */
function options(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out;
}

const callMethod = (method: string) => (engine: Engine, args: unknown[]): unknown => untyped(engine)[method](...args);

// ---- the sparse family: softmaxCrossEntropy, softmaxFocalLoss, Partial, shards -----------------

type LabelArray = Int32Array | BigInt64Array | Uint8Array | Int16Array | Float64Array | number[];

/** Labels in a random container that holds them all. */
function labelInput(d: Draw, labels: number[]): LabelArray {
  const fits = (lo: number, hi: number) => labels.every((v) => v >= lo && v <= hi);
  return d.weighted<LabelArray>([
    [fits(-(2 ** 31), 2 ** 31 - 1) ? 4 : 0, () => (d.chance(0.3) ? viewOf(Int32Array.from(labels), 2 ** 31 - 1) : Int32Array.from(labels))],
    [2, () => labels.slice()],
    [1, () => BigInt64Array.from(labels.map(BigInt))],
    [1, () => Float64Array.from(labels)],
    [fits(0, 255) ? 1 : 0, () => Uint8Array.from(labels)],
    [fits(-32768, 32767) ? 1 : 0, () => Int16Array.from(labels)],
  ]);
}

function sparseCase(d: Draw, seed: number, method: Method, prec: Precision): FuzzCase {
  const focal = method.startsWith('softmaxFocal');
  const partial = method.startsWith('softmaxCrossEntropyPartial');
  const shards = method === 'shards';
  const extras = method === 'softmaxCrossEntropy' || method === 'softmaxCrossEntropyWithGrad';
  const withGrad = method.endsWith('WithGrad');
  const { n, c } = drawShape(d, seed, !shards || d.chance(0.5));
  const ignoreIndex = d.weighted<number | undefined>([[5, () => undefined], [2, () => -1], [2, () => d.int(0, c - 1)], [1, () => 2 ** 31 + 7]]);
  const ignore = ignoreIndex ?? -100;
  const pIgnored = d.pick([0, 0, 0.2, 0.5, 1]);
  const labels = Array.from({ length: n }, () => {
    if (d.chance(pIgnored)) return ignore;
    const y = d.int(0, c - 1);
    return y === ignore ? (y + 1) % c : y;
  });
  const mode = drawMode(d);
  const logits = drawLogits(d, prec, n, c, mode, (i, k) => k === labels[i]);
  const x = mainInput(d, logits.values, prec);
  const weightKind = d.pick(['none', 'none', 'random', 'random', 'all zero'] as const);
  const weight = weightKind === 'none' ? undefined : sideValues(d, prec, c, () => (weightKind === 'all zero' || d.chance(0.1) ? 0 : 0.1 + 1.9 * d.next()));
  const labelSmoothing = focal ? undefined : d.weighted<number | undefined>([[5, () => undefined], [2, () => d.pick([0.1, 0.5, 0.9])], [1, () => 0.999 * d.next()]]);
  const zLoss = extras && d.chance(0.2) ? d.pick([1e-4, 1e-2, 0.5]) : undefined;
  const softcap = extras && d.chance(0.2) ? d.pick([1, 5, 30]) : undefined;
  const returnZLoss = extras && d.chance(0.15) ? true : undefined;
  const stats = extras && d.chance(0.2) ? d.pick([true, false]) : undefined;
  const gamma = focal && d.chance(0.8) ? d.pick([0, 0.5, 1, 2, 5]) : undefined;
  const alphaKind = focal ? d.pick(['none', 'number', 'array'] as const) : 'none';
  const alpha = alphaKind === 'number' ? read(prec)(d.pick([0.25, 1, 2])) : alphaKind === 'array' ? sideValues(d, prec, c, () => d.next() * 2) : undefined;
  const reduction = partial || shards ? undefined : drawReduction(d);
  const red: Reduction = reduction ?? 'mean';
  const labelsArg = labelInput(d, labels);
  // Without options.classes, C is logits.length / labels.length (not for N = 0).
  const classes = n > 0 && !shards && d.chance(0.15) ? undefined : c;
  const weightArg = weight && sideInput(d, weight, prec);
  const common = { classes, weight: weightArg, ignoreIndex, labelSmoothing };
  const values = logits.desc + (pIgnored > 0 ? `, ${pIgnored * 100}% ignored` : '');
  const ft = floatType(prec);
  const refOpts = { classes: c, reduction: red, weight, ignoreIndex, labelSmoothing, softcap, zLoss };

  if (shards) return shardsCase(d, seed, prec, n, c, x, labels, labelsArg, weight, ignoreIndex, labelSmoothing, values);

  const gradOut = withGrad ? drawOutput(d, x, prec, n * c) : undefined;
  const go = withGrad ? drawGradOutput(d, prec, red, n, !partial) : { option: undefined, read: undefined };
  const opts = options({
    ...common, reduction, zLoss, softcap, returnZLoss, stats, gamma, alpha: Array.isArray(alpha) ? sideInput(d, alpha, prec) : alpha,
    gradOut, gradOutput: go.option,
  });
  const base: Omit<FuzzCase, 'expected'> = {
    seed, method, prec, n, c, values, args: [x, labelsArg, opts], call: callMethod(method), outputs: [gradOut],
  };
  if (focal) {
    return {
      ...base,
      expected() {
        const r = refSoftmaxFocalLoss(logits.values, labels, { classes: c, reduction: red, gamma, alpha, weight, ignoreIndex, gradOutput: go.read });
        return withGrad ? obj({ loss: lossOf(r.loss, prec), grad: arr(ft, r.grad, 'grad', r.gradAmp, gradOut) }) : lossOf(r.loss, prec);
      },
    };
  }
  if (partial) {
    return {
      ...base,
      expected() {
        const r = refSoftmaxCrossEntropy(logits.values, labels, { ...refOpts, reduction: 'sum', gradOutput: go.read });
        let denominator = 0;
        for (const y of labels) if (y !== ignore) denominator += weight ? weight[y] : 1;
        return obj({ sum: num(r.loss as number), denominator: num(denominator), grad: withGrad ? arr(ft, r.grad, 'grad', r.gradAmp, gradOut) : undefined });
      },
    };
  }
  return {
    ...base,
    expected() {
      const r = refSoftmaxCrossEntropy(logits.values, labels, { ...refOpts, gradOutput: go.read });
      const loss = lossOf(r.loss, prec);
      const zTerm = returnZLoss ? lossOf(r.zLoss, prec) : undefined;
      const exactNll = !weight && !labelSmoothing;
      const statsTree = stats ? statsOf(r.stats, logits.values, labels, ignore, c, softcap ?? 0, prec, exactNll) : undefined;
      if (!withGrad && !zTerm && !statsTree) return loss;
      return obj({ loss, grad: withGrad ? arr(ft, r.grad, 'grad', r.gradAmp, gradOut) : undefined, zLoss: zTerm, stats: statsTree });
    },
  };
}

/**
 * The statistics, with the perplexity's slack: with class weights or smoothing the engines take
 * −log p_y as lse − x_y from the row's lse in the logits' precision, exact to the rounding of
 * max |lse|, |x_y|; otherwise (`exactNll`) from the loss itself.
 */
function statsOf(
  s: ReturnType<typeof refSoftmaxCrossEntropy>['stats'], x: number[], labels: number[], ignore: number, c: number, cap: number, prec: Precision,
  exactNll: boolean,
): Expected {
  const ulp = prec === 'f64' ? 2 ** -52 : 2 ** -23;
  let big = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === ignore) continue;
    const xy = cap > 0 ? cap * Math.tanh(x[i * c + labels[i]] / cap) : x[i * c + labels[i]];
    big = Math.max(big, Math.abs(s.lse[i]) + Math.abs(xy));
  }
  return obj({
    lse: arr(floatType(prec), s.lse, 'loss'),
    predicted: arr('Int32Array', s.predicted, 'exact'),
    correct: arr('Uint8Array', s.correct, 'exact'),
    correctCount: num(s.correctCount, 'exact'),
    counted: num(s.counted, 'exact'),
    accuracy: num(s.accuracy, 'exact'),
    perplexity: num(s.perplexity, 'perplexity', exactNll ? 0 : 2 * ulp * big),
  });
}

/**
 * Vocabulary shards: C cut into 1-4 shards, each one's RowStates (with its class weights), merged
 * in a random order, then each shard's gradient slice; the case's result is
 * `{ loss, sum, denominator, lse, grad }` with grad the slices put back together.
 */
function shardsCase(
  d: Draw, seed: number, prec: Precision, n: number, c: number, x: FloatArray | number[], labels: number[], labelsArg: LabelArray,
  weight: number[] | undefined, ignoreIndex: number | undefined, labelSmoothing: number | undefined, values: string,
): FuzzCase {
  const count = d.int(1, Math.min(4, c));
  const cuts = new Set<number>();
  while (cuts.size < count - 1) cuts.add(d.int(1, c - 1));
  const bounds = [0, ...[...cuts].sort((a, b) => a - b), c];
  const reduction = drawReduction(d);
  const red = reduction ?? 'mean';
  const go = drawGradOutput(d, prec, red, n);
  const shardArgs = bounds.slice(1).map((c1, s) => {
    const c0 = bounds[s];
    const w = c1 - c0;
    const xs: number[] = [];
    for (let i = 0; i < n; i++) for (let k = c0; k < c1; k++) xs.push((x as ArrayLike<number>)[i * c + k]);
    const xi = mainInput(d, xs, prec);
    const rowStates = options({
      classes: w, classOffset: c0 === 0 && d.chance(0.5) ? undefined : c0, weight: weight && sideInput(d, weight.slice(c0, c1), prec), ignoreIndex, labelSmoothing,
    });
    const grad = options({ gradOutput: go.option, gradOut: drawOutput(d, xi, prec, n * w) });
    return [xi, rowStates, grad] as const;
  });
  const order = shardArgs.map((_, i) => i).sort(() => d.next() - 0.5);
  return {
    seed, method: 'shards', prec, n, c, values: `${values}, shards at ${bounds.join('/')}`,
    args: [shardArgs, labelsArg, options({ reduction })],
    outputs: shardArgs.map((s) => s[2].gradOut),
    call(engine, args) {
      const [shardsIn, labelsIn, mergeOpts] = args as [(typeof shardArgs)[number][], LabelArray, { reduction?: Reduction }];
      const states = shardsIn.map(([xi, o]) => engine.softmaxCrossEntropyRowStates(xi as FloatArray, labelsIn, o));
      const merged: MergedRowStates = mergeRowStates(order.map((i) => states[i] as RowStates), mergeOpts);
      const grad = prec === 'f64' ? new Float64Array(n * c) : new Float32Array(n * c);
      shardsIn.forEach(([xi, , o], s) => {
        const g = engine.softmaxCrossEntropyShardGrad(xi as FloatArray, states[s], merged, o);
        const w = bounds[s + 1] - bounds[s];
        for (let i = 0; i < n; i++) grad.set(g.subarray(i * w, (i + 1) * w), i * c + bounds[s]);
      });
      return { loss: merged.loss, sum: merged.sum, denominator: merged.denominator, lse: merged.lse, grad };
    },
    expected() {
      const r = refSoftmaxCrossEntropy(x as ArrayLike<number>, labels, { classes: c, reduction: red, weight, ignoreIndex, labelSmoothing, gradOutput: go.read });
      const sum = refSoftmaxCrossEntropy(x as ArrayLike<number>, labels, { classes: c, reduction: 'sum', weight, ignoreIndex, labelSmoothing }).loss as number;
      const ignore = ignoreIndex ?? -100;
      let denominator = 0;
      for (const y of labels) if (y !== ignore) denominator += weight ? weight[y] : 1;
      // The merge gives every row's lse, ignored or not.
      const lse = Float64Array.from({ length: n }, (_, i) => logSumExp(Array.prototype.slice.call(x, i * c, (i + 1) * c) as number[]));
      return obj({
        loss: typeof r.loss === 'number' ? num(r.loss) : arr('Float64Array', r.loss, 'loss'),
        sum: num(sum),
        denominator: num(denominator),
        lse: arr('Float64Array', lse, 'loss'),
        grad: arr(floatType(prec), r.grad, 'grad', r.gradAmp),
      });
    },
  };
}

// ---- probability targets ---------------------------------------------------------------------

/** Target rows: distributions, one-hot, unnormalized in [0, 1], all-zero rows, NaN at times. */
function drawTargets(d: Draw, prec: Precision, n: number, c: number, nonfinite: boolean): number[] {
  const kind = d.pick(['soft', 'one-hot', 'unnormalized', 'sparse soft'] as const);
  const r = prec === 'f64' && d.chance(0.3) ? Math.fround : read(prec);
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const row = new Array<number>(c).fill(0);
    if (d.chance(0.05)) {
      // an all-zero (padding) row
    } else if (kind === 'one-hot') row[d.int(0, c - 1)] = 1;
    else {
      const pZero = kind === 'sparse soft' ? 0.8 : kind === 'unnormalized' ? 0.3 : 0;
      for (let k = 0; k < c; k++) row[k] = d.chance(pZero) ? 0 : kind === 'unnormalized' ? d.next() : Math.exp(2 * d.normal());
      if (kind !== 'unnormalized') {
        const s = row.reduce((a, b) => a + b, 0);
        if (s > 0) for (let k = 0; k < c; k++) row[k] /= s;
      }
    }
    if (nonfinite && d.chance(0.05)) row[d.int(0, c - 1)] = NaN;
    for (const v of row) t.push(r(v));
  }
  return t;
}

function denseCase(d: Draw, seed: number, method: Method, prec: Precision): FuzzCase {
  const withGrad = method.endsWith('WithGrad');
  const { n, c } = drawShape(d, seed, true);
  const mode = drawMode(d);
  const targets = drawTargets(d, prec, n, c, mode === 'nonfinite');
  const logits = drawLogits(d, prec, n, c, mode, (i, k) => targets[i * c + k] !== 0);
  const x = mainInput(d, logits.values, prec);
  const weightKind = d.pick(['none', 'none', 'random', 'all zero'] as const);
  const weight = weightKind === 'none' ? undefined : sideValues(d, prec, c, () => (weightKind === 'all zero' || d.chance(0.15) ? 0 : 0.1 + 1.9 * d.next()));
  const labelSmoothing = d.weighted<number | undefined>([[5, () => undefined], [2, () => d.pick([0.1, 0.5, 0.9])], [1, () => 0.999 * d.next()]]);
  const zLoss = d.chance(0.2) ? d.pick([1e-4, 1e-2, 0.5]) : undefined;
  const softcap = d.chance(0.2) ? d.pick([1, 5, 30]) : undefined;
  const returnZLoss = d.chance(0.15) ? true : undefined;
  const reduction = drawReduction(d);
  const red = reduction ?? 'mean';
  const gradOut = withGrad ? drawOutput(d, x, prec, n * c) : undefined;
  const go = withGrad ? drawGradOutput(d, prec, red, n) : { option: undefined, read: undefined };
  const opts = options({
    classes: c, reduction, weight: weight && sideInput(d, weight, prec), labelSmoothing, zLoss, softcap, returnZLoss, gradOut, gradOutput: go.option,
  });
  return {
    seed, method, prec, n, c, values: logits.desc, args: [x, sideInput(d, targets, prec), opts], call: callMethod(method), outputs: [gradOut],
    expected() {
      const r = refSoftmaxCrossEntropyDense(logits.values, targets, { classes: c, reduction: red, weight, labelSmoothing, softcap, zLoss, gradOutput: go.read });
      const loss = lossOf(r.loss, prec);
      const zTerm = returnZLoss ? lossOf(r.zLoss, prec) : undefined;
      if (!withGrad && !zTerm) return loss;
      return obj({ loss, grad: withGrad ? arr(floatType(prec), r.grad, 'grad', r.gradAmp, gradOut) : undefined, zLoss: zTerm });
    },
  };
}

// ---- elementwise: sigmoidCrossEntropy, sigmoidFocalLoss ----------------------------------------

/**
 * Without options.classes these take the whole array as one row: such a case is drawn as one
 * row of N·C (N = 0 stays empty, C = 1).
 */
function elementwiseShape(d: Draw, seed: number): { n: number; c: number; classes: boolean } {
  const { n, c } = drawShape(d, seed, true);
  if (d.chance(0.8)) return { n, c, classes: true };
  return n * c === 0 ? { n: 0, c: 1, classes: false } : { n: 1, c: n * c, classes: false };
}

function sigmoidCase(d: Draw, seed: number, method: Method, prec: Precision): FuzzCase {
  const focal = method.startsWith('sigmoidFocal');
  const withGrad = method.endsWith('WithGrad');
  const { n, c, classes } = elementwiseShape(d, seed);
  const count = n * c;
  const mode = drawMode(d);
  const logits = drawLogits(d, prec, n, c, mode, () => false);
  const x = mainInput(d, logits.values, prec);
  const soft = d.chance(0.5);
  const targets = sideValues(d, prec, count, () => (mode === 'nonfinite' && d.chance(0.02) ? NaN : soft ? d.next() : d.int(0, 1)));
  const reduction = drawReduction(d);
  const red = reduction ?? 'mean';
  const gradOut = withGrad ? drawOutput(d, x, prec, count) : undefined;
  const go = withGrad ? drawGradOutput(d, prec, red, count) : { option: undefined, read: undefined };
  const common = { classes: classes ? c : undefined, reduction, gradOut, gradOutput: go.option };
  const ft = floatType(prec);
  const result = (r: { loss: number | Float64Array; grad: Float64Array; gradAmp: Float64Array }): Expected =>
    withGrad ? obj({ loss: lossOf(r.loss, prec), grad: arr(ft, r.grad, 'grad', r.gradAmp, gradOut) }) : lossOf(r.loss, prec);
  const base = { seed, method, prec, n, c, values: logits.desc, call: callMethod(method), outputs: [gradOut] };
  if (focal) {
    const gamma = d.chance(0.8) ? d.pick([0, 0.5, 1, 2, 3.5]) : undefined;
    const alpha = d.chance(0.7) ? d.pick([0.25, 0.5, 0, 1, -1]) : undefined;
    const opts = options({ ...common, gamma, alpha });
    return {
      ...base, args: [x, sideInput(d, targets, prec), opts],
      expected: () => result(refSigmoidFocalLoss(logits.values, targets, { classes: c, reduction: red, gamma, alpha: alpha === undefined ? undefined : read(prec)(alpha), gradOutput: go.read })),
    };
  }
  const weightKind = d.pick(['none', 'per class', 'per element'] as const);
  const weight = weightKind === 'none' ? undefined : sideValues(d, prec, weightKind === 'per class' ? c : count, () => (d.chance(0.1) ? 0 : 2 * d.next()));
  const posKind = d.pick(['none', 'number', 'per class'] as const);
  const posWeight = posKind === 'number' ? read(prec)(d.pick([0.5, 2, 3.25])) : posKind === 'per class' ? sideValues(d, prec, c, () => 4 * d.next()) : undefined;
  const opts = options({ ...common, weight: weight && sideInput(d, weight, prec), posWeight: Array.isArray(posWeight) ? sideInput(d, posWeight, prec) : posWeight });
  return {
    ...base, args: [x, sideInput(d, targets, prec), opts],
    expected: () => result(refSigmoidCrossEntropy(logits.values, targets, { classes: c, reduction: red, weight, posWeight, gradOutput: go.read })),
  };
}

// ---- probabilities: crossEntropy, entropy, klDivergence ------------------------------------------

/** Rows of probabilities: distributions with exact zeros and ones (every value is in [0, 1]). */
function drawProbabilities(d: Draw, prec: Precision, n: number, c: number): number[] {
  const r = read(prec);
  const out: number[] = [];
  const pZero = d.pick([0, 0.3, 0.8]);
  for (let i = 0; i < n; i++) {
    if (d.chance(0.1)) {
      const row = new Array<number>(c).fill(0);
      row[d.int(0, c - 1)] = 1;
      for (const v of row) out.push(v);
      continue;
    }
    const row = Array.from({ length: c }, () => (d.chance(pZero) ? 0 : Math.exp(2 * d.normal())));
    const s = row.reduce((a, b) => a + b, 0);
    // Rounding can leave an entry a hair above 1; clamp so every value is a probability.
    for (const v of row) out.push(Math.min(1, r(s > 0 ? v / s : 0)));
  }
  return out;
}

function probCase(d: Draw, seed: number, method: Method, prec: Precision): FuzzCase {
  const { n, c, classes } = elementwiseShape(d, seed);
  const p = drawProbabilities(d, prec, n, c);
  const qKind = d.pick(['independent', 'independent', 'equal', 'zeros where p > 0'] as const);
  let q = qKind === 'equal' ? p.slice() : drawProbabilities(d, prec, n, c);
  if (qKind === 'zeros where p > 0') q = q.map((v, i) => (p[i] > 0 && d.chance(0.1) ? 0 : v));
  const base = d.pick([undefined, 'e', 2] as const);
  const reduction = drawReduction(d);
  const opts = options({ classes: classes ? c : undefined, reduction, base });
  const refOpts = { classes: c, reduction: reduction ?? 'mean', base };
  const pArg = mainInput(d, p, prec);
  const args = method === 'entropy' ? [pArg, opts] : [pArg, sideInput(d, q, prec), opts];
  return {
    seed, method, prec, n, c, values: `probabilities, q ${qKind}`, args, call: callMethod(method), outputs: [],
    expected() {
      const loss = method === 'entropy' ? refEntropy(p, refOpts) : method === 'crossEntropy' ? refCrossEntropy(p, q, refOpts) : refKlDivergence(p, q, refOpts);
      return lossOf(loss, prec);
    },
  };
}

// ---- row-wise: softmax, logSoftmax ---------------------------------------------------------------

function rowwiseCase(d: Draw, seed: number, method: Method, prec: Precision): FuzzCase {
  const { n, c, classes } = elementwiseShape(d, seed);
  const mode = drawMode(d);
  const logits = drawLogits(d, prec, n, c, mode, () => false);
  const x = mainInput(d, logits.values, prec);
  const out = drawOutput(d, x, prec, n * c);
  const opts = options({ classes: classes ? c : undefined, out });
  return {
    seed, method, prec, n, c, values: logits.desc, args: [x, opts], call: callMethod(method), outputs: [out],
    expected() {
      if (method === 'softmax') return arr(floatType(prec), refSoftmax(logits.values, { classes: c }), 'grad', undefined, out);
      return arr(floatType(prec), refLogSoftmax(logits.values, { classes: c }), 'loss', undefined, out);
    },
  };
}

// ---- the case of a seed ------------------------------------------------------------------------

/** The case of a seed: the method in turn (seed mod the number of methods), the rest drawn. */
export function drawCase(seed: number): FuzzCase {
  const d = new Draw(seed);
  const method = METHODS[seed % METHODS.length];
  const prec = d.pick<Precision>(['f32', 'f32', 'f64', 'number[]']);
  if (method.startsWith('softmaxCrossEntropyDense')) return denseCase(d, seed, method, prec);
  if (method.startsWith('sigmoid')) return sigmoidCase(d, seed, method, prec);
  if (method === 'crossEntropy' || method === 'entropy' || method === 'klDivergence') return probCase(d, seed, method, prec);
  if (method === 'softmax' || method === 'logSoftmax') return rowwiseCase(d, seed, method, prec);
  return sparseCase(d, seed, method, prec);
}
