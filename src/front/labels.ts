/**
 * Shapes and labels: C from options.classes (or inferred), and integer class labels checked
 * and converted for the kernels in one pass with the mean's denominator.
 */
import type { FloatArray } from '../kernels/kernel.js';
import { describe } from './describe.js';

/**
 * How a method finds C when options.classes is omitted: from the labels (N = labels.length),
 * as one row (C = the input's length), or not at all (the option is required).
 */
export type ClassInference = { labels: unknown } | 'one row' | 'required';

/** C from options.classes, checked against the input length, or inferred when omitted. */
export function classesOf(method: string, classes: unknown, length: number, infer: ClassInference): number {
  if (classes === undefined) {
    const c = inferClasses(length, infer);
    if (c === undefined) throw new TypeError(`${method}: options.classes is required`);
    return c;
  }
  if (typeof classes !== 'number') throw new TypeError(`${method}: classes must be a number, got ${describe(classes)}`);
  if (!Number.isInteger(classes) || classes < 1) throw new RangeError(`${method}: classes must be a positive integer, got ${classes}`);
  if (length % classes !== 0) {
    throw new RangeError(`${method}: logits length ${length} is not a multiple of classes (${classes})`);
  }
  return classes;
}

function inferClasses(length: number, infer: ClassInference): number | undefined {
  if (infer === 'one row') return Math.max(length, 1);
  if (infer === 'required') return undefined;
  const n = (infer.labels as { length?: unknown } | null)?.length;
  return typeof n === 'number' && n > 0 && length % n === 0 ? length / n : undefined;
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** Labels as the kernels take them, with the mean's denominator Σ_{n∉I} w[y_n]. */
export interface Labels {
  labels: Int32Array;
  /** The value the kernels treat as ignored (ignoreIndex, or -1 when it does not fit int32). */
  ignore: number;
  denom: number;
  /** The number of counted (not ignored) rows. */
  counted: number;
}

/**
 * Checks every label (an integer in [0, C) or ignoreIndex) and sums the mean's denominator in
 * the same pass. Int32Array labels are used as they are; other arrays are converted after the
 * check, so no value wraps on the way to int32.
 */
export function labelsOf(method: string, raw: unknown, n: number, c: number, ignoreIndex: number, w: FloatArray | null): Labels {
  const arrayLike = Array.isArray(raw) || (ArrayBuffer.isView(raw) && !(raw instanceof DataView));
  if (!arrayLike) throw new TypeError(`${method}: labels must be an integer typed array or number[], got ${describe(raw)}`);
  const src = raw as ArrayLike<number | bigint>;
  if (src.length !== n) throw new RangeError(`${method}: labels has length ${src.length}, expected ${n} (logits length / classes)`);
  const fits = ignoreIndex >= INT32_MIN && ignoreIndex <= INT32_MAX;
  const ignore = fits ? ignoreIndex : -1;
  if (src instanceof Int32Array) return int32Labels(method, src, c, ignoreIndex, ignore, w);
  const labels = new Int32Array(n);
  let denom = 0;
  let counted = 0;
  for (let i = 0; i < n; i++) {
    const raw = src[i];
    const v = typeof raw === 'bigint' ? Number(raw) : raw;
    if (v === ignoreIndex) {
      labels[i] = ignore;
      continue;
    }
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      throw new TypeError(`${method}: labels[${i}] = ${describe(raw)} is not an integer`);
    }
    if (v < 0 || v >= c) {
      throw new RangeError(`${method}: labels[${i}] = ${v} is outside [0, ${c}) and is not ignoreIndex (${ignoreIndex})`);
    }
    labels[i] = v;
    denom += w ? w[v] : 1;
    counted++;
  }
  return { labels, ignore, denom, counted };
}

/** labelsOf for Int32Array labels, used as they are: integers already, only the range to check. */
function int32Labels(method: string, labels: Int32Array, c: number, ignoreIndex: number, ignore: number, w: FloatArray | null): Labels {
  const n = labels.length;
  let counted = 0;
  let bad = -1;
  for (let i = 0; i < n; i++) {
    const v = labels[i];
    if (v === ignoreIndex) continue;
    // Unsigned, one comparison: negative labels wrap above any c.
    if (v >>> 0 >= c) {
      bad = i;
      break;
    }
    counted++;
  }
  if (bad >= 0) {
    throw new RangeError(`${method}: labels[${bad}] = ${labels[bad]} is outside [0, ${c}) and is not ignoreIndex (${ignoreIndex})`);
  }
  // Σ w[y] in a loop of its own: a weight lookup in the check's loop made V8 compile it 2x slower.
  let denom = counted;
  if (w) {
    denom = 0;
    for (let i = 0; i < n; i++) if (labels[i] !== ignoreIndex) denom += w[labels[i]];
  }
  return { labels, ignore, denom, counted };
}
