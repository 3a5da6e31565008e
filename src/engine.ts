/**
 * The front: options, validation, labels, reductions and gradient scales, written once over the
 * `Kernels` interface so that every backend returns the same numbers and fails the same way.
 */
import type { BackendName, FloatArray, Kernels } from './kernels/kernel.js';
import type { Loss, LossWithGrad, Reduction, SoftmaxStats } from './types.js';
import { SPARSE_XENT } from './losses/softmax-cross-entropy.js';
import { DENSE_XENT } from './losses/softmax-cross-entropy-dense.js';
import { SIGMOID_XENT } from './losses/sigmoid-cross-entropy.js';
import { SIGMOID_FOCAL as SIGMOID_FOCAL_LOSS } from './losses/sigmoid-focal-loss.js';
import { CROSS_ENTROPY, ENTROPY, KL_DIVERGENCE, type ProbArgs } from './losses/probabilities.js';
import { LOG_SOFTMAX, SOFTMAX, type RowwiseArgs } from './losses/softmax.js';
import { EXP_SCALE, ROW_STATES as ROW_STATES_KERNEL } from './kernels/row-states.js';
import type { Kernel } from './kernels/kernel.js';
import {
  type MergedRowStates,
  type PartialLoss,
  type PartialLossWithGrad,
  type RowStates,
  checkShardOfMerge,
  finishShardGrad,
  shardGradCoefficients,
} from './shards.js';
import {
  type OptionName,
  checkFinite,
  checkOptionNames,
  classesOf,
  describe,
  finiteOf,
  flagOf,
  ignoreIndexOf,
  logBaseOf,
  mainFloat,
  newFloat,
  nonNegativeOf,
  optionsObject,
  outputArray,
  reductionOf,
  sideFloat,
  smoothingOf,
  softcapOf,
} from './validate.js';

const EXTRAS: readonly OptionName[] = ['zLoss', 'softcap', 'returnZLoss'];
const SPARSE: readonly OptionName[] = ['classes', 'reduction', 'weight', 'ignoreIndex', 'labelSmoothing', ...EXTRAS, 'stats'];
const DENSE: readonly OptionName[] = ['classes', 'reduction', 'weight', 'labelSmoothing', ...EXTRAS];
const SOFTMAX_FOCAL: readonly OptionName[] = ['classes', 'reduction', 'weight', 'ignoreIndex', 'gamma', 'alpha'];
const SIGMOID_FOCAL: readonly OptionName[] = ['classes', 'reduction', 'gamma', 'alpha'];
const SIGMOID: readonly OptionName[] = ['classes', 'reduction', 'weight', 'posWeight'];
const GRAD: readonly OptionName[] = ['gradOut', 'gradOutput'];
const PROB: readonly OptionName[] = ['classes', 'reduction', 'base'];
const ROWWISE: readonly OptionName[] = ['classes', 'out'];
/** A batch shard's partial loss: the plain softmax cross-entropy, whose 'sum' it is. */
const PARTIAL: readonly OptionName[] = ['classes', 'weight', 'ignoreIndex', 'labelSmoothing'];
const ROW_STATES: readonly OptionName[] = ['classes', 'classOffset', 'weight', 'ignoreIndex', 'labelSmoothing'];

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** Labels as the kernels take them, with the mean's denominator Σ_{n∉I} w[y_n]. */
interface Labels {
  labels: Int32Array;
  /** The value the kernels treat as ignored (ignoreIndex, or -1 when it does not fit int32). */
  ignore: number;
  denom: number;
  /** The number of counted (not ignored) rows. */
  counted: number;
}

/**
 * Checks every label (an integer in [0, C) or ignoreIndex) and sums the mean's denominator in
 * the same pass. Int32Array labels are used as they are; other arrays are converted after the
 * check, so no value wraps on the way to int32.
 */
