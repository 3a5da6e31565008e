/**
 * causalLmLoss(+WithGrad): next-token cross-entropy of a causal language model, Hugging Face's
 * `ForCausalLMLoss` (transformers/loss/loss_utils.py): position t's logits predict token t + 1.
 * The shift is an offset: the targets of all B·T positions are built as one Int32Array (the
 * last position of each sequence and masked or -100 targets set to ignoreIndex) and the sparse
 * softmax cross-entropy kernel runs over the logits [B·T, V] as they are, never copied or sliced.
 */
import type { Call } from '../front/call.js';
import { DEFAULT_FRONT } from '../front/default.js';
import { RETURN_Z_LOSS, SOFTCAP, Z_LOSS } from '../front/extras.js';
import type { Front } from '../front/front.js';
import { mainFloat } from '../front/operands.js';
import { CLASSES, IGNORE_INDEX, LABEL_SMOOTHING, REDUCTION, WEIGHT, option, options } from '../front/options.js';
import { describe } from '../front/describe.js';
import { ATTENTION_MASK, BATCH_SIZE, LABELS, type MaskInput, type TokenIds, int32Ignore, lmShape, readIds, readMask, shiftedTargets } from '../lm/tokens.js';
import type { Checked, FloatInput, GradOptions, GradResult, LossResult, ReduceOptions, SoftmaxExtraOptions } from '../types.js';
import { type SoftmaxResult, softmaxResult, sparseLoss } from './softmax-cross-entropy.js';

/** Options of `causalLmLoss` (Hugging Face `ForCausalLMLoss`). `classes` is the vocabulary size V. */
export interface CausalLmOptions extends ReduceOptions, SoftmaxExtraOptions {
  /** B, the number of sequences in the flat [B, T] inputs. Default 1. */
  batchSize?: number;
  /** Targets [B, T], not shifted (-100 = not a target), as Hugging Face's `labels`. Default: the input ids. */
  labels?: TokenIds;
  /** [B, T], 0 = padding: a padded token is not a target. */
  attentionMask?: MaskInput;
  /** Default -100. */
  ignoreIndex?: number;
  /**
   * Hugging Face's `num_items_in_batch` (gradient accumulation): the loss is the sum over the
   * counted targets divided by this number instead of their count. Only with reduction 'mean'.
   */
  numItemsInBatch?: number;
  /** Per-token weights, length V. */
  weight?: FloatInput;
  /** ε in [0, 1). Default 0. */
  labelSmoothing?: number;
}

/** options.numItemsInBatch: a finite number > 0, or 0 when absent. */
const NUM_ITEMS = option('numItemsInBatch', ['numitemsinbatch', 'numitems'], (method, v) => {
  if (v === undefined) return 0;
  if (typeof v !== 'number' && typeof v !== 'bigint') throw new TypeError(`${method}: numItemsInBatch must be a number, got ${describe(v)}`);
  const k = Number(v);
  if (!(k > 0 && k < Infinity)) throw new RangeError(`${method}: numItemsInBatch must be a finite number > 0, got ${describe(v)}`);
  return k;
});

/** The options of causalLmLoss. */
const CAUSAL_OPTIONS = options(
  CLASSES, BATCH_SIZE, LABELS, ATTENTION_MASK, REDUCTION, IGNORE_INDEX, WEIGHT, LABEL_SMOOTHING, NUM_ITEMS, Z_LOSS, SOFTCAP, RETURN_Z_LOSS,
);

/** A causal-LM call: the shapes, the shifted targets, then the sparse loss over all B·T rows. */
function causalLoss(call: Call, logits: unknown, inputIds: unknown): SoftmaxResult {
  const { method } = call;
  const x = mainFloat(method, 'logits', call.live('logits', logits));
  const shape = lmShape(call, x, inputIds);
  const n = shape.b * shape.t;
  const ignore = int32Ignore(method, call.get(IGNORE_INDEX));
  const ids = readIds(method, 'inputIds', inputIds, n, shape.v, null);
  const rawLabels = call.o[LABELS.name];
  const src = rawLabels === undefined ? ids : readIds(method, 'labels', rawLabels, n, shape.v, ignore);
  const targets = shiftedTargets(src, readMask(call, n), shape, ignore);
  const per = call.get(NUM_ITEMS);
  const reduction = call.get(REDUCTION);
  if (per > 0 && reduction !== 'mean') {
    throw new RangeError(`${method}: numItemsInBatch applies to reduction 'mean' (the sum divided by it), got reduction '${reduction}'`);
  }
  return softmaxResult(sparseLoss(call, x, targets, per > 0 ? { per } : {}), call.withGrad);
}

/**
 * Next-token cross-entropy of a causal language model (Hugging Face `ForCausalLMLoss`): logits
 * [B, T, V] flat, inputIds [B, T]; position t predicts token t + 1. 'mean' is over the counted
 * targets; 'none' gives [B, T] with 0 at each sequence's last position and at ignored targets.
 */
export function lossMethod<const O extends CausalLmOptions = {}>(logits: FloatInput, inputIds: TokenIds, opts?: Checked<O, CausalLmOptions>): LossResult<O>;
export function lossMethod(this: Front, logits: unknown, inputIds: unknown, opts?: unknown): SoftmaxResult {
  return causalLoss(this.begin('causalLmLoss', CAUSAL_OPTIONS, opts, false), logits, inputIds);
}

/** causalLmLoss and its gradient w.r.t. the logits [B, T, V], fused: zero at each last position and at ignored targets. */
export function gradMethod<const O extends CausalLmOptions & GradOptions = {}>(
  logits: FloatInput,
  inputIds: TokenIds,
  opts?: Checked<O, CausalLmOptions & GradOptions>,
): GradResult<O>;
export function gradMethod(this: Front, logits: unknown, inputIds: unknown, opts?: unknown): SoftmaxResult {
  return causalLoss(this.begin('causalLmLossWithGrad', CAUSAL_OPTIONS, opts, true), logits, inputIds);
}

export default {
  methods: { causalLmLoss: lossMethod, causalLmLossWithGrad: gradMethod },
};

/** `engine.causalLmLoss` on the default engine. */
export const causalLmLoss = lossMethod.bind(DEFAULT_FRONT);
/** `engine.causalLmLossWithGrad` on the default engine. */
export const causalLmLossWithGrad = gradMethod.bind(DEFAULT_FRONT);
