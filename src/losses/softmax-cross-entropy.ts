/**
 * softmaxCrossEntropy(+WithGrad): softmax cross-entropy from logits with integer class labels
 * (PyTorch `F.cross_entropy`, class indices), with weights, ignoreIndex, label smoothing and
 * the training extras (z-loss, softcap, statistics). Its kernel and the call around it are
 * shared by the other sparse losses (softmax-focal-loss.ts, shards.ts).
 */
import { cappedRow, expNonPositive, rowArgmax, rowMax, rowSumExp, rowWeightedShifted } from '../backends/js.js';
import type { Call } from '../front/call.js';
import { RETURN_Z_LOSS, SOFTCAP, Z_LOSS, addZLoss, extrasOf, withExtras } from '../front/extras.js';
import { DEFAULT_FRONT } from '../front/default.js';
import type { Front } from '../front/front.js';
import { labelsOf } from '../front/labels.js';
import { newFloat } from '../front/operands.js';
import { CLASSES, IGNORE_INDEX, LABEL_SMOOTHING, REDUCTION, WEIGHT, flag, options } from '../front/options.js';
import { reduce } from '../front/reduce.js';
import { COLUMN_SPLIT, sparseByColumns } from '../kernels/columns.js';
import { type FloatArray, kernel, operand, scalar } from '../kernels/kernel.js';
import type {
  Checked, FloatInput, GradOptions, GradResult, LabelInput, Loss, LossResult, Reduction, ReduceOptions, SoftmaxExtraOptions, SoftmaxStats,
} from '../types.js';

/** Options of `softmaxCrossEntropy` (integer labels; PyTorch `F.cross_entropy`). */
export interface SparseOptions extends ReduceOptions, SoftmaxExtraOptions {
  /** Per-class weights, length C. */
  weight?: FloatInput;
  /** Label value whose rows count for nothing. Default -100. */
  ignoreIndex?: number;
  /** ε in [0, 1). Default 0. */
  labelSmoothing?: number;
  /** Also return per-row statistics from the same pass: the result becomes `{ loss, stats }`. */
  stats?: boolean;
}

/**
 * Softmax cross-entropy with integer class labels (PyTorch `F.cross_entropy`, class indices).
 * The training extras (softcap, zLoss, focalGamma, rowLse, rowArgmax) are off when absent.
 */
export interface SparseArgs<F extends FloatArray = FloatArray> {
  /** Row-major [n, c] logits. */
  logits: F;
  /** n labels, each in [0, c) or equal to ignoreIndex. */
  labels: Int32Array;
  n: number;
  c: number;
  /** Per-class weights (length c), or null for all ones. */
  weight: F | null;
  ignoreIndex: number;
  /** Label smoothing ε in [0, 1). */
  smoothing: number;
  /**
   * Out (length n), or null: row n's loss
   * (1-ε)·w[y]·(lse - x_y) + (ε/c)·Σ_k w_k·(lse - x_k); exactly 0 for an ignored row.
   */
  rowLoss: F | null;
  /**
   * Out (length n·c), or null for loss only: the gradient of the row losses w.r.t. logits,
   * each row multiplied by rowScale[n] when rowScale is given, else by gradScale:
   * scale·[ a·p_k − (1-ε)·w[y]·[k = y] − (ε/c)·w_k ] with a = (1-ε)·w[y] + (ε/c)·Σ_k w_k.
   * Ignored rows get exactly 0. May be the same array as logits (in-place).
   */
  grad: F | null;
  gradScale: number;
  /** Per-row gradient multipliers (length n), or null to use gradScale (and zGradScale). */
  rowScale: F | null;
  /**
   * Logit soft-capping c > 0, or 0 for none: every logit x is replaced by c·tanh(x/c) before
   * the softmax (and in the loss), and the gradient is multiplied by 1 − tanh²(x/c).
   */
  softcap?: number;
  /**
   * z-loss coefficient z ≥ 0. The kernel adds only its gradient, zGradScale·2z·lse·p_k for each
   * counted row (rowScale[n] instead of zGradScale when rowScale is given); rowLoss and the
   * returned sum exclude the z·lse² term, which the front adds from rowLse.
   */
  zLoss?: number;
  zGradScale?: number;
  /**
   * Focal loss γ ≥ 0 (smoothing is then 0), or -1 for cross-entropy. A counted row's loss is
   * w[y]·(1 − p_y)^γ·(−log p_y) and its gradient scale·w[y]·G·(p_k − [k = y]) with
   * G = (1 − p_y)^γ·(1 + γ·p_y·(−log p_y)/(1 − p_y)) (G = 1 for γ = 0, 0 when p_y = 1 and γ > 0).
   */
  focalGamma?: number;
  /** Out (length n), or null: each row's log-sum-exp (of the capped logits); NaN for ignored rows. */
  rowLse?: F | null;
  /**
   * Out (length n), or null: each row's argmax of the logits as given (before the cap), the
   * lowest index among equal maxima, the first NaN if the row has one (torch.argmax); -1 for
   * ignored rows.
   */
  rowArgmax?: Int32Array | null;
}

