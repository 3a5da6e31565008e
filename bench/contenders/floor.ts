/** Placeholder while src/backends/wasm.ts lands. */
import type { Family } from './types.js';
export const floorFamily: Family = {
  name: 'floor (wasm kernels)',
  async load() {
    const wasm = await import('../../src/backends/wasm.js');
    throw new Error(`todo ${Object.keys(wasm)}`);
  },
};
