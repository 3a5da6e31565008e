/**
 * sigmoidFocalLoss(+WithGrad): the elementwise sigmoid focal loss of torchvision
 * (`torchvision.ops.sigmoid_focal_loss`), default reduction 'mean'.
 */
import { expNonPositive } from '../backends/js.js';
import type { Call } from '../front/call.js';
import { DEFAULT_FRONT } from '../front/default.js';
import { describe } from '../front/describe.js';
import type { Front } from '../front/front.js';
import { newFloat } from '../front/operands.js';
import { CLASSES, GAMMA, REDUCTION, option, options } from '../front/options.js';
import { reduce } from '../front/reduce.js';
import { type FloatArray, kernel, operand, scalar } from '../kernels/kernel.js';
import type { Checked, FloatInput, GradOptions, Loss, LossWithGrad, ReduceOptions, ReducedLoss } from '../types.js';

/** Options of `sigmoidFocalLoss` (torchvision.ops.sigmoid_focal_loss). */
export interface SigmoidFocalOptions extends ReduceOptions {
  /** γ ≥ 0. Default 2 (torchvision's). */
  gamma?: number;
  /** Weight of positives α (negatives 1 − α); a negative α turns the weighting off, as in torchvision. Default 0.25. */
  alpha?: number;
}

/**
 * Sigmoid focal loss, elementwise (torchvision.ops.sigmoid_focal_loss): with p = σ(x) and
 * q = t·(1 − p) + (1 − t)·p (= 1 − p_t), loss = a_t·BCE(x, t)·q^γ, a_t = α·t + (1 − α)·(1 − t)
 * when α ≥ 0, else 1.
 */
export interface SigmoidFocalArgs<F extends FloatArray = FloatArray> {
  logits: F;
  targets: F;
  n: number;
  c: number;
  gamma: number;
  /** α; negative: no α weighting (torchvision). */
  alpha: number;
  /** Out (length n·c), or null. */
  elemLoss: F | null;
  /**
   * Out [n, c] or null: scale·a_t·[ (p − t)·q^γ + γ·BCE·(1 − 2t)·p·(1 − p)·q^(γ−1) ], the last
   * term taken as 0 where q = 0. May be the logits.
   */
  grad: F | null;
  gradScale: number;
  /** Per-element gradient multipliers (length n·c), or null to use gradScale. */
  elemScale: F | null;
}

function sigmoidFocalJs(a: SigmoidFocalArgs): number {
  const { logits: x, targets: t, gamma, alpha, elemLoss, grad, gradScale, elemScale } = a;
  let total = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    const ti = t[i];
    const ez = expNonPositive(-Math.abs(v));
    // BCE with logits, (1−t)·x + log(1 + e^−x), as two non-negative terms (see sigmoid above).
    const lin = v === -Infinity ? NaN : v >= 0 ? (1 - ti) * v : -ti * v;
    const ce = lin + Math.log1p(ez);
    const sigPos = v >= 0 ? 1 / (1 + ez) : ez / (1 + ez);
    const sigNeg = v >= 0 ? ez / (1 + ez) : 1 / (1 + ez);
    // 1 − p_t without cancellation: t·σ(−x) + (1 − t)·σ(x).
    const q = ti * sigNeg + (1 - ti) * sigPos;
    const fq = gamma === 0 ? 1 : Math.pow(q, gamma);
    const at = alpha >= 0 ? alpha * ti + (1 - alpha) * (1 - ti) : 1;
    const loss = at * ce * fq;
    if (elemLoss) elemLoss[i] = loss;
    total += loss;
    if (grad) {
      const scale = elemScale ? elemScale[i] : gradScale;
      // d(1 − p_t)/dx = (1 − 2t)·p·(1 − p); written with p·(1 − p)/q, which stays ≤ 1, so q^(γ−1) never overflows.
      const focalTerm = gamma === 0 || q === 0 ? 0 : gamma * ce * (1 - 2 * ti) * ((sigPos * sigNeg) / q) * fq;
      grad[i] = scale * at * (((1 - ti) * sigPos - ti * sigNeg) * fq + focalTerm);
    }
  }
  return total;
}

