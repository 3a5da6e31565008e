/**
 * Validation and coercion shared by every backend: each bad input fails here, before any kernel
 * runs, with the same TypeError or RangeError whatever the backend.
 */
import type { FloatArray } from './kernels/kernel.js';
import type { Reduction } from './types.js';

/** Every option name the engine knows; a method accepts a subset. */
export const OPTION_NAMES = [
  'classes',
  'reduction',
  'weight',
  'ignoreIndex',
  'labelSmoothing',
  'posWeight',
  'base',
  'gradOut',
  'gradOutput',
  'out',
  'zLoss',
  'softcap',
  'returnZLoss',
  'stats',
  'gamma',
  'alpha',
  'classOffset',
] as const;
export type OptionName = (typeof OPTION_NAMES)[number];

/** Typos users make, mapped to the option they meant (PyTorch / TensorFlow spellings). */
const ALIASES: Record<string, OptionName> = {
  numclasses: 'classes',
  nclasses: 'classes',
  depth: 'classes',
  weights: 'weight',
  classweight: 'weight',
  classweights: 'weight',
  ignoreindex: 'ignoreIndex',
  labelsmoothing: 'labelSmoothing',
  smoothing: 'labelSmoothing',
  posweight: 'posWeight',
  posweights: 'posWeight',
  gradout: 'gradOut',
  gradoutput: 'gradOutput',
  zloss: 'zLoss',
  lsesquarescale: 'zLoss',
  zlossweight: 'zLoss',
  softcapping: 'softcap',
  logitsoftcap: 'softcap',
  logitsoftcapping: 'softcap',
  finallogitsoftcapping: 'softcap',
  returnzloss: 'returnZLoss',
  returnstats: 'stats',
  focalgamma: 'gamma',
  focalalpha: 'alpha',
  offset: 'classOffset',
  classoffset: 'classOffset',
};

/** Throws a TypeError for an option this method does not take, suggesting the one meant. */
export function checkOptionNames(method: string, opts: object, allowed: readonly OptionName[]): void {
  for (const key of Object.keys(opts)) {
    if ((allowed as readonly string[]).includes(key)) continue;
    if ((opts as Record<string, unknown>)[key] === undefined) continue;
    const meant = ALIASES[key.replace(/[_-]/g, '').toLowerCase()];
    if ((OPTION_NAMES as readonly string[]).includes(key)) {
      throw new TypeError(`${method}: option '${key}' does not apply here (options: ${allowed.join(', ')})`);
    }
    const hint = meant && allowed.includes(meant) ? ` (did you mean '${meant}'?)` : '';
    throw new TypeError(`${method}: unknown option '${key}'${hint}; options: ${allowed.join(', ')}`);
  }
}

/** The options object, or {} when omitted. */
export function optionsObject(method: string, opts: unknown): Record<string, unknown> {
  if (opts === undefined || opts === null) return {};
  if (typeof opts !== 'object' || Array.isArray(opts)) {
    throw new TypeError(`${method}: options must be an object, got ${describe(opts)}`);
  }
  return opts as Record<string, unknown>;
}

/** A short description of a value for error messages. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  if (typeof v === 'string') return `'${v.length > 20 ? v.slice(0, 20) + '…' : v}'`;
  if (typeof v === 'object') return 'an object';
  return String(v);
}

/** Whether the main float input computes in float64. */
export function isFloat64(x: unknown): x is Float64Array {
  return x instanceof Float64Array;
}

/**
 * The main float input (logits, p, x) as a Float32Array or Float64Array: typed arrays are used
 * as they are; number[] is copied into a Float32Array after checking every entry is a number.
 */
export function mainFloat(method: string, name: string, x: unknown): FloatArray {
  if (x instanceof Float32Array || x instanceof Float64Array) return x;
  if (Array.isArray(x)) {
    checkNumbers(method, name, x);
    return Float32Array.from(x);
  }
  throw new TypeError(`${method}: ${name} must be a Float32Array, Float64Array or number[], got ${describe(x)}`);
}

/** A secondary float input (targets, weight, q, ...) in the precision of the main input. */
export function sideFloat(method: string, name: string, x: unknown, f64: boolean, length: number): FloatArray {
  let out: FloatArray;
  if (f64 ? x instanceof Float64Array : x instanceof Float32Array) {
    out = x as FloatArray;
  } else if (x instanceof Float32Array || x instanceof Float64Array) {
    out = f64 ? Float64Array.from(x) : Float32Array.from(x);
  } else if (Array.isArray(x)) {
    checkNumbers(method, name, x);
    out = f64 ? Float64Array.from(x) : Float32Array.from(x);
  } else {
    throw new TypeError(`${method}: ${name} must be a Float32Array, Float64Array or number[], got ${describe(x)}`);
  }
  if (out.length !== length) {
    throw new RangeError(`${method}: ${name} has length ${out.length}, expected ${length}`);
  }
  return out;
}

function checkNumbers(method: string, name: string, x: readonly unknown[]): void {
  for (let i = 0; i < x.length; i++) {
    if (typeof x[i] !== 'number') throw new TypeError(`${method}: ${name}[${i}] is ${describe(x[i])}, not a number`);
  }
}

/** Throws a RangeError naming the first non-finite entry. */
export function checkFinite(method: string, name: string, x: FloatArray): void {
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) throw new RangeError(`${method}: ${name}[${i}] = ${x[i]} is not finite`);
  }
}

/**
 * C from options.classes, checked against the input length. When classes is omitted, `fallback`
 * gives it (or, when that is undefined, the option is required).
 */
