/**
 * xent on every backend this runtime runs (`availableBackends()`), called as its docs show:
 * `softmaxCrossEntropy` for the loss, `softmaxCrossEntropyWithGrad` with a reused `gradOut` for
 * loss and gradient. Where the engine hands out arrays in its own memory (`engine.alloc`), one
 * more row keeps logits and gradient there: the zero-copy path. The best backend runs on two
 * threads too (`xent-<backend>-2t`, and its zero-copy row) where workers can share memory. With `--options`, a row per
 * training extra and backend (`xent-<backend>+zloss`, `+softcap`, `+stats`), called as the plain
 * row is with the option added, each checked against its own float64 reference.
 */
import type { Problem } from '../data.js';
import type { Contender, Family, Mode, Outcome } from './types.js';

type Xent = typeof import('../../src/index.js');
type Engine = Awaited<ReturnType<Xent['createEngine']>>;

/** The row of one engine: called as the docs show, or (zeroCopy) on arrays from engine.alloc. */
export function xentContender(engine: Engine, zeroCopy: boolean, createEngine: () => Promise<Engine>): Contender {
  const threads = engine.threads > 1 ? `-${engine.threads}t` : '';
  const on = engine.threads > 1 ? ` on ${engine.threads} threads` : '';
  return {
    id: `xent-${engine.backend}${threads}${zeroCopy ? '-zero-copy' : ''}`,
    kind: 'xent',
    threads: engine.threads,
    note: zeroCopy
      ? `backend '${engine.backend}'${on}, logits and gradient in arrays from engine.alloc (no staging copy)`
      : `backend '${engine.backend}'${on}, Float32Array in, gradOut reused across calls`,
    modes: ['loss', 'grad'],
    async prepare(p, mode) {
      const opts = { classes: p.c };
      const length = p.logits.length;
      if (!zeroCopy) {
        if (mode === 'loss') return { call: () => ({ loss: engine.softmaxCrossEntropy(p.logits, p.labels, opts) }) };
        const gradOpts = { classes: p.c, gradOut: new Float32Array(length) };
        return { call: () => engine.softmaxCrossEntropyWithGrad(p.logits, p.labels, gradOpts) };
      }
      // A fresh engine per input, so earlier inputs' arrays go with the old one; logits and
      // gradient in one allocation, since a later allocation may grow the memory and detach them.
      const e = await createEngine();
      const block = e.alloc(mode === 'grad' ? 2 * length : length);
      const logits = block.subarray(0, length);
      logits.set(p.logits);
      const release = () => e.dispose();
      if (mode === 'loss') return { call: () => ({ loss: e.softmaxCrossEntropy(logits, p.labels, opts) }), release };
      const gradOpts = { classes: p.c, gradOut: block.subarray(length) };
      return { call: () => e.softmaxCrossEntropyWithGrad(logits, p.labels, gradOpts), release };
    },
  };
}

/** A training extra timed by --options: the option it adds, and its float64 reference. */
interface Extra {
  note: string;
  opts: { zLoss?: number; softcap?: number; stats?: boolean };
  /** Per row: the loss and d loss/d x_k (of the row loss; the mean divides by n). */
  row(x: Float32Array, off: number, c: number, y: number, grad: Float64Array | null): number;
}

/** log Σ exp of v[0..c), and softmax into p. */
function lseOf(v: Float64Array, p: Float64Array): number {
  let m = -Infinity;
  for (const a of v) m = Math.max(m, a);
  let s = 0;
  for (let k = 0; k < v.length; k++) s += (p[k] = Math.exp(v[k] - m));
  for (let k = 0; k < v.length; k++) p[k] /= s;
  return m + Math.log(s);
}

/** Cross-entropy of one row on logits v, with z-loss z·lse²; the gradient w.r.t. v into grad (times `slope` per entry). */
function ceRow(v: Float64Array, y: number, z: number, grad: Float64Array | null, slope: (k: number) => number): number {
  const p = new Float64Array(v.length);
  const lse = lseOf(v, p);
  if (grad) for (let k = 0; k < v.length; k++) grad[k] = (p[k] * (1 + 2 * z * lse) - (k === y ? 1 : 0)) * slope(k);
  return lse - v[y] + z * lse * lse;
}

const Z = 1e-4;
const CAP = 30;

