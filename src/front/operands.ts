/**
 * Operands: the arrays a call reads and writes, checked and coerced the same way whatever the
 * backend. Float inputs become Float32Array or Float64Array (the main input's type is the
 * call's precision); outputs are checked for type, length and overlap; engine arrays detached
 * by memory growth are re-attached.
 */
import type { ArrayPool, FloatArray } from '../kernels/kernel.js';
import { describe } from './describe.js';

/** Whether a buffer was detached (transferred, or a wasm memory that grew); Node 20 lacks `.detached`. */
function isDetached(buffer: ArrayBufferLike): boolean {
  if (buffer.byteLength !== 0) return false;
  try {
    new Uint8Array(buffer);
    return false;
  } catch {
    return true;
  }
}

/**
 * An argument as the kernels should see it. A float array in the engine's memory must be a live
 * engine.alloc array or a view inside one: a freed array, or a view of freed memory or of the
 * scratch, is a RangeError naming the argument, before any work (the wasm adapter would
 * otherwise read freed memory, or stage from the very scratch it writes); nothing to check
 * until the engine has handed out an array. An engine array detached by memory growth is
 * re-attached; any other view of a detached buffer is an error, not an empty array. Anything
 * that is not a float array passes through to validation.
 */
export function live(pool: ArrayPool | undefined, method: string, name: string, a: unknown): unknown {
  if (!(a instanceof Float32Array || a instanceof Float64Array)) return a;
  if (pool?.handedOut) {
    const problem = pool.misuse(a);
    if (problem) throw new RangeError(`${method}: ${name} ${problem}`);
  }
  if (a.length !== 0) return a;
  if (pool?.owns(a)) return pool.view(a);
  if (isDetached(a.buffer)) {
    throw new RangeError(`${method}: ${name} is a view of a detached ArrayBuffer (the engine's memory grew after it was taken: use engine.view(array))`);
  }
  return a;
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

/** Probabilities must lie in [0, 1]; anything else (NaN included) would give a silent NaN. */
export function checkProbabilities(method: string, name: string, p: FloatArray): void {
  for (let i = 0; i < p.length; i++) {
    const v = p[i];
    if (!(v >= 0 && v <= 1)) throw new RangeError(`${method}: ${name}[${i}] = ${v} is not a probability in [0, 1]`);
  }
}

/** True when two typed arrays share bytes. */
function overlaps(a: ArrayBufferView, b: ArrayBufferView): boolean {
  if (a.buffer !== b.buffer) return false;
  return a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

/** True when two typed arrays are the very same memory (an in-place call). */
function sameMemory(a: ArrayBufferView, b: ArrayBufferView): boolean {
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
