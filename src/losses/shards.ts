/**
 * Shards that combine exactly: the engine's side of src/shards.ts. A batch split by rows gives
 * each shard's partial sum and denominator (softmaxCrossEntropyPartial); a vocabulary split by
 * columns gives each shard's row states (softmaxCrossEntropyRowStates), merged by
 * mergeRowStates, and each shard's columns of the gradient (softmaxCrossEntropyShardGrad).
 */
import { describe } from '../front/describe.js';
import type { Front } from '../front/front.js';
import { labelsOf } from '../front/labels.js';
import { mainFloat } from '../front/operands.js';
import { CLASSES, GRAD_ONLY, GRAD_OUT, GRAD_OUTPUT, IGNORE_INDEX, LABEL_SMOOTHING, WEIGHT, option, options, optionsObject } from '../front/options.js';
import { gradScaleOf } from '../front/reduce.js';
import { EXP_SCALE, ROW_STATES } from '../kernels/row-states.js';
import type { FloatArray } from '../kernels/kernel.js';
import {
  type MergedRowStates, type PartialLoss, type PartialLossWithGrad, type RowStates, checkShardOfMerge, finishShardGrad, shardGradCoefficients,
} from '../shards.js';
import type { FloatInput, FloatOutput, GradOptions, LabelInput } from '../types.js';
import { type SparseOptions, sparseLoss } from './softmax-cross-entropy.js';

/** Options of `softmaxCrossEntropyPartial`: the plain softmax cross-entropy's, without a reduction (it is a sum). */
export type PartialOptions = Pick<SparseOptions, 'classes' | 'weight' | 'ignoreIndex' | 'labelSmoothing'>;

/** Options of `softmaxCrossEntropyRowStates`: one vocabulary shard, the classes [classOffset, classOffset + classes). */
export interface RowStateOptions {
  /** The shard's number of classes (its width); default labels.length / rows. */
  classes?: number;
  /** The shard's first class. Default 0. */
  classOffset?: number;
  /** The shard's class weights (length classes). */
  weight?: FloatInput;
  ignoreIndex?: number;
  labelSmoothing?: number;
}

/** A batch shard's partial loss: the plain softmax cross-entropy, whose 'sum' it is. */
const PARTIAL_OPTIONS = options(CLASSES, WEIGHT, IGNORE_INDEX, LABEL_SMOOTHING);

/** The shard's first class. */
const CLASS_OFFSET = option('classOffset', ['offset', 'classoffset'], (method, v) => {
  const classOffset = v ?? 0;
  if (typeof classOffset !== 'number' || !Number.isInteger(classOffset) || classOffset < 0) {
    throw new RangeError(`${method}: classOffset must be a non-negative integer, got ${describe(classOffset)}`);
  }
  return classOffset;
});

const ROW_STATES_OPTIONS = options(CLASSES, CLASS_OFFSET, WEIGHT, IGNORE_INDEX, LABEL_SMOOTHING);

const INT32_MAX = 2147483647;

/** A partial result's options: softmaxCrossEntropy's plain ones, reduced by 'sum' (so a reduction is refused). */
function partialOptions(method: string, opts: unknown): Record<string, unknown> {
  const o = optionsObject(method, opts);
  if (o.reduction !== undefined) {
    throw new TypeError(`${method}: option 'reduction' does not apply here (a partial result is a sum with its denominator)`);
  }
  return o;
}

/** A batch shard's loss as `{ sum, denominator }`: the batch mean is Σ sum / Σ denominator. */
export function partialMethod(logits: FloatInput, labels: LabelInput, opts?: PartialOptions): PartialLoss;
export function partialMethod(this: Front, logits: unknown, labels: unknown, opts?: unknown): PartialLoss {
  const method = 'softmaxCrossEntropyPartial';
  const r = sparseLoss(this.begin(method, PARTIAL_OPTIONS, partialOptions(method, opts), false), logits, labels, { reduction: 'sum' });
  return { sum: r.loss as number, denominator: r.denom };
}

/**
 * `{ sum, denominator, grad }` with grad the gradient of `gradOutput · sum` (gradOutput
 * default 1); `gradOutput: 1 / (Σ denominator over all shards)` gives the shard's rows of the
 * gradient of the batch mean.
 */
