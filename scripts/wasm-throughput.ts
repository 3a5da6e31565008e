// Kernel developer's timing of the WebAssembly sparse softmax cross-entropy, per build variant:
// the read floor (the SUM_F32 kernel), loss-only and loss+gradient, with arrays in wasm memory (zero-copy)
// and as plain Float32Arrays (staged); million logits/s of the best call, and the clock.
// The project benchmark (bench/) is the reference; this is for quick A/B work on assembly/.
//
//   npm run build:wasm && npx tsx scripts/wasm-throughput.ts [variant ...] [--reps N] [--shape NxC ...]
//       in this process (Node 20 runs relaxed-simd with --experimental-wasm-relaxed-simd)
//   ... --runtimes node20,node22,node24,node26,chromium [--rounds R]
//       the same on each runtime in turn, R rounds (each round starts with a different
//       runtime), best per runtime, with ratios to the first runtime listed. nodeNN is the
//       system node (20) or /opt/runtimes/nodeNN/bin/node; chromium is Debian's, headless.
//       nodeNN@DIR runs DIR's copy of this script (another checkout, built, with node_modules):
//       an A/B of two kernel versions on one runtime, interleaved the same way. bun (or bun@DIR)
//       runs the bun binary at $XENT_BUN (JavaScriptCore; its clock figure is not meaningful:
//       JSC folds the add chain); chromium@DIR bundles DIR's copy.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { openChromium, type ChromiumPage } from './chromium.js';
import { CROSS_ORIGIN_ISOLATED, serveStatic, type StaticServer } from './static-server.js';
import { TASKS, clockGHz, measure, type RunOptions, type Timing } from './throughput-core.js';
import type { WasmVariant } from '../src/backends/wasm.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const VARIANTS: WasmVariant[] = ['relaxed-simd', 'simd', 'wasm'];

interface Args extends RunOptions {
  runtimes: string[];
  rounds: number;
  json: boolean;
}

function parse(argv: string[]): Args {
  const a: Args = { variants: [], shapes: [], reps: 25, runtimes: [], rounds: 3, json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--reps') a.reps = Number(argv[++i]);
    else if (arg === '--rounds') a.rounds = Number(argv[++i]);
    else if (arg === '--shape') a.shapes.push(argv[++i].split('x').map(Number) as [number, number]);
    else if (arg === '--runtimes') a.runtimes = argv[++i].split(',');
    else if (arg === '--json') a.json = true;
    else if (VARIANTS.includes(arg as WasmVariant)) a.variants.push(arg as WasmVariant);
    else throw new Error(`unknown argument ${arg}`);
  }
  if (!a.variants.length) a.variants = VARIANTS;
  if (!a.shapes.length) a.shapes = [[4096, 1000], [512, 50257]];
  return a;
}

/** One round's result from one runtime. */
interface Round {
  clock: number;
  timings: Timing[];
  version: string;
}

/** Runs this script with --json on a Node binary. */
function nodeRound(spec: string, argv: string[]): Promise<Round> {
  const [runtime, dir] = spec.split('@');
  const script = dir ? path.join(path.resolve(dir), 'scripts/wasm-throughput.ts') : fileURLToPath(import.meta.url);
  const bun = runtime === 'bun';
  if (bun && !process.env.XENT_BUN) throw new Error('bun: set XENT_BUN to the path of a bun binary');
  const bin = bun ? process.env.XENT_BUN! : runtime === 'node20' ? 'node' : `/opt/runtimes/${runtime}/bin/node`;
  // Relaxed SIMD is on by default from Node 22; Node 20 has it behind a flag. Bun runs TypeScript itself.
  const flags = [...(runtime === 'node20' ? ['--experimental-wasm-relaxed-simd'] : []), ...(bun ? [] : ['--import', 'tsx'])];
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [...flags, script, ...argv, '--json'], {
      cwd: path.dirname(path.dirname(script)),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as Round) : reject(new Error(`${runtime} exited with ${code}`))));
  });
}

/** A page in headless Chromium with throughput-core.ts (this checkout's, or `root`'s) bundled by Vite. */
async function openPage(root?: string): Promise<{ chrome: ChromiumPage; server: StaticServer; dir: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xent-throughput-'));
  const entry = root ? path.join(path.resolve(root), 'scripts/throughput-core.ts') : path.join(HERE, 'throughput-core.ts');
  await build({
    configFile: false,
    logLevel: 'warn',
    build: {
      outDir: dir,
      emptyOutDir: false,
      target: 'esnext',
      reportCompressedSize: false,
      lib: { entry, formats: ['es'], fileName: 'core' },
    },
  });
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><title>xent throughput</title>');
  const server = await serveStatic(dir, CROSS_ORIGIN_ISOLATED);
  const chrome = await openChromium();
  await chrome.page.goto(server.url);
  return { chrome, server, dir };
}

