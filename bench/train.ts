/**
 * `npm run bench:train`: one training step of a model's large output layer, with TensorFlow.js's
 * loss and with xent/tfjs, on the tfjs cpu and wasm backends.
 *
 * The step is what a TensorFlow.js training loop runs: `optimizer.minimize` (SGD) over the output
 * layer, logits = features [N, H] · W [H, C] + b, then the loss, its gradient, the backward
 * matmul and the update, and the loss read back for the log. Rows:
 * - `tf.losses`: tf.losses.softmaxCrossEntropy on one-hot labels (what tfjs offers);
 * - `xent`: xent/tfjs softmaxCrossEntropy, the drop-in (same one-hot labels);
 * - `xent sparse`: xent/tfjs sparseSoftmaxCrossEntropy on int32 labels (no one-hot tensor);
 * - `no loss`: the same step with a loss that costs nothing (value 0, a fixed gradient G, through
 *   tf.customGrad): the matmuls and the update alone, the floor under every row.
 * Each row's first step is checked against tf.losses' before it is timed (same seeded weights).
 *
 * This is a script of its own, not a mode of bench/run.ts: its rows time a model step, not a
 * loss on given logits, so they fit neither the contenders' problem nor its float64 check.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as TfModule from '@tensorflow/tfjs';
import { optionValue } from './args.js';
import { parseShape, shapeName, type Shape } from './data.js';
import { measure, type Budget, type Timing } from './measure.js';
import { packageDirUrl } from './package-dir.js';
import { formatTime } from './report.js';
import { getDefaultEngine } from '../src/index.js';
import { createTfLosses } from '../src/tfjs.js';

type Tf = typeof TfModule;
type Tensor = TfModule.Tensor;

/**
 * Default output-layer shapes per tfjs backend: 32000 classes (a LLaMA-size vocabulary), and the
 * batch for which one tf.losses step stays under about a second on that backend.
 */
const DEFAULT_SHAPES: { [B in TfBackend]: Shape[] } = { cpu: [{ n: 32, c: 32000 }], wasm: [{ n: 256, c: 32000 }] };
const DEFAULT_HIDDEN = 32;

const USAGE = `usage: npm run bench:train -- [options]      (or: npx tsx bench/train.ts [options])
  --shapes 256x32000    output-layer shapes N x C, on every backend (default: cpu ${DEFAULT_SHAPES.cpu.map(shapeName)}, wasm ${DEFAULT_SHAPES.wasm.map(shapeName)})
  --hidden 32           H, the width of the features feeding the output layer (default ${DEFAULT_HIDDEN})
  --backends cpu,wasm   tfjs backends (default both)
  --time <ms>           time budget per row (default 2000)
The default run writes bench/results/train/<date>.json and latest.md; any other run writes
them under bench/results/partial/train/.`;

const ROWS = ['tf.losses', 'xent', 'xent sparse', 'no loss'] as const;
type Row = (typeof ROWS)[number];
type TfBackend = 'cpu' | 'wasm';

interface Options {
  /** null: each backend's default shapes. */
  shapes: Shape[] | null;
  hidden: number;
  backends: TfBackend[];
  timeMs: number;
  complete: boolean;
}

/** One timed row. */
type Record = { backend: TfBackend; shape: string; hidden: number; row: Row; firstLoss: number } & (
  | ({ status: 'ok'; stepsPerSec: number; vsTf?: number; lossPartVsTf?: number } & Timing)
  | { status: 'wrong' | 'failed'; error: string }
);

function parseArgs(argv: string[]): Options | 'help' {
  let shapes: Shape[] | undefined;
  let hidden: number | undefined;
  let backends: TfBackend[] | undefined;
  let timeMs: number | undefined;
  const value = (i: number) => optionValue(argv, i);
  for (let i = 0; i < argv.length; i++) {
    switch (argv[i]) {
      case '--help':
      case '-h':
        return 'help';
      case '--shapes':
        shapes = value(i++).split(',').map(parseShape);
        break;
      case '--hidden':
        hidden = Number(value(i++));
        if (!(Number.isInteger(hidden) && hidden > 0)) throw new Error('--hidden needs a positive integer');
        break;
      case '--backends':
        backends = value(i++).split(',').map((b) => {
          if (b !== 'cpu' && b !== 'wasm') throw new Error(`unknown tfjs backend "${b}" (cpu, wasm)`);
          return b;
        });
        break;
      case '--time':
        timeMs = Number(value(i++));
        if (!(timeMs > 0)) throw new Error('--time needs a positive number of milliseconds');
        break;
      default:
        throw new Error(`unknown argument "${argv[i]}"`);
    }
  }
  return {
    shapes: shapes ?? null,
    hidden: hidden ?? DEFAULT_HIDDEN,
    backends: backends ?? ['cpu', 'wasm'],
    timeMs: timeMs ?? 2000,
    complete: [shapes, hidden, backends, timeMs].every((o) => o === undefined),
  };
}

