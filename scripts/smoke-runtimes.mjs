#!/usr/bin/env node
// `npm run smoke:runtimes -- [runtime...] [--speed]`: the package as npm would publish it (`npm
// pack` of the built repository, installed into a scratch app) imported by other JavaScript
// runtimes, each running scripts/smoke.mjs there. Runtimes are the names of scripts/runtimes.json
// (fetched on demand) or `node` for the Node running this script; default: deno and bun.
// Needs `npm run build` first. Exit code 1 if any runtime fails a check or cannot run at all.

import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RUNTIMES, runtimePath } from './runtimes.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

/** How each kind of runtime runs a script in the current directory. */
function command(name, bin) {
  if (name === 'deno') return [bin, ['run', '--allow-read', '--allow-env', '--allow-sys', 'smoke.mjs']];
  if (name === 'bun') return [bin, ['smoke.mjs']];
  return [bin, ['smoke.mjs']];
}

const argv = process.argv.slice(2);
const extra = argv.filter((a) => a.startsWith('--'));
const names = argv.filter((a) => !a.startsWith('--'));
const runtimes = names.length > 0 ? names : ['deno', 'bun'];
for (const name of runtimes) {
  if (name !== 'node' && !Object.hasOwn(RUNTIMES, name)) {
    console.error(`smoke: unknown runtime '${name}'; pinned: node (this one), ${Object.keys(RUNTIMES).join(', ')}`);
    process.exit(2);
  }
}
if (!existsSync(path.join(root, 'dist/index.js'))) {
  console.error('smoke: dist/ is missing: run `npm run build` first');
  process.exit(2);
}

const app = mkdtempSync(path.join(os.tmpdir(), 'xent-smoke-'));
let failed = [];
try {
  const [{ filename }] = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', app], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'xent-smoke', private: true, type: 'module' }, null, 2));
  // The tarball has no dependencies: this installs from the file alone, as a user's npm would.
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock', `./${filename}`], { cwd: app, stdio: ['ignore', 'ignore', 'inherit'] });
  copyFileSync(path.join(root, 'scripts/smoke.mjs'), path.join(app, 'smoke.mjs'));
  console.log(`smoke: ${filename} installed in ${app}`);

  for (const name of runtimes) {
    console.log(`\n== ${name}`);
    let bin;
    try {
      bin = name === 'node' ? process.execPath : runtimePath(name);
    } catch (e) {
      console.log(`FAIL  ${name} could not be fetched: ${e instanceof Error ? e.message : e}`);
      failed.push(name);
      continue;
    }
    const [file, args] = command(name, bin);
    const started = Date.now();
    const run = spawnSync(file, [...args, ...extra], { cwd: app, stdio: 'inherit', timeout: 300_000, env: { ...process.env, NO_COLOR: '1' } });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (run.status !== 0) {
      const why = run.error ? run.error.message : run.signal ? `killed by ${run.signal}` : `exit code ${run.status}`;
      console.log(`FAIL  ${name}: ${why} (${seconds} s)`);
      failed.push(name);
    }
  }
} finally {
  rmSync(app, { recursive: true, force: true });
}
console.log(failed.length === 0 ? `\nsmoke: passed on ${runtimes.join(', ')}` : `\nsmoke: FAILED on ${failed.join(', ')}`);
process.exitCode = failed.length === 0 ? 0 : 1;
