/**
 * The training extras the softmax cross-entropy losses share (see the README, "Training
 * extras"): their options, the z-loss term the front adds from the kernel's per-row lse, and
 * the result object of a call that asked for extras.
 */
import type { FloatArray } from '../kernels/kernel.js';
import type { Loss, Reduction, SoftmaxStats } from '../types.js';
import { describe } from './describe.js';
import type { Call } from './call.js';
import { flag, nonNegative, option } from './options.js';
import { newFloat } from './operands.js';

/** z-loss coefficient z ≥ 0 (PaLM; Liger's lse_square_scale), default 0. */
export const Z_LOSS = nonNegative('zLoss', ['zloss', 'lsesquarescale', 'zlossweight'], 0);

/** options.softcap: a finite c > 0, or 0 (no cap) when absent. */
export const SOFTCAP = option('softcap', ['softcapping', 'logitsoftcap', 'logitsoftcapping', 'finallogitsoftcapping'], (method, v) => {
  if (v === undefined) return 0;
  if (typeof v !== 'number') throw new TypeError(`${method}: softcap must be a number, got ${describe(v)}`);
  if (!(v > 0 && v < Infinity)) throw new RangeError(`${method}: softcap must be a finite number > 0, got ${v}`);
  return v;
});

/** Return the z-loss term on its own too. */
export const RETURN_Z_LOSS = flag('returnZLoss', ['returnzloss']);

/** The extras' options of a call, read in one place. */
export function extrasOf(call: Call): { zLoss: number; softcap: number; returnZLoss: boolean } {
  return { zLoss: call.get(Z_LOSS), softcap: call.get(SOFTCAP), returnZLoss: call.get(RETURN_Z_LOSS) };
}

/**
 * The loss with its z-loss term added (when z > 0; the term alone is returned too when asked
 * for): z·lse² of each counted row (rows where `counts` is true), reduced as the loss is ('mean'
 * over `counted` rows); for 'none' added into the per-row losses, and one per row.
 */
export function addZLoss(
  loss: Loss,
  z: number,
  returnZLoss: boolean,
  lse: FloatArray | null,
  counts: (row: number) => boolean,
  n: number,
  counted: number,
  reduction: Reduction,
  rowLoss: FloatArray | null,
  f64: boolean,
): { loss: Loss; zTerm: Loss | null } {
  if (!(z > 0 || returnZLoss)) return { loss, zTerm: null };
  const rows = reduction === 'none' ? newFloat(f64, n) : null;
  let sum = 0;
  if (z > 0 && lse) {
    for (let i = 0; i < n; i++) {
      if (!counts(i)) continue;
      const term = z * lse[i] * lse[i];
      sum += term;
      if (rows) {
        rows[i] = term;
        rowLoss![i] += term;
      }
    }
  }
  if (rows) return { loss, zTerm: rows };
  const zTerm = reduction === 'sum' ? sum : counted === 0 ? 0 : sum / counted;
  return { loss: (loss as number) + zTerm, zTerm };
}

/** The result object of a call that asked for extras, with exactly the fields asked for. */
export function withExtras<T extends object>(base: T, zLoss: Loss | null, stats: SoftmaxStats | null): T {
  const out: Record<string, unknown> = base as Record<string, unknown>;
  if (zLoss !== null) out.zLoss = zLoss;
  if (stats !== null) out.stats = stats;
  return base;
}
