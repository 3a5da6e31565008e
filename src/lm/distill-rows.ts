/**
 * The rows of distillationLoss, in float64 in the front: forward KL(P‖Q), reverse KL(Q‖P) and
 * Liger-Kernel's generalised JSD β·KL(P‖M) + (1−β)·KL(Q‖M), M = β·P + (1−β)·Q, with P the
 * teacher's softmax(t/T) and Q the student's softmax(s/T); each row's loss times T² (Hinton et
 * al.) and its gradient w.r.t. the student logits, fused (Liger's kernels: jsd.py).
 */
import { expNonPositive, rowMax, rowSumExp } from '../backends/js.js';
import type { FloatArray } from '../kernels/kernel.js';

/** What to compute: the kind, β (jsd), the temperature. */
export interface DistillSettings {
  kind: 'forward-kl' | 'reverse-kl' | 'jsd';
  beta: number;
  temperature: number;
}

/** log Σ exp(x_k / T) over a row. */
function lseAt(x: FloatArray, off: number, v: number, invT: number): number {
  if (invT === 1) {
    const m = rowMax(x, off, v);
    return m === -Infinity ? m : m + Math.log(rowSumExp(x, off, v, m));
  }
  let m = -Infinity;
  for (let k = 0; k < v; k++) m = Math.max(m, x[off + k] * invT);
  if (m === -Infinity) return m;
  let s = 0;
  for (let k = 0; k < v; k++) s += expNonPositive(x[off + k] * invT - m);
  return m + Math.log(s);
}

/** q and p of the row being computed, kept for the gradient pass (one row each, grown as needed). */
let rowQ = new Float64Array(0);
let rowP = new Float64Array(0);

/**
 * One row's loss (times T²); when `grad` is given, writes scale·∂loss/∂s into grad[off, off + v).
 * Zero-probability terms add nothing (0·log 0 = 0), as Liger's and PyTorch's kl_div do.
 */
export function distillRow(s: FloatArray, t: FloatArray, off: number, v: number, o: DistillSettings, grad: FloatArray | null, scale: number): number {
  if (rowQ.length < v) {
    rowQ = new Float64Array(v);
    rowP = new Float64Array(v);
  }
  const qs = rowQ;
  const ps = rowP;
  const invT = 1 / o.temperature;
  const lseS = lseAt(s, off, v, invT);
  const lseT = lseAt(t, off, v, invT);
  const beta = o.kind === 'forward-kl' ? 0 : o.kind === 'reverse-kl' ? 1 : o.beta;
  const forward = beta === 0;
  const reverse = beta === 1;
  let loss = 0;
  // Σ q·g, the softmax chain's correction (reverse KL and JSD).
  let qg = 0;
  for (let k = 0; k < v; k++) {
    const lq = s[off + k] * invT - lseS;
    const lp = t[off + k] * invT - lseT;
    const q = expNonPositive(lq);
    const p = expNonPositive(lp);
    qs[k] = q;
    ps[k] = p;
    if (forward) {
      if (p > 0) loss += p * (lp - lq);
    } else if (reverse) {
      if (q > 0) {
        loss += q * (lq - lp);
        qg += q * (lq - lp);
      }
    } else {
      const m = beta * p + (1 - beta) * q;
      if (m > 0) {
        const lm = Math.log(m);
        if (p > 0) loss += beta * p * (lp - lm);
        if (q > 0) {
          loss += (1 - beta) * q * (lq - lm);
          qg += q * (1 - beta) * (lq - lm);
        }
      }
    }
  }
  const t2 = o.temperature * o.temperature;
  if (grad) {
    // ∂(T²·L)/∂s = T·∂L/∂z with z = s/T.
    const g = scale * o.temperature;
    for (let k = 0; k < v; k++) {
      const q = qs[k];
      let dz: number;
      if (forward) dz = q - ps[k];
      else if (q === 0) dz = 0;
      else {
        // Read s before grad[off + k] is written: grad may be s itself (in place).
        const lq = s[off + k] * invT - lseS;
        if (reverse) dz = q * (lq - (t[off + k] * invT - lseT) - qg);
        else dz = q * ((1 - beta) * (lq - Math.log(beta * ps[k] + (1 - beta) * q)) - qg);
      }
      grad[off + k] = g * dz;
    }
  }
  return t2 * loss;
}
