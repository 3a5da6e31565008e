/**
 * Binary cross-entropy with logits, elementwise (PyTorch `binary_cross_entropy_with_logits`):
 * its kernel.
 */
import { expNonPositive } from '../backends/js.js';
import { type FloatArray, type Kernel, operand, scalar } from '../kernels/kernel.js';

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
export const SIGMOID_XENT: Kernel<SigmoidArgs> = {
  export: 'sigmoid_xent',
  main: 'logits',
  params: [
    operand('logits', 'rows'), operand('targets', 'rows'), scalar('n'), scalar('c'),
    operand('weight', (a) => (a.weightPerElement ? 'rows' : 'whole')), scalar('weightPerElement'), operand('posWeight', 'whole'),
    operand('elemLoss', 'rows', { out: true }), operand('grad', 'rows', { out: true, inPlaceOf: 'logits' }), scalar('gradScale'),
    operand('elemScale', 'rows'),
  ],
  js: sigmoidJs,
};
