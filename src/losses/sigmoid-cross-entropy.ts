/**
 * sigmoidCrossEntropy(+WithGrad): binary cross-entropy with logits, elementwise (PyTorch
 * `binary_cross_entropy_with_logits`), with per-class or per-element weights and posWeight.
 */
import { expNonPositive } from '../backends/js.js';
import type { Call } from '../front/call.js';
import { DEFAULT_FRONT } from '../front/default.js';
import type { Front } from '../front/front.js';
import { checkFinite, newFloat } from '../front/operands.js';
import { CLASSES, REDUCTION, WEIGHT, option, options } from '../front/options.js';
import { reduce } from '../front/reduce.js';
import { type FloatArray, kernel, operand, scalar } from '../kernels/kernel.js';
import type { FloatInput, FloatOutput, GradOptions, Loss, LossWithGrad, ReduceOptions } from '../types.js';

/** Options of `sigmoidCrossEntropy` (PyTorch `binary_cross_entropy_with_logits`). */
export interface SigmoidOptions extends ReduceOptions {
  /** Per-class (length C) or per-element (length N·C) weights. */
  weight?: FloatInput;
  /** Weight of positive examples: a number, or one per class (length C). */
  posWeight?: number | FloatInput;
}

/** Binary cross-entropy with logits, elementwise (PyTorch `binary_cross_entropy_with_logits`). */
export interface SigmoidArgs<F extends FloatArray = FloatArray> {
  logits: F;
  targets: F;
  n: number;
  c: number;
  /** null, per-class (length c, broadcast over rows) or per-element (length n·c). */
  weight: F | null;
  weightPerElement: boolean;
  /** Per-class positive weight (length c), or null for 1. */
  posWeight: F | null;
  /**
   * Out (length n·c), or null: w·[ (1-t)·x + (1 + (pw-1)·t)·(log1p(exp(-|x|)) + max(-x, 0)) ].
   */
  elemLoss: F | null;
  /** Out [n, c] or null: scale·w·[ (1-t) − (1 + (pw-1)·t)·sigmoid(-x) ]. May be the logits. */
  grad: F | null;
  gradScale: number;
  /** Per-element gradient multipliers (length n·c), or null to use gradScale. */
  elemScale: F | null;
}

function sigmoidJs(a: SigmoidArgs): number {
  const { logits: x, targets: t, n, c, weight: w, weightPerElement, posWeight: pw, elemLoss, grad, gradScale, elemScale } = a;
  let total = 0;
  for (let r = 0; r < n; r++) {
    for (let k = 0; k < c; k++) {
      const i = r * c + k;
      const v = x[i];
      const ti = t[i];
      const wi = w ? w[weightPerElement ? i : k] : 1;
      const lw = pw ? 1 + (pw[k] - 1) * ti : 1;
      const ez = expNonPositive(-Math.abs(v));
      // log(1 + e^-x) written so it never overflows: log1p(e^-|x|) + max(-x, 0)
      const softplusNeg = Math.log1p(ez) + Math.max(-v, 0);
      const loss = wi * ((1 - ti) * v + lw * softplusNeg);
      if (elemLoss) elemLoss[i] = loss;
      total += loss;
      if (grad) {
        const sigNeg = v >= 0 ? ez / (1 + ez) : 1 / (1 + ez);
        const scale = elemScale ? elemScale[i] : gradScale;
        grad[i] = scale * wi * (1 - ti - lw * sigNeg);
      }
    }
  }
  return total;
}

/** The sigmoid cross-entropy kernel (assembly/sigmoid.ts). */
export const SIGMOID_XENT = kernel<SigmoidArgs>({
  export: 'sigmoid_xent',
  main: 'logits',
  params: [
    operand('logits', 'rows'), operand('targets', 'rows'), scalar('n'), scalar('c'),
    operand('weight', (a) => (a.weightPerElement ? 'rows' : 'whole')), scalar('weightPerElement'), operand('posWeight', 'whole'),
    operand('elemLoss', 'rows', { out: true }), operand('grad', 'rows', { out: true, inPlaceOf: 'logits' }), scalar('gradScale'),
    operand('elemScale', 'rows'),
  ],
  js: sigmoidJs,
});

