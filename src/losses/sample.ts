/**
 * sample: the next token of each of N rows of logits [N, V], with Hugging Face's logits
 * processors in its order (src/lm/sample-row.ts) and a seeded generator in the front
 * (src/lm/random.ts), so that every backend and every run draws the same ids. The
 * log-probability of each drawn token under the plain softmax comes from the sparse kernel's
 * one pass over the rows.
 */
import type { Call } from '../front/call.js';
import { DEFAULT_FRONT } from '../front/default.js';
import { describe } from '../front/describe.js';
import type { Front } from '../front/front.js';
import { classesOf } from '../front/labels.js';
import { mainFloat, newFloat } from '../front/operands.js';
import { CLASSES, option, options } from '../front/options.js';
import { seededRandom } from '../lm/random.js';
import { type SampleSettings, sampleRow } from '../lm/sample-row.js';
import { TEMPERATURE, type TokenIds, readIds } from '../lm/tokens.js';
import type { FloatInput, FloatOutput } from '../types.js';
import { SPARSE_XENT } from './softmax-cross-entropy.js';

/** Options of `sample`. `classes` is the vocabulary size V (default: one row). */
export interface SampleOptions {
  classes?: number;
  /** T ≥ 0; 0 = greedy (the argmax after the repetition penalty). Default 1. */
  temperature?: number;
  /** Keep the k most likely tokens (and any tied with the k-th); 0 = off (the default). */
  topK?: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p, p in (0, 1]. Default 1 (off). */
  topP?: number;
  /** Keep tokens with probability ≥ minP times the largest, minP in [0, 1]. Default 0 (off). */
  minP?: number;
  /** HF's repetition penalty θ > 0 on the previous tokens (θ > 1 discourages them). Default 1 (off). */
  repetitionPenalty?: number;
  /** The tokens so far of each row: N arrays, or one flat [N, L] array. */
  previousTokens?: TokenIds | readonly TokenIds[];
  /** A seed: the same seed draws the same ids on every backend and every run. */
  seed?: number;
  /** A generator of uniform numbers in [0, 1) (instead of seed; default Math.random). */
  random?: () => number;
}

/** What sample returns, one entry per row. */
export interface SampleResult {
  ids: Int32Array;
  /** log p of each id under the processed distribution (0 for greedy). */
  logProbs: FloatOutput;
  /** log p of each id under softmax(logits): no penalty, temperature or filtering. */
  rawLogProbs: FloatOutput;
}

/** A probability-like option in a range; `open` excludes the lower end. */
function unitOption(name: string, aliases: string[], lo: number, open: boolean, fallback: number) {
  return option(name, aliases, (method, v) => {
    if (v === undefined) return fallback;
    if (typeof v !== 'number') throw new TypeError(`${method}: ${name} must be a number, got ${describe(v)}`);
    if (!(open ? v > lo : v >= lo) || !(v <= 1)) throw new RangeError(`${method}: ${name} must be in ${open ? '(' : '['}${lo}, 1], got ${v}`);
    return v;
  });
}

const TOP_P = unitOption('topP', ['topp', 'nucleus'], 0, true, 1);
const MIN_P = unitOption('minP', ['minp'], 0, false, 0);
/** options.topK of sample: an integer ≥ 0 (0 = off). */
const SAMPLE_TOP_K = option('topK', ['topk', 'k'], (method, v) => {
  if (v === undefined) return 0;
  if (typeof v !== 'number') throw new TypeError(`${method}: topK must be a number, got ${describe(v)}`);
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`${method}: topK must be an integer >= 0 (0 = off), got ${v}`);
  return v;
});
const PENALTY = option('repetitionPenalty', ['repetitionpenalty', 'repeatpenalty', 'penalty'], (method, v) => {
  if (v === undefined) return 1;
  if (typeof v !== 'number') throw new TypeError(`${method}: repetitionPenalty must be a number, got ${describe(v)}`);
  if (!(v > 0 && v < Infinity)) throw new RangeError(`${method}: repetitionPenalty must be a finite number > 0, got ${v}`);
  return v;
});
const PREVIOUS = option('previousTokens', ['previoustokens', 'inputids', 'previousids', 'history']);
const SEED = option('seed', ['randomseed', 'generator'], (method, v) => {
  if (v === undefined) return null;
  if (typeof v !== 'number') throw new TypeError(`${method}: seed must be a number, got ${describe(v)}`);
  if (!Number.isSafeInteger(v)) throw new RangeError(`${method}: seed must be a safe integer, got ${v}`);
  return v;
});
const RANDOM = option('random', ['rng'], (method, v) => {
  if (v === undefined) return null;
  if (typeof v !== 'function') throw new TypeError(`${method}: random must be a function returning numbers in [0, 1), got ${describe(v)}`);
  return v as () => unknown;
});

