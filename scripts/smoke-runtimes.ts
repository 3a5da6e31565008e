/**
 * `npm run smoke:runtimes -- [runtime...] [--speed]`: the package as npm would publish it (`npm
 * pack` of the built repository, installed into a scratch app) imported by other JavaScript
 * runtimes, each running scripts/smoke.mjs there. Runtimes: the names of scripts/runtimes.json
 * (fetched on demand), `node` for the Node running this script, or `chromium` (a page served
 * cross-origin isolated, so that threads run, with an import map for 'xent'); default: deno and
 * bun. Needs `npm run build` first. Exit code 1 if any runtime fails a check or cannot run at all.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openChromium } from './chromium.js';
import { RUNTIMES, runtimePath } from './runtimes.mjs';
import { CROSS_ORIGIN_ISOLATED, serveStatic } from './static-server.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The smoke run's page: 'xent' mapped to the installed package, smoke.mjs as the module. */
const PAGE = `<!doctype html>
<link rel="icon" href="data:,">
<script type="importmap">{ "imports": { "xent": "./node_modules/xent/dist/index.js" } }</script>
<script type="module" src="./smoke.mjs"></script>
`;

/** Runs smoke.mjs in `app` on a Node, Deno or Bun binary; true if it passed. */
function runBinary(name: string, app: string, extra: string[]): boolean {
  const bin = name === 'node' ? process.execPath : runtimePath(name);
  const args = name === 'deno' ? ['run', '--allow-read', '--allow-env', '--allow-sys', 'smoke.mjs'] : ['smoke.mjs'];
  const run = spawnSync(bin, [...args, ...extra], { cwd: app, stdio: 'inherit', timeout: 300_000, env: { ...process.env, NO_COLOR: '1' } });
  if (run.status === 0) return true;
  console.log(`FAIL  ${name}: ${run.error ? run.error.message : run.signal ? `killed by ${run.signal}` : `exit code ${run.status}`}`);
  return false;
}

/** Runs smoke.mjs on a page in headless Chromium; its console lines are the report. True if it passed. */
async function runChromium(app: string, extra: string[]): Promise<boolean> {
  writeFileSync(path.join(app, 'smoke.html'), PAGE);
  const server = await serveStatic(app, CROSS_ORIGIN_ISOLATED);
  const { page, errors, close } = await openChromium();
  try {
    let last = '';
    const done = new Promise<void>((resolve) =>
      page.on('console', (m) => {
        console.log((last = m.text()));
        if (/^smoke run on .*: (all passed|\d+ FAILED)$/.test(last)) resolve();
      }),
    );
    await page.goto(`${server.url}smoke.html#${extra.join(',')}`);
    await Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error('no result within 300 s')), 300_000))]);
    if (errors.length > 0) console.log(`FAIL  chromium: ${errors.join('; ')}`);
    return errors.length === 0 && last.endsWith('all passed');
  } catch (e) {
    console.log(`FAIL  chromium: ${e instanceof Error ? e.message : e}${errors.length > 0 ? ` (${errors.join('; ')})` : ''}`);
    return false;
  } finally {
    await close();
    await server.close();
  }
}

const argv = process.argv.slice(2);
const extra = argv.filter((a) => a.startsWith('--'));
const names = argv.filter((a) => !a.startsWith('--'));
const runtimes = names.length > 0 ? names : ['deno', 'bun'];
for (const name of runtimes) {
  if (name !== 'node' && name !== 'chromium' && !Object.hasOwn(RUNTIMES, name)) {
    console.error(`smoke: unknown runtime '${name}'; runtimes: node (this one), chromium, ${Object.keys(RUNTIMES).join(', ')}`);
    process.exit(2);
  }
}
if (!existsSync(path.join(root, 'dist/index.js'))) {
  console.error('smoke: dist/ is missing: run `npm run build` first');
  process.exit(2);
}

const app = mkdtempSync(path.join(os.tmpdir(), 'xent-smoke-'));
const failed: string[] = [];
try {
  const [{ filename }] = JSON.parse(
    execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', app], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }),
  ) as { filename: string }[];
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'xent-smoke', private: true, type: 'module' }, null, 2));
  // The tarball has no dependencies: this installs from the file alone, as a user's npm would.
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock', `./${filename}`], { cwd: app, stdio: ['ignore', 'ignore', 'inherit'] });
  copyFileSync(path.join(root, 'scripts/smoke.mjs'), path.join(app, 'smoke.mjs'));
  console.log(`smoke: ${filename} installed in ${app}`);

  for (const name of runtimes) {
    console.log(`\n== ${name}`);
    let passed: boolean;
    try {
      passed = name === 'chromium' ? await runChromium(app, extra) : runBinary(name, app, extra);
    } catch (e) {
      console.log(`FAIL  ${name} could not run: ${e instanceof Error ? e.message : e}`);
      passed = false;
    }
    if (!passed) failed.push(name);
  }
} finally {
  rmSync(app, { recursive: true, force: true });
}
console.log(failed.length === 0 ? `\nsmoke: passed on ${runtimes.join(', ')}` : `\nsmoke: FAILED on ${failed.join(', ')}`);
process.exitCode = failed.length === 0 ? 0 : 1;
