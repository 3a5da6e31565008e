/**
 * Byte budgets, so that growth is a decision rather than an accident: the packed package and
 * each wasm build. Raise a budget deliberately, with the README's sizes (section Package).
 */
import { execFileSync } from 'node:child_process';
import { expect, test } from 'vitest';
import { wasmSizes } from '../../src/wasm/binaries.js';
import { ROOT } from './packed.js';

/** `npm pack` tarball (gzip), bytes. */
const PACKED_BUDGET = 192 * 1024;
/** One wasm build, bytes: a download to keep small, far below Chromium's 8 MB limit on synchronous compilation. */
const WASM_BUDGET = 64 * 1024;

test(`the packed package is at most ${PACKED_BUDGET / 1024} KiB`, () => {
  const [pack] = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--ignore-scripts', '--json'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
  ) as { size: number; files: { path: string }[] }[];
  expect(pack.size).toBeLessThanOrEqual(PACKED_BUDGET);
  // Only the built library and its docs ship: no sources, tests, benchmarks or .wasm files.
  expect(pack.files.map((f) => f.path).filter((p) => !/^(dist\/.*\.(js|d\.ts)|package\.json|README\.md|LICENSE)$/.test(p))).toEqual([]);
});

test(`each wasm build is at most ${WASM_BUDGET / 1024} KiB`, () => {
  for (const [variant, bytes] of Object.entries(wasmSizes)) expect([variant, bytes <= WASM_BUDGET]).toEqual([variant, true]);
});