/**
 * Focal factors from a row's nll = −log p_y: f = (1 − p)^γ and the gradient's
 * G = f·(1 + γ·p·nll/(1 − p)), with 1 − p = −expm1(−nll) (no cancellation as p → 1), the limits
 * nll/(1 − p) → 1 as p → 1 and p·nll → 0 as p → 0 (a -inf target logit).
 */
function focalFactors(nll: number, gamma: number): { f: number; g: number } {
  const q = -Math.expm1(-nll);
  const p = Math.exp(-nll);
  const f = gamma === 0 ? 1 : Math.pow(q, gamma);
  const pn = p === 0 ? 0 : p * (q > 0 ? nll / q : 1);
  return { f, g: f * (1 + gamma * pn) };
}

function sparseJs(a: SparseArgs): number {
  const { logits: x, labels, n, c, weight: w, ignoreIndex, smoothing: eps, rowLoss, grad, gradScale, rowScale } = a;
  const { softcap: cap = 0, zLoss: z = 0, zGradScale = 0, focalGamma: gamma = -1, rowLse = null, rowArgmax: argmax = null } = a;
  const focal = gamma >= 0;
  let wSum = c;
  if (w) {
    wSum = 0;
    for (let k = 0; k < c; k++) wSum += w[k];
  }
  const e = eps / c;
  const capped = new Float64Array(cap > 0 ? c : 0);
  let total = 0;
  for (let r = 0; r < n; r++) {
    const off = r * c;
    const y = labels[r];
    if (y === ignoreIndex) {
      if (rowLoss) rowLoss[r] = 0;
      if (grad) grad.fill(0, off, off + c);
      if (rowLse) rowLse[r] = NaN;
      if (argmax) argmax[r] = -1;
      continue;
    }
    const at = argmax ? rowArgmax(x, off, c) : -1;
    if (argmax) argmax[r] = at;
    const { v, o } = cappedRow(x, off, c, cap, capped);
    // Uncapped, the argmax is where the max is (a NaN there makes the row NaN either way).
    const m = at >= 0 && cap === 0 ? x[off + at] : rowMax(v, o, c);
    const s = rowSumExp(v, o, c, m);
    const logS = Math.log(s);
    const lse = m + logS;
    if (rowLse) rowLse[r] = lse;
    const wy = w ? w[y] : 1;
    // -log p_k = (lse - x_k) = log s - (x_k - m)
    const nll = logS - (v[o + y] - m);
    let loss: number;
    // The coefficient of the one-hot term in the gradient.
    let hit: number;
    if (focal) {
      const { f, g } = focalFactors(nll, gamma);
      loss = wy === 0 ? 0 : wy * f * nll;
      hit = wy * g;
    } else {
      loss = wy === 0 ? 0 : (1 - eps) * wy * nll;
      if (eps > 0) loss += e * (wSum * logS - rowWeightedShifted(v, o, c, m, w));
      hit = (1 - eps) * wy;
    }
    if (rowLoss) rowLoss[r] = loss;
    total += loss;
    if (grad) {
      const scale = rowScale ? rowScale[r] : gradScale;
      const zScale = rowScale ? rowScale[r] : zGradScale;
      const amp = (hit + e * wSum) * scale + (z > 0 ? 2 * z * lse * zScale : 0);
      const invS = 1 / s;
      for (let k = 0; k < c; k++) {
        let g = amp * expNonPositive(v[o + k] - m) * invS;
        if (eps > 0) g -= e * (w ? w[k] : 1) * scale;
        if (k === y) g -= hit * scale;
        // Chain rule through c·tanh(x/c): d/dx = 1 − tanh²(x/c).
        if (cap > 0) g *= 1 - (v[o + k] / cap) ** 2;
        grad[off + k] = g;
      }
    }
  }
  return total;
}

