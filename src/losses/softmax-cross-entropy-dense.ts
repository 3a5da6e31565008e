/**
 * softmaxCrossEntropyDense(+WithGrad): softmax cross-entropy from logits with probability (or
 * one-hot) targets [N, C] (PyTorch's probability-target path), with weights, label smoothing and
 * the z-loss and softcap extras.
 */
import { cappedRow, expNonPositive, rowMax, rowSumExp } from '../backends/js.js';
import type { Call } from '../front/call.js';
import { DEFAULT_FRONT } from '../front/default.js';
import { RETURN_Z_LOSS, SOFTCAP, Z_LOSS, addZLoss, extrasOf } from '../front/extras.js';
import type { Front } from '../front/front.js';
import { newFloat } from '../front/operands.js';
import { CLASSES, LABEL_SMOOTHING, REDUCTION, WEIGHT, options } from '../front/options.js';
import { reduce } from '../front/reduce.js';
import { type FloatArray, kernel, operand, scalar } from '../kernels/kernel.js';
import type { Checked, FloatInput, GradOptions, GradResult, LossResult, ReduceOptions, SoftmaxExtraOptions } from '../types.js';
import { type SoftmaxResult, type SparseArgs, softmaxResult } from './softmax-cross-entropy.js';

/** Options of `softmaxCrossEntropyDense` (probability targets). */
export interface DenseOptions extends ReduceOptions, SoftmaxExtraOptions {
  classes: number;
  weight?: FloatInput;
  labelSmoothing?: number;
}

/**
 * Softmax cross-entropy with probability targets [n, c] (PyTorch's probability-target path): the
 * arguments of SparseArgs, with row-major targets instead of labels. Smoothing applies
 * t' = (1-ε)·t + ε/c; rowLoss is Σ_k w_k·t'_k·(lse - x_k), where a term with w_k·t'_k = 0
 * contributes 0 even when x_k = -inf (0·log 0 = 0; PyTorch would give NaN there); grad is
 * scale·[ p_k·Σ_j w_j·t'_j − w_k·t'_k ]; every row counts for the z-loss.
 */
export type DenseArgs<F extends FloatArray = FloatArray> = Omit<SparseArgs<F>, 'labels' | 'ignoreIndex' | 'focalGamma' | 'rowArgmax'> & {
  targets: F;
};

function denseJs(a: DenseArgs): number {
  const { logits: x, targets: t, n, c, weight: w, smoothing: eps, rowLoss, grad, gradScale, rowScale } = a;
  const { softcap: cap = 0, zLoss: z = 0, zGradScale = 0, rowLse = null } = a;
  const e = eps / c;
  const capped = new Float64Array(cap > 0 ? c : 0);
  let total = 0;
  for (let r = 0; r < n; r++) {
    const off = r * c;
    const { v, o } = cappedRow(x, off, c, cap, capped);
    const m = rowMax(v, o, c);
    const s = rowSumExp(v, o, c, m);
    const logS = Math.log(s);
    if (rowLse) rowLse[r] = m + logS;
    let loss = 0;
    let coefSum = 0;
    for (let k = 0; k < c; k++) {
      // 0·log 0 = 0: a zero coefficient contributes nothing, even against a -inf logit.
      const coef = (w ? w[k] : 1) * ((1 - eps) * t[off + k] + e);
      if (coef !== 0) {
        loss += coef * (logS - (v[o + k] - m));
        coefSum += coef;
      }
    }
    if (rowLoss) rowLoss[r] = loss;
    total += loss;
    if (grad) {
      const scale = rowScale ? rowScale[r] : gradScale;
      const zScale = rowScale ? rowScale[r] : zGradScale;
      const amp = coefSum * scale + (z > 0 ? 2 * z * (m + logS) * zScale : 0);
      const invS = 1 / s;
      for (let k = 0; k < c; k++) {
        const coef = (w ? w[k] : 1) * ((1 - eps) * t[off + k] + e);
        let g = amp * expNonPositive(v[o + k] - m) * invS - scale * coef;
        if (cap > 0) g *= 1 - (v[o + k] / cap) ** 2;
        grad[off + k] = g;
      }
    }
  }
  return total;
}