export function partialGradMethod(
  logits: FloatInput, labels: LabelInput, opts?: PartialOptions & Omit<GradOptions, 'gradOutput'> & { gradOutput?: number },
): PartialLossWithGrad;
export function partialGradMethod(this: Front, logits: unknown, labels: unknown, opts?: unknown): PartialLossWithGrad {
  const method = 'softmaxCrossEntropyPartialWithGrad';
  const r = sparseLoss(this.begin(method, PARTIAL_OPTIONS, partialOptions(method, opts), true), logits, labels, { reduction: 'sum' });
  return { sum: r.loss as number, denominator: r.denom, grad: r.grad! };
}

/** A vocabulary shard's per-row state (its columns of every row), for `mergeRowStates`. */
export function rowStatesMethod(logits: FloatInput, labels: LabelInput, opts?: RowStateOptions): RowStates;
export function rowStatesMethod(this: Front, logits: unknown, rawLabels: unknown, opts?: unknown): RowStates {
  const call = this.begin('softmaxCrossEntropyRowStates', ROW_STATES_OPTIONS, opts, false);
  const { method } = call;
  const { x, f64, n, c } = call.rows('logits', logits, { labels: rawLabels });
  const classOffset = call.get(CLASS_OFFSET);
  const smoothing = call.get(LABEL_SMOOTHING);
  const ignoreIndex = call.get(IGNORE_INDEX);
  const weight = call.classWeights(f64, c);
  // Labels are global class indices; whether each falls in some shard is checked by the merge.
  const checked = labelsOf(method, rawLabels, n, INT32_MAX, ignoreIndex, null);
  const labels = new Int32Array(n);
  const target = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    const y = checked.labels[r];
    const ignored = y === checked.ignore;
    labels[r] = ignored ? -1 : y;
    if (!ignored && y >= classOffset && y < classOffset + c) target[r] = x[r * c + y - classOffset];
  }
  const max = new Float64Array(n);
  const sumExp = new Float64Array(n);
  const weightedShift = smoothing > 0 ? new Float64Array(n) : null;
  call.run(ROW_STATES, { x, n, c, weight, max, sumExp, weightedShift });
  let weightSum = c;
  if (weight) {
    weightSum = 0;
    for (let k = 0; k < c; k++) weightSum += weight[k];
  }
  return {
    rows: n, classOffset, classes: c, labels, labelSmoothing: smoothing, weight: weight && Float64Array.from(weight),
    weightSum, max, sumExp, weightedShift, target,
  };
}

/** The shard's columns of the gradient of the merged loss (`gradOutput` as for its reduction). */
export function shardGradMethod(logits: FloatInput, state: RowStates, merged: MergedRowStates, opts?: GradOptions): FloatOutput;
export function shardGradMethod(this: Front, logits: unknown, state: RowStates, merged: MergedRowStates, opts?: unknown): FloatArray {
  const call = this.begin('softmaxCrossEntropyShardGrad', GRAD_ONLY, opts, false);
  const { method } = call;
  if (typeof state !== 'object' || state === null || !(state.labels instanceof Int32Array)) {
    throw new TypeError(`${method}: state must be the shard's row states (from softmaxCrossEntropyRowStates), got ${describe(state)}`);
  }
  if (typeof merged !== 'object' || merged === null || !(merged.lse instanceof Float64Array)) {
    throw new TypeError(`${method}: merged must come from mergeRowStates, got ${describe(merged)}`);
  }
  checkShardOfMerge(method, state, merged);
  const x = mainFloat(method, 'logits', call.live('logits', logits));
  const f64 = x instanceof Float64Array;
  const { rows: n, classes: c } = state;
  if (x.length !== n * c) throw new RangeError(`${method}: logits has length ${x.length}, expected ${n * c} (the shard's rows x classes)`);
  const weight = state.weight && (f64 ? state.weight : Float32Array.from(state.weight));
  const grad = call.output(GRAD_OUT, f64, x, []);
  const { gradScale, scales } = gradScaleOf(method, call.live(GRAD_OUTPUT.name, call.o[GRAD_OUTPUT.name]), merged.reduction, n, merged.denominator, f64);
  const rowScale = (r: number) => (scales ? scales[r] : gradScale);
  const { shift, alpha, beta } = shardGradCoefficients(state, merged, rowScale);
  call.run(EXP_SCALE, { x, n, c, shift, alpha, beta, weight, out: grad });
  finishShardGrad(grad, state, merged, rowScale);
  return grad;
}

export default {
  methods: {
    softmaxCrossEntropyPartial: partialMethod,
    softmaxCrossEntropyPartialWithGrad: partialGradMethod,
    softmaxCrossEntropyRowStates: rowStatesMethod,
    softmaxCrossEntropyShardGrad: shardGradMethod,
  },
};