export function classesOf(method: string, opts: Record<string, unknown>, length: number, fallback: number | undefined): number {
  const c = opts.classes;
  if (c === undefined) {
    if (fallback === undefined) throw new TypeError(`${method}: options.classes is required`);
    return fallback;
  }
  if (typeof c !== 'number') throw new TypeError(`${method}: classes must be a number, got ${describe(c)}`);
  if (!Number.isInteger(c) || c < 1) throw new RangeError(`${method}: classes must be a positive integer, got ${c}`);
  if (length % c !== 0) {
    throw new RangeError(`${method}: logits length ${length} is not a multiple of classes (${c})`);
  }
  return c;
}

/** options.reduction, default 'mean'. */
export function reductionOf(method: string, opts: Record<string, unknown>): Reduction {
  const r = opts.reduction;
  if (r === undefined) return 'mean';
  if (r === 'mean' || r === 'sum' || r === 'none') return r;
  throw new RangeError(`${method}: reduction must be 'mean', 'sum' or 'none', got ${describe(r)}`);
}

/** options.labelSmoothing, default 0. */
export function smoothingOf(method: string, opts: Record<string, unknown>): number {
  const e = opts.labelSmoothing;
  if (e === undefined) return 0;
  if (typeof e !== 'number') throw new TypeError(`${method}: labelSmoothing must be a number, got ${describe(e)}`);
  if (!(e >= 0 && e < 1)) throw new RangeError(`${method}: labelSmoothing must be in [0, 1), got ${e}`);
  return e;
}

/** options.ignoreIndex, default -100 (PyTorch's). */
export function ignoreIndexOf(method: string, opts: Record<string, unknown>): number {
  const v = opts.ignoreIndex;
  if (v === undefined) return -100;
  if (typeof v !== 'number') throw new TypeError(`${method}: ignoreIndex must be a number, got ${describe(v)}`);
  if (!Number.isInteger(v)) throw new RangeError(`${method}: ignoreIndex must be an integer, got ${v}`);
  return v;
}

/** A number option that must be finite and ≥ 0 (zLoss, gamma), or its default when absent. */
export function nonNegativeOf(method: string, opts: Record<string, unknown>, name: 'zLoss' | 'gamma', fallback: number): number {
  const v = opts[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'number') throw new TypeError(`${method}: ${name} must be a number, got ${describe(v)}`);
  if (!(v >= 0 && v < Infinity)) throw new RangeError(`${method}: ${name} must be a finite number >= 0, got ${v}`);
  return v;
}

/** options.softcap: a finite c > 0, or 0 (no cap) when absent. */
export function softcapOf(method: string, opts: Record<string, unknown>): number {
  const v = opts.softcap;
  if (v === undefined) return 0;
  if (typeof v !== 'number') throw new TypeError(`${method}: softcap must be a number, got ${describe(v)}`);
  if (!(v > 0 && v < Infinity)) throw new RangeError(`${method}: softcap must be a finite number > 0, got ${v}`);
  return v;
}

/** A boolean option (returnZLoss, stats), false when absent. */
export function flagOf(method: string, opts: Record<string, unknown>, name: 'returnZLoss' | 'stats'): boolean {
  const v = opts[name];
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw new TypeError(`${method}: ${name} must be true or false, got ${describe(v)}`);
  return v;
}

/** A finite number option (sigmoid focal alpha), or its default when absent. */
export function finiteOf(method: string, opts: Record<string, unknown>, name: 'alpha', fallback: number): number {
  const v = opts[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'number') throw new TypeError(`${method}: ${name} must be a number, got ${describe(v)}`);
  if (!Number.isFinite(v)) throw new RangeError(`${method}: ${name} must be finite, got ${v}`);
  return v;
}

/** options.base: the divisor that turns nats into the requested unit. */
export function logBaseOf(method: string, opts: Record<string, unknown>): number {
  const b = opts.base;
  if (b === undefined || b === 'e') return 1;
  if (b === 2) return Math.LN2;
  throw new RangeError(`${method}: base must be 'e' or 2, got ${describe(b)}`);
}

/** True when two typed arrays share bytes. */
export function overlaps(a: ArrayBufferView, b: ArrayBufferView): boolean {
  if (a.buffer !== b.buffer) return false;
  return a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

/** True when two typed arrays are the very same memory (an in-place call). */
export function sameMemory(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return a.buffer === b.buffer && a.byteOffset === b.byteOffset && a.byteLength === b.byteLength;
}

/**
 * An output array (gradOut, out): the type of the computation, the expected length, and no
 * partial overlap with any input; the very same memory as `inPlaceOk` is allowed.
 */
export function outputArray(
  method: string,
  name: string,
  out: unknown,
  f64: boolean,
  length: number,
  inPlaceOk: FloatArray,
  inputs: readonly (ArrayBufferView | null)[],
): FloatArray {
  const want = f64 ? 'Float64Array' : 'Float32Array';
  if (!(f64 ? out instanceof Float64Array : out instanceof Float32Array)) {
    throw new TypeError(`${method}: ${name} must be a ${want} (the logits' precision), got ${describe(out)}`);
  }
  const o = out as FloatArray;
  if (o.length !== length) throw new RangeError(`${method}: ${name} has length ${o.length}, expected ${length}`);
  if (!sameMemory(o, inPlaceOk) && overlaps(o, inPlaceOk)) {
    throw new RangeError(`${method}: ${name} partially overlaps the input; pass the input itself for an in-place result`);
  }
  for (const input of inputs) {
    if (input && overlaps(o, input)) throw new RangeError(`${method}: ${name} overlaps another input`);
  }
  return o;
}

/** A new zeroed array of the computation's type. */
export function newFloat(f64: boolean, length: number): FloatArray {
  return f64 ? new Float64Array(length) : new Float32Array(length);
}
