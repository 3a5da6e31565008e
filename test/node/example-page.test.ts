/**
 * examples/browser/ served as static files from the repository (it imports the built dist/
 * through an import map): it shows the backend, a loss equal to the float64 loss computed here
 * from the same generated batch, and a time for every backend.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { openChromium, type ChromiumPage } from '../../scripts/chromium.js';
import { serveStatic, type StaticServer } from '../../scripts/static-server.js';
import { ROOT } from './packed.js';

/** examples/browser/problem.js: the page's own generator, so the test sees the page's batch. */
interface ProblemModule {
  makeProblem(rows: number, classes: number, seed: number): { logits: Float32Array; labels: Int32Array };
}

let server: StaticServer;
let chrome: ChromiumPage;

beforeAll(async () => {
  server = await serveStatic(ROOT);
  chrome = await openChromium();
}, 60_000);

afterAll(async () => {
  await chrome?.close();
  await server?.close();
});

test('the example page shows the backend, the loss and a time per backend', async () => {
  const { page, errors } = chrome;
  await page.goto(new URL('examples/browser/', server.url).href);
  await page.waitForFunction(() => document.getElementById('status')?.textContent !== 'running…', undefined, { timeout: 60_000 });
  expect(await page.textContent('#status')).toBe('done');
  expect(errors).toEqual([]);

  expect(await page.textContent('#backend')).toBe('relaxed-simd');
  expect(await page.textContent('#available')).toBe('relaxed-simd, simd, wasm, js');

  // The shape and seed as the page states them, and the batch regenerated from them here.
  const shape = /^(\d+) rows × (\d+) classes \(seed (\d+)\)$/.exec((await page.textContent('#shape')) ?? '');
  expect(shape).not.toBeNull();
  const [rows, classes, seed] = shape!.slice(1).map(Number);
  const { makeProblem } = (await import(pathToFileURL(path.join(ROOT, 'examples/browser/problem.js')).href)) as ProblemModule;
  const { logits, labels } = makeProblem(rows, classes, seed);
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const row = logits.subarray(r * classes, (r + 1) * classes);
    const max = row.reduce((m, x) => Math.max(m, x), -Infinity);
    const lse = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
    total += lse - row[labels[r]];
  }
  const want = total / rows;

  const shown = Number(await page.getAttribute('#loss', 'data-value'));
  expect(Number.isFinite(shown)).toBe(true);
  expect(Math.abs(shown - want)).toBeLessThanOrEqual(1e-6 * want);
  expect(await page.textContent('#loss')).toBe(shown.toFixed(6));

  const timings = await page.$$eval('#timings tr', (trs) =>
    trs.map((tr) => ({ backend: tr.dataset.backend, lossMs: Number(tr.dataset.lossMs), gradMs: Number(tr.dataset.gradMs) })),
  );
  expect(timings.map((t) => t.backend)).toEqual(['relaxed-simd', 'simd', 'wasm', 'js']);
  for (const t of timings) {
    expect(t.lossMs).toBeGreaterThan(0);
    expect(t.gradMs).toBeGreaterThan(0);
    expect(Number.isFinite(t.lossMs + t.gradMs)).toBe(true);
  }
}, 120_000);