function labelsOf(method: string, raw: unknown, n: number, c: number, ignoreIndex: number, w: FloatArray | null): Labels {
  const arrayLike = Array.isArray(raw) || (ArrayBuffer.isView(raw) && !(raw instanceof DataView));
  if (!arrayLike) throw new TypeError(`${method}: labels must be an integer typed array or number[], got ${describe(raw)}`);
  const src = raw as ArrayLike<number | bigint>;
  if (src.length !== n) throw new RangeError(`${method}: labels has length ${src.length}, expected ${n} (logits length / classes)`);
  const fits = ignoreIndex >= INT32_MIN && ignoreIndex <= INT32_MAX;
  const ignore = fits ? ignoreIndex : -1;
  const labels = src instanceof Int32Array ? src : new Int32Array(n);
  const convert = labels !== src;
  let denom = 0;
  let counted = 0;
  for (let i = 0; i < n; i++) {
    const raw = src[i];
    const v = typeof raw === 'bigint' ? Number(raw) : raw;
    if (v === ignoreIndex) {
      if (convert) labels[i] = ignore;
      continue;
    }
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      throw new TypeError(`${method}: labels[${i}] = ${describe(raw)} is not an integer`);
    }
    if (v < 0 || v >= c) {
      throw new RangeError(`${method}: labels[${i}] = ${v} is outside [0, ${c}) and is not ignoreIndex (${ignoreIndex})`);
    }
    if (convert) labels[i] = v;
    denom += w ? w[v] : 1;
    counted++;
  }
  return { labels, ignore, denom, counted };
}

/**
 * gradOutput as a scalar multiplier (and, for 'none', optionally one per row / element);
 * zGradScale is the multiplier of the z-loss term, whose mean divides by `zDenom`.
 */
function gradScaleOf(
  method: string,
  g: unknown,
  reduction: Reduction,
  count: number,
  denom: number,
  f64: boolean,
  zDenom = denom,
): { gradScale: number; zGradScale: number; scales: FloatArray | null } {
  if (g === undefined) g = 1;
  if (typeof g === 'number') {
    if (!Number.isFinite(g)) throw new RangeError(`${method}: gradOutput must be finite, got ${g}`);
    // Mean over zero counted rows is 0, and so is its gradient (PyTorch would give NaN).
    const over = (d: number) => (reduction === 'mean' ? (d === 0 ? 0 : (g as number) / d) : (g as number));
    return { gradScale: over(denom), zGradScale: over(zDenom), scales: null };
  }
  if (reduction !== 'none') {
    throw new TypeError(`${method}: gradOutput must be a number for reduction '${reduction}', got ${describe(g)}`);
  }
  const scales = sideFloat(method, 'gradOutput', g, f64, count);
  checkFinite(method, 'gradOutput', scales);
  return { gradScale: 1, zGradScale: 1, scales };
}

/**
 * The z-loss term z·lse² of each counted row (rows where `counts` is true), added into the
 * per-row losses for 'none'; returns the term, reduced as the loss is ('mean' over `counted`
 * rows), per row for 'none'.
 */
function zLossTerm(
  z: number,
  lse: FloatArray | null,
  counts: (row: number) => boolean,
  n: number,
  counted: number,
  reduction: Reduction,
  rowLoss: FloatArray | null,
  f64: boolean,
): Loss {
  const rows = reduction === 'none' ? newFloat(f64, n) : null;
  let sum = 0;
  if (z > 0 && lse) {
    for (let i = 0; i < n; i++) {
      if (!counts(i)) continue;
      const term = z * lse[i] * lse[i];
      sum += term;
      if (rows) {
        rows[i] = term;
        rowLoss![i] += term;
      }
    }
  }
  if (rows) return rows;
  return reduction === 'sum' ? sum : counted === 0 ? 0 : sum / counted;
}

/** The result object of a call that asked for extras, with exactly the fields asked for. */
function withExtras<T extends object>(base: T, zLoss: Loss | null, stats: SoftmaxStats | null): T {
  const out: Record<string, unknown> = base as Record<string, unknown>;
  if (zLoss !== null) out.zLoss = zLoss;
  if (stats !== null) out.stats = stats;
  return base;
}

/** Reduces the kernel's Σ: 'sum' as it is, 'mean' over `denom` (0 when there is nothing to count). */
function reduce(total: number, reduction: Reduction, denom: number, perRow: FloatArray | null, unit = 1): Loss {
  if (reduction === 'none') {
    if (unit !== 1) for (let i = 0; i < perRow!.length; i++) perRow![i] /= unit;
    return perRow!;
  }
  const sum = total / unit;
  return reduction === 'sum' ? sum : denom === 0 ? 0 : sum / denom;
}