/** Weight of positive examples: a number, or one per class. */
const POS_WEIGHT = option('posWeight', ['posweight', 'posweights']);

const SIGMOID_OPTIONS = options(CLASSES, REDUCTION, WEIGHT, POS_WEIGHT);

function run(call: Call, logits: unknown, rawTargets: unknown): Loss | LossWithGrad {
  const { method } = call;
  const { x, f64, n, c } = call.rows('logits', logits, 'one row');
  const targets = call.side('targets', rawTargets, f64, x.length);
  const reduction = call.get(REDUCTION);
  const { weight, perElement: weightPerElement } = call.elementWeights(f64, c, x.length);
  let posWeight: FloatArray | null = null;
  const rawPos = call.o.posWeight;
  if (typeof rawPos === 'number') {
    if (!Number.isFinite(rawPos)) throw new RangeError(`${method}: posWeight must be finite, got ${rawPos}`);
    posWeight = newFloat(f64, c).fill(rawPos);
  } else if (rawPos !== undefined) {
    posWeight = call.side('posWeight', rawPos, f64, c);
    checkFinite(method, 'posWeight', posWeight);
  }
  const count = x.length;
  const elemLoss = reduction === 'none' ? newFloat(f64, count) : null;
  const { grad, gradScale, scales: elemScale } = call.gradient(x, f64, [targets, weight, posWeight], reduction, count, count);
  const total = call.run(SIGMOID_XENT, { logits: x, targets, n, c, weight, weightPerElement, posWeight, elemLoss, grad, gradScale, elemScale });
  const loss = reduce(total, reduction, count, elemLoss);
  return grad ? { loss, grad } : loss;
}

/** Binary cross-entropy with logits, elementwise. */
export function lossMethod(logits: FloatInput, targets: FloatInput, opts?: SigmoidOptions & { reduction?: 'mean' | 'sum' }): number;
export function lossMethod(logits: FloatInput, targets: FloatInput, opts: SigmoidOptions & { reduction: 'none' }): FloatOutput;
export function lossMethod(logits: FloatInput, targets: FloatInput, opts?: SigmoidOptions): Loss;
export function lossMethod(this: Front, logits: unknown, targets: unknown, opts?: unknown): Loss | LossWithGrad {
  return run(this.begin('sigmoidCrossEntropy', SIGMOID_OPTIONS, opts, false), logits, targets);
}

/** Binary cross-entropy with logits and its gradient: `{ loss, grad }`. */
export function gradMethod(logits: FloatInput, targets: FloatInput, opts?: SigmoidOptions & GradOptions & { reduction?: 'mean' | 'sum' }): LossWithGrad<number>;
export function gradMethod(logits: FloatInput, targets: FloatInput, opts: SigmoidOptions & GradOptions & { reduction: 'none' }): LossWithGrad<FloatOutput>;
export function gradMethod(logits: FloatInput, targets: FloatInput, opts?: SigmoidOptions & GradOptions): LossWithGrad;
export function gradMethod(this: Front, logits: unknown, targets: unknown, opts?: unknown): Loss | LossWithGrad {
  return run(this.begin('sigmoidCrossEntropyWithGrad', SIGMOID_OPTIONS, opts, true), logits, targets);
}

export default {
  methods: { sigmoidCrossEntropy: lossMethod, sigmoidCrossEntropyWithGrad: gradMethod },
};

/** `engine.sigmoidCrossEntropy` on the default engine. */
export const sigmoidCrossEntropy = lossMethod.bind(DEFAULT_FRONT);
/** `engine.sigmoidCrossEntropyWithGrad` on the default engine. */
export const sigmoidCrossEntropyWithGrad = gradMethod.bind(DEFAULT_FRONT);
