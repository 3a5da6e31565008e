/**
 * Very wide rows, for softmax cross-entropy with integer labels: each row is cut into column
 * blocks, the way a vocabulary is cut into shards (src/shards.ts). Per block the
 * rowStates kernel gives its max, Σ exp and (with smoothing) Σ w·(x − max); mergeRowStates
 * merges them in float64 into each row's loss; with a gradient, the expScale kernel writes each
 * block's slice and the target entries are rewritten in float64. A wasm backend then stages one
 * block of one row at a time, so its memory holds a few hundred KiB whatever the vocabulary
 * (2^24 classes and more), where staging whole rows would hold a row per array.
 *
 * The numbers are the fused kernel's to rounding (the sums are split at other places). The
 * training extras (softcap, z-loss, focal, statistics) stay on the whole-row path.
 */
import type { FloatArray, Kernels } from './kernel.js';
import { EXP_SCALE, ROW_STATES } from './row-states.js';
import { type RowStates, finishShardGrad, mergeRowStates, shardGradCoefficients } from '../shards.js';

/**
 * Rows wider than this many classes (4 MiB of f32) take the column-block path. Narrower rows
 * stage whole: with a gradient that is faster (measured at 64 x 2^17: 8.6 ms whole, 15 ms in
 * column blocks, which read the logits twice; the loss alone is as fast either way), and a row
 * of scratch per array is still small.
 */
export const COLUMN_SPLIT = 1 << 20;
/** Classes per column block, at most (256 KiB of f32). */
export const COLUMN_BLOCK = 1 << 16;

/** What the column-block path reads of a sparse call (src/losses/softmax-cross-entropy.ts, SparseArgs). */
interface WideSparseArgs {
  logits: FloatArray;
  labels: Int32Array;
  n: number;
  c: number;
  weight: FloatArray | null;
  ignoreIndex: number;
  smoothing: number;
  rowLoss: FloatArray | null;
  grad: FloatArray | null;
  gradScale: number;
  rowScale: FloatArray | null;
}

/** The sparse kernel on `a` in column blocks of at most COLUMN_BLOCK classes, one block of one row per kernel call. */
export function sparseByColumns(kernels: Kernels, a: WideSparseArgs): number {
  const { logits: x, n, c, weight } = a;
  const blocks = Math.ceil(c / COLUMN_BLOCK);
  const labels = new Int32Array(n);
  for (let r = 0; r < n; r++) labels[r] = a.labels[r] === a.ignoreIndex ? -1 : a.labels[r];
  const states: RowStates[] = [];
  const blockWeights: (FloatArray | null)[] = [];
  for (let b = 0; b < blocks; b++) {
    const k0 = Math.floor((b * c) / blocks);
    const k1 = Math.floor(((b + 1) * c) / blocks);
    const w = weight ? weight.subarray(k0, k1) : null;
    blockWeights.push(w);
    let weightSum = k1 - k0;
    if (w) {
      weightSum = 0;
      for (let k = 0; k < w.length; k++) weightSum += w[k];
    }
    const state = {
      rows: n, classOffset: k0, classes: k1 - k0, labels, labelSmoothing: a.smoothing,
      weight: w && Float64Array.from(w), weightSum,
      max: new Float64Array(n), sumExp: new Float64Array(n),
      weightedShift: a.smoothing > 0 ? new Float64Array(n) : null, target: new Float64Array(n),
    };
    for (let r = 0; r < n; r++) {
      const y = labels[r];
      if (y < 0) continue;
      if (y >= k0 && y < k1) state.target[r] = x[r * c + y];
      kernels.run(ROW_STATES, {
        x: x.subarray(r * c + k0, r * c + k1), n: 1, c: k1 - k0, weight: w,
        max: state.max.subarray(r, r + 1), sumExp: state.sumExp.subarray(r, r + 1),
        weightedShift: state.weightedShift && state.weightedShift.subarray(r, r + 1),
      });
    }
    states.push(state);
  }
  const merged = mergeRowStates(states, { reduction: 'none' });
  const rowLosses = merged.loss as Float64Array;
  if (a.rowLoss) a.rowLoss.set(rowLosses);
  const grad = a.grad;
  if (grad) {
    const rowScale = (r: number) => (a.rowScale ? a.rowScale[r] : a.gradScale);
    for (const [b, state] of states.entries()) {
      const { shift, alpha, beta } = shardGradCoefficients(state, merged, rowScale);
      const k0 = state.classOffset;
      const k1 = k0 + state.classes;
      for (let r = 0; r < n; r++) {
        if (labels[r] < 0) continue;
        // In place when grad is the logits: this block's states and target logits are taken.
        kernels.run(EXP_SCALE, {
          x: x.subarray(r * c + k0, r * c + k1), n: 1, c: k1 - k0,
          shift: shift.subarray(r, r + 1), alpha: alpha.subarray(r, r + 1), beta: beta.subarray(r, r + 1),
          weight: blockWeights[b], out: grad.subarray(r * c + k0, r * c + k1),
        });
      }
      finishShardGrad(grad, state, merged, rowScale, c);
    }
  }
  return merged.sum;
}