/** The engine over one kernel set. */
export class XentEngine {
  constructor(private readonly kernels: Kernels) {}

  /** Which backend runs the kernels. */
  get backend(): BackendName {
    return this.kernels.name;
  }

  /** Threads calls run on, the calling thread included. */
  get threads(): number {
    return this.kernels.threads ?? 1;
  }

  /** Stops the engine's worker threads (if any); the engine stays usable on the calling thread. */
  dispose(): void {
    this.kernels.dispose?.();
  }

  /** Resolves once the engine's worker threads (if any) run. */
  async ready(): Promise<void> {
    await this.kernels.ready?.();
  }

  alloc(length: unknown, type: unknown = 'float32'): FloatArray {
    if (typeof length !== 'number' || !Number.isInteger(length) || length < 0) {
      throw new RangeError(`alloc: length must be a non-negative integer, got ${describe(length)}`);
    }
    if (type !== 'float32' && type !== 'float64') {
      throw new RangeError(`alloc: type must be 'float32' or 'float64', got ${describe(type)}`);
    }
    const pool = this.kernels.arrays;
    if (!pool) return newFloat(type === 'float64', length);
    return type === 'float64' ? pool.allocF64(length) : pool.allocF32(length);
  }

  view<T extends FloatArray>(array: T): T {
    const pool = this.kernels.arrays;
    if (!pool) return array;
    if (!pool.owns(array)) throw new TypeError(`view: takes an array from engine.alloc, got ${describe(array)}`);
    return pool.view(array);
  }

  free(array: FloatArray): void {
    const pool = this.kernels.arrays;
    if (!pool) return;
    if (!pool.owns(array)) throw new TypeError(`free: takes a live array from engine.alloc, got ${describe(array)}`);
    pool.free(array);
  }

  /**
   * The gradient's output (gradOut, checked, or a new array) and its scales from gradOutput;
   * no gradient for a loss-only call.
   */
  private gradSetup(
    method: string,
    o: Record<string, unknown>,
    withGrad: boolean,
    f64: boolean,
    x: FloatArray,
    inputs: readonly (ArrayBufferView | null)[],
    reduction: Reduction,
    count: number,
    denom: number,
    zDenom = denom,
  ): { grad: FloatArray | null; gradScale: number; zGradScale: number; scales: FloatArray | null } {
    if (!withGrad) return { grad: null, gradScale: 0, zGradScale: 0, scales: null };
    const grad = o.gradOut === undefined ? newFloat(f64, x.length) : outputArray(method, 'gradOut', this.live(method, 'gradOut', o.gradOut), f64, x.length, x, inputs);
    return { grad, ...gradScaleOf(method, o.gradOutput, reduction, count, denom, f64, zDenom) };
  }

  /**
   * An argument as the kernels should see it: an engine array detached by memory growth is
   * re-attached; any other view of a detached buffer is an error, not an empty array. Anything
   * that is not a float array passes through to validation.
   */
  private live(method: string, name: string, a: unknown): unknown {
    if (!(a instanceof Float32Array || a instanceof Float64Array) || a.length !== 0) return a;
    const pool = this.kernels.arrays;
    if (pool?.owns(a)) return pool.view(a);
    if (isDetached(a.buffer)) {
      throw new RangeError(`${method}: ${name} is a view of a detached ArrayBuffer (the engine's memory grew after it was taken: use engine.view(array))`);
    }
    return a;
  }

  softmaxCrossEntropy(logits: unknown, labels: unknown, opts?: unknown): unknown {
    return this.sparse('softmaxCrossEntropy', logits, labels, opts, false, SPARSE);
  }

  softmaxCrossEntropyWithGrad(logits: unknown, labels: unknown, opts?: unknown): unknown {
    return this.sparse('softmaxCrossEntropyWithGrad', logits, labels, opts, true, SPARSE);
  }

  softmaxCrossEntropyDense(logits: unknown, targets: unknown, opts?: unknown): unknown {
    return this.dense('softmaxCrossEntropyDense', logits, targets, opts, false);
  }

  softmaxCrossEntropyDenseWithGrad(logits: unknown, targets: unknown, opts?: unknown): unknown {
    return this.dense('softmaxCrossEntropyDenseWithGrad', logits, targets, opts, true);
  }

