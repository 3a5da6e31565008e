/** Typed-array helpers the randomized suites share (property.test.ts, test/fuzz/). */

/** Whether a value is a typed array of numbers (what results and inputs hold). */
export function isNumbers(v: unknown): v is ArrayBufferView & ArrayLike<number> {
  return ArrayBuffer.isView(v) && !(v instanceof DataView);
}

/** A copy of `a` in the middle of a larger buffer of the same type whose other entries are `guard`. */
export function viewOf<T extends Float32Array | Float64Array | Int32Array>(a: T, guard: number): T {
  const pre = 1 + (a.length % 5);
  const Ctor = a.constructor as new (n: number) => T;
  const big = new Ctor(a.length + pre + 3).fill(guard);
  big.set(a, pre);
  return big.subarray(pre, pre + a.length) as T;
}

/** The entries of the buffer around a view, to check nothing was written outside it. */
export function guardsOf(a: ArrayBufferView & ArrayLike<number> & { BYTES_PER_ELEMENT: number }): number[] {
  const Ctor = a.constructor as new (b: ArrayBufferLike) => ArrayLike<number>;
  const all = new Ctor(a.buffer);
  const start = a.byteOffset / a.BYTES_PER_ELEMENT;
  return Array.from(all).filter((_, i) => i < start || i >= start + a.length);
}