/** TensorFlow.js in production mode, with the wasm backend's files found in node_modules (one thread). */
async function loadTf(): Promise<Tf> {
  const tf = await import('@tensorflow/tfjs');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  tf.enableProdMode();
  wasm.setWasmPaths(packageDirUrl('@tensorflow/tfjs-backend-wasm'));
  // One thread, like every other row of xent's benchmarks: the comparison is per core.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  return tf;
}

/** A prepared row: the step, and what to free afterwards. */
interface Step {
  call: () => { loss: number };
  release: () => void;
}

/** The output layer, its data and optimizer, and one training step with the row's loss. */
function prepare(tf: Tf, row: Row, shape: Shape, hidden: number): Step {
  const { n, c } = shape;
  const losses = createTfLosses(tf);
  // Seeded draws (tfjs generates them in JS, so every backend and row starts from the same weights).
  const features = tf.randomNormal([n, hidden], 0, 1, 'float32', 1);
  const w = tf.variable(tf.randomNormal([hidden, c], 0, 1 / Math.sqrt(hidden), 'float32', 2));
  const b = tf.variable(tf.zeros([c]));
  const sparse = tf.randomUniform([n], 0, c, 'int32', 3);
  // tfjs-backend-wasm 4.22 returns garbage from a float32 tf.oneHot: build it as int32, then cast.
  const onehot = tf.tidy(() => tf.oneHot(sparse, c).toFloat());
  const fixed = tf.randomNormal([n, c], 0, 1e-3, 'float32', 4);
  // The floor's loss: nothing computed forward, a ready gradient backward (a clone shares its data).
  const free = tf.customGrad(() => ({ value: tf.scalar(0), gradFunc: () => fixed.clone() }));
  const optimizer = tf.train.sgd(0.1);
  const lossOf: { [R in Row]: (logits: Tensor) => Tensor } = {
    'tf.losses': (l) => tf.losses.softmaxCrossEntropy(onehot, l),
    xent: (l) => losses.softmaxCrossEntropy(onehot, l),
    'xent sparse': (l) => losses.sparseSoftmaxCrossEntropy(sparse, l),
    'no loss': (l) => free(l),
  };
  const loss = lossOf[row];
  return {
    call: () => {
      const value = optimizer.minimize(() => loss(tf.add(tf.matMul(features, w), b)) as TfModule.Scalar, true, [w, b])!;
      const out = { loss: value.dataSync()[0] };
      value.dispose();
      return out;
    },
    release: () => {
      tf.dispose([features, w, b, sparse, onehot, fixed]);
      optimizer.dispose();
    },
  };
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message.split('\n')[0] : String(e);
}

/** Runs, checks and times one row; `reference` is tf.losses' first-step loss. */
async function runRow(tf: Tf, backend: TfBackend, row: Row, shape: Shape, hidden: number, budget: Budget, reference: number | undefined): Promise<Record> {
  const base = { backend, shape: shapeName(shape), hidden, row };
  let step: Step | undefined;
  try {
    step = prepare(tf, row, shape, hidden);
    const start = performance.now();
    const firstLoss = step.call().loss;
    const first = { ms: performance.now() - start, async: false };
    if (row !== 'no loss' && reference !== undefined && !(Math.abs(firstLoss - reference) <= 1e-4 * Math.abs(reference))) {
      return { ...base, firstLoss, status: 'wrong', error: `first-step loss ${firstLoss}, tf.losses ${reference}` };
    }
    const timing = await measure(step.call, first, budget);
    return { ...base, firstLoss, status: 'ok', ...timing, stepsPerSec: 1000 / timing.medianMs };
  } catch (e) {
    return { ...base, firstLoss: NaN, status: 'failed', error: errorText(e) };
  } finally {
    step?.release();
  }
}

/** Whole-step speedup over tf.losses, and the speedup of the loss's part (step minus the no-loss floor). */
function addRatios(records: Record[]): void {
  for (const r of records) {
    if (r.status !== 'ok') continue;
    const same = (row: Row) => records.find((x) => x.backend === r.backend && x.shape === r.shape && x.row === row && x.status === 'ok');
    const tfRow = same('tf.losses');
    const floor = same('no loss');
    if (tfRow?.status !== 'ok') continue;
    r.vsTf = tfRow.medianMs / r.medianMs;
    // Only where both parts stand clear of the floor; otherwise the ratio is noise.
    const floorMs = floor?.status === 'ok' ? floor.medianMs : undefined;
    if (floorMs !== undefined && r.row !== 'no loss' && r.medianMs > floorMs * 1.02 && tfRow.medianMs > floorMs * 1.02) {
      r.lossPartVsTf = (tfRow.medianMs - floorMs) / (r.medianMs - floorMs);
    }
  }
}