  softmaxFocalLoss(logits: unknown, labels: unknown, opts?: unknown): unknown {
    return this.sparse('softmaxFocalLoss', logits, labels, opts, false, SOFTMAX_FOCAL);
  }

  softmaxFocalLossWithGrad(logits: unknown, labels: unknown, opts?: unknown): unknown {
    return this.sparse('softmaxFocalLossWithGrad', logits, labels, opts, true, SOFTMAX_FOCAL);
  }

  sigmoidFocalLoss(logits: unknown, targets: unknown, opts?: unknown): Loss {
    return this.sigmoidFocal('sigmoidFocalLoss', logits, targets, opts, false).loss;
  }

  sigmoidFocalLossWithGrad(logits: unknown, targets: unknown, opts?: unknown): LossWithGrad {
    return this.sigmoidFocal('sigmoidFocalLossWithGrad', logits, targets, opts, true) as LossWithGrad;
  }

  sigmoidCrossEntropy(logits: unknown, targets: unknown, opts?: unknown): Loss {
    return this.sigmoid('sigmoidCrossEntropy', logits, targets, opts, false).loss;
  }

  sigmoidCrossEntropyWithGrad(logits: unknown, targets: unknown, opts?: unknown): LossWithGrad {
    return this.sigmoid('sigmoidCrossEntropyWithGrad', logits, targets, opts, true) as LossWithGrad;
  }

  crossEntropy(p: unknown, q: unknown, opts?: unknown): Loss {
    return this.prob('crossEntropy', p, q, opts, CROSS_ENTROPY);
  }

  entropy(p: unknown, opts?: unknown): Loss {
    return this.prob('entropy', p, null, opts, ENTROPY);
  }

  klDivergence(p: unknown, q: unknown, opts?: unknown): Loss {
    return this.prob('klDivergence', p, q, opts, KL_DIVERGENCE);
  }

  softmax(logits: unknown, opts?: unknown): FloatArray {
    return this.rowwise('softmax', logits, opts, SOFTMAX);
  }

  logSoftmax(logits: unknown, opts?: unknown): FloatArray {
    return this.rowwise('logSoftmax', logits, opts, LOG_SOFTMAX);
  }

  // ---- shards that combine exactly (src/shards.ts) -------------------------------------------

  softmaxCrossEntropyPartial(logits: unknown, labels: unknown, opts?: unknown): PartialLoss {
    const method = 'softmaxCrossEntropyPartial';
    const o = partialOptions(method, opts, false);
    const sum = this.sparse(method, logits, labels, o, false, SPARSE) as number;
    return { sum, denominator: this.denominator(method, logits, labels, o) };
  }

  softmaxCrossEntropyPartialWithGrad(logits: unknown, labels: unknown, opts?: unknown): PartialLossWithGrad {
    const method = 'softmaxCrossEntropyPartialWithGrad';
    const o = partialOptions(method, opts, true);
    const { loss, grad } = this.sparse(method, logits, labels, o, true, SPARSE) as LossWithGrad;
    return { sum: loss as number, denominator: this.denominator(method, logits, labels, o), grad };
  }

  /** The mean's denominator Σ_{n∉I} w[y_n] of a sparse call (labels and weights only; validated already). */
  private denominator(method: string, logits: unknown, rawLabels: unknown, o: Record<string, unknown>): number {
    const x = mainFloat(method, 'logits', this.live(method, 'logits', logits));
    const c = sparseClassesOf(method, o, x, rawLabels);
    const weight = o.weight === undefined ? null : sideFloat(method, 'weight', o.weight, x instanceof Float64Array, c);
    return labelsOf(method, rawLabels, x.length / c, c, ignoreIndexOf(method, o), weight).denom;
  }

