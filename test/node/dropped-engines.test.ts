/**
 * Threaded engines dropped without dispose() give back their worker threads and their memory
 * once collected (a FinalizationRegistry stops their pools; nothing the workers hold leads back
 * to the engine). Measured in a fresh Node with --expose-gc, in rounds of engines made and
 * dropped: threads from /proc/self/task (Linux), memory as RSS. Before the registry every
 * dropped engine kept its worker and 8-11 MiB of RSS for good (Node 20 and 24), round after round.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const SRC = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../src/index.ts');
const ENGINES = 16;

describe.runIf(process.platform === 'linux')('dropped threaded engines', () => {
  test(`3 rounds of ${ENGINES} engines made and dropped without dispose(): each round's workers and memory come back after gc`, () => {
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
      const before = threads();
      const rounds = [];
      for (let round = 0; round < 3; round++) {
        let peak = 0;
        for (let i = 0; i < ${ENGINES}; i++) {
          const engine = await createEngine({ threads: 2 });
          engine.softmaxCrossEntropy(x, labels, { classes: 1000 });
          peak = Math.max(peak, threads());
        }
        // The workers of collected engines are terminated: wait (10 s at most) until they have exited.
        for (let t = 0; t < 100 && threads() > before + 2; t++) await settle();
        await settle();
        rounds.push({ peak, threads: threads(), rss: rss() });
      }
      console.log(JSON.stringify({ before, rounds }));
    `], { encoding: 'utf8', timeout: 120_000 });
    const { before, rounds } = JSON.parse(out.trim()) as { before: number; rounds: { peak: number; threads: number; rss: number }[] };
    for (const round of rounds) {
      // Workers did start, and are all gone again.
      expect(round.peak).toBeGreaterThan(before);
      expect(round.threads).toBeLessThanOrEqual(before + 2);
    }
    // Once the allocator has settled (after the first rounds), a round adds less than 2 MiB of
    // RSS per engine (it added 8 to 11 when dropped engines kept theirs).
    expect(rounds[2].rss - rounds[1].rss).toBeLessThan(2 * ENGINES);
  });
});
