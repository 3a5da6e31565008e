/**
 * `npm run bench:runtimes`: the benchmark's sparse softmax cross-entropy (loss only, loss +
 * gradient, mean) on every xent backend and onnxruntime-node, across Node versions: the Node
 * running this script and the pinned ones of scripts/runtimes.json (fetched on demand). One child
 * process per runtime (bench/runtimes-child.ts) holds its engines; for each task the runtimes take
 * turns back to back, for a few rounds, the order rotating each round, so that the machine's
 * drift falls on all of them alike. A cell is the best of its turns (each a tinybench median):
 * on a shared machine the best turn is the least disturbed one, and on the rows that should not
 * differ between runtimes (native onnxruntime, the scalar build, JavaScript) it scattered half as
 * much as the median of the turns did. How many turns other processes disturbed is counted
 * (bench/load.ts) and reported. Its ratio is to the same backend on Node 22 (on the first
 * runtime when Node 22 is not in the run).
 * Writes bench/results/runtimes-<date>.json and runtimes-latest.md (partial runs: bench/results/partial/).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RUNTIMES, runtimePath } from '../scripts/runtimes.mjs';
import { relaxedSimdSupported } from '../src/backends/features.js';
import { optionValue } from './args.js';
import { STANDARD_SHAPES, parseShape, shapeName, type Shape } from './data.js';
import type { Mode } from './contenders/types.js';
import type { Budget } from './measure.js';
import { MODE_TITLE, formatRate, type TaskRecord } from './report.js';
import { foreignLoad, machineBusyMs } from './load.js';
import type { Hello, TaskRequest, TaskResult } from './runtimes-child.js';

const here = path.dirname(fileURLToPath(import.meta.url));

const USAGE = `usage: npm run bench:runtimes -- [options]      (or: npx tsx bench/runtimes.ts [options])
  --runtimes node,node22,...  runtimes to compare (default: node,node22,node24,node26); node is the
                              Node running this script, the others are pinned in scripts/runtimes.json
  --shapes 64x10,4096x1000    shapes (default: ${STANDARD_SHAPES.map(shapeName).join(',')})
  --loss | --grad             loss only, or loss and gradient (default: both)
  --rounds N                  turns each runtime takes per task (default 7)
  --time <ms>                 time budget per turn (default 150)
  --quick                     2 rounds of 100 ms, all but the largest shape
A full default run writes bench/results/runtimes-<date>.json and runtimes-latest.md; any other
run writes them under bench/results/partial/.`;

interface Options {
  runtimes: string[];
  shapes: Shape[];
  modes: Mode[];
  rounds: number;
  budget: Budget;
  complete: boolean;
}

function parse(argv: string[]): Options | 'help' {
  let runtimes: string[] | undefined;
  let shapes: Shape[] | undefined;
  let rounds: number | undefined;
  let timeMs: number | undefined;
  let quick = false;
  const modes = new Set<Mode>();
  const value = (i: number) => optionValue(argv, i);
  for (let i = 0; i < argv.length; i++) {
    switch (argv[i]) {
      case '--help':
      case '-h':
        return 'help';
      case '--runtimes':
        runtimes = value(i++).split(',');
        break;
      case '--shapes':
        shapes = value(i++).split(',').map(parseShape);
        break;
      case '--loss':
        modes.add('loss');
        break;
      case '--grad':
        modes.add('grad');
        break;
      case '--rounds':
        rounds = Number(value(i++));
        if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds needs a positive integer');
        break;
      case '--time':
        timeMs = Number(value(i++));
        if (!(timeMs > 0)) throw new Error('--time needs a positive number of milliseconds');
        break;
      case '--quick':
        quick = true;
        break;
      default:
        throw new Error(`unknown argument "${argv[i]}"`);
    }
  }
  for (const r of runtimes ?? []) {
    if (r !== 'node' && !(r in RUNTIMES && r.startsWith('node'))) throw new Error(`unknown runtime '${r}': node or one of ${Object.keys(RUNTIMES).filter((k) => k.startsWith('node')).join(', ')}`);
  }
  return {
    runtimes: runtimes ?? ['node', 'node22', 'node24', 'node26'],
    shapes: shapes ?? (quick ? STANDARD_SHAPES.slice(0, -1) : [...STANDARD_SHAPES]),
    modes: modes.size === 0 ? ['loss', 'grad'] : [...modes],
    rounds: rounds ?? (quick ? 2 : 7),
    budget: { timeMs: timeMs ?? (quick ? 100 : 150), warmupMs: quick ? 20 : 50, minSamples: 3, batchMs: 1, slowMs: 1000, slowSamples: 1 },
    complete: !quick && runtimes === undefined && shapes === undefined && modes.size !== 1 && rounds === undefined && timeMs === undefined,
  };
}

/** A runtime of the run: its child process and what it reported. */
interface Runtime {
  name: string;
  label: string;
  hello: Hello;
  child: ChildProcess;
  /** The request in flight. */
  pending?: { resolve: (result: TaskResult) => void; reject: (e: Error) => void };
  /** Why the child is gone, if it is. */
  gone?: string;
}

