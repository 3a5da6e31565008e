/**
 * The scoring pass of scoreTokens over one row of logits, in float64, for what the sparse
 * kernel does not give: the entropy, the rank of the true token and the top k, and every score
 * at a temperature other than 1. O(V) per row, no sort: the top k are kept by insertion into a
 * list of k (k is small).
 */
import { expNonPositive, rowArgmax, rowMax, rowSumExp } from '../backends/js.js';
import type { FloatArray } from '../kernels/kernel.js';

/** What a scoring pass computes for one row, in nats, at the call's temperature. */
export interface RowScore {
  /** log Σ_k exp(x_k / T). */
  lse: number;
  /** argmax_k x_k (torch.argmax: the lowest index among equal maxima, the first NaN). */
  predicted: number;
  /** H = lse − Σ_k p_k·x_k/T (NaN unless asked for). */
  entropy: number;
  /** 1 + the number of tokens ahead of y: a larger logit, or an equal one at a lower index (0 unless asked for). */
  rank: number;
}

/** A row's scores; `lse` is the kernel's when T = 1 (NaN: computed here). The top k go to ids/logits at `at`. */
export function scoreRow(
  x: FloatArray, off: number, v: number, invT: number, y: number, knownLse: number,
  want: { entropy: boolean; rank: boolean; k: number }, topIds: Int32Array | null, topZ: Float64Array | null, at: number,
): RowScore {
  let lse = knownLse;
  const predicted = rowArgmax(x, off, v);
  if (Number.isNaN(lse)) {
    if (invT === 1) {
      const m = rowMax(x, off, v);
      lse = m + Math.log(rowSumExp(x, off, v, m));
    } else {
      let m = -Infinity;
      for (let k = 0; k < v; k++) m = Math.max(m, x[off + k] * invT);
      let s = 0;
      if (m === -Infinity || m !== m) s = m === m ? 0 : NaN;
      else for (let k = 0; k < v; k++) s += Math.exp(x[off + k] * invT - m);
      lse = m + Math.log(s);
    }
  }
  let pz = 0;
  let ahead = 0;
  const xy = x[off + y];
  const k = want.k;
  let filled = 0;
  for (let j = 0; j < v; j++) {
    const xj = x[off + j];
    if (want.entropy) {
      const z = xj * invT;
      // z − lse ≤ 0: the js kernels' exp, several times faster than Math.exp.
      const p = expNonPositive(z - lse);
      // A -inf logit has p = 0 and adds nothing (0·-inf would be NaN).
      if (p > 0) pz += p * z;
      else if (p !== p) pz = NaN;
    }
    if (want.rank && (xj > xy || (xj === xy && j < y))) ahead++;
    if (k > 0 && (filled < k || xj > topZ![at + k - 1])) {
      // Insert after every equal value (lower indices first), dropping the last when full.
      let i = filled < k ? filled++ : k - 1;
      while (i > 0 && xj > topZ![at + i - 1]) {
        topZ![at + i] = topZ![at + i - 1];
        topIds![at + i] = topIds![at + i - 1];
        i--;
      }
      topZ![at + i] = xj;
      topIds![at + i] = j;
    }
  }
  if (k > 0) for (let i = 0; i < k; i++) topZ![at + i] = topZ![at + i] * invT - lse;
  return { lse, predicted, entropy: want.entropy ? lse - pz : NaN, rank: want.rank ? ahead + 1 : 0 };
}