const ratio = (r: number | undefined) => (r === undefined ? '' : `${r >= 10 ? r.toFixed(0) : r.toFixed(2)}×`);

/** Table rows: a header, then one row per record. */
function table(records: Record[]): string[][] {
  const head = ['tfjs backend', 'shape (H)', 'loss', 'median step', '±rme', 'samples', 'steps/s', 'step vs tf.losses', "loss's part vs tf.losses"];
  return [
    head,
    ...records.map((r) => {
      const where = [r.backend, `${r.shape} (${r.hidden})`, r.row];
      if (r.status !== 'ok') return [...where, `${r.status.toUpperCase()}: ${r.error}`, '', '', '', '', ''];
      return [
        ...where,
        formatTime(r.medianMs),
        r.samples > 1 ? `${r.rme.toFixed(1)}%` : '–',
        r.batch > 1 ? `${r.samples}×${r.batch}` : `${r.samples}`,
        r.stepsPerSec.toPrecision(3),
        ratio(r.vsTf),
        r.row === 'no loss' ? '–' : (ratio(r.lossPartVsTf) || 'at the floor (< 2% above)'),
      ];
    }),
  ];
}

function terminal(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => '  ' + r.map((cell, i) => (i < 3 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')).join('\n');
}

function markdown(rows: string[][], command: string, engine: string): string {
  const [head, ...body] = rows;
  const machine = `${os.cpus()[0]?.model.trim() ?? 'unknown'} (${os.cpus().length} cores), Node ${process.version}, ${process.platform}/${process.arch}`;
  return [
    '#### One training step of a large output layer (SGD; lower step time is better)',
    '',
    `| ${head.join(' | ')} |`,
    `|---|---|---|${head.slice(3).map(() => '---:').join('|')}|`,
    ...body.map((r) => `| ${r.join(' | ')} |`),
    '',
    `Step: \`optimizer.minimize\` of loss(features·W + b) over W and b, then the loss read with dataSync. ` +
      `"no loss" is the same step with a free loss (value 0, a fixed gradient): the matmuls and the update alone. ` +
      `"loss's part" compares (step − no loss) with tf.losses' (step − no loss). xent engine: '${engine}'.`,
    '',
    `${machine}; ${new Date().toISOString().slice(0, 10)}; \`${command}\`. Times are tinybench medians; ±rme the relative margin of error of the mean (95%).`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  let options: Options;
  try {
    const parsed = parseArgs(process.argv.slice(2));
    if (parsed === 'help') return console.log(USAGE);
    options = parsed;
  } catch (e) {
    console.error(`${errorText(e)}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const tf = await loadTf();
  const engine = getDefaultEngine().backend;
  const budget: Budget = { timeMs: options.timeMs, warmupMs: 200, minSamples: 5, batchMs: 1, slowMs: 1000, slowSamples: 3 };
  const records: Record[] = [];
  for (const backend of options.backends) {
    if (!(await tf.setBackend(backend))) {
      console.log(`tf.setBackend('${backend}') failed; skipped`);
      continue;
    }
    for (const shape of options.shapes ?? DEFAULT_SHAPES[backend]) {
      let reference: number | undefined;
      for (const row of ROWS) {
        const r = await runRow(tf, backend, row, shape, options.hidden, budget, reference);
        if (row === 'tf.losses' && r.status === 'ok') reference = r.firstLoss;
        records.push(r);
        const what = r.status === 'ok' ? `${formatTime(r.medianMs).padStart(9)} ±${r.rme.toFixed(1).padStart(4)}%  n=${r.samples}` : `${r.status.toUpperCase()} ${r.error}`;
        console.log(`${backend.padEnd(5)} ${shapeName(shape).padEnd(9)} H=${String(options.hidden).padEnd(4)} ${row.padEnd(12)} ${what}`);
      }
    }
  }
  addRatios(records);
  const rows = table(records);
  console.log(`\n${terminal(rows)}\n`);
  const args = process.argv.slice(2).join(' ');
  const command = process.env.npm_lifecycle_event === 'bench:train' ? `npm run bench:train${args ? ` -- ${args}` : ''}` : `npx tsx bench/train.ts${args ? ` ${args}` : ''}`;
  const here = path.dirname(fileURLToPath(import.meta.url));
  const dir = path.join(here, 'results', options.complete ? '' : 'partial', 'train');
  mkdirSync(dir, { recursive: true });
  const date = new Date().toISOString().slice(0, 10);
  writeFileSync(path.join(dir, `${date}.json`), JSON.stringify({ date, command, engine, budget, hidden: options.hidden, records }, null, 2) + '\n');
  writeFileSync(path.join(dir, 'latest.md'), markdown(rows, command, engine));
  console.log(`wrote ${path.relative(process.cwd(), dir)}/{${date}.json,latest.md}`);
}

await main();