/** Starts bench/runtimes-child.ts on `name`'s binary and waits for its hello. */
async function start(name: string): Promise<Runtime> {
  const bin = name === 'node' ? process.execPath : runtimePath(name, console.log);
  // Node 20 runs relaxed SIMD behind a flag; the child of a Node that needs it gets it (and the table says so).
  const flags = name === 'node' && !relaxedSimdSupported() ? ['--experimental-wasm-relaxed-simd'] : [];
  const child = spawn(bin, [...flags, '--import', 'tsx', path.join(here, 'runtimes-child.ts')], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const runtime = await new Promise<Runtime>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${name} (${bin}) exited with code ${code} before it was ready`)));
    child.once('message', (hello: Hello) => {
      resolve({ name, label: `Node ${hello.node.slice(1)}`, hello, child });
    });
  });
  child.removeAllListeners('exit');
  child.on('exit', (code, signal) => {
    runtime.gone = `${runtime.label} exited (${signal ?? `code ${code}`})`;
    runtime.pending?.reject(new Error(runtime.gone));
  });
  child.on('message', (m: TaskResult) => {
    const reply = runtime.pending;
    runtime.pending = undefined;
    reply?.resolve(m);
  });
  return runtime;
}

/** Checks and times one task on one runtime; a child that is gone (or goes) fails the task. */
function ask(runtime: Runtime, request: TaskRequest): Promise<TaskResult> {
  return new Promise((resolve, reject) => {
    if (runtime.gone) return reject(new Error(runtime.gone));
    runtime.pending = { resolve, reject };
    runtime.child.send(request);
  });
}

/** Cores' worth of other work above which a turn counts as loaded. */
const LOADED = 0.25;

/** One turn: the task on one runtime, counted in `loaded` when other processes used more than LOADED of a core meanwhile. */
async function turn(runtime: Runtime, request: TaskRequest, loaded: { turns: number; loaded: number }): Promise<TaskRecord> {
  const busy0 = machineBusyMs();
  const wall0 = performance.now();
  const { record, cpuMs } = await ask(runtime, request);
  const foreign = foreignLoad(busy0, machineBusyMs(), cpuMs, performance.now() - wall0);
  loaded.turns++;
  if (foreign !== null && foreign > LOADED) loaded.loaded++;
  return record;
}

/** One cell of the table: a contender on one runtime, shape and mode, over the rounds. */
interface Cell {
  runtime: string;
  id: string;
  shape: string;
  mode: Mode;
  /** M logits/s of each round (a tinybench median; absent: the round failed or was wrong). */
  rounds: number[];
  /** The best round: the one least disturbed by other work on the machine. */
  mlogitsPerSec?: number;
  /** mlogitsPerSec over the same contender's on the base runtime. */
  vsBase?: number;
  problem?: string;
}

function ratioText(r: number | undefined): string {
  return r === undefined ? '' : ` (${r.toFixed(2)}×)`;
}

interface RuntimesReport {
  date: string;
  command: string;
  machine: { cpu: string; cores: number; memoryGB: number; platform: string; arch: string };
  loadAverage: { start: number; end: number };
  /** Turns in all, and turns during which other processes used more than LOADED of a core. */
  loaded: { turns: number; loaded: number };
  rounds: number;
  budget: Budget;
  base: string;
  runtimes: { name: string; label: string; node: string; v8: string; execArgv: string[]; auto: string; rows: Hello['rows']; loadFailures: Hello['loadFailures'] }[];
  cells: Cell[];
}

/** The two large standard shapes, the summary's columns. */
const SUMMARY_SHAPES = ['4096x1000', '512x50257'];

/** A table of rows backend x runtime, one column per (shape, mode), each cell with its ratio to the base runtime. */
function table(report: RuntimesReport, ids: string[], columns: { shape: string; mode: Mode; title: string }[]): string[] {
  const out = [`| backend | runtime | ${columns.map((c) => c.title).join(' | ')} |`, `|---|---|${columns.map(() => '---:').join('|')}|`];
  for (const id of ids) {
    for (const r of report.runtimes) {
      const cells = columns.map(({ shape, mode }) => report.cells.find((c) => c.runtime === r.name && c.id === id && c.shape === shape && c.mode === mode));
      if (cells.every((c) => c === undefined)) continue;
      const text = cells.map((c) => (c === undefined ? '' : c.mlogitsPerSec === undefined ? (c.problem ?? 'failed') : `${formatRate(c.mlogitsPerSec)}${r.name === report.base ? '' : ratioText(c.vsBase)}`));
      const auto = id === `xent-${r.auto}` ? ' (auto)' : '';
      const flagged = r.execArgv.length > 0 ? '¹' : '';
      out.push(`| ${id}${auto} | ${r.label}${flagged} (V8 ${r.v8.split('.').slice(0, 2).join('.')}) | ${text.join(' | ')} |`);
    }
  }
  return [...out, ''];
}

/** The markdown: a summary on the two large shapes, then a table per mode over every shape, then how the run was made. */
function markdown(report: RuntimesReport, ids: string[]): string {
  const out: string[] = [];
  const shapes = [...new Set(report.cells.map((c) => c.shape))];
  const modes = (['loss', 'grad'] as const).filter((mode) => report.cells.some((c) => c.mode === mode));
  const base = report.runtimes.find((r) => r.name === report.base)!;
  const relative = `million logits per second, in parentheses relative to ${base.label}`;
  const summary = modes.flatMap((mode) => SUMMARY_SHAPES.filter((shape) => shapes.includes(shape)).map((shape) => ({ shape, mode, title: `${mode === 'loss' ? 'loss' : 'loss + grad'}, ${shape}` })));
  if (summary.length > 0) out.push(`#### The large shapes: ${relative}`, '', ...table(report, ids, summary));
  for (const mode of modes) {
    out.push(`#### ${MODE_TITLE[mode]}: ${relative}`, '', ...table(report, ids, shapes.map((shape) => ({ shape, mode, title: shape }))));
  }
  out.push(
    `Each cell is the best of ${report.rounds} turns (each a tinybench median over ${report.budget.timeMs} ms); in every round the runtimes ` +
      'took their turns at a task back to back, in rotating order. (auto): the backend `createEngine()` picks on that runtime.' +
      report.runtimes
        .filter((r) => r.execArgv.length > 0)
        .map((r) => ` ¹ ${r.label} ran with ${r.execArgv.join(' ')}.`)
        .join(''),
    '',
  );
  for (const r of report.runtimes) for (const f of r.loadFailures) out.push(`- not loaded on ${r.label}: ${f.family}: ${f.error}`);
  const notes = new Map(report.runtimes.flatMap((r) => r.rows.map((row) => [row.id, row.note] as const)));
  out.push('<details><summary>Contenders</summary>', '', ...ids.map((id) => `- \`${id}\`: ${notes.get(id)}`), '', '</details>', '');
  const m = report.machine;
  out.push(
    `${m.cpu} (${m.cores} cores), ${m.platform}/${m.arch}; ${report.date}; \`${report.command}\`; ` +
      `load average ${report.loadAverage.start.toFixed(1)} at the start, ${report.loadAverage.end.toFixed(1)} at the end; ` +
      `other processes used more than ${LOADED} of a core during ${report.loaded.loaded} of the ${report.loaded.turns} turns.`,
    '',
  );
  return out.join('\n');
}

async function main(): Promise<void> {
  let options: Options;
  try {
    const parsed = parse(process.argv.slice(2));
    if (parsed === 'help') return console.log(USAGE);
    options = parsed;
  } catch (e) {
    console.error(`${e instanceof Error ? e.message : e}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const loadStart = os.loadavg()[0];
  const runtimes: Runtime[] = [];
  for (const name of options.runtimes) runtimes.push(await start(name));
  for (const r of runtimes) {
    console.log(`${r.label} (V8 ${r.hello.v8}): ${r.hello.rows.map((row) => row.id).join(', ')}; auto = ${r.hello.auto}`);
    for (const f of r.hello.loadFailures) console.log(`  not loaded: ${f.family}: ${f.error}`);
  }
  const order = ['xent-relaxed-simd', 'xent-simd', 'xent-wasm', 'xent-js', 'onnxruntime-node'];
  const ids = [...new Set(runtimes.flatMap((r) => r.hello.rows.map((row) => row.id)))].sort((a, b) => order.indexOf(a) - order.indexOf(b));
  const base = runtimes.find((r) => r.name === 'node22') ?? runtimes[0];

  const cells: Cell[] = [];
  const loaded = { turns: 0, loaded: 0 };
  const started = performance.now();
  for (const shape of options.shapes) {
    for (const mode of options.modes) {
      for (const id of ids) {
        const line = new Map<string, Cell>();
        for (let round = 0; round < options.rounds; round++) {
          for (let k = 0; k < runtimes.length; k++) {
            const r = runtimes[(k + round) % runtimes.length];
            if (!r.hello.rows.some((row) => row.id === id)) continue;
            let cell = line.get(r.name);
            if (!cell) line.set(r.name, (cell = { runtime: r.name, id, shape: shapeName(shape), mode, rounds: [] }));
            try {
              const record = await turn(r, { type: 'task', id, shape, mode, budget: options.budget }, loaded);
              if (record.status === 'ok') cell.rounds.push(record.mlogitsPerSec);
              else cell.problem = record.status === 'wrong' ? 'wrong' : `failed: ${record.error}`;
            } catch (e) {
              cell.problem = `failed: ${e instanceof Error ? e.message : e}`;
            }
          }
        }
        for (const cell of line.values()) if (cell.rounds.length === options.rounds) cell.mlogitsPerSec = Math.max(...cell.rounds);
        const baseRate = line.get(base.name)?.mlogitsPerSec;
        for (const cell of line.values()) if (baseRate && cell.mlogitsPerSec) cell.vsBase = cell.mlogitsPerSec / baseRate;
        cells.push(...line.values());
        const text = runtimes.map((r) => {
          const c = line.get(r.name);
          return c ? `${r.name} ${c.mlogitsPerSec === undefined ? c.problem : formatRate(c.mlogitsPerSec) + ratioText(c.vsBase)}` : '';
        });
        console.log(`${mode.padEnd(4)} ${shapeName(shape).padEnd(10)} ${id.padEnd(18)} ${text.filter(Boolean).join('  ')}`);
      }
    }
  }
  for (const r of runtimes) if (!r.gone) r.child.send({ type: 'exit' });

  const args = process.argv.slice(2).join(' ');
  const report: RuntimesReport = {
    date: new Date().toISOString().slice(0, 10),
    command: `npm run bench:runtimes${args ? ` -- ${args}` : ''}`,
    machine: { cpu: os.cpus()[0]?.model.trim() ?? 'unknown', cores: os.cpus().length, memoryGB: Math.round(os.totalmem() / 2 ** 30), platform: process.platform, arch: process.arch },
    loadAverage: { start: loadStart, end: os.loadavg()[0] },
    loaded,
    rounds: options.rounds,
    budget: options.budget,
    base: base.name,
    runtimes: runtimes.map((r) => ({ name: r.name, label: r.label, node: r.hello.node, v8: r.hello.v8, execArgv: r.hello.execArgv, auto: r.hello.auto, rows: r.hello.rows, loadFailures: r.hello.loadFailures })),
    cells,
  };
  const dir = path.join(here, 'results', options.complete ? '' : 'partial');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `runtimes-${report.date}.json`), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(path.join(dir, 'runtimes-latest.md'), markdown(report, ids));
  console.log(`\n${cells.length} cells in ${((performance.now() - started) / 1000).toFixed(0)} s; wrote ${path.relative(process.cwd(), dir) || '.'}/{runtimes-${report.date}.json,runtimes-latest.md}`);
}

await main();
