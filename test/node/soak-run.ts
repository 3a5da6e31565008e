/**
 * The soak of test/node/soak.test.ts, run in a Node of its own (node --expose-gc --import tsx):
 * `calls` mixed calls on one threaded engine (threads: 2), then one line of JSON with what it
 * measured. The calls cycle through a pool of fuzz cases (test/fuzz/cases.ts: every method, many
 * shapes, options and special values), each staged or with engine.alloc arrays (allocated and
 * freed around the call), and every 499th call is a large one: rows wider than a staging block,
 * or a batch above the threads' threshold. A warm-up makes every (case, placement) once, so
 * that the memory it leaves is what the largest call needs; the rest must add nothing to it.
 * Every 500th call is checked against the float64 reference, every large threaded call against
 * the first answer (bit for bit).
 */
import { createEngine } from '../../src/index.js';
import { XentEngine } from '../../src/engine.js';
import { ThreadedKernels } from '../../src/threads/threaded.js';
import { drawCase, type FuzzCase } from '../fuzz/cases.js';
import { compareWithReference, errorText, run } from '../fuzz/check.js';
import { Draw } from '../fuzz/draw.js';
import { isNumbers } from '../arrays.js';
import { rng } from '../random.js';

const calls = Number(process.argv[2] ?? 100_000);
const engine = await createEngine({ threads: 2 });
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

/** The WebAssembly memories of the engine, in bytes: its one-thread lane's and the shared one. */
function wasmBytes(): number[] {
  const k = engine instanceof XentEngine ? engine.kernels : null;
  if (!(k instanceof ThreadedKernels)) throw new Error('soak: the engine is not a threaded one');
  return [k['local'].memory.buffer.byteLength, k['shared'].memory.buffer.byteLength];
}

function measure() {
  for (let i = 0; i < 3; i++) gc!();
  const m = process.memoryUsage();
  return { rss: m.rss / 2 ** 20, heap: m.heapUsed / 2 ** 20, wasm: wasmBytes() };
}

/** Whether a case writes into one of its own inputs (in place): such inputs cannot be reused. */
function writesItsInputs(k: FuzzCase): boolean {
  const inputs = new Set<unknown>();
  const walk = (v: unknown) => {
    if (ArrayBuffer.isView(v)) inputs.add(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') Object.entries(v).forEach(([key, x]) => key !== 'gradOut' && key !== 'out' && walk(x));
  };
  walk(k.args);
  return k.outputs.some((o) => o !== undefined && inputs.has(o));
}

const small: FuzzCase[] = [];
const wide: FuzzCase[] = [];
for (let seed = 1; small.length < 300 || wide.length < 8; seed++) {
  const k = drawCase(seed);
  if (writesItsInputs(k)) continue;
  if (k.n * k.c <= 1024 && small.length < 300) small.push(k);
  else if (k.c > 65536 && k.c < 1 << 20 && wide.length < 8) wide.push(k);
}

/** Two batches above the threads' threshold (2^18 logits), run on both threads. */
const r = rng(9);
const x = Float32Array.from({ length: 288 * 1000 }, () => 4 * (2 * r() - 1));
const labels = Int32Array.from({ length: 288 }, () => Math.floor(r() * 1000));
const targets = Float32Array.from(x, (v) => (v > 0 ? 1 : 0));
const threaded = [
  () => engine.softmaxCrossEntropyWithGrad(x, labels, { classes: 1000, labelSmoothing: 0.1 }),
  () => engine.sigmoidCrossEntropyWithGrad(x, targets, { classes: 1000, reduction: 'sum' }),
  () => engine.logSoftmax(x, { classes: 1000 }),
];
const firstAnswers: unknown[] = threaded.map((f) => f());

let checks = 0;
const problems: string[] = [];

/** Whether two results are the same, bit for bit (NaN equals NaN). */
function same(a: unknown, b: unknown): boolean {
  if (typeof a === 'number') return Object.is(a, b);
  if (isNumbers(a)) {
    const x = a;
    const y = b as ArrayLike<number>;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
    return true;
  }
  const o = a as Record<string, unknown>;
  return Object.keys(o).every((key) => same(o[key], (b as Record<string, unknown>)[key]));
}

/** Call i of the soak: the same (case, placement) for the same i modulo the cycle. */
function call(i: number): void {
  if (i % 499 === 0) {
    const j = (i / 499) % (wide.length + threaded.length);
    if (j < wide.length) {
      const k = wide[j];
      k.call(engine, k.args);
      return;
    }
    const got = threaded[j - wide.length]();
    if (!same(got, firstAnswers[j - wide.length])) problems.push(`call ${i}: a threaded call gave another answer than the first time`);
    return;
  }
  const c = i % small.length;
  const k = small[c];
  if (i % 500 === 0) {
    // The fuzz's own runner: inputs watched, engine.alloc arrays with guards on alternate checks.
    const ran = run(engine, k, (i / 500) % 2 === 1 ? new Draw(c) : null);
    checks++;
    const bad = ran.outcome.ok ? compareWithReference(k, ran.outcome.value, k.expected(), ran) : [errorText(ran.outcome.error)];
    if (ran.sideEffect) bad.push(ran.sideEffect);
    if (bad.length) problems.push(`call ${i} (${k.method} n=${k.n} c=${k.c}): ${bad[0]}`);
    return;
  }
  // A third of the passes over the pool move the float arrays into engine.alloc arrays, freed after.
  if (Math.floor(i / small.length) % 3 !== 1) {
    k.call(engine, k.args);
    return;
  }
  const allocated: (Float32Array | Float64Array)[] = [];
  const moved = (v: unknown): unknown => {
    if (v instanceof Float32Array || v instanceof Float64Array) {
      const a = v instanceof Float64Array ? engine.alloc(v.length, 'float64') : engine.alloc(v.length);
      allocated.push(a);
      return a;
    }
    if (Array.isArray(v)) return v.some((x) => typeof x === 'object' && x !== null) ? v.map(moved) : v;
    if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v)) return Object.fromEntries(Object.entries(v).map(([key, x]) => [key, moved(x)]));
    return v;
  };
  const args = moved(k.args) as unknown[];
  // Allocating may have grown the memory: copy the values in through fresh views.
  const originals: (Float32Array | Float64Array)[] = [];
  const collect = (v: unknown): void => {
    if (v instanceof Float32Array || v instanceof Float64Array) originals.push(v);
    else if (Array.isArray(v)) v.forEach((x) => typeof x === 'object' && x !== null && collect(x));
    else if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v)) Object.values(v).forEach(collect);
  };
  collect(k.args);
  allocated.forEach((a, j) => engine.view(a).set(originals[j]));
  k.call(engine, args);
  for (const a of allocated) engine.free(a);
}

const start = performance.now();
// Every (case, placement) and every large call at least once.
const cycle = 2 * 3 * small.length + 499 * (wide.length + threaded.length);
let i = 0;
for (; i < Math.min(calls, cycle); i++) call(i);
const warm = measure();
const half = i + Math.floor((calls - i) / 2);
for (; i < half; i++) call(i);
const mid = measure();
for (; i < calls; i++) call(i);
const end = measure();
engine.dispose();
console.log(JSON.stringify({ calls, ms: Math.round(performance.now() - start), checks, problems: problems.slice(0, 5), warm, mid, end }));
