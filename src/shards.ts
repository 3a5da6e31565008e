/**
 * Shards that combine exactly: the arithmetic that merges softmax cross-entropy computed in
 * pieces, in float64, with no engine and no kernel (the engine's methods produce the pieces).
 *
 * - A batch split by rows: each shard's `{ sum, denominator }` (engine.softmaxCrossEntropyPartial);
 *   the mean is Σ sums / Σ denominators.
 * - A vocabulary split by columns: each shard's per-row state (engine.softmaxCrossEntropyRowStates)
 *   over its classes [c0, c1); `mergeRowStates` gives the loss of the whole rows and the
 *   log-sum-exp per row, from which each shard computes its slice of the gradient
 *   (engine.softmaxCrossEntropyShardGrad).
 *
 * Merging row states: with M = max_i m_i and S = Σ_i s_i·exp(m_i − M), lse = M + log S and
 *   −log p_y         = (M − x_y) + log S
 *   Σ_k w_k(lse − x_k) = Σ_i [ W_i·(M − m_i + log S) − d_i ]      (d_i = Σ_{k∈i} w_k·(x_k − m_i) ≤ 0)
 * where every term of the second sum is ≥ 0, so nothing cancels.
 */
import type { FloatArray } from './kernels/kernel.js';
import type { FloatOutput, Reduction } from './types.js';

/** A shard's part of a batch split by rows: mean = Σ sum / Σ denominator over the shards. */
export interface PartialLoss {
  /** Σ of the shard's row losses (weighted, smoothed; ignored rows 0): its 'sum' reduction. */
  sum: number;
  /** Σ_{n∉I} w[y_n] over the shard's rows: its share of the mean's denominator (labels and weights only). */
  denominator: number;
}

/** A shard's partial loss and the gradient of `gradOutput · sum` w.r.t. its logits. */
export interface PartialLossWithGrad extends PartialLoss {
  grad: FloatOutput;
}

/**
 * One vocabulary shard's per-row state: the columns [classOffset, classOffset + classes) of
 * every row. Plain data (typed arrays and numbers): it can be posted to a worker or serialized.
 */
export interface RowStates {
  readonly rows: number;
  readonly classOffset: number;
  /** The shard's number of classes (its width). */
  readonly classes: number;
  /** The labels, with -1 for ignored rows (the same on every shard). */
  readonly labels: Int32Array;
  readonly labelSmoothing: number;
  /** The shard's class weights, or null for all ones. */
  readonly weight: Float64Array | null;
  /** Σ of the shard's class weights (its width when unweighted). */
  readonly weightSum: number;
  /** Per row: max of the shard's logits (-inf when all are -inf). */
  readonly max: Float64Array;
  /** Per row: Σ exp(x_k − max) over the shard's logits (0 when max is -inf). */
  readonly sumExp: Float64Array;
  /** Per row, with label smoothing only: Σ w_k·(x_k − max) over the shard's logits. */
  readonly weightedShift: Float64Array | null;
  /** Per row: the target logit x_y where the label falls in this shard, else 0. */
  readonly target: Float64Array;
}

/** The merge of every shard's row states: the loss of the whole rows. */
export interface MergedRowStates {
  /** The loss under `reduction`: a number, or one per row (float64) for 'none'. */
  readonly loss: number | Float64Array;
  /** Σ of the row losses. */
  readonly sum: number;
  /** Σ_{n∉I} w[y_n]: the mean's denominator. */
  readonly denominator: number;
  readonly reduction: Reduction;
  readonly rows: number;
  /** All classes: Σ of the shards' widths. */
  readonly classes: number;
  readonly labels: Int32Array;
  readonly labelSmoothing: number;
  /** Σ of all class weights. */
  readonly weightSum: number;
  /** Per row: the max over all classes, and Σ exp(x_k − max) over all classes. */
  readonly max: Float64Array;
  readonly sumExp: Float64Array;
  /** Per row: log Σ_k exp(x_k) over all classes (log-softmax_k = x_k − lse). */
  readonly lse: Float64Array;
  /** Per row: w[y] (0 for an ignored row). */
  readonly targetWeight: Float64Array;
}

