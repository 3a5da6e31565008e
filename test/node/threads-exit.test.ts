/**
 * A Node process that made a threaded engine and never disposed of it exits normally when its
 * work is done (the workers are unref'd), and createEngineSync gets threads in Node too.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const SRC = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../src/index.ts');

/** Runs a module snippet in a fresh Node (30 s at most: a process held open by workers fails). */
function run(snippet: string): string {
  return execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', snippet], { encoding: 'utf8', timeout: 30_000 }).trim();
}

test('a process with a live threaded engine exits by itself, with code 0', () => {
  const out = run(`
    import { createEngine, createEngineSync } from ${JSON.stringify(SRC)};
    const e = await createEngine({ threads: 2 });
    const s = createEngineSync({ threads: 2 });
    const loss = e.softmaxCrossEntropy(new Float32Array(600 * 1000), new Int32Array(600), { classes: 1000 });
    console.log(e.threads, s.threads, loss.toFixed(4));
  `);
  expect(out).toBe(`2 2 ${Math.log(1000).toFixed(4)}`);
});
