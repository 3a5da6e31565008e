/**
 * Reductions and gradient scales: the kernels return Σ of the row (or element) losses and
 * write per-row losses; the front turns them into the reduced loss, and turns gradOutput and the
 * reduction into the multipliers the kernels apply to the gradient.
 */
import type { FloatArray } from '../kernels/kernel.js';
import type { Loss, Reduction } from '../types.js';
import { describe } from './describe.js';
import { checkFinite, sideFloat } from './operands.js';

/** Reduces the kernel's Σ: 'sum' as it is, 'mean' over `denom` (0 when there is nothing to count). */
export function reduce(total: number, reduction: Reduction, denom: number, perRow: FloatArray | null, unit = 1): Loss {
  if (reduction === 'none') {
    if (unit !== 1) for (let i = 0; i < perRow!.length; i++) perRow![i] /= unit;
    return perRow!;
  }
  const sum = total / unit;
  return reduction === 'sum' ? sum : denom === 0 ? 0 : sum / denom;
}

/** The gradient's multipliers (see gradScaleOf). */
export interface GradScales {
  /** The multiplier of every row (element) when `scales` is null. */
  gradScale: number;
  /** The multiplier of the z-loss term, whose mean divides by its own count. */
  zGradScale: number;
  /** For 'none' with an array gradOutput: one multiplier per row (element). */
  scales: FloatArray | null;
}

/**
 * gradOutput as a scalar multiplier (and, for 'none', optionally one per row / element);
 * zGradScale is the multiplier of the z-loss term, whose mean divides by `zDenom`.
 */
export function gradScaleOf(
  method: string,
  g: unknown,
  reduction: Reduction,
  count: number,
  denom: number,
  f64: boolean,
  zDenom = denom,
): GradScales {
  if (g === undefined) g = 1;
  if (typeof g === 'number') {
    if (!Number.isFinite(g)) throw new RangeError(`${method}: gradOutput must be finite, got ${g}`);
    // Mean over zero counted rows is 0, and so is its gradient (PyTorch would give NaN).
    const over = (d: number) => (reduction === 'mean' ? (d === 0 ? 0 : (g as number) / d) : (g as number));
    return { gradScale: over(denom), zGradScale: over(zDenom), scales: null };
  }
  if (reduction !== 'none') {
    throw new TypeError(`${method}: gradOutput must be a number for reduction '${reduction}', got ${describe(g)}`);
  }
  const scales = sideFloat(method, 'gradOutput', g, f64, count);
  checkFinite(method, 'gradOutput', scales);
  return { gradScale: 1, zGradScale: 1, scales };
}