/** Options of mergeRowStates. */
export interface MergeOptions {
  /** Default 'mean'. */
  reduction?: Reduction;
}

const METHOD = 'mergeRowStates';

function sameLabels(a: Int32Array, b: Int32Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Merges the row states of shards that tile the classes [0, C) (in any order) into the loss of
 * the whole rows, with the semantics of softmaxCrossEntropy: the same numbers to rounding.
 */
export function mergeRowStates(states: readonly RowStates[], opts: MergeOptions = {}): MergedRowStates {
  if (!Array.isArray(states) || states.length === 0) {
    throw new TypeError(`${METHOD}: takes a non-empty array of row states (from engine.softmaxCrossEntropyRowStates)`);
  }
  if (typeof opts !== 'object' || opts === null) throw new TypeError(`${METHOD}: options must be an object`);
  for (const key of Object.keys(opts)) {
    if (key !== 'reduction') throw new TypeError(`${METHOD}: unknown option '${key}'; options: reduction`);
  }
  const reduction = opts.reduction ?? 'mean';
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') {
    throw new RangeError(`${METHOD}: reduction must be 'mean', 'sum' or 'none', got ${String(reduction)}`);
  }
  const shards = [...states].sort((a, b) => a.classOffset - b.classOffset);
  const first = shards[0];
  const n = first.rows;
  let classes = 0;
  let weightSum = 0;
  for (const s of shards) {
    if (s.classOffset !== classes) {
      throw new RangeError(
        `${METHOD}: the shards must tile the classes without gaps or overlap; after [0, ${classes}) comes a shard at ${s.classOffset}`,
      );
    }
    if (s.rows !== n) throw new RangeError(`${METHOD}: shards have ${n} and ${s.rows} rows`);
    if (s.labelSmoothing !== first.labelSmoothing) {
      throw new RangeError(`${METHOD}: shards have labelSmoothing ${first.labelSmoothing} and ${s.labelSmoothing}`);
    }
    if (!sameLabels(s.labels, first.labels)) throw new RangeError(`${METHOD}: shards were given different labels (or ignoreIndex)`);
    classes += s.classes;
    weightSum += s.weightSum;
  }
  const eps = first.labelSmoothing;
  const epsc = eps / classes;
  const labels = first.labels;
  const max = new Float64Array(n);
  const sumExp = new Float64Array(n);
  const lse = new Float64Array(n);
  const targetWeight = new Float64Array(n);
  const rowLoss = new Float64Array(n);
  let sum = 0;
  let denominator = 0;
  // The shard holding each class, found by walking the sorted shards.
  const ownerOf = (y: number): RowStates => {
    for (const s of shards) if (y < s.classOffset + s.classes) return s;
    throw new RangeError(`${METHOD}: a label is outside [0, ${classes}) (the shards' classes)`);
  };
  for (let r = 0; r < n; r++) {
    let m = -Infinity;
    for (const s of shards) if (s.max[r] > m || Number.isNaN(s.max[r])) m = s.max[r];
    let se = 0;
    for (const s of shards) if (s.sumExp[r] !== 0 || Number.isNaN(s.sumExp[r])) se += s.sumExp[r] * Math.exp(s.max[r] - m);
    // A row of -inf everywhere has no softmax: NaN, as an unsplit row gives.
    if (m === -Infinity) se = NaN;
    const ls = Math.log(se);
    max[r] = m;
    sumExp[r] = se;
    lse[r] = m + ls;
    const y = labels[r];
    if (y < 0) continue;
    if (y >= classes) throw new RangeError(`${METHOD}: labels[${r}] = ${y} is outside [0, ${classes}) (the shards' classes)`);
    const owner = ownerOf(y);
    const wy = owner.weight ? owner.weight[y - owner.classOffset] : 1;
    targetWeight[r] = wy;
    denominator += wy;
    let loss = wy === 0 ? 0 : (1 - eps) * wy * (m - owner.target[r] + ls);
    if (eps > 0) {
      let t = 0;
      for (const s of shards) {
        if (s.max[r] === -Infinity) t += s.weightSum === 0 ? 0 : s.weightSum * Infinity;
        else t += s.weightSum * (m - s.max[r] + ls) - s.weightedShift![r];
      }
      // A row with no softmax at all (-inf everywhere) is NaN with smoothing, as the fused
      // kernels give it whatever the weights; a shard masked on a row it shares adds +inf (or 0).
      loss += m === -Infinity ? NaN : epsc * t;
    }
    rowLoss[r] = loss;
    sum += loss;
  }
  const loss = reduction === 'none' ? rowLoss : reduction === 'sum' ? sum : denominator === 0 ? 0 : sum / denominator;
  return {
    loss, sum, denominator, reduction, rows: n, classes, labels, labelSmoothing: eps, weightSum, max, sumExp, lse, targetWeight,
  };
}