const EXTRAS: Record<string, Extra> = {
  zloss: {
    note: 'zLoss 1e-4 (PaLM\'s coefficient)',
    opts: { zLoss: Z },
    row: (x, off, c, y, grad) => ceRow(Float64Array.from(x.subarray(off, off + c)), y, Z, grad, () => 1),
  },
  softcap: {
    note: 'softcap 30 (Gemma 2\'s final-logit cap)',
    opts: { softcap: CAP },
    row: (x, off, c, y, grad) => {
      const t = Float64Array.from(x.subarray(off, off + c), (v) => Math.tanh(v / CAP));
      return ceRow(t.map((v) => CAP * v), y, 0, grad, (k) => 1 - t[k] * t[k]);
    },
  },
  stats: {
    note: 'stats: true (per-row lse and argmax, accuracy, perplexity)',
    opts: { stats: true },
    row: (x, off, c, y, grad) => ceRow(Float64Array.from(x.subarray(off, off + c)), y, 0, grad, () => 1),
  },
};

/** An --options row's check: loss and gradient errors as data.ts measures them; the statistics, exactly. */
function checkExtra(extra: Extra, p: Problem, mode: Mode, out: Outcome): { lossError: number; gradError?: number } {
  let loss = 0;
  let gradError = 0;
  let correct = 0;
  const g = new Float64Array(p.c);
  for (let r = 0; r < p.n; r++) {
    const off = r * p.c;
    loss += extra.row(p.logits, off, p.c, p.labels[r], mode === 'grad' ? g : null);
    if (mode === 'grad') for (let k = 0; k < p.c; k++) gradError = Math.max(gradError, Math.abs(out.grad![off + k] * p.n - g[k]));
    let at = 0;
    for (let k = 1; k < p.c; k++) if (p.logits[off + k] > p.logits[off + at]) at = k;
    if (at === p.labels[r]) correct++;
  }
  loss /= p.n;
  if (extra.opts.stats) {
    const s = out.extra as { accuracy: number; perplexity: number; predicted: Int32Array };
    if (s.accuracy !== correct / p.n) throw new Error(`stats: accuracy ${s.accuracy}, want ${correct / p.n}`);
    if (!(Math.abs(Math.log(s.perplexity) - loss) <= 1e-5 * loss)) throw new Error(`stats: perplexity ${s.perplexity}, want ${Math.exp(loss)}`);
  }
  return { lossError: Math.abs(out.loss - loss) / Math.abs(loss), gradError: mode === 'grad' ? (Number.isNaN(gradError) ? Infinity : gradError) : undefined };
}

/** The --options row of an extra on one engine: the plain row's call with the option added. */
function extraRow(engine: Engine, name: string, extra: Extra): Contender {
  const plain = `xent-${engine.backend}`;
  return {
    id: `${plain}+${name}`,
    kind: 'xent',
    note: `as ${plain}, with ${extra.note}`,
    modes: ['loss', 'grad'],
    async prepare(p, mode) {
      const opts = { classes: p.c, ...extra.opts };
      if (mode === 'loss') {
        return {
          call: () => {
            // With stats the result is an object, which the option's widened type does not tell.
            const r: unknown = engine.softmaxCrossEntropy(p.logits, p.labels, opts);
            if (typeof r === 'number') return { loss: r };
            const { loss, stats } = r as { loss: number; stats?: unknown };
            return { loss, extra: stats };
          },
        };
      }
      const gradOpts = { ...opts, gradOut: new Float32Array(p.logits.length) };
      return {
        call: () => {
          const r: { loss: number; grad: Float32Array | Float64Array; stats?: unknown } = engine.softmaxCrossEntropyWithGrad(p.logits, p.labels, gradOpts);
          return { loss: r.loss, grad: r.grad, extra: r.stats };
        },
      };
    },
    option: { plain, check: (p, mode, out) => checkExtra(extra, p, mode, out) },
  };
}

/** xent on each available backend, best first, plus the zero-copy row when the engine offers it. */
export const xentFamily: Family = {
  name: 'xent',
  async load() {
    const xent: Xent = await import('../../src/index.js');
    const rows: Contender[] = [];
    for (const backend of xent.availableBackends()) {
      const create = () => xent.createEngine({ backend });
      const engine = await create();
      rows.push(xentContender(engine, false, create));
      // One zero-copy row, on the best wasm backend.
      if (backend !== 'js' && rows.length === 1) rows.push(xentContender(engine, true, create));
      for (const [name, extra] of Object.entries(EXTRAS)) rows.push(extraRow(engine, name, extra));
    }
    // The best wasm backend on two threads (where workers can share memory), staged and zero-copy.
    const best = xent.availableBackends()[0];
    if (best !== 'js') {
      const create = () => xent.createEngine({ backend: best, threads: 2 });
      const engine = await create();
      if (engine.threads === 2) rows.push(xentContender(engine, false, create), xentContender(engine, true, create));
    }
    return rows;
  },
};