  softmaxCrossEntropyRowStates(logits: unknown, rawLabels: unknown, opts?: unknown): RowStates {
    const method = 'softmaxCrossEntropyRowStates';
    const o = optionsObject(method, opts);
    checkOptionNames(method, o, ROW_STATES);
    const x = mainFloat(method, 'logits', this.live(method, 'logits', logits));
    const f64 = x instanceof Float64Array;
    const c = sparseClassesOf(method, o, x, rawLabels);
    const n = x.length / c;
    const classOffset = o.classOffset ?? 0;
    if (typeof classOffset !== 'number' || !Number.isInteger(classOffset) || classOffset < 0) {
      throw new RangeError(`${method}: classOffset must be a non-negative integer, got ${describe(classOffset)}`);
    }
    const smoothing = smoothingOf(method, o);
    const ignoreIndex = ignoreIndexOf(method, o);
    const weight = o.weight === undefined ? null : sideFloat(method, 'weight', o.weight, f64, c);
    if (weight) checkFinite(method, 'weight', weight);
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
    this.kernels.run(ROW_STATES_KERNEL, { x, n, c, weight, max, sumExp, weightedShift });
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

  softmaxCrossEntropyShardGrad(logits: unknown, state: RowStates, merged: MergedRowStates, opts?: unknown): FloatArray {
    const method = 'softmaxCrossEntropyShardGrad';
    const o = optionsObject(method, opts);
    checkOptionNames(method, o, GRAD);
    if (typeof state !== 'object' || state === null || !(state.labels instanceof Int32Array)) {
      throw new TypeError(`${method}: state must be the shard's row states (from softmaxCrossEntropyRowStates), got ${describe(state)}`);
    }
    if (typeof merged !== 'object' || merged === null || !(merged.lse instanceof Float64Array)) {
      throw new TypeError(`${method}: merged must come from mergeRowStates, got ${describe(merged)}`);
    }
    checkShardOfMerge(method, state, merged);
    const x = mainFloat(method, 'logits', this.live(method, 'logits', logits));
    const f64 = x instanceof Float64Array;
    const { rows: n, classes: c } = state;
    if (x.length !== n * c) throw new RangeError(`${method}: logits has length ${x.length}, expected ${n * c} (the shard's rows x classes)`);
    const weight = state.weight && (f64 ? state.weight : Float32Array.from(state.weight));
    const grad = o.gradOut === undefined ? newFloat(f64, n * c) : outputArray(method, 'gradOut', this.live(method, 'gradOut', o.gradOut), f64, n * c, x, []);
    const { gradScale, scales } = gradScaleOf(method, o.gradOutput, merged.reduction, n, merged.denominator, f64);
    const rowScale = (r: number) => (scales ? scales[r] : gradScale);
    const { shift, alpha, beta } = shardGradCoefficients(state, merged, rowScale);
    this.kernels.run(EXP_SCALE, { x, n, c, shift, alpha, beta, weight, out: grad });
    finishShardGrad(grad, state, merged, rowScale);
    return grad;
  }

  // ---- end of shards ---------------------------------------------------------------------------

  /**
   * softmaxCrossEntropy (options SPARSE) and softmaxFocalLoss (options SOFTMAX_FOCAL): one sparse
   * kernel call; the front adds the z-loss term and the statistics from its per-row outputs.
   */
  private sparse(method: string, logits: unknown, rawLabels: unknown, opts: unknown, withGrad: boolean, names: readonly OptionName[]): unknown {
    const o = optionsObject(method, opts);
    checkOptionNames(method, o, withGrad ? [...names, ...GRAD] : names);
    const focal = names === SOFTMAX_FOCAL;
    const x = mainFloat(method, 'logits', this.live(method, 'logits', logits));
    const f64 = x instanceof Float64Array;
    const nLabels = (rawLabels as { length?: unknown } | null)?.length;
    // Without options.classes, C follows from the labels: N = labels.length.
    const inferred = typeof nLabels === 'number' && nLabels > 0 && x.length % nLabels === 0 ? x.length / nLabels : undefined;
    const c = classesOf(method, o, x.length, inferred);
    const n = x.length / c;
    const reduction = reductionOf(method, o);
    const smoothing = smoothingOf(method, o);
    const ignoreIndex = ignoreIndexOf(method, o);
    const weight = o.weight === undefined ? null : sideFloat(method, 'weight', o.weight, f64, c);
    if (weight) checkFinite(method, 'weight', weight);
    const zLoss = nonNegativeOf(method, o, 'zLoss', 0);
    const softcap = softcapOf(method, o);
    const returnZLoss = flagOf(method, o, 'returnZLoss');
    const wantStats = flagOf(method, o, 'stats');
    const gamma = focal ? nonNegativeOf(method, o, 'gamma', 2) : -1;
    // The focal α multiplies the loss like a class weight, but stays out of the mean's denominator.
    let lossWeight = weight;
    if (focal && o.alpha !== undefined) {
      const alpha = typeof o.alpha === 'number' ? newFloat(f64, c).fill(finiteOf(method, o, 'alpha', 1)) : sideFloat(method, 'alpha', o.alpha, f64, c);
      checkFinite(method, 'alpha', alpha);
      lossWeight = newFloat(f64, c);
      for (let k = 0; k < c; k++) lossWeight[k] = alpha[k] * (weight ? weight[k] : 1);
    }
    const { labels, ignore, denom, counted } = labelsOf(method, rawLabels, n, c, ignoreIndex, weight);
    const rowLoss = reduction === 'none' ? newFloat(f64, n) : null;
    const rowLse = zLoss > 0 || wantStats ? newFloat(f64, n) : null;
    const rowArgmax = wantStats ? new Int32Array(n) : null;
    const { grad, gradScale, zGradScale, scales: rowScale } = this.gradSetup(method, o, withGrad, f64, x, [labels, weight], reduction, n, denom, counted);
    // The target logits, for the perplexity: read now, as an in-place gradient overwrites them.
    let targetLogits: Float64Array | null = null;
    if (wantStats) {
      targetLogits = new Float64Array(n);
      for (let i = 0; i < n; i++) if (labels[i] !== ignore) targetLogits[i] = x[i * c + labels[i]];
    }
    const total = this.kernels.run(SPARSE_XENT, {
      logits: x, labels, n, c, weight: lossWeight, ignoreIndex: ignore, smoothing, rowLoss, grad, gradScale, rowScale,
      softcap, zLoss, zGradScale, focalGamma: gamma, rowLse, rowArgmax,
    });
    let loss = reduce(total, reduction, denom, rowLoss);
    let zTerm: Loss | null = null;
    if (zLoss > 0 || returnZLoss) {
      zTerm = zLossTerm(zLoss, rowLse, (i) => labels[i] !== ignore, n, counted, reduction, rowLoss, f64);
      if (typeof loss === 'number') loss += zTerm as number;
    }
    const stats = wantStats ? statsOf(targetLogits!, labels, ignore, softcap, rowLse!, rowArgmax!, counted) : null;
    const base = withGrad ? { loss, grad } : { loss };
    if (!returnZLoss && !wantStats) return withGrad ? base : loss;
    return withExtras(base, returnZLoss ? zTerm : null, stats);
  }

  private dense(method: string, logits: unknown, rawTargets: unknown, opts: unknown, withGrad: boolean): unknown {
    const o = optionsObject(method, opts);
    checkOptionNames(method, o, withGrad ? [...DENSE, ...GRAD] : DENSE);
    const x = mainFloat(method, 'logits', this.live(method, 'logits', logits));
    const f64 = x instanceof Float64Array;
    const c = classesOf(method, o, x.length, undefined);
    const n = x.length / c;
    const targets = sideFloat(method, 'targets', this.live(method, 'targets', rawTargets), f64, x.length);
    const reduction = reductionOf(method, o);
    const smoothing = smoothingOf(method, o);
    const weight = o.weight === undefined ? null : sideFloat(method, 'weight', o.weight, f64, c);
    if (weight) checkFinite(method, 'weight', weight);
    const zLoss = nonNegativeOf(method, o, 'zLoss', 0);
    const softcap = softcapOf(method, o);
    const returnZLoss = flagOf(method, o, 'returnZLoss');
    const rowLoss = reduction === 'none' ? newFloat(f64, n) : null;
    const rowLse = zLoss > 0 ? newFloat(f64, n) : null;
    const { grad, gradScale, zGradScale, scales: rowScale } = this.gradSetup(method, o, withGrad, f64, x, [targets, weight], reduction, n, n);
    const total = this.kernels.run(DENSE_XENT, { logits: x, targets, n, c, weight, smoothing, rowLoss, grad, gradScale, rowScale, softcap, zLoss, zGradScale, rowLse });
    // PyTorch's probability-target mean divides by N, whatever the weights.
    let loss = reduce(total, reduction, n, rowLoss);
    let zTerm: Loss | null = null;
    if (zLoss > 0 || returnZLoss) {
      zTerm = zLossTerm(zLoss, rowLse, () => true, n, n, reduction, rowLoss, f64);
      if (typeof loss === 'number') loss += zTerm as number;
    }
    const base = withGrad ? { loss, grad } : { loss };
    if (!returnZLoss) return withGrad ? base : loss;
    return withExtras(base, zTerm, null);
  }

  private sigmoidFocal(method: string, logits: unknown, rawTargets: unknown, opts: unknown, withGrad: boolean) {
    const o = optionsObject(method, opts);
    checkOptionNames(method, o, withGrad ? [...SIGMOID_FOCAL, ...GRAD] : SIGMOID_FOCAL);
    const x = mainFloat(method, 'logits', this.live(method, 'logits', logits));
    const f64 = x instanceof Float64Array;
    const c = classesOf(method, o, x.length, Math.max(x.length, 1));
    const n = x.length / c;
    const targets = sideFloat(method, 'targets', this.live(method, 'targets', rawTargets), f64, x.length);
    const reduction = reductionOf(method, o);
    const gamma = nonNegativeOf(method, o, 'gamma', 2);
    const alpha = finiteOf(method, o, 'alpha', 0.25);
    const count = x.length;
    const elemLoss = reduction === 'none' ? newFloat(f64, count) : null;
    const { grad, gradScale, scales: elemScale } = this.gradSetup(method, o, withGrad, f64, x, [targets], reduction, count, count);
    const total = this.kernels.run(SIGMOID_FOCAL_LOSS, { logits: x, targets, n, c, gamma, alpha, elemLoss, grad, gradScale, elemScale });
    return { loss: reduce(total, reduction, count, elemLoss), grad };
  }

  private sigmoid(method: string, logits: unknown, rawTargets: unknown, opts: unknown, withGrad: boolean) {
    const o = optionsObject(method, opts);
    checkOptionNames(method, o, withGrad ? [...SIGMOID, ...GRAD] : SIGMOID);
    const x = mainFloat(method, 'logits', this.live(method, 'logits', logits));
    const f64 = x instanceof Float64Array;
    const c = classesOf(method, o, x.length, Math.max(x.length, 1));
    const n = x.length / c;
    const targets = sideFloat(method, 'targets', this.live(method, 'targets', rawTargets), f64, x.length);
    const reduction = reductionOf(method, o);
    let weight: FloatArray | null = null;
    let weightPerElement = false;
    if (o.weight !== undefined) {
      const len = (o.weight as { length?: unknown }).length;
      weightPerElement = len === x.length && len !== c;
      if (len !== c && len !== x.length) {
        throw new RangeError(`${method}: weight has length ${describe(len)}, expected ${c} (one per class) or ${x.length} (one per element)`);
      }
      weight = sideFloat(method, 'weight', o.weight, f64, weightPerElement ? x.length : c);
      checkFinite(method, 'weight', weight);
    }
    let posWeight: FloatArray | null = null;
    if (typeof o.posWeight === 'number') {
      if (!Number.isFinite(o.posWeight)) throw new RangeError(`${method}: posWeight must be finite, got ${o.posWeight}`);
      posWeight = newFloat(f64, c).fill(o.posWeight);
    } else if (o.posWeight !== undefined) {
      posWeight = sideFloat(method, 'posWeight', o.posWeight, f64, c);
      checkFinite(method, 'posWeight', posWeight);
    }
    const count = x.length;
    const elemLoss = reduction === 'none' ? newFloat(f64, count) : null;
    const { grad, gradScale, scales: elemScale } = this.gradSetup(method, o, withGrad, f64, x, [targets, weight, posWeight], reduction, count, count);
    const total = this.kernels.run(SIGMOID_XENT, { logits: x, targets, n, c, weight, weightPerElement, posWeight, elemLoss, grad, gradScale, elemScale });
    return { loss: reduce(total, reduction, count, elemLoss), grad };
  }

  private prob(method: string, rawP: unknown, rawQ: unknown, opts: unknown, kernel: Kernel<ProbArgs>): Loss {
    const o = optionsObject(method, opts);
    checkOptionNames(method, o, PROB);
    const p = mainFloat(method, 'p', this.live(method, 'p', rawP));
    const f64 = p instanceof Float64Array;
    const c = classesOf(method, o, p.length, Math.max(p.length, 1));
    const n = p.length / c;
    const q = rawQ === null ? null : sideFloat(method, 'q', this.live(method, 'q', rawQ), f64, p.length);
    const reduction = reductionOf(method, o);
    const unit = logBaseOf(method, o);
    checkProbabilities(method, 'p', p);
    if (q) checkProbabilities(method, 'q', q);
    const rowLoss = reduction === 'none' ? newFloat(f64, n) : null;
    const total = this.kernels.run(kernel, { p, q, n, c, rowLoss });
    return reduce(total, reduction, n, rowLoss, unit);
  }

  private rowwise(method: string, raw: unknown, opts: unknown, kernel: Kernel<RowwiseArgs>): FloatArray {
    const o = optionsObject(method, opts);
    checkOptionNames(method, o, ROWWISE);
    const x = mainFloat(method, 'logits', this.live(method, 'logits', raw));
    const f64 = x instanceof Float64Array;
    const c = classesOf(method, o, x.length, Math.max(x.length, 1));
    const out = o.out === undefined ? newFloat(f64, x.length) : outputArray(method, 'out', this.live(method, 'out', o.out), f64, x.length, x, []);
    this.kernels.run(kernel, { x, n: x.length / c, c, out });
    return out;
  }
}

/**
 * The statistics of a sparse call from the kernel's per-row lse and argmax: correctness per
 * row, accuracy, and the perplexity exp(mean −log p_y) with −log p_y = lse − x_y (the target
 * logit x_y, capped as the kernel capped it).
 */
function statsOf(
  targetLogits: Float64Array,
  labels: Int32Array,
  ignore: number,
  softcap: number,
  lse: FloatArray,
  predicted: Int32Array,
  counted: number,
): SoftmaxStats {
  const n = labels.length;
  const correct = new Uint8Array(n);
  let correctCount = 0;
  let nll = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    if (y === ignore) continue;
    if (predicted[i] === y) {
      correct[i] = 1;
      correctCount++;
    }
    const xy = targetLogits[i];
    nll += lse[i] - (softcap > 0 ? softcap * Math.tanh(xy / softcap) : xy);
  }
  return {
    lse,
    predicted,
    correct,
    correctCount,
    counted,
    accuracy: counted === 0 ? 0 : correctCount / counted,
    perplexity: counted === 0 ? 1 : Math.exp(nll / counted),
  };
}

