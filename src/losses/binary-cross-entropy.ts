/**
 * binaryCrossEntropy(+WithGrad): binary cross-entropy on probabilities, elementwise (PyTorch
 * `binary_cross_entropy`), with per-class or per-element weights; the gradient is w.r.t. the
 * probabilities. Each log is clamped at −100 and the gradient's denominator p·(1 − p) at 1e-12
 * (PyTorch's EPSILON, a float: 1e-12 rounded to float32), as PyTorch does, so p = 0 or 1 gives finite numbers.
 *
 * This loss is the proof of the registry: it is this module, its kernel
 * (assembly/binary-cross-entropy.ts, an entry of asconfig.json), its lines in src/losses/index.ts
 * and its test (test/binary-cross-entropy.test.ts), and nothing else.
 */
import type { Call } from '../front/call.js';
import { DEFAULT_FRONT } from '../front/default.js';
import type { Front } from '../front/front.js';
import { checkProbabilities, newFloat } from '../front/operands.js';
import { CLASSES, REDUCTION, WEIGHT, options } from '../front/options.js';
import { reduce } from '../front/reduce.js';
import { type FloatArray, kernel, operand, scalar } from '../kernels/kernel.js';
import type { Checked, FloatInput, GradOptions, Loss, LossWithGrad, ReduceOptions, ReducedLoss } from '../types.js';

/** Options of `binaryCrossEntropy` (PyTorch `binary_cross_entropy`). */
export interface BinaryOptions extends ReduceOptions {
  /** Per-class (length C) or per-element (length N·C) weights. */
  weight?: FloatInput;
}

/** The kernel's arguments (assembly/binary-cross-entropy.ts). */
export interface BinaryArgs<F extends FloatArray = FloatArray> {
  /** Probabilities [n, c], each in [0, 1]. */
  probs: F;
  /** Targets [n, c], each in [0, 1]. */
  targets: F;
  n: number;
  c: number;
  /** null, per-class (length c, broadcast over rows) or per-element (length n·c). */
  weight: F | null;
  weightPerElement: boolean;
  /** Out (length n·c), or null: −w·(t·max(log p, −100) + (1 − t)·max(log(1 − p), −100)). */
  elemLoss: F | null;
  /** Out [n, c] or null: scale·w·(p − t) / max(p·(1 − p), 1e-12). May be the probabilities. */
  grad: F | null;
  gradScale: number;
  /** Per-element gradient multipliers (length n·c), or null to use gradScale. */
  elemScale: F | null;
}

/** PyTorch's EPSILON: the float 1e-12. */
const EPSILON = Math.fround(1e-12);

function binaryJs(a: BinaryArgs): number {
  const { probs: p, targets: t, n, c, weight: w, weightPerElement, elemLoss, grad, gradScale, elemScale } = a;
  let total = 0;
  for (let i = 0; i < n * c; i++) {
    const pi = p[i];
    const ti = t[i];
    const wi = w ? w[weightPerElement ? i : i % c] : 1;
    const loss = wi * ((ti - 1) * Math.max(Math.log1p(-pi), -100) - ti * Math.max(Math.log(pi), -100));
    if (elemLoss) elemLoss[i] = loss;
    total += loss;
    if (grad) grad[i] = ((elemScale ? elemScale[i] : gradScale) * wi * (pi - ti)) / Math.max(pi * (1 - pi), EPSILON);
  }
  return total;
}

/** The binary cross-entropy kernel (assembly/binary-cross-entropy.ts). */
export const BINARY_XENT = kernel<BinaryArgs>({
  export: 'binary_xent',
  main: 'probs',
  params: [
    operand('probs', 'rows'), operand('targets', 'rows'), scalar('n'), scalar('c'),
    operand('weight', (a) => (a.weightPerElement ? 'rows' : 'whole')), scalar('weightPerElement'),
    operand('elemLoss', 'rows', { out: true }), operand('grad', 'rows', { out: true, inPlaceOf: 'probs' }), scalar('gradScale'),
    operand('elemScale', 'rows'),
  ],
  js: binaryJs,
});

const BINARY_OPTIONS = options(CLASSES, REDUCTION, WEIGHT);

function run(call: Call, rawProbs: unknown, rawTargets: unknown): Loss | LossWithGrad {
  const { method } = call;
  const { x: probs, f64, n, c } = call.rows('probs', rawProbs, 'one row');
  const targets = call.side('targets', rawTargets, f64, probs.length);
  checkProbabilities(method, 'probs', probs);
  checkProbabilities(method, 'targets', targets);
  const reduction = call.get(REDUCTION);
  const { weight, perElement: weightPerElement } = call.elementWeights(f64, c, probs.length);
  const count = probs.length;
  const elemLoss = reduction === 'none' ? newFloat(f64, count) : null;
  const { grad, gradScale, scales: elemScale } = call.gradient(probs, f64, [targets, weight], reduction, count, count);
  const total = call.run(BINARY_XENT, { probs, targets, n, c, weight, weightPerElement, elemLoss, grad, gradScale, elemScale });
  const loss = reduce(total, reduction, count, elemLoss);
  return grad ? { loss, grad } : loss;
}

/** Binary cross-entropy on probabilities, elementwise: a number, or one value per element for `reduction: 'none'`. */
export function lossMethod<const O extends BinaryOptions = {}>(probs: FloatInput, targets: FloatInput, opts?: Checked<O, BinaryOptions>): ReducedLoss<O>;
export function lossMethod(this: Front, probs: unknown, targets: unknown, opts?: unknown): Loss | LossWithGrad {
  return run(this.begin('binaryCrossEntropy', BINARY_OPTIONS, opts, false), probs, targets);
}

/** Binary cross-entropy on probabilities and its gradient w.r.t. them: `{ loss, grad }`. */
export function gradMethod<const O extends BinaryOptions & GradOptions = {}>(
  probs: FloatInput,
  targets: FloatInput,
  opts?: Checked<O, BinaryOptions & GradOptions>,
): LossWithGrad<ReducedLoss<O>>;
export function gradMethod(this: Front, probs: unknown, targets: unknown, opts?: unknown): Loss | LossWithGrad {
  return run(this.begin('binaryCrossEntropyWithGrad', BINARY_OPTIONS, opts, true), probs, targets);
}

export default {
  methods: { binaryCrossEntropy: lossMethod, binaryCrossEntropyWithGrad: gradMethod },
};

/** `engine.binaryCrossEntropy` on the default engine. */
export const binaryCrossEntropy = lossMethod.bind(DEFAULT_FRONT);
/** `engine.binaryCrossEntropyWithGrad` on the default engine. */
export const binaryCrossEntropyWithGrad = gradMethod.bind(DEFAULT_FRONT);
