/**
 * `npm run bench:lm`: the language-model functions against what they replace, timed back to back
 * in one run on one engine, so that their ratios are the result (the machine drifts):
 * - causalLmLoss(+WithGrad) vs softmaxCrossEntropy(+WithGrad) on the same logits [B·T, V] with
 *   the shifted labels a user would build (the issue's target: ≥ 0.95x), and vs the causal loss
 *   written in plain JavaScript (a loop over positions with a log-softmax per row);
 * - scoreTokens (plain, and with entropy and topK 5) vs that plain loss (target ≥ 0.7x), and vs
 *   the scoring loop in plain JavaScript;
 * - sample on one row of V logits with temperature 0.7, topK 50, topP 0.9 vs the path
 *   transformers.js takes (softmax in JavaScript, then a sort of the vocabulary, then top-k and
 *   the draw; it accepts top_p but never applies it, this contender applies it after the sort);
 * - distillationLossWithGrad (forward KL) vs softmaxCrossEntropyWithGrad on the student's logits
 *   [N, V] (the issue's target: ≥ 0.5x; it reads two rows and writes one).
 * Every row's result is checked against the others' before it is timed.
 *
 * A script of its own, like bench/train.ts: its rows are language-model calls, not the loss
 * contenders' [N, C] problem.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { optionValue } from './args.js';
import { measure, type Budget, type Timing } from './measure.js';
import { formatTime } from './report.js';
import { createEngine, type BackendName, type Engine } from '../src/index.js';

const USAGE = `usage: npm run bench:lm -- [options]      (or: npx tsx bench/lm.ts [options])
  --shape 8x1024x32000   B x T x V of the loss and scoring rows (default 8x1024x32000)
  --vocab 50257          V of the sample rows (default 50257, GPT-2's)
  --distill 4096x32000   N x V of the distillation rows (default 4096x32000)
  --groups loss,grad,score,sample,distill   the groups to run (default all)
  --backend simd         the engine's backend (default: the best here)
  --time <ms>            time budget per row (default 2000)
Writes bench/results/lm/<date>.json and latest.md (a run with other shapes: bench/results/partial/lm/).`;

const GROUPS = ['loss', 'grad', 'score', 'sample', 'distill'];

interface Options {
  b: number;
  t: number;
  v: number;
  vocab: number;
  distill: { n: number; v: number };
  groups: string[];
  backend: BackendName | 'auto';
  timeMs: number;
}

function parseArgs(argv: string[]): Options | 'help' {
  const o: Options = { b: 8, t: 1024, v: 32000, vocab: 50257, distill: { n: 4096, v: 32000 }, groups: GROUPS, backend: 'auto', timeMs: 2000 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') return 'help';
    const value = optionValue(argv, i++);
    if (a === '--shape') {
      const m = /^(\d+)x(\d+)x(\d+)$/.exec(value);
      if (!m) throw new Error(`--shape takes BxTxV, got ${value}`);
      [o.b, o.t, o.v] = [Number(m[1]), Number(m[2]), Number(m[3])];
    } else if (a === '--vocab') o.vocab = Number(value);
    else if (a === '--distill') {
      const m = /^(\d+)x(\d+)$/.exec(value);
      if (!m) throw new Error(`--distill takes NxV, got ${value}`);
      o.distill = { n: Number(m[1]), v: Number(m[2]) };
    } else if (a === '--groups') o.groups = value.split(',');
    else if (a === '--backend') o.backend = value as BackendName;
    else if (a === '--time') o.timeMs = Number(value);
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

/** A deterministic generator (Park-Miller), and approximately normal logits from it. */
function logitsOf(length: number, seed: number): Float32Array {
  let s = seed;
  const u = () => (s = (s * 16807) % 2147483647) / 2147483647;
  return Float32Array.from({ length }, () => (u() + u() + u() + u() - 2) * 3);
}

/** The causal loss as a user writes it in JavaScript: per position, a log-softmax of the row and the next token's term. */
function jsCausalLoss(x: Float32Array, ids: Int32Array, b: number, t: number, v: number): number {
  let sum = 0;
  let count = 0;
  for (let s = 0; s < b; s++) {
    for (let i = 0; i < t - 1; i++) {
      const off = (s * t + i) * v;
      let m = -Infinity;
      for (let k = 0; k < v; k++) if (x[off + k] > m) m = x[off + k];
      let z = 0;
      for (let k = 0; k < v; k++) z += Math.exp(x[off + k] - m);
      sum += m + Math.log(z) - x[off + ids[s * t + i + 1]];
      count++;
    }
  }
  return sum / count;
}

