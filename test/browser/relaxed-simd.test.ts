/**
 * In Chromium, the best build runs: relaxed SIMD is on (Chromium ≥ 114), so 'auto' picks it,
 * and every wasm variant loads. Runs only in the browser project.
 */
import { expect, test } from 'vitest';
import { availableBackends, createEngine } from '../../src/index.js';

test('Chromium runs every backend, relaxed SIMD first', async () => {
  expect(navigator.userAgent).toMatch(/Chrome\/\d+/);
  expect(availableBackends()).toEqual(['relaxed-simd', 'simd', 'wasm', 'js']);
  expect((await createEngine()).backend).toBe('relaxed-simd');
});