/** The dense softmax cross-entropy kernel (assembly/dense.ts). */
export const DENSE_XENT = kernel<DenseArgs>({
  export: 'dense_xent',
  main: 'logits',
  params: [
    operand('logits', 'rows'), operand('targets', 'rows'), scalar('n'), scalar('c'), operand('weight', 'whole'), scalar('smoothing'),
    operand('rowLoss', 'row', { out: true }), operand('grad', 'rows', { out: true, inPlaceOf: 'logits' }), scalar('gradScale'),
    operand('rowScale', 'row'), scalar('softcap', 0), scalar('zLoss', 0), scalar('zGradScale', 0), operand('rowLse', 'row', { out: true }),
  ],
  frame: true,
  js: denseJs,
});

const DENSE_OPTIONS = options(CLASSES, REDUCTION, WEIGHT, LABEL_SMOOTHING, Z_LOSS, SOFTCAP, RETURN_Z_LOSS);

function run(call: Call, logits: unknown, rawTargets: unknown): SoftmaxResult {
  const { x, f64, n, c } = call.rows('logits', logits, 'required');
  const targets = call.side('targets', rawTargets, f64, x.length);
  const reduction = call.get(REDUCTION);
  const smoothing = call.get(LABEL_SMOOTHING);
  const weight = call.classWeights(f64, c);
  const { zLoss, softcap, returnZLoss } = extrasOf(call);
  const rowLoss = reduction === 'none' ? newFloat(f64, n) : null;
  const rowLse = zLoss > 0 ? newFloat(f64, n) : null;
  const { grad, gradScale, zGradScale, scales: rowScale } = call.gradient(x, f64, [targets, weight], reduction, n, n);
  const total = call.run(DENSE_XENT, { logits: x, targets, n, c, weight, smoothing, rowLoss, grad, gradScale, rowScale, softcap, zLoss, zGradScale, rowLse });
  // PyTorch's probability-target mean divides by N, whatever the weights.
  const reduced = reduce(total, reduction, n, rowLoss);
  const { loss, zTerm } = addZLoss(reduced, zLoss, returnZLoss, rowLse, () => true, n, n, reduction, rowLoss, f64);
  return softmaxResult({ loss, grad, zTerm, stats: null, returnZLoss }, call.withGrad);
}

/** Softmax cross-entropy with probability targets; with `returnZLoss`, `{ loss, zLoss }`. */
export function lossMethod<const O extends DenseOptions>(logits: FloatInput, targets: FloatInput, opts: Checked<O, DenseOptions>): LossResult<O>;
export function lossMethod(this: Front, logits: unknown, targets: unknown, opts?: unknown): SoftmaxResult {
  return run(this.begin('softmaxCrossEntropyDense', DENSE_OPTIONS, opts, false), logits, targets);
}

/** Softmax cross-entropy with probability targets and its gradient: `{ loss, grad }`. */
export function gradMethod<const O extends DenseOptions & GradOptions>(
  logits: FloatInput,
  targets: FloatInput,
  opts: Checked<O, DenseOptions & GradOptions>,
): GradResult<O>;
export function gradMethod(this: Front, logits: unknown, targets: unknown, opts?: unknown): SoftmaxResult {
  return run(this.begin('softmaxCrossEntropyDenseWithGrad', DENSE_OPTIONS, opts, true), logits, targets);
}

export default {
  methods: { softmaxCrossEntropyDense: lossMethod, softmaxCrossEntropyDenseWithGrad: gradMethod },
};

/** `engine.softmaxCrossEntropyDense` on the default engine. */
export const softmaxCrossEntropyDense = lossMethod.bind(DEFAULT_FRONT);
/** `engine.softmaxCrossEntropyDenseWithGrad` on the default engine. */
export const softmaxCrossEntropyDenseWithGrad = gradMethod.bind(DEFAULT_FRONT);
