/**
 * The published package imports in a browser with no bundler configuration: `npm pack` of the
 * built package (dist/, from `npm run build`), unpacked as node_modules/xent of a tiny app,
 * loads (1) on a plain static page through an import map and (2) from a default `vite build`.
 * In both, every backend compiles synchronously on the main thread (Chromium refuses that only
 * for modules over 8 MB; ours are tens of KB) and 'auto' picks relaxed SIMD.
 */
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { build } from 'vite';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { openChromium, type ChromiumPage } from '../../scripts/chromium.js';
import { serveStatic } from '../../scripts/static-server.js';
import { unpackPackage } from './packed.js';

/** The app: what a user writes, importing the package by its name. */
const MAIN_JS = `import { availableBackends, createEngine, createEngineSync, softmaxCrossEntropy } from 'xent';

async function run() {
  const logits = new Float32Array([2.0, 0.5, -1.0, 0.1, 0.2, 3.0]);
  const labels = new Int32Array([0, 2]);
  const auto = await createEngine();
  return {
    available: availableBackends(),
    auto: auto.backend,
    // createEngineSync compiles each build with new WebAssembly.Module, here on the main thread.
    losses: Object.fromEntries(availableBackends().map((b) => [b, createEngineSync({ backend: b }).softmaxCrossEntropy(logits, labels, { classes: 3 })])),
    plain: softmaxCrossEntropy(logits, labels, { classes: 3 }),
  };
}
run().then((r) => { window.result = r; }, (e) => { window.result = { error: String(e && e.stack || e) }; });
`;

/** The same 2x3 example's mean loss, in float64 here (the README's quick start: 0.1755). */
function expectedLoss(): number {
  const rows = [[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]].map((r) => r.map(Math.fround));
  const labels = [0, 2];
  const losses = rows.map((r, i) => Math.log(r.reduce((s, x) => s + Math.exp(x), 0)) - r[labels[i]]);
  return (losses[0] + losses[1]) / 2;
}

let tmp: string;
let chrome: ChromiumPage;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'xent-pack-'));
  const pkg = await unpackPackage(tmp);
  for (const app of ['static', 'vite']) {
    await mkdir(path.join(tmp, app, 'node_modules'), { recursive: true });
    await symlink(pkg, path.join(tmp, app, 'node_modules/xent'), 'dir');
    await writeFile(path.join(tmp, app, 'main.js'), MAIN_JS);
  }
  chrome = await openChromium();
}, 120_000);

afterAll(async () => {
  await chrome?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** Opens the app served from `dir` and returns what it computed. */
async function runApp(dir: string): Promise<Record<string, unknown>> {
  const server = await serveStatic(dir);
  try {
    chrome.errors.length = 0;
    await chrome.page.goto(server.url);
    await chrome.page.waitForFunction(() => 'result' in window, undefined, { timeout: 30_000 });
    const result: Record<string, unknown> = await chrome.page.evaluate(() => Reflect.get(window, 'result'));
    expect(chrome.errors).toEqual([]);
    return result;
  } finally {
    await server.close();
  }
}

function expectApp(result: Record<string, unknown>): void {
  expect(result.error).toBeUndefined();
  expect(result.available).toEqual(['relaxed-simd', 'simd', 'wasm', 'js']);
  expect(result.auto).toBe('relaxed-simd');
  const want = expectedLoss();
  expect(want).toBeCloseTo(0.1755, 4);
  for (const loss of Object.values(result.losses as Record<string, number>)) expect(Math.abs(loss - want)).toBeLessThan(1e-6);
  expect(Math.abs((result.plain as number) - want)).toBeLessThan(1e-6);
}

test('a static page imports xent through an import map (no bundler)', async () => {
  const dir = path.join(tmp, 'static');
  await writeFile(
    path.join(dir, 'index.html'),
    `<!doctype html>
<link rel="icon" href="data:,">
<script type="importmap">{ "imports": { "xent": "./node_modules/xent/dist/index.js" } }</script>
<script type="module" src="./main.js"></script>
`,
  );
  expectApp(await runApp(dir));
});

test('a default vite build bundles xent (no configuration, no .wasm asset)', async () => {
  const dir = path.join(tmp, 'vite');
  await writeFile(path.join(dir, 'index.html'), `<!doctype html>\n<link rel="icon" href="data:,">\n<script type="module" src="./main.js"></script>\n`);
  await build({ root: dir, configFile: false, logLevel: 'warn' });
  const assets = await readdir(path.join(dir, 'dist/assets'));
  expect(assets.filter((f) => !f.endsWith('.js'))).toEqual([]);
  expectApp(await runApp(path.join(dir, 'dist')));
}, 120_000);