const SAMPLE_OPTIONS = options(CLASSES, TEMPERATURE, SAMPLE_TOP_K, TOP_P, MIN_P, PENALTY, PREVIOUS, SEED, RANDOM);

/** options.previousTokens as one Int32Array per row (each id in [0, V)), or null. */
function previousOf(call: Call, n: number, v: number): Int32Array[] | null {
  const { method } = call;
  const raw = call.o[PREVIOUS.name];
  if (raw === undefined) return null;
  const nested = Array.isArray(raw) && raw.length > 0 && typeof raw[0] === 'object';
  if (nested) {
    if (raw.length !== n) throw new RangeError(`${method}: previousTokens has ${raw.length} rows, expected ${n} (one per row of logits)`);
    return raw.map((row: unknown, r) => readIds(method, `previousTokens[${r}]`, row, (row as { length?: number })?.length ?? -1, v, null));
  }
  const len = (raw as { length?: unknown })?.length;
  if (typeof len !== 'number' || len % n !== 0) {
    throw new RangeError(`${method}: previousTokens must be N arrays or one flat [N, L] array (N = ${n}), got ${describe(raw)}`);
  }
  const flat = readIds(method, 'previousTokens', raw, len, v, null);
  const l = len / n;
  return Array.from({ length: n }, (_, r) => flat.subarray(r * l, r * l + l));
}

function sampleCall(call: Call, logits: unknown): SampleResult {
  const { method } = call;
  const x = mainFloat(method, 'logits', call.live('logits', logits));
  const f64 = x instanceof Float64Array;
  const v = classesOf(method, call.o[CLASSES.name], x.length, 'one row');
  const n = x.length / v;
  const settings: SampleSettings = {
    temperature: call.get(TEMPERATURE), topK: call.get(SAMPLE_TOP_K), topP: call.get(TOP_P), minP: call.get(MIN_P), penalty: call.get(PENALTY),
  };
  const previous = previousOf(call, n, v);
  const seed = call.get(SEED);
  const given = call.get(RANDOM);
  if (seed !== null && given !== null) throw new TypeError(`${method}: give seed or random, not both`);
  const draw = seed !== null ? seededRandom(seed) : given ?? Math.random;
  const ids = new Int32Array(n);
  const logProbs = newFloat(f64, n);
  for (let r = 0; r < n; r++) {
    const u = draw();
    if (typeof u !== 'number' || !(u >= 0 && u < 1)) throw new RangeError(`${method}: random() returned ${describe(u)}, not a number in [0, 1)`);
    const row = sampleRow(method, x, r * v, v, settings, previous ? previous[r] : null, u);
    ids[r] = row.id;
    logProbs[r] = row.logProb;
  }
  // −log softmax(x)[id] of every row, in one kernel pass.
  const rawLogProbs = newFloat(f64, n);
  call.run(SPARSE_XENT, {
    logits: x, labels: ids, n, c: v, weight: null, ignoreIndex: -1, smoothing: 0, rowLoss: rawLogProbs, grad: null, gradScale: 0, rowScale: null,
  });
  for (let r = 0; r < n; r++) rawLogProbs[r] = -rawLogProbs[r];
  return { ids, logProbs, rawLogProbs };
}

/**
 * The next token of each row of logits [N, V] (`classes: V`; default one row): Hugging Face's
 * repetition penalty, temperature, top-k, top-p and min-p, in that order, then one draw.
 */
export function sampleMethod(logits: FloatInput, opts?: SampleOptions): SampleResult;
export function sampleMethod(this: Front, logits: unknown, opts?: unknown): SampleResult {
  return sampleCall(this.begin('sample', SAMPLE_OPTIONS, opts, false), logits);
}

export default {
  methods: { sample: sampleMethod },
};

/** `engine.sample` on the default engine. */
export const sample = sampleMethod.bind(DEFAULT_FRONT);