/**
 * Per-row coefficients of one shard's gradient slice, given each row's gradient scale:
 * g_k = scale·[a·exp(x_k − M)/S − (1−ε)·w_y·[k = y] − (ε/C)·w_k], a = (1−ε)·w_y + (ε/C)·Σw,
 * computed by the expScale kernel as α·exp(x_k − M) − β·w_k; the target entries (one per row
 * the shard owns) are then rewritten in float64 from the target logit, as the fused kernels do.
 */
export function shardGradCoefficients(
  state: RowStates,
  merged: MergedRowStates,
  rowScale: (r: number) => number,
): { shift: Float64Array; alpha: Float64Array; beta: Float64Array } {
  const n = state.rows;
  const eps = merged.labelSmoothing;
  const epsc = eps / merged.classes;
  const shift = new Float64Array(n);
  const alpha = new Float64Array(n);
  const beta = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    shift[r] = merged.max[r];
    if (merged.labels[r] < 0) continue;
    const scale = rowScale(r);
    const a = (1 - eps) * merged.targetWeight[r] + epsc * merged.weightSum;
    alpha[r] = (scale * a) / merged.sumExp[r];
    beta[r] = scale * epsc;
  }
  return { shift, alpha, beta };
}

/**
 * Completes a shard's gradient slice after the expScale kernel: ignored rows are 0, and the
 * target entry of each row the shard owns is rewritten in float64 from its target logit. Row r
 * of the slice starts at r·stride in `grad`: stride = the shard's width for a slice of its own,
 * the full width C with the shard's columns at classOffset in a whole gradient.
 */
export function finishShardGrad(
  grad: FloatArray,
  state: RowStates,
  merged: MergedRowStates,
  rowScale: (r: number) => number,
  stride = state.classes,
): void {
  const { rows: n, classes: c, classOffset } = state;
  const at = stride === c ? 0 : classOffset;
  const eps = merged.labelSmoothing;
  const epsc = eps / merged.classes;
  for (let r = 0; r < n; r++) {
    const y = merged.labels[r];
    if (y < 0) {
      grad.fill(0, r * stride + at, r * stride + at + c);
      continue;
    }
    if (y < classOffset || y >= classOffset + c) continue;
    const wy = merged.targetWeight[r];
    const a = (1 - eps) * wy + epsc * merged.weightSum;
    const p = Math.exp(state.target[r] - merged.max[r]) / merged.sumExp[r];
    grad[r * stride + at + y - classOffset] = rowScale(r) * (a * p - epsc * wy - (1 - eps) * wy);
  }
}

/** Checks that a shard's state belongs to a merge (same rows, labels and smoothing, inside its classes). */
export function checkShardOfMerge(method: string, state: RowStates, merged: MergedRowStates): void {
  if (
    state.rows !== merged.rows ||
    state.classOffset + state.classes > merged.classes ||
    state.labelSmoothing !== merged.labelSmoothing ||
    !sameLabels(state.labels, merged.labels)
  ) {
    throw new RangeError(`${method}: the row states are not those of a shard of this merge (rows, classes, labels or labelSmoothing differ)`);
  }
}
