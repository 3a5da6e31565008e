/**
 * softmaxFocalLoss(+WithGrad): multi-class focal loss on integer labels, per row
 * −α_y·w[y]·(1 − p_y)^γ·log p_y. It runs the sparse kernel with its focal γ
 * (softmax-cross-entropy.ts).
 */
import { DEFAULT_FRONT } from '../front/default.js';
import type { Front } from '../front/front.js';
import type { Call } from '../front/call.js';
import { checkFinite, newFloat } from '../front/operands.js';
import { CLASSES, GAMMA, IGNORE_INDEX, REDUCTION, WEIGHT, option, options } from '../front/options.js';
import type { FloatArray } from '../kernels/kernel.js';
import type { Checked, FloatInput, GradOptions, LabelInput, LossWithGrad, ReduceOptions, ReducedLoss } from '../types.js';
import { type FocalTerms, type SoftmaxResult, softmaxResult, sparseLoss } from './softmax-cross-entropy.js';

/** Options of `softmaxFocalLoss`: per row −α_y·w[y]·(1 − p_y)^γ·log p_y. */
export interface SoftmaxFocalOptions extends ReduceOptions {
  /** γ ≥ 0; 0 gives cross-entropy. Default 2. */
  gamma?: number;
  /** α: one number for every class, or one per class (length C). Default 1. Not in the mean's denominator. */
  alpha?: number | FloatInput;
  /** Per-class weights, length C; 'mean' divides by Σ w[y] over counted rows, as cross-entropy does. */
  weight?: FloatInput;
  /** Label value whose rows count for nothing. Default -100. */
  ignoreIndex?: number;
}

/** α: a number for every class, or one per class (checked against C by focalTerms). */
const ALPHA = option('alpha', ['focalalpha']);

const FOCAL_OPTIONS = options(CLASSES, REDUCTION, WEIGHT, IGNORE_INDEX, GAMMA, ALPHA);

/** γ, and α folded into the class weights: α multiplies the loss like a weight but stays out of the mean's denominator. */
function focalTerms(call: Call, f64: boolean, c: number, weight: FloatArray | null): FocalTerms {
  const { method } = call;
  const gamma = call.get(GAMMA);
  const raw = call.get(ALPHA);
  if (raw === undefined) return { gamma, lossWeight: weight };
  let alpha: FloatArray;
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw)) throw new RangeError(`${method}: alpha must be finite, got ${raw}`);
    alpha = newFloat(f64, c).fill(raw);
  } else {
    alpha = call.side('alpha', raw, f64, c);
  }
  checkFinite(method, 'alpha', alpha);
  const lossWeight = newFloat(f64, c);
  for (let k = 0; k < c; k++) lossWeight[k] = alpha[k] * (weight ? weight[k] : 1);
  return { gamma, lossWeight };
}

function run(call: Call, logits: unknown, labels: unknown): SoftmaxResult {
  return softmaxResult(sparseLoss(call, logits, labels, { focal: (f64, c, weight) => focalTerms(call, f64, c, weight) }), call.withGrad);
}

/** Multi-class focal loss on integer labels. */
export function lossMethod<const O extends SoftmaxFocalOptions = {}>(logits: FloatInput, labels: LabelInput, opts?: Checked<O, SoftmaxFocalOptions>): ReducedLoss<O>;
export function lossMethod(this: Front, logits: unknown, labels: unknown, opts?: unknown): SoftmaxResult {
  return run(this.begin('softmaxFocalLoss', FOCAL_OPTIONS, opts, false), logits, labels);
}

/** Multi-class focal loss and its gradient w.r.t. the logits: `{ loss, grad }`. */
export function gradMethod<const O extends SoftmaxFocalOptions & GradOptions = {}>(
  logits: FloatInput,
  labels: LabelInput,
  opts?: Checked<O, SoftmaxFocalOptions & GradOptions>,
): LossWithGrad<ReducedLoss<O>>;
export function gradMethod(this: Front, logits: unknown, labels: unknown, opts?: unknown): SoftmaxResult {
  return run(this.begin('softmaxFocalLossWithGrad', FOCAL_OPTIONS, opts, true), logits, labels);
}

export default {
  methods: { softmaxFocalLoss: lossMethod, softmaxFocalLossWithGrad: gradMethod },
};

/** `engine.softmaxFocalLoss` on the default engine. */
export const softmaxFocalLoss = lossMethod.bind(DEFAULT_FRONT);
/** `engine.softmaxFocalLossWithGrad` on the default engine. */
export const softmaxFocalLossWithGrad = gradMethod.bind(DEFAULT_FRONT);
