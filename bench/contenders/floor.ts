/**
 * The floor under any loss: touching the logits once. `floor-read` is one SIMD read pass (the
 * kernels' SUM_F32) over logits already in wasm memory; `floor-copy` is the copy of the logits
 * into wasm memory (`Float32Array.prototype.set`) that any wasm library pays for a JS array.
 * They compute no loss, so they are not checked.
 */
import type { Contender, Family } from './types.js';

/** The floor rows, on the kernels' SIMD build (the scalar one where SIMD is missing). */
export const floorFamily: Family = {
  name: 'floor (xent wasm kernels)',
  async load() {
    const { createWasmKernels, supportedWasmVariants } = await import('../../src/backends/wasm.js');
    const { SUM_F32 } = await import('../../src/kernels/diagnostics.js');
    const variants = supportedWasmVariants();
    const variant = variants.includes('simd') ? 'simd' : variants[variants.length - 1];
    if (!variant) throw new Error('no WebAssembly here');
    const kernels = createWasmKernels(variant);
    /** An array of n·c floats in the kernels' memory, returned to them after the task. */
    const inMemory = (length: number) => {
      const array = kernels.allocF32(length);
      return { array, release: () => kernels.free(array) };
    };
    const read: Contender = {
      id: 'floor-read',
      kind: 'floor',
      note: `one read pass: the SUM_F32 kernel of the '${variant}' kernels over logits already in wasm memory`,
      modes: ['loss', 'grad'],
      async prepare(p) {
        const { array, release } = inMemory(p.logits.length);
        array.set(p.logits);
        return { call: () => ({ loss: kernels.run(SUM_F32, { x: array, n: array.length, c: 1 }) }), release };
      },
    };
    const copy: Contender = {
      id: 'floor-copy',
      kind: 'floor',
      note: 'copy of the logits into wasm memory: Float32Array.prototype.set into a view of it',
      modes: ['loss', 'grad'],
      async prepare(p) {
        const { array, release } = inMemory(p.logits.length);
        return {
          call: () => {
            array.set(p.logits);
            return { loss: array[0] };
          },
          release,
        };
      },
    };
    return [read, copy];
  },
};