/** Token scoring as a user writes it: log p of the next token and the entropy, per position. */
function jsScores(x: Float32Array, ids: Int32Array, b: number, t: number, v: number): number {
  const logProbs = new Float32Array(b * t);
  const entropy = new Float32Array(b * t);
  let nll = 0;
  for (let s = 0; s < b; s++) {
    for (let i = 0; i < t - 1; i++) {
      const off = (s * t + i) * v;
      let m = -Infinity;
      for (let k = 0; k < v; k++) if (x[off + k] > m) m = x[off + k];
      let z = 0;
      let zx = 0;
      for (let k = 0; k < v; k++) {
        const e = Math.exp(x[off + k] - m);
        z += e;
        zx += e * (x[off + k] - m);
      }
      const lse = Math.log(z);
      logProbs[s * t + i + 1] = x[off + ids[s * t + i + 1]] - m - lse;
      entropy[s * t + i + 1] = lse - zx / z;
      nll -= logProbs[s * t + i + 1];
    }
  }
  return nll / (b * (t - 1));
}

/**
 * transformers.js's sampling path, in JavaScript: the logits divided by the temperature, a
 * softmax over the vocabulary, every (id, probability) sorted, the top k kept and renormalised,
 * then (which transformers.js omits) top-p, then a draw.
 */
function jsSample(x: Float32Array, temperature: number, topK: number, topP: number, u: number): number {
  const scaled = Array.from(x, (a) => a / temperature);
  const m = scaled.reduce((a, b) => (b > a ? b : a), -Infinity);
  const e = scaled.map((a) => Math.exp(a - m));
  const z = e.reduce((a, b) => a + b, 0);
  const pairs = e.map((p, i) => [i, p / z] as [number, number]).sort((a, b) => b[1] - a[1]);
  let kept = pairs.slice(0, topK);
  const zk = kept.reduce((a, p) => a + p[1], 0);
  kept = kept.map(([i, p]) => [i, p / zk]);
  let cum = 0;
  const nucleus: [number, number][] = [];
  for (const p of kept) {
    nucleus.push(p);
    cum += p[1];
    if (cum >= topP) break;
  }
  const zn = nucleus.reduce((a, p) => a + p[1], 0);
  let acc = 0;
  for (const [i, p] of nucleus) {
    acc += p / zn;
    if (acc > u) return i;
  }
  return nucleus[nucleus.length - 1][0];
}

interface Row {
  group: string;
  name: string;
  call: () => number;
}

interface Record extends Partial<Timing> {
  group: string;
  name: string;
  status: 'ok' | 'failed';
  error?: string;
  value?: number;
  /** Logits per second (the group's elements over the median time), millions. */
  mlogitsPerSec?: number;
}

function rowsOf(engine: Engine, o: Options): { rows: Row[]; elements: { [group: string]: number } } {
  const { b, t, v } = o;
  const want = (g: string) => o.groups.includes(g);
  const rows: Row[] = [];
  if (want('loss') || want('grad') || want('score')) {
    const x = logitsOf(b * t * v, 7);
    const ids = new Int32Array(b * t);
    let s = 11;
    for (let i = 0; i < ids.length; i++) ids[i] = (s = (s * 48271) % 2147483647) % v;
    // The shifted labels a user builds for softmaxCrossEntropy: the next token, -100 at each last position.
    const labels = new Int32Array(b * t);
    for (let i = 0; i < labels.length; i++) labels[i] = (i + 1) % t === 0 ? -100 : ids[i + 1];
    const lm = { classes: v, batchSize: b };
    if (want('loss')) {
      rows.push(
        { group: 'loss', name: 'softmaxCrossEntropy', call: () => engine.softmaxCrossEntropy(x, labels, { classes: v }) },
        { group: 'loss', name: 'causalLmLoss', call: () => engine.causalLmLoss(x, ids, lm) },
        { group: 'loss', name: 'js causal loss', call: () => jsCausalLoss(x, ids, b, t, v) },
      );
    }
    if (want('grad')) {
      const grad = new Float32Array(x.length);
      rows.push(
        { group: 'grad', name: 'softmaxCrossEntropyWithGrad', call: () => engine.softmaxCrossEntropyWithGrad(x, labels, { classes: v, gradOut: grad }).loss },
        { group: 'grad', name: 'causalLmLossWithGrad', call: () => engine.causalLmLossWithGrad(x, ids, { ...lm, gradOut: grad }).loss },
      );
    }
    if (want('score')) {
      rows.push(
        { group: 'score', name: 'softmaxCrossEntropy', call: () => engine.softmaxCrossEntropy(x, labels, { classes: v }) },
        { group: 'score', name: 'scoreTokens', call: () => Math.log(engine.scoreTokens(x, ids, lm).perplexity) },
        { group: 'score', name: 'scoreTokens entropy topK 5', call: () => Math.log(engine.scoreTokens(x, ids, { ...lm, entropy: true, topK: 5 }).perplexity) },
        { group: 'score', name: 'js scores (logProbs, entropy)', call: () => jsScores(x, ids, b, t, v) },
      );
    }
  }
  if (want('sample')) {
    const row = logitsOf(o.vocab, 13);
    let draws = 0;
    const sampleOpts = { temperature: 0.7, topK: 50, topP: 0.9 };
    rows.push(
      { group: 'sample', name: 'sample', call: () => engine.sample(row, { ...sampleOpts, seed: draws++ }).ids[0] },
      { group: 'sample', name: 'transformers.js path (js softmax + sort)', call: () => jsSample(row, 0.7, 50, 0.9, (draws++ * 0.618034) % 1) },
    );
  }
  const d = o.distill;
  if (want('distill')) {
    const student = logitsOf(d.n * d.v, 17);
    const teacher = logitsOf(d.n * d.v, 19);
    const labels = Int32Array.from({ length: d.n }, (_, i) => (i * 7919) % d.v);
    const grad = new Float32Array(student.length);
    rows.push(
      { group: 'distill', name: 'softmaxCrossEntropyWithGrad', call: () => engine.softmaxCrossEntropyWithGrad(student, labels, { classes: d.v, gradOut: grad }).loss },
      { group: 'distill', name: 'distillationLossWithGrad forward-kl', call: () => engine.distillationLossWithGrad(student, teacher, { classes: d.v, gradOut: grad }).loss as number },
    );
  }
  return { rows, elements: { loss: b * t * v, grad: b * t * v, score: b * t * v, sample: o.vocab, distill: d.n * d.v } };
}

