/**
 * `npm run bench`: sparse softmax cross-entropy, loss only and loss + gradient (mean), over the
 * standard shapes, for xent on every backend here and the peers a user would otherwise pick.
 * Every answer is checked against a float64 reference before it is timed. Writes
 * bench/results/<date>.json, latest.md and latest.svg (partial runs: bench/results/partial/).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { USAGE, parseArgs, type RunOptions } from './args.js';
import { GRAD_TOLERANCE, LOSS_TOLERANCE, gradError, makeProblem, referenceLoss, shapeName, type Problem } from './data.js';
import { floorFamily } from './contenders/floor.js';
import { naiveFamily } from './contenders/naive.js';
import { onnxFamily } from './contenders/onnx.js';
import { tfjsCpuFamily, tfjsWasmFamily } from './contenders/tfjs.js';
import type { Contender, Family, Mode } from './contenders/types.js';
import { xentFamily } from './contenders/xent.js';
import { measure, type Budget } from './measure.js';
import { addRatios, formatRate, formatTime, markdown, terminalTable, wrongText, type RunReport, type TaskRecord } from './report.js';
import { chart } from './svg.js';

const FAMILIES: Family[] = [xentFamily, naiveFamily, tfjsCpuFamily, tfjsWasmFamily, onnxFamily, floorFamily];

function errorText(e: unknown): string {
  return e instanceof Error ? e.message.split('\n')[0] : String(e);
}

/** The command as it was typed, near enough to repeat it (V8 flags included, tsx's own left out). */
function commandLine(): string {
  const args = process.argv.slice(2).join(' ');
  const flags = process.execArgv.filter((a, i, all) => a.startsWith('--') && !/tsx/.test(a) && !/tsx/.test(all[i + 1] ?? ''));
  const env = process.env.NODE_OPTIONS ? `NODE_OPTIONS=${process.env.NODE_OPTIONS} ` : '';
  if (process.env.npm_lifecycle_event === 'bench' && flags.length === 0) return `${env}npm run bench${args ? ` -- ${args}` : ''}`;
  return `${env}npx tsx ${[...flags, 'bench/run.ts', args].filter(Boolean).join(' ')}`;
}

/** Checks, then times, one contender on one problem. */
async function runTask(c: Contender, problem: Problem, mode: Mode, reference: number, budget: Budget): Promise<TaskRecord> {
  const base = { mode, shape: shapeName(problem), n: problem.n, c: problem.c, contender: c.id, kind: c.kind };
  let prepared;
  try {
    prepared = await c.prepare(problem, mode);
    const start = performance.now();
    const pending = prepared.call();
    const outcome = await pending;
    const first = { ms: performance.now() - start, async: pending instanceof Promise };
    let checks: { lossError?: number; gradError?: number } = {};
    if (c.kind !== 'floor') {
      const lossError = Math.abs(outcome.loss - reference) / Math.abs(reference);
      const gErr = mode === 'grad' ? gradError(problem, outcome.grad ?? []) : undefined;
      // Negated comparisons so that NaN counts as wrong.
      if (!(lossError <= LOSS_TOLERANCE) || (gErr !== undefined && !(gErr <= GRAD_TOLERANCE))) {
        return { ...base, status: 'wrong', loss: outcome.loss, reference, lossError, gradError: gErr };
      }
      checks = { lossError, gradError: gErr };
    }
    const timing = await measure(prepared.call, first, budget);
    return { ...base, status: 'ok', ...timing, ...checks, mlogitsPerSec: (problem.n * problem.c) / timing.medianMs / 1e3 };
  } catch (e) {
    return { ...base, status: 'failed', error: errorText(e) };
  } finally {
    await prepared?.release?.();
  }
}

async function main(): Promise<void> {
  let options: RunOptions;
  try {
    const parsed = parseArgs(process.argv.slice(2));
    if (parsed === 'help') return console.log(USAGE);
    options = parsed;
  } catch (e) {
    console.error(`${errorText(e)}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }

  const contenders: Contender[] = [];
  const loadFailures: RunReport['loadFailures'] = [];
  for (const family of FAMILIES) {
    try {
      contenders.push(...(await family.load()));
    } catch (e) {
      loadFailures.push({ family: family.name, error: errorText(e) });
      console.log(`not loaded: ${family.name}: ${errorText(e)}`);
    }
  }
  console.log(`contenders: ${contenders.map((c) => c.id).join(', ')}`);
  const unknown = options.contenders?.filter((id) => !contenders.some((c) => c.id === id)) ?? [];
  if (unknown.length > 0) console.log(`not available here: ${unknown.join(', ')}`);
  const selected = contenders.filter((c) => options.contenders === null || options.contenders.includes(c.id));

  const report: RunReport = {
    date: new Date().toISOString().slice(0, 10),
    command: commandLine(),
    machine: {
      cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
      cores: os.cpus().length,
      memoryGB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      v8: process.versions.v8,
      platform: process.platform,
      arch: process.arch,
    },
    loadAverage: { start: os.loadavg()[0], end: 0 },
    budget: options.budget,
    contenders: selected.map(({ id, kind, note }) => ({ id, kind, note })),
    loadFailures,
    tasks: [],
  };

  const total = options.shapes.length * options.modes.reduce((s, m) => s + selected.filter((c) => c.modes.includes(m)).length, 0);
  const started = performance.now();
  for (const shape of options.shapes) {
    const problem = makeProblem(shape);
    const reference = referenceLoss(problem);
    for (const mode of options.modes) {
      for (const c of selected.filter((x) => x.modes.includes(mode))) {
        const t = await runTask(c, problem, mode, reference, options.budget);
        report.tasks.push(t);
        const what =
          t.status === 'ok'
            ? `${formatTime(t.medianMs).padStart(9)} ±${(t.samples > 1 ? t.rme.toFixed(1) : '–').padStart(4)}%  n=${String(t.samples).padEnd(5)} ${formatRate(t.mlogitsPerSec).padStart(6)} M logits/s`
            : t.status === 'wrong'
              ? `WRONG ${wrongText(t)}, not timed`
              : `FAILED ${t.error}`;
        console.log(`[${String(report.tasks.length).padStart(3)}/${total}] ${mode.padEnd(4)} ${shapeName(shape).padEnd(10)} ${c.id.padEnd(24)} ${what}`);
      }
    }
  }
  report.loadAverage.end = os.loadavg()[0];
  addRatios(report.tasks);
  console.log(terminalTable(report));

  const here = path.dirname(fileURLToPath(import.meta.url));
  const dir = path.join(here, 'results', options.complete ? '' : 'partial');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${report.date}.json`), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(path.join(dir, 'latest.md'), markdown(report));
  writeFileSync(path.join(dir, 'latest.svg'), chart(report));
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  console.log(`\n${report.tasks.length} tasks in ${seconds} s; wrote ${path.relative(process.cwd(), dir) || '.'}/{${report.date}.json,latest.md,latest.svg}`);
}

await main();
