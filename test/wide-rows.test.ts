/**
 * Beyond the engine's memory: rows of 2^22 classes (softmax cross-entropy with integer labels)
 * are staged one column block at a time, so the wasm memory stays a small fraction of the input,
 * with the numbers of the js backend; and running out of WebAssembly memory is a RangeError that
 * says how much was asked for, after which the engine keeps working.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, engineFor, expectClose } from './backends.js';
import { createEngine, type Engine } from '../src/index.js';
import { XentEngine } from '../src/engine.js';

const N = 3;
const C = (1 << 22) + 3;

/** The engine's WebAssembly memory, in bytes (wasm engines only). */
function memoryBytes(e: Engine): number {
  const kernels = e instanceof XentEngine ? e.kernels : null;
  const memory = kernels && 'memory' in kernels ? kernels.memory : null;
  if (!(memory instanceof WebAssembly.Memory)) throw new Error(`the ${e.backend} engine has no WebAssembly memory`);
  return memory.buffer.byteLength;
}

describe('rows of 2^22 classes', () => {
  let x: Float32Array;
  let labels: Int32Array;
  let weight: Float32Array;
  let want: { loss: Float32Array; grad: Float32Array };
  const opts = { classes: C, labelSmoothing: 0.05, reduction: 'none' as const };
  beforeAll(async () => {
    x = new Float32Array(N * C);
    for (let i = 0; i < x.length; i++) x[i] = 4 * Math.sin(i * 0.37);
    x.fill(-Infinity, C + 1000, C + 5000);
    labels = Int32Array.from([C - 1, 7, -100]);
    weight = Float32Array.from({ length: C }, (_, k) => 0.5 + (k % 3) / 2);
    const js = await createEngine({ backend: 'js' });
    want = js.softmaxCrossEntropyWithGrad(x, labels, { ...opts, weight }) as { loss: Float32Array; grad: Float32Array };
  });

  for (const backend of BACKENDS.filter((b) => b !== 'js')) {
    it(`${backend}: loss and gradient of the js backend, in a wasm memory of well under the input's size`, async () => {
      const e = await engineFor(backend);
      const got = e.softmaxCrossEntropyWithGrad(x, labels, { ...opts, weight });
      expectClose(got.loss as Float32Array, want.loss, 1e-6);
      expectClose(got.grad, want.grad, 1e-5, 1e-12);
      const sum = e.softmaxCrossEntropy(x, labels, { classes: C, weight, labelSmoothing: 0.05, reduction: 'sum' }) as number;
      expectClose(sum, want.loss[0] + want.loss[1], 1e-6);
      // In place: the logits become the gradient.
      const y = x.slice();
      e.softmaxCrossEntropyWithGrad(y, labels, { ...opts, weight, gradOut: y });
      expectClose(y, want.grad, 1e-5, 1e-12);
      expect(memoryBytes(e)).toBeLessThan(x.byteLength / 16);
    });
  }
});

describe.each(BACKENDS.filter((b) => b !== 'js'))('out of WebAssembly memory on %s', (backend) => {
  it('is a RangeError that says how much was asked for, and the engine keeps working', async () => {
    const e = await engineFor(backend);
    let message = '';
    try {
      e.alloc(2 ** 31); // 8 GiB of float32
    } catch (err) {
      expect(err).toBeInstanceOf(RangeError);
      message = (err as Error).message;
    }
    const asked = Number(/cannot grow WebAssembly memory to (\d+) bytes/.exec(message)?.[1]);
    expect(asked).toBeGreaterThanOrEqual(2 ** 33);
    expect(e.softmaxCrossEntropy([0, 0, 0], [1], { classes: 3 })).toBeCloseTo(Math.log(3), 6);
    const a = e.alloc(1000);
    expect(a.length).toBe(1000);
    e.free(a);
  });
});