/** The sparse softmax cross-entropy kernel (assembly/sparse.ts). */
export const SPARSE_XENT = kernel<SparseArgs>({
  export: 'sparse_xent',
  main: 'logits',
  params: [
    operand('logits', 'rows'), operand('labels', 'row', { type: 'i32' }), scalar('n'), scalar('c'), operand('weight', 'whole'), scalar('ignoreIndex'),
    scalar('smoothing'), operand('rowLoss', 'row', { out: true }), operand('grad', 'rows', { out: true, inPlaceOf: 'logits' }),
    scalar('gradScale'), operand('rowScale', 'row'), scalar('softcap', 0), scalar('zLoss', 0), scalar('zGradScale', 0),
    scalar('focalGamma', -1), operand('rowLse', 'row', { out: true }), operand('rowArgmax', 'row', { out: true, type: 'i32' }),
  ],
  frame: true,
  js: sparseJs,
  // Rows wider than COLUMN_SPLIT, without the training extras, go one column block at a time.
  wide: {
    when: (a) => a.c > COLUMN_SPLIT && !a.softcap && !a.zLoss && (a.focalGamma ?? -1) < 0 && !a.rowLse && !a.rowArgmax,
    run: sparseByColumns,
  },
});

/** Per-row statistics from the same pass. */
const STATS = flag('stats', ['returnstats']);

/** The options of softmaxCrossEntropy. */
const SPARSE_OPTIONS = options(CLASSES, REDUCTION, WEIGHT, IGNORE_INDEX, LABEL_SMOOTHING, Z_LOSS, SOFTCAP, RETURN_Z_LOSS, STATS);

/** The focal loss's terms of a sparse call (softmax-focal-loss.ts). */
export interface FocalTerms {
  /** γ ≥ 0. */
  gamma: number;
  /** The loss's per-class multipliers: the class weights times α (α stays out of the mean's denominator). */
  lossWeight: FloatArray | null;
}

/** What a sparse call computes, before each method assembles its own result. */
export interface SparseResult {
  loss: Loss;
  grad: FloatArray | null;
  /** The z-loss term, reduced as the loss (null unless zLoss or returnZLoss). */
  zTerm: Loss | null;
  stats: SoftmaxStats | null;
  returnZLoss: boolean;
  /** The mean's denominator Σ_{n∉I} w[y_n]. */
  denom: number;
}

/**
 * A sparse call: one kernel call on the logits and labels; the front adds the z-loss term and
 * the statistics from its per-row outputs. `reduction` replaces the option (the partial sums);
 * `focal` reads the focal options and gives their terms (after the common options, before the
 * labels).
 */
export function sparseLoss(
  call: Call,
  logits: unknown,
  rawLabels: unknown,
  how: { reduction?: Reduction; focal?: (f64: boolean, c: number, weight: FloatArray | null) => FocalTerms; per?: number } = {},
): SparseResult {
  const { method } = call;
  const { x, f64, n, c } = call.rows('logits', logits, { labels: rawLabels });
  const reduction = how.reduction ?? call.get(REDUCTION);
  const smoothing = call.get(LABEL_SMOOTHING);
  const ignoreIndex = call.get(IGNORE_INDEX);
  const weight = call.classWeights(f64, c);
  const { zLoss, softcap, returnZLoss } = extrasOf(call);
  const wantStats = call.get(STATS);
  const { gamma, lossWeight } = how.focal ? how.focal(f64, c, weight) : { gamma: -1, lossWeight: weight };
  const { labels, ignore, denom: weighted, counted } = labelsOf(method, rawLabels, n, c, ignoreIndex, weight);
  // 'mean' divides by Σ w[y] (and the z-loss term by the counted rows), or both by `per` when
  // given (Hugging Face's num_items_in_batch: causal-lm.ts).
  const denom = how.per ?? weighted;
  const zDenom = how.per ?? counted;
  const rowLoss = reduction === 'none' ? newFloat(f64, n) : null;
  const rowLse = zLoss > 0 || wantStats ? newFloat(f64, n) : null;
  const rowArgmax = wantStats ? new Int32Array(n) : null;
  const { grad, gradScale, zGradScale, scales: rowScale } = call.gradient(x, f64, [labels, weight], reduction, n, denom, zDenom);
  // The target logits, for the perplexity: read now, as an in-place gradient overwrites them.
  let targetLogits: Float64Array | null = null;
  if (wantStats) {
    targetLogits = new Float64Array(n);
    for (let i = 0; i < n; i++) if (labels[i] !== ignore) targetLogits[i] = x[i * c + labels[i]];
  }
  const total = call.run(SPARSE_XENT, {
    logits: x, labels, n, c, weight: lossWeight, ignoreIndex: ignore, smoothing, rowLoss, grad, gradScale, rowScale,
    softcap, zLoss, zGradScale, focalGamma: gamma, rowLse, rowArgmax,
  });
  const reduced = reduce(total, reduction, denom, rowLoss);
  const { loss, zTerm } = addZLoss(reduced, zLoss, returnZLoss, rowLse, (i) => labels[i] !== ignore, n, zDenom, reduction, rowLoss, f64);
  // Unweighted and unsmoothed, the kernel's sum is Σ −log p_y itself, exact where lse − x_y is
  // not (at logits of 1e30, lse rounds to the logit and lse − x_y to 0).
  const nllSum = !weight && smoothing === 0 ? total : null;
  const stats = wantStats ? statsOf(targetLogits!, labels, ignore, softcap, rowLse!, rowArgmax!, counted, nllSum) : null;
  return { loss, grad, zTerm, stats, returnZLoss, denom };
}