async function chromiumRound(page: ChromiumPage['page'], options: RunOptions): Promise<Round> {
  return page.evaluate(async (o) => {
    // A module of the served site, resolved by the page (not by Node).
    const core = (await import(/* @vite-ignore */ `${location.origin}/core.js`)) as typeof import('./throughput-core.js');
    return { clock: core.clockGHz(), timings: await core.measure(o), version: navigator.userAgent.match(/Chrome\/[\d.]+/)?.[0] ?? '' };
  }, options);
}

function table(results: Map<string, Round[]>, args: Args): string {
  const runtimes = [...results.keys()];
  const best = (rt: string, variant: string, shape: string, task: string) =>
    Math.max(...results.get(rt)!.flatMap((r) => r.timings.filter((t) => t.variant === variant && t.shape === shape && t.task === task).map((t) => t.rate)));
  const lines = [`| build | shape | task | ${runtimes.map((r, i) => (i ? `${r} (x ${runtimes[0]})` : r)).join(' | ')} |`, `|---|---|---|${runtimes.map(() => '---:').join('|')}|`];
  for (const variant of args.variants) {
    for (const [n, c] of args.shapes) {
      const shape = `${n}x${c}`;
      for (const task of TASKS) {
        const base = best(runtimes[0], variant, shape, task);
        if (!Number.isFinite(base)) continue;
        const cells = runtimes.map((rt, i) => {
          const v = best(rt, variant, shape, task);
          return !Number.isFinite(v) ? '-' : i ? `${v.toFixed(0)} (${(v / base).toFixed(2)})` : v.toFixed(0);
        });
        lines.push(`| ${variant} | ${shape} | ${task} | ${cells.join(' | ')} |`);
      }
    }
  }
  const clocks = runtimes.map((rt) => `${rt} ${Math.max(...results.get(rt)!.map((r) => r.clock)).toFixed(2)}`).join(', ');
  const versions = runtimes.map((rt) => `${rt} ${results.get(rt)![0].version}`).join(', ');
  lines.push('', `M logits/s, best call of ${args.reps} per round, best of ${args.rounds} rounds; clock (GHz): ${clocks}; ${versions}`);
  return lines.join('\n');
}

async function main() {
  const argv = process.argv.slice(2);
  const args = parse(argv);
  const options: RunOptions = { variants: args.variants, shapes: args.shapes, reps: args.reps };
  if (!args.runtimes.length) {
    const round: Round = { clock: clockGHz(), timings: await measure(options), version: `${process.version} (V8 ${process.versions.v8})` };
    if (args.json) return void process.stdout.write(JSON.stringify(round));
    return void console.log(table(new Map([[`node${process.versions.node.split('.')[0]}`, [round]]]), { ...args, rounds: 1 }));
  }
  const childArgv = argv.filter((a, i) => !['--runtimes', '--rounds'].includes(a) && !['--runtimes', '--rounds'].includes(argv[i - 1]));
  const pages = new Map<string, Awaited<ReturnType<typeof openPage>>>();
  for (const rt of args.runtimes) if (rt.split('@')[0] === 'chromium') pages.set(rt, await openPage(rt.split('@')[1]));
  const results = new Map<string, Round[]>(args.runtimes.map((r) => [r, []]));
  try {
    for (let round = 0; round < args.rounds; round++) {
      const order = args.runtimes.map((_, i) => args.runtimes[(i + round) % args.runtimes.length]);
      for (const rt of order) {
        const page = pages.get(rt);
        const r = page ? await chromiumRound(page.chrome.page, options) : await nodeRound(rt, childArgv);
        results.get(rt)!.push(r);
        process.stderr.write(`round ${round + 1}/${args.rounds} ${rt} done (load ${os.loadavg()[0].toFixed(1)})\n`);
      }
    }
  } finally {
    for (const page of pages.values()) {
      await page.chrome.close();
      await page.server.close();
      rmSync(page.dir, { recursive: true, force: true });
    }
  }
  console.log(table(results, args));
}

await main();
