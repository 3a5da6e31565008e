/**
 * The front: options, validation, labels, reductions and gradient scales, written once over the
 * `Kernels` interface so that every backend returns the same numbers and fails the same way.
 */
import type { BackendName, FloatArray, Kernels } from './kernels.js';
import type { Loss, LossWithGrad, Reduction } from './types.js';
import {
  type MergedRowStates,
  type PartialLoss,
  type PartialLossWithGrad,
  type RowStates,
  checkShardOfMerge,
  shardGradCoefficients,
} from './shards.js';
import {
  type OptionName,
  checkFinite,
  checkOptionNames,
  classesOf,
  describe,
  ignoreIndexOf,
  logBaseOf,
  mainFloat,
  newFloat,
  optionsObject,
  outputArray,
  reductionOf,
  sideFloat,
  smoothingOf,
} from './validate.js';

const SPARSE: readonly OptionName[] = ['classes', 'reduction', 'weight', 'ignoreIndex', 'labelSmoothing'];
const DENSE: readonly OptionName[] = ['classes', 'reduction', 'weight', 'labelSmoothing'];
const SIGMOID: readonly OptionName[] = ['classes', 'reduction', 'weight', 'posWeight'];
const GRAD: readonly OptionName[] = ['gradOut', 'gradOutput'];
const PROB: readonly OptionName[] = ['classes', 'reduction', 'base'];
const ROWWISE: readonly OptionName[] = ['classes', 'out'];

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** Labels as the kernels take them, with the mean's denominator Σ_{n∉I} w[y_n]. */
interface Labels {
  labels: Int32Array;
  /** The value the kernels treat as ignored (ignoreIndex, or -1 when it does not fit int32). */
  ignore: number;
  denom: number;
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
  }
  return { labels, ignore, denom };
}

