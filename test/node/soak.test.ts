/**
 * Soak: 100,000 mixed calls on one threaded engine (test/node/soak-run.ts, in a Node of its own
 * with --expose-gc): every method, many shapes, on the calling thread and on both threads,
 * staged and with engine.alloc arrays allocated and freed. Once every kind of call has run once,
 * the engine's WebAssembly memories do not grow by a byte, the process's RSS and heap (after gc)
 * stay put, and the answers stay right: checked against the float64 reference every 500 calls,
 * large threaded calls against their first answer bit for bit. XENT_SOAK_CALLS=<n> runs n calls.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const RUN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'soak-run.ts');
const CALLS = Number(process.env.XENT_SOAK_CALLS ?? 100_000);

interface Memory {
  rss: number;
  heap: number;
  wasm: number[];
}

test(`${CALLS} mixed calls on one engine: memory stays where the largest call left it, answers stay right`, () => {
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', RUN, String(CALLS)], { encoding: 'utf8', timeout: 600_000 });
  const r = JSON.parse(out.trim().split('\n').pop()!) as { checks: number; problems: string[]; warm: Memory; end: Memory };
  expect(r.problems).toEqual([]);
  expect(r.checks).toBeGreaterThanOrEqual(Math.floor(CALLS / 500) - 1);
  // The WebAssembly memories (the one-thread lane's, the shared one) hold what the largest call
  // needed (it stages about 1.2 MB per array) and not a byte more after it.
  expect(r.end.wasm).toEqual(r.warm.wasm);
  expect(r.end.wasm[0] + r.end.wasm[1]).toBeLessThanOrEqual(8 * 2 ** 20);
  // MiB, after gc: the allocator's and the heap's slack, nothing that grows with the calls.
  expect(r.end.rss - r.warm.rss).toBeLessThan(16);
  expect(r.end.heap - r.warm.heap).toBeLessThan(4);
}, 600_000);