async function main(): Promise<void> {
  let o: Options;
  try {
    const parsed = parseArgs(process.argv.slice(2));
    if (parsed === 'help') return console.log(USAGE);
    o = parsed;
  } catch (e) {
    console.error(`${String(e)}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const engine = await createEngine({ backend: o.backend });
  const budget: Budget = { timeMs: o.timeMs, warmupMs: 200, minSamples: 5, batchMs: 1, slowMs: 1000, slowSamples: 3 };
  const { rows, elements } = rowsOf(engine, o);
  const records: Record[] = [];
  for (const row of rows) {
    let rec: Record;
    try {
      const start = performance.now();
      const value = row.call();
      const first = { ms: performance.now() - start, async: false };
      const timing = await measure(() => ({ loss: row.call() }), first, budget);
      rec = { group: row.group, name: row.name, status: 'ok', value, ...timing, mlogitsPerSec: elements[row.group] / timing.medianMs / 1e3 };
    } catch (e) {
      rec = { group: row.group, name: row.name, status: 'failed', error: String(e) };
    }
    records.push(rec);
    const what = rec.status === 'ok' ? `${formatTime(rec.medianMs!).padStart(9)} ±${rec.rme!.toFixed(1).padStart(4)}%  n=${rec.samples}  value ${rec.value!.toPrecision(6)}` : rec.error;
    console.log(`${row.group.padEnd(6)} ${row.name.padEnd(42)} ${what}`);
  }
  // The checks: the same loss from causalLmLoss as from softmaxCrossEntropy on the shifted labels, and from the JS loop.
  const value = (g: string, n: string) => records.find((r) => r.group === g && r.name === n)?.value ?? NaN;
  const lossError = Math.abs(value('loss', 'causalLmLoss') / value('loss', 'softmaxCrossEntropy') - 1);
  const jsError = Math.abs(value('loss', 'js causal loss') / value('loss', 'causalLmLoss') - 1);
  const scoreError = Math.abs(value('score', 'scoreTokens') / value('score', 'js scores (logProbs, entropy)') - 1);
  const table = [
    '| group | row | median | ± | samples | throughput vs the group\'s first row |',
    '|---|---|---:|---:|---:|---:|',
    ...records.map((r) => {
      const first = records.find((q) => q.group === r.group)!;
      const ratio = r.status === 'ok' && first.status === 'ok' ? (first.medianMs! / r.medianMs!).toPrecision(3) + 'x' : '';
      return r.status === 'ok'
        ? `| ${r.group} | ${r.name} | ${formatTime(r.medianMs!)} | ${r.rme!.toFixed(1)}% | ${r.samples} | ${ratio} |`
        : `| ${r.group} | ${r.name} | failed: ${r.error} | | | |`;
    }),
  ].join('\n');
  console.log(`\n${table}\n\nchecks: causalLmLoss vs softmaxCrossEntropy ${lossError.toExponential(1)}, vs js ${jsError.toExponential(1)}; scoreTokens vs js ${scoreError.toExponential(1)}`);
  const args = process.argv.slice(2).join(' ');
  const command = `npm run bench:lm${args ? ` -- ${args}` : ''}`;
  const standard = o.b === 8 && o.t === 1024 && o.v === 32000 && o.vocab === 50257 && o.distill.n === 4096 && o.distill.v === 32000 && o.groups.length === GROUPS.length;
  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results', standard ? '' : 'partial', 'lm');
  mkdirSync(dir, { recursive: true });
  const date = new Date().toISOString().slice(0, 10);
  const machine = `${os.cpus()[0]?.model ?? 'unknown CPU'} (${os.cpus().length} threads), Node ${process.versions.node}, backend ${engine.backend}`;
  writeFileSync(path.join(dir, `${date}.json`), JSON.stringify({ date, command, machine, budget, shape: o, records, lossError, jsError, scoreError }, null, 2) + '\n');
  writeFileSync(path.join(dir, 'latest.md'), `# bench:lm, ${date}\n\n\`${command}\` on ${machine}\n\n${table}\n`);
  console.log(`wrote ${path.relative(process.cwd(), dir)}/{${date}.json,latest.md}`);
  engine.dispose();
}

await main();