/** gradOutput as a scalar multiplier (and, for 'none', optionally one per row / element). */
function gradScaleOf(
  method: string,
  g: unknown,
  reduction: Reduction,
  count: number,
  denom: number,
  f64: boolean,
): { gradScale: number; scales: FloatArray | null } {
  if (g === undefined) g = 1;
  if (typeof g === 'number') {
    if (!Number.isFinite(g)) throw new RangeError(`${method}: gradOutput must be finite, got ${g}`);
    // Mean over zero counted rows is 0, and so is its gradient (PyTorch would give NaN).
    const gradScale = reduction === 'mean' ? (denom === 0 ? 0 : g / denom) : g;
    return { gradScale, scales: null };
  }
  if (reduction !== 'none') {
    throw new TypeError(`${method}: gradOutput must be a number for reduction '${reduction}', got ${describe(g)}`);
  }
  const scales = sideFloat(method, 'gradOutput', g, f64, count);
  checkFinite(method, 'gradOutput', scales);
  return { gradScale: 1, scales };
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

  softmaxCrossEntropy(logits: unknown, labels: unknown, opts?: unknown): Loss {
    return this.sparse('softmaxCrossEntropy', logits, labels, opts, false).loss;
  }

  softmaxCrossEntropyWithGrad(logits: unknown, labels: unknown, opts?: unknown): LossWithGrad {
    return this.sparse('softmaxCrossEntropyWithGrad', logits, labels, opts, true) as LossWithGrad;
  }

  softmaxCrossEntropyDense(logits: unknown, targets: unknown, opts?: unknown): Loss {
    return this.dense('softmaxCrossEntropyDense', logits, targets, opts, false).loss;
  }

  softmaxCrossEntropyDenseWithGrad(logits: unknown, targets: unknown, opts?: unknown): LossWithGrad {
    return this.dense('softmaxCrossEntropyDenseWithGrad', logits, targets, opts, true) as LossWithGrad;
  }

  sigmoidCrossEntropy(logits: unknown, targets: unknown, opts?: unknown): Loss {
    return this.sigmoid('sigmoidCrossEntropy', logits, targets, opts, false).loss;
  }

  sigmoidCrossEntropyWithGrad(logits: unknown, targets: unknown, opts?: unknown): LossWithGrad {
    return this.sigmoid('sigmoidCrossEntropyWithGrad', logits, targets, opts, true) as LossWithGrad;
  }

  crossEntropy(p: unknown, q: unknown, opts?: unknown): Loss {
    return this.prob('crossEntropy', p, q, opts, (a) => this.kernels.crossEntropy(a));
  }

  entropy(p: unknown, opts?: unknown): Loss {
    return this.prob('entropy', p, null, opts, (a) => this.kernels.entropy(a));
  }

  klDivergence(p: unknown, q: unknown, opts?: unknown): Loss {
    return this.prob('klDivergence', p, q, opts, (a) => this.kernels.klDivergence(a));
  }

  softmax(logits: unknown, opts?: unknown): FloatArray {
    return this.rowwise('softmax', logits, opts, (a) => this.kernels.softmax(a));
  }

  logSoftmax(logits: unknown, opts?: unknown): FloatArray {
    return this.rowwise('logSoftmax', logits, opts, (a) => this.kernels.logSoftmax(a));
  }

  // ---- shards that combine exactly (src/shards.ts) -------------------------------------------

  softmaxCrossEntropyPartial(logits: unknown, labels: unknown, opts?: unknown): PartialLoss {
    const method = 'softmaxCrossEntropyPartial';
    const { loss, denom } = this.sparse(method, logits, labels, partialOptions(method, opts), false);
    return { sum: loss as number, denominator: denom };
  }

  softmaxCrossEntropyPartialWithGrad(logits: unknown, labels: unknown, opts?: unknown): PartialLossWithGrad {
    const method = 'softmaxCrossEntropyPartialWithGrad';
    const { loss, denom, grad } = this.sparse(method, logits, labels, partialOptions(method, opts), true);
    return { sum: loss as number, denominator: denom, grad: grad! };
  }

  softmaxCrossEntropyRowStates(logits: unknown, rawLabels: unknown, opts?: unknown): RowStates {
    const method = 'softmaxCrossEntropyRowStates';
    const o = optionsObject(method, opts);
    checkOptionNames(method, o, ['classes', 'classOffset', 'weight', 'ignoreIndex', 'labelSmoothing']);
    const x = mainFloat(method, 'logits', this.live(method, 'logits', logits));
    const f64 = x instanceof Float64Array;
    const nLabels = (rawLabels as { length?: unknown } | null)?.length;
    const inferred = typeof nLabels === 'number' && nLabels > 0 && x.length % nLabels === 0 ? x.length / nLabels : undefined;
    const c = classesOf(method, o, x.length, inferred);
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
    this.kernels.rowStates({ x, n, c, weight, max, sumExp, weightedShift });
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
    const { rows: n, classes: c, classOffset } = state;
    if (x.length !== n * c) throw new RangeError(`${method}: logits has length ${x.length}, expected ${n * c} (the shard's rows x classes)`);
    const weight = state.weight && (f64 ? state.weight : Float32Array.from(state.weight));
    const grad = o.gradOut === undefined ? newFloat(f64, n * c) : outputArray(method, 'gradOut', this.live(method, 'gradOut', o.gradOut), f64, n * c, x, []);
    const { gradScale, scales } = gradScaleOf(method, o.gradOutput, merged.reduction, n, merged.denominator, f64);
    const rowScale = (r: number) => (scales ? scales[r] : gradScale);
    const { shift, alpha, beta } = shardGradCoefficients(state, merged, rowScale);
    // The target logits before an in-place gradient overwrites them.
    const targets = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      const y = merged.labels[r] - classOffset;
      if (y >= 0 && y < c) targets[r] = x[r * c + y];
    }
    this.kernels.expScale({ x, n, c, shift, alpha, beta, weight, out: grad });
    const eps = merged.labelSmoothing;
    const epsc = eps / merged.classes;
    for (let r = 0; r < n; r++) {
      const y = merged.labels[r];
      if (y < 0) {
        grad.fill(0, r * c, (r + 1) * c);
        continue;
      }
      if (y < classOffset || y >= classOffset + c) continue;
      const wy = merged.targetWeight[r];
      const a = (1 - eps) * wy + epsc * merged.weightSum;
      const p = Math.exp(targets[r] - merged.max[r]) / merged.sumExp[r];
      grad[r * c + y - classOffset] = rowScale(r) * (a * p - epsc * wy - (1 - eps) * wy);
    }
    return grad;
  }

  // ---- end of shards ---------------------------------------------------------------------------

  private sparse(method: string, logits: unknown, rawLabels: unknown, opts: unknown, withGrad: boolean) {
    const o = optionsObject(method, opts);
    checkOptionNames(method, o, withGrad ? [...SPARSE, ...GRAD] : SPARSE);
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
    const { labels, ignore, denom } = labelsOf(method, rawLabels, n, c, ignoreIndex, weight);
    const rowLoss = reduction === 'none' ? newFloat(f64, n) : null;
    let grad: FloatArray | null = null;
    let gradScale = 0;
    let rowScale: FloatArray | null = null;
    if (withGrad) {
      grad = o.gradOut === undefined ? newFloat(f64, n * c) : outputArray(method, 'gradOut', this.live(method, 'gradOut', o.gradOut), f64, n * c, x, [labels, weight]);
      ({ gradScale, scales: rowScale } = gradScaleOf(method, o.gradOutput, reduction, n, denom, f64));
    }
    const total = this.kernels.sparse({ logits: x, labels, n, c, weight, ignoreIndex: ignore, smoothing, rowLoss, grad, gradScale, rowScale });
    return { loss: reduce(total, reduction, denom, rowLoss), grad, denom };
  }

  private dense(method: string, logits: unknown, rawTargets: unknown, opts: unknown, withGrad: boolean) {
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
    const rowLoss = reduction === 'none' ? newFloat(f64, n) : null;
    let grad: FloatArray | null = null;
    let gradScale = 0;
    let rowScale: FloatArray | null = null;
    if (withGrad) {
      grad = o.gradOut === undefined ? newFloat(f64, n * c) : outputArray(method, 'gradOut', this.live(method, 'gradOut', o.gradOut), f64, n * c, x, [targets, weight]);
      ({ gradScale, scales: rowScale } = gradScaleOf(method, o.gradOutput, reduction, n, n, f64));
    }
    const total = this.kernels.dense({ logits: x, targets, n, c, weight, smoothing, rowLoss, grad, gradScale, rowScale });
    // PyTorch's probability-target mean divides by N, whatever the weights.
    return { loss: reduce(total, reduction, n, rowLoss), grad };
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
    let grad: FloatArray | null = null;
    let gradScale = 0;
    let elemScale: FloatArray | null = null;
    if (withGrad) {
      grad = o.gradOut === undefined ? newFloat(f64, count) : outputArray(method, 'gradOut', this.live(method, 'gradOut', o.gradOut), f64, count, x, [targets, weight, posWeight]);
      ({ gradScale, scales: elemScale } = gradScaleOf(method, o.gradOutput, reduction, count, count, f64));
    }
    const total = this.kernels.sigmoid({ logits: x, targets, n, c, weight, weightPerElement, posWeight, elemLoss, grad, gradScale, elemScale });
    return { loss: reduce(total, reduction, count, elemLoss), grad };
  }

  private prob(method: string, rawP: unknown, rawQ: unknown, opts: unknown, kernel: (a: Parameters<Kernels['entropy']>[0]) => number): Loss {
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
    const total = kernel({ p, q, n, c, rowLoss });
    return reduce(total, reduction, n, rowLoss, unit);
  }

  private rowwise(method: string, raw: unknown, opts: unknown, kernel: (a: Parameters<Kernels['softmax']>[0]) => void): FloatArray {
    const o = optionsObject(method, opts);
    checkOptionNames(method, o, ROWWISE);
    const x = mainFloat(method, 'logits', this.live(method, 'logits', raw));
    const f64 = x instanceof Float64Array;
    const c = classesOf(method, o, x.length, Math.max(x.length, 1));
    const out = o.out === undefined ? newFloat(f64, x.length) : outputArray(method, 'out', this.live(method, 'out', o.out), f64, x.length, x, []);
    kernel({ x, n: x.length / c, c, out });
    return out;
  }
}

/** A partial result's options: those of softmaxCrossEntropy, whose 'sum' it is, without a reduction. */
function partialOptions(method: string, opts: unknown): Record<string, unknown> {
  const o = optionsObject(method, opts);
  if (o.reduction !== undefined) {
    throw new TypeError(`${method}: option 'reduction' does not apply here (a partial result is a sum with its denominator)`);
  }
  return { ...o, reduction: 'sum' };
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
