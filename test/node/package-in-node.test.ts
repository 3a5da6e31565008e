/**
 * The packed package in Node, as a user's project sees it (node_modules/xent, no source tree):
 * an ES module imports it by name; CommonJS `require('xent')` works where Node can require an
 * ES module (Node ≥ 20.19 and ≥ 22.12; there is no separate CommonJS build).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { unpackPackage } from './packed.js';

const CALL = `softmaxCrossEntropy(new Float32Array([2, 0.5, -1, 0.1, 0.2, 3]), new Int32Array([0, 2]), { classes: 3 })`;

let app: string;

beforeAll(async () => {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'xent-node-'));
  app = path.join(tmp, 'app');
  await mkdir(path.join(app, 'node_modules'), { recursive: true });
  await symlink(await unpackPackage(tmp), path.join(app, 'node_modules/xent'), 'dir');
}, 60_000);

afterAll(async () => {
  if (app) await rm(path.dirname(app), { recursive: true, force: true });
});

/** Runs a snippet in a fresh Node in the app directory and returns what it prints. */
function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: app, encoding: 'utf8' }).trim();
}

test('an ES module imports xent by name', () => {
  const out = node([
    '--input-type=module',
    '-e',
    `import { createEngine, softmaxCrossEntropy } from 'xent'; console.log((await createEngine()).backend, ${CALL});`,
  ]);
  const [backend, loss] = out.split(' ');
  expect(['relaxed-simd', 'simd']).toContain(backend);
  expect(Number(loss)).toBeCloseTo(0.1755, 4);
});

test.runIf((process.features as { require_module?: boolean }).require_module)('CommonJS require("xent") works (Node require of an ES module)', () => {
  const out = node(['-e', `const { softmaxCrossEntropy } = require('xent'); console.log(${CALL});`]);
  expect(Number(out)).toBeCloseTo(0.1755, 4);
});