/** A softmax loss's public result: the loss, `{ loss, grad }`, or with extras `{ loss, grad?, zLoss?, stats? }`. */
export type SoftmaxResult = Loss | { loss: Loss; grad?: FloatArray; zLoss?: Loss; stats?: SoftmaxStats };

/** A softmax loss's public result (see LossResult and GradResult). */
export function softmaxResult(r: Pick<SparseResult, 'loss' | 'grad' | 'zTerm' | 'stats' | 'returnZLoss'>, withGrad: boolean): SoftmaxResult {
  const base = withGrad ? { loss: r.loss, grad: r.grad! } : { loss: r.loss };
  if (!r.returnZLoss && !r.stats) return withGrad ? base : r.loss;
  return withExtras(base, r.returnZLoss ? r.zTerm : null, r.stats);
}

/**
 * The statistics of a sparse call from the kernel's per-row lse and argmax: correctness per
 * row, accuracy, and the perplexity exp(mean −log p_y) with Σ −log p_y = nllSum when given, else
 * Σ lse − x_y (the target logit x_y, capped as the kernel capped it).
 */
function statsOf(
  targetLogits: Float64Array,
  labels: Int32Array,
  ignore: number,
  softcap: number,
  lse: FloatArray,
  predicted: Int32Array,
  counted: number,
  nllSum: number | null,
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
    perplexity: counted === 0 ? 1 : Math.exp((nllSum ?? nll) / counted),
  };
}

/** Softmax cross-entropy with integer labels; with `returnZLoss` / `stats`, an object (see LossResult). */
export function lossMethod<const O extends SparseOptions = {}>(logits: FloatInput, labels: LabelInput, opts?: Checked<O, SparseOptions>): LossResult<O>;
export function lossMethod(this: Front, logits: unknown, labels: unknown, opts?: unknown): SoftmaxResult {
  return softmaxResult(sparseLoss(this.begin('softmaxCrossEntropy', SPARSE_OPTIONS, opts, false), logits, labels), false);
}

/** Softmax cross-entropy with integer labels and its gradient w.r.t. the logits, fused: `{ loss, grad }` (see GradResult). */
export function gradMethod<const O extends SparseOptions & GradOptions = {}>(
  logits: FloatInput,
  labels: LabelInput,
  opts?: Checked<O, SparseOptions & GradOptions>,
): GradResult<O>;
export function gradMethod(this: Front, logits: unknown, labels: unknown, opts?: unknown): SoftmaxResult {
  return softmaxResult(sparseLoss(this.begin('softmaxCrossEntropyWithGrad', SPARSE_OPTIONS, opts, true), logits, labels), true);
}

export default {
  methods: { softmaxCrossEntropy: lossMethod, softmaxCrossEntropyWithGrad: gradMethod },
};

/** `engine.softmaxCrossEntropy` on the default engine. */
export const softmaxCrossEntropy = lossMethod.bind(DEFAULT_FRONT);
/** `engine.softmaxCrossEntropyWithGrad` on the default engine. */
export const softmaxCrossEntropyWithGrad = gradMethod.bind(DEFAULT_FRONT);
