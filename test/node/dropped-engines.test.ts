/**
 * Threaded engines dropped without dispose() give back their worker threads and their memory
 * once collected (a FinalizationRegistry stops their pools; nothing the workers hold leads back
 * to the engine). Measured in a fresh Node with --expose-gc: threads from /proc/self/task
 * (Linux), memory as RSS. Before the registry, 40 dropped engines kept 40 sleeping workers and
 * about 8 MiB of RSS each, for good.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const SRC = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../src/index.ts');
const ENGINES = 40;

describe.runIf(process.platform === 'linux')('dropped threaded engines', () => {
  test(`${ENGINES} engines made and dropped without dispose() give back their workers and memory after gc`, () => {
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', `
      import { readdirSync } from 'node:fs';
      import { createEngine } from ${JSON.stringify(SRC)};
      const threads = () => readdirSync('/proc/self/task').length;
      const rss = () => process.memoryUsage().rss / 2 ** 20;
      const settle = async () => {
        for (let i = 0; i < 5; i++) {
          globalThis.gc();
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      };
      const x = new Float32Array(600 * 1000);
      const labels = new Int32Array(600);
      await createEngine();
      await settle();
      const before = { threads: threads(), rss: rss() };
      let peak = before.threads;
      for (let i = 0; i < ${ENGINES}; i++) {
        const engine = await createEngine({ threads: 2 });
        engine.softmaxCrossEntropy(x, labels, { classes: 1000 });
        peak = Math.max(peak, threads());
      }
      // The workers of collected engines are terminated: wait (10 s at most) until they have exited.
      let after = { threads: threads(), rss: rss() };
      for (let t = 0; t < 100 && after.threads > before.threads + 2; t++) {
        await settle();
        after = { threads: threads(), rss: rss() };
      }
      await settle();
      after.rss = rss();
      console.log(JSON.stringify({ before, peak, after }));
    `], { encoding: 'utf8', timeout: 60_000 });
    const { before, peak, after } = JSON.parse(out.trim()) as { before: { threads: number; rss: number }; peak: number; after: { threads: number; rss: number } };
    // Workers did start (at least one engine's worth at a time), and are all gone now.
    expect(peak).toBeGreaterThan(before.threads);
    expect(after.threads).toBeLessThanOrEqual(before.threads + 2);
    // What stays is the allocator's and the heap's slack, about 1 MiB per engine made, not 8.
    expect(after.rss - before.rss).toBeLessThan(2 * ENGINES);
  });
});
