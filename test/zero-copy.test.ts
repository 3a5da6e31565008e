/** engine.alloc / view / free: arrays in the engine's memory are used in place, on every backend. */
import { beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, THREADED, engineFor } from './backends.js';
import type { Engine } from '../src/index.js';

const wasmBackend = (b: string) => b !== 'js';
/** A threaded engine's memory is shared: growing it detaches no array. */
const detachesOnGrowth = (b: string) => wasmBackend(b) && b !== THREADED;

describe.each(BACKENDS)('zero-copy arrays on %s', (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await engineFor(backend);
  });

  const values = [0.5, -1, 2, 0.25, 1.5, -0.5];
  const labels = new Int32Array([2, 0]);

  it('alloc gives zero-filled arrays of the asked type and length', () => {
    const a = engine.alloc(6);
    const b = engine.alloc(5, 'float64');
    expect(a).toBeInstanceOf(Float32Array);
    expect(b).toBeInstanceOf(Float64Array);
    expect(Array.from(a)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(b.length).toBe(5);
    engine.free(a);
    engine.free(b);
  });

  it('allocated logits and gradOut give the same numbers as plain arrays', () => {
    const x = engine.alloc(6);
    const g = engine.alloc(6);
    x.set(values);
    const plain = engine.softmaxCrossEntropyWithGrad(Float32Array.from(values), labels, { classes: 3 });
    const inMemory = engine.softmaxCrossEntropyWithGrad(x, labels, { classes: 3, gradOut: g });
    expect(inMemory.loss).toBe(plain.loss);
    expect(inMemory.grad).toBe(g);
    expect(Array.from(g)).toEqual(Array.from(plain.grad));
    // In place, in the engine's memory.
    const inPlace = engine.softmaxCrossEntropyWithGrad(x, labels, { classes: 3, gradOut: x });
    expect(inPlace.loss).toBe(plain.loss);
    expect(Array.from(x)).toEqual(Array.from(plain.grad));
    engine.free(x);
    engine.free(g);
  });

  it('an array detached by memory growth is re-attached by the engine, contents intact', () => {
    const x = engine.alloc(6);
    x.set(values);
    const want = engine.softmaxCrossEntropy(x, labels, { classes: 3 });
    const big = engine.alloc(8 << 20); // 32 MiB: more than the memory has, so it grows
    expect(x.length).toBe(detachesOnGrowth(backend) ? 0 : 6);
    expect(engine.softmaxCrossEntropy(x, labels, { classes: 3 })).toBe(want);
    const fresh = engine.view(x);
    expect(Array.from(fresh)).toEqual(Array.from(Float32Array.from(values)));
    const g = engine.alloc(6);
    expect(engine.softmaxCrossEntropyWithGrad(x, labels, { classes: 3, gradOut: g }).grad.length).toBe(6);
    engine.free(big);
    engine.free(g);
    engine.free(fresh);
  });

  it.runIf(detachesOnGrowth(backend))('a detached view that is not an engine array is an error, not an empty batch', () => {
    const x = engine.alloc(12);
    const part = x.subarray(0, 6);
    const big = engine.alloc(16 << 20);
    expect(part.length).toBe(0);
    expect(() => engine.softmaxCrossEntropy(part, labels, { classes: 3 })).toThrow(RangeError);
    expect(() => engine.softmaxCrossEntropy(part, labels, { classes: 3 })).toThrow(/logits is a view of a detached ArrayBuffer/);
    engine.free(big);
    engine.free(engine.view(x));
  });

  it.runIf(backend === THREADED)('growth of a shared memory detaches nothing: arrays and their subarrays stay usable', () => {
    const x = engine.alloc(12);
    x.set([...values, ...values]);
    const part = x.subarray(6, 12);
    const want = engine.softmaxCrossEntropy(Float32Array.from(values), labels, { classes: 3 });
    const big = engine.alloc(16 << 20);
    expect(part.length).toBe(6);
    expect(engine.softmaxCrossEntropy(part, labels, { classes: 3 })).toBe(want);
    expect(engine.view(x)).not.toBe(x);
    expect(Array.from(engine.view(x))).toEqual(Array.from(x));
    engine.free(big);
    engine.free(x);
  });

  it.runIf(wasmBackend(backend))('freed memory is reused: repeated alloc/free cycles do not grow the memory', () => {
    const sizes = [1000, 50_000, 7, 4096 * 10];
    const first = sizes.map((n) => engine.alloc(n));
    first.forEach((a) => engine.free(engine.view(a)));
    const probe = engine.alloc(1);
    const buffer = probe.buffer;
    engine.free(probe);
    for (let round = 0; round < 200; round++) {
      const arrays = sizes.map((n) => engine.alloc(n));
      arrays.forEach((a) => engine.free(a));
    }
    const after = engine.alloc(1);
    expect(after.buffer).toBe(buffer);
    engine.free(after);
  });

  it('bad arguments are clear errors', () => {
    expect(() => engine.alloc(-1)).toThrow(RangeError);
    expect(() => engine.alloc(1.5)).toThrow(/alloc: length must be a non-negative integer, got 1.5/);
    expect(() => engine.alloc(3, 'int8' as never)).toThrow(/alloc: type must be 'float32' or 'float64', got 'int8'/);
    if (wasmBackend(backend)) {
      expect(() => engine.view(new Float32Array(3))).toThrow(/view: takes an array from engine.alloc/);
      expect(() => engine.free(new Float32Array(3))).toThrow(TypeError);
    }
  });
});