/** The sigmoid focal loss kernel (assembly/focal.ts). */
export const SIGMOID_FOCAL = kernel<SigmoidFocalArgs>({
  export: 'sigmoid_focal',
  main: 'logits',
  params: [
    operand('logits', 'rows'), operand('targets', 'rows'), scalar('n'), scalar('c'), scalar('gamma'), scalar('alpha'),
    operand('elemLoss', 'rows', { out: true }), operand('grad', 'rows', { out: true, inPlaceOf: 'logits' }), scalar('gradScale'),
    operand('elemScale', 'rows'),
  ],
  js: sigmoidFocalJs,
});

/** α, a finite number: the weight of positives (negative: no weighting). Default 0.25. */
const ALPHA = option('alpha', ['focalalpha'], (method, v) => {
  if (v === undefined) return 0.25;
  if (typeof v !== 'number') throw new TypeError(`${method}: alpha must be a number, got ${describe(v)}`);
  if (!Number.isFinite(v)) throw new RangeError(`${method}: alpha must be finite, got ${v}`);
  return v;
});

const FOCAL_OPTIONS = options(CLASSES, REDUCTION, GAMMA, ALPHA);

function run(call: Call, logits: unknown, rawTargets: unknown): Loss | LossWithGrad {
  const { x, f64, n, c } = call.rows('logits', logits, 'one row');
  const targets = call.side('targets', rawTargets, f64, x.length);
  const reduction = call.get(REDUCTION);
  const gamma = call.get(GAMMA);
  const alpha = call.get(ALPHA);
  const count = x.length;
  const elemLoss = reduction === 'none' ? newFloat(f64, count) : null;
  const { grad, gradScale, scales: elemScale } = call.gradient(x, f64, [targets], reduction, count, count);
  const total = call.run(SIGMOID_FOCAL, { logits: x, targets, n, c, gamma, alpha, elemLoss, grad, gradScale, elemScale });
  const loss = reduce(total, reduction, count, elemLoss);
  return grad ? { loss, grad } : loss;
}

/** Elementwise sigmoid focal loss (torchvision's), default reduction 'mean'. */
export function lossMethod<const O extends SigmoidFocalOptions = {}>(logits: FloatInput, targets: FloatInput, opts?: Checked<O, SigmoidFocalOptions>): ReducedLoss<O>;
export function lossMethod(this: Front, logits: unknown, targets: unknown, opts?: unknown): Loss | LossWithGrad {
  return run(this.begin('sigmoidFocalLoss', FOCAL_OPTIONS, opts, false), logits, targets);
}

/** Elementwise sigmoid focal loss and its gradient: `{ loss, grad }`. */
export function gradMethod<const O extends SigmoidFocalOptions & GradOptions = {}>(
  logits: FloatInput,
  targets: FloatInput,
  opts?: Checked<O, SigmoidFocalOptions & GradOptions>,
): LossWithGrad<ReducedLoss<O>>;
export function gradMethod(this: Front, logits: unknown, targets: unknown, opts?: unknown): Loss | LossWithGrad {
  return run(this.begin('sigmoidFocalLossWithGrad', FOCAL_OPTIONS, opts, true), logits, targets);
}

export default {
  methods: { sigmoidFocalLoss: lossMethod, sigmoidFocalLossWithGrad: gradMethod },
};

/** `engine.sigmoidFocalLoss` on the default engine. */
export const sigmoidFocalLoss = lossMethod.bind(DEFAULT_FRONT);
/** `engine.sigmoidFocalLossWithGrad` on the default engine. */
export const sigmoidFocalLossWithGrad = gradMethod.bind(DEFAULT_FRONT);