/** Probabilities must lie in [0, 1]; anything else (NaN included) would give a silent NaN. */
function checkProbabilities(method: string, name: string, p: FloatArray): void {
  for (let i = 0; i < p.length; i++) {
    const v = p[i];
    if (!(v >= 0 && v <= 1)) throw new RangeError(`${method}: ${name}[${i}] = ${v} is not a probability in [0, 1]`);
  }
}

/** Whether a buffer was detached (transferred, or a wasm memory that grew); Node 20 lacks `.detached`. */
function isDetached(buffer: ArrayBufferLike): boolean {
  if (buffer.byteLength !== 0) return false;
  try {
    new Uint8Array(buffer);
    return false;
  } catch {
    return true;
  }
}

/** C of a sparse call: options.classes, or logits.length / labels.length. */
function sparseClassesOf(method: string, o: Record<string, unknown>, x: FloatArray, rawLabels: unknown): number {
  const nLabels = (rawLabels as { length?: unknown } | null)?.length;
  const inferred = typeof nLabels === 'number' && nLabels > 0 && x.length % nLabels === 0 ? x.length / nLabels : undefined;
  return classesOf(method, o, x.length, inferred);
}

/** A partial result's options: softmaxCrossEntropy's plain ones, reduced by 'sum'. */
function partialOptions(method: string, opts: unknown, withGrad: boolean): Record<string, unknown> {
  const o = optionsObject(method, opts);
  if (o.reduction !== undefined) {
    throw new TypeError(`${method}: option 'reduction' does not apply here (a partial result is a sum with its denominator)`);
  }
  checkOptionNames(method, o, withGrad ? [...PARTIAL, ...GRAD] : PARTIAL);
  return { ...o, reduction: 'sum' };
}
