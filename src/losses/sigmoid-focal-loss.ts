/**
 * Sigmoid focal loss, elementwise (torchvision.ops.sigmoid_focal_loss): its kernel.
 */
import { expNonPositive } from '../backends/js.js';
import { type FloatArray, type Kernel, operand, scalar } from '../kernels/kernel.js';

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
export const SIGMOID_FOCAL: Kernel<SigmoidFocalArgs> = {
  export: 'sigmoid_focal',
  main: 'logits',
  params: [
    operand('logits', 'rows'), operand('targets', 'rows'), scalar('n'), scalar('c'), scalar('gamma'), scalar('alpha'),
    operand('elemLoss', 'rows', { out: true }), operand('grad', 'rows', { out: true, inPlaceOf: 'logits' }), scalar('gradScale'),
    operand('elemScale', 'rows'),
  ],
  js: sigmoidFocalJs,
};
