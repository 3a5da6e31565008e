/**
 * sample: Hugging Face's processors (transformers/generation/logits_process.py) transcribed
 * below in float64 with full sorts, as the reference; cases worked by hand from HF's rules (ties
 * at the k-th value, the top-p boundary, keep at least one, min-p's threshold, the penalty's
 * sign rule, greedy); and for each option combination 10^5 seeded draws over a small vocabulary
 * against the exact processed distribution (chi-square at p = 0.001). Every engine draws the
 * same ids from the same seed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine, SampleOptions } from '../src/index.js';
import { BACKENDS, engineFor, expectClose, untyped } from './backends.js';

interface Settings {
  temperature?: number;
  topK?: number;
  topP?: number;
  minP?: number;
  repetitionPenalty?: number;
}

const softmax = (s: readonly number[]): number[] => {
  const m = Math.max(...s);
  const e = s.map((v) => (v === -Infinity ? 0 : Math.exp(v - m)));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
};

/** HF's processors on one row, in its order, in float64; the processed distribution. */
function hfDistribution(x: readonly number[], o: Settings, prev: readonly number[] = []): number[] {
  const v = x.length;
  let s = x.slice();
  const pen = o.repetitionPenalty ?? 1;
  // RepetitionPenaltyLogitsProcessor: gather, where(score < 0, score * p, score / p), scatter.
  for (const j of new Set(prev)) s[j] = s[j] < 0 ? s[j] * pen : s[j] / pen;
  if (o.temperature === 0) {
    const at = s.indexOf(Math.max(...s));
    return s.map((_, j) => (j === at ? 1 : 0));
  }
  const t = o.temperature ?? 1;
  s = s.map((a) => a / t);
  if (o.topK) {
    // TopKLogitsWarper: remove scores < topk(scores, k)[-1].
    const kth = [...s].sort((a, b) => b - a)[Math.min(o.topK, v) - 1];
    s = s.map((a) => (a < kth ? -Infinity : a));
  }
  if (o.topP !== undefined && o.topP < 1) {
    // TopPLogitsWarper: ascending (stable) sort, cumsum of softmax, remove cum <= 1 - p, keep the last one.
    const order = s.map((_, j) => j).sort((a, b) => s[a] - s[b] || a - b);
    const p = softmax(s);
    let cum = 0;
    const remove = new Set<number>();
    order.forEach((j, i) => {
      cum += p[j];
      if (cum <= 1 - o.topP! && i < v - 1) remove.add(j);
    });
    s = s.map((a, j) => (remove.has(j) ? -Infinity : a));
  }
  if (o.minP) {
    // MinPLogitsWarper: remove probs < minP * max prob (the top token always stays).
    const p = softmax(s);
    const top = Math.max(...p);
    s = s.map((a, j) => (p[j] < o.minP! * top ? -Infinity : a));
  }
  return softmax(s);
}

/** The upper 0.001 quantile of chi-square with d degrees of freedom (Wilson-Hilferty). */
function chiSquareCritical(d: number): number {
  const z = 3.0902;
  const c = 2 / (9 * d);
  return d * (1 - c + z * Math.sqrt(c)) ** 3;
}

const LOGITS = [1.2, -0.4, 2.1, 0.3, 2.0, -1.7, 0.9, 1.6];
const V = LOGITS.length;

/** Option combinations for the distribution test, with previous tokens for the penalty. */
const COMBOS: { name: string; o: Settings; prev?: number[] }[] = [
  { name: 'plain softmax', o: {} },
  { name: 'temperature 0.7, topK 4', o: { temperature: 0.7, topK: 4 } },
  { name: 'temperature 1.3, topP 0.8', o: { temperature: 1.3, topP: 0.8 } },
  { name: 'topK 6, topP 0.9, minP 0.05, temperature 0.9', o: { temperature: 0.9, topK: 6, topP: 0.9, minP: 0.05 } },
  { name: 'repetition penalty 1.5, topP 0.95', o: { repetitionPenalty: 1.5, topP: 0.95, temperature: 1.1 }, prev: [2, 1, 2] },
  { name: 'minP 0.2', o: { minP: 0.2 } },
];

const rows = (row: readonly number[], n: number): Float64Array => {
  const x = new Float64Array(n * row.length);
  for (let r = 0; r < n; r++) x.set(row, r * row.length);
  return x;
};

/** The ids 2000 seeded draws of one row give (the kept set, for the hand-worked cases). */
function keptSet(engine: Engine, row: readonly number[], o: SampleOptions): number[] {
  const n = 2000;
  const { ids } = engine.sample(rows(row, n), { classes: row.length, seed: 7, ...o });
  return [...new Set(ids)].sort((a, b) => a - b);
}

describe('sample: distributions', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await engineFor(BACKENDS[0]);
  });

  it.each(COMBOS)('10^5 seeded draws follow the processed distribution: $name', ({ o, prev }) => {
    const n = 100_000;
    const want = hfDistribution(LOGITS, o, prev);
    const previousTokens = prev ? Int32Array.from({ length: n * prev.length }, (_, i) => prev[i % prev.length]) : undefined;
    const r = engine.sample(rows(LOGITS, n), { classes: V, seed: 1000 + COMBOS.findIndex((c) => c.o === o), ...o, previousTokens });
    const counts = new Array<number>(V).fill(0);
    for (const id of r.ids) counts[id]++;
    let chi = 0;
    let kept = 0;
    for (let j = 0; j < V; j++) {
      if (want[j] === 0) {
        expect(counts[j], `token ${j} was filtered out`).toBe(0);
        continue;
      }
      kept++;
      chi += (counts[j] - n * want[j]) ** 2 / (n * want[j]);
    }
    expect(kept).toBeGreaterThan(1);
    expect(chi).toBeLessThan(chiSquareCritical(kept - 1));
    // logProbs: under the processed distribution; rawLogProbs: under softmax(logits).
    const raw = softmax(LOGITS);
    for (let i = 0; i < 50; i++) {
      expectClose(r.logProbs[i], Math.log(want[r.ids[i]]), 1e-12, 1e-12);
      expectClose(r.rawLogProbs[i], Math.log(raw[r.ids[i]]), 1e-12, 1e-12);
    }
  });

  it('draws from random() when given: u near 0 takes the first kept id, near 1 the last', () => {
    const x = rows(LOGITS, 2);
    const us = [0, 0.999999999];
    let i = 0;
    const r = engine.sample(x, { classes: V, topK: 3, random: () => us[i++] });
    expect(Array.from(r.ids)).toEqual([2, 7]);
  });
});

describe("sample: Hugging Face's rules, worked by hand", () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await engineFor(BACKENDS[0]);
  });
  const probs = [0.5, 0.3, 0.15, 0.05].map(Math.log);

  it('top-k keeps every token tied with the k-th value', () => {
    expect(keptSet(engine, [3, 1, 2, 2], { topK: 2 })).toEqual([0, 2, 3]);
    expect(keptSet(engine, [3, 1, 2, 2], { topK: 1 })).toEqual([0]);
    expect(keptSet(engine, [3, 1, 2, 2], { topK: 10 })).toEqual([0, 1, 2, 3]);
  });

  it('top-p removes tokens whose ascending cumulative probability is <= 1 - p, and keeps at least one', () => {
    // Ascending: 0.05, 0.15, 0.3, 0.5; cumulative 0.05, 0.2, 0.5, 1.
    expect(keptSet(engine, probs, { topP: 0.9 })).toEqual([0, 1, 2]);
    expect(keptSet(engine, probs, { topP: 0.75 })).toEqual([0, 1]);
    expect(keptSet(engine, probs, { topP: 0.4 })).toEqual([0]);
    expect(keptSet(engine, probs, { topP: 0.01 })).toEqual([0]);
    expect(keptSet(engine, probs, { topP: 1 })).toEqual([0, 1, 2, 3]);
  });

  it('top-p over a large vocabulary (the partition path) equals the sorted definition', () => {
    const v = 3000;
    const row = Array.from({ length: v }, (_, j) => Math.sin(j * 12.9898) * 3);
    for (const topP of [0.3, 0.9]) {
      const want = hfDistribution(row, { topP });
      const kept = want.flatMap((p, j) => (p > 0 ? [j] : []));
      const r = engine.sample(rows(row, 2000), { classes: v, seed: 3, topP });
      for (const id of r.ids) expect(want[id], `id ${id}`).toBeGreaterThan(0);
      expect(new Set(r.ids).size).toBeLessThanOrEqual(kept.length);
      for (let i = 0; i < 20; i++) expectClose(r.logProbs[i], Math.log(want[r.ids[i]]), 1e-9, 1e-12);
    }
  });

  it('min-p keeps tokens with p >= minP * p_max', () => {
    expect(keptSet(engine, probs, { minP: 0.25 })).toEqual([0, 1, 2]);
    expect(keptSet(engine, probs, { minP: 0.7 })).toEqual([0]);
    expect(keptSet(engine, probs, { minP: 1 })).toEqual([0]);
  });

  it('applies the processors in HF order: temperature before top-p', () => {
    // At T = 0.5 the probabilities sharpen to about 0.69, 0.25, 0.06, 0.007: top-p 0.9 keeps 0 and 1.
    expect(keptSet(engine, probs, { topP: 0.9, temperature: 0.5 })).toEqual([0, 1]);
    expect(keptSet(engine, probs, { topP: 0.9 })).toEqual([0, 1, 2]);
  });

  it('repetition penalty multiplies negative logits and divides positive ones, once per token', () => {
    // [2, -1, 0.5, 1.5] with 0 penalised by 2 → 1: the argmax becomes 3.
    expect(engine.sample([2, -1, 0.5, 1.5], { temperature: 0, repetitionPenalty: 2, previousTokens: [0, 0, 0] }).ids[0]).toBe(3);
    const r = engine.sample(rows([2, -1, 0.5, 1.5], 1), { classes: 4, temperature: 1, repetitionPenalty: 2, previousTokens: [[1, 1, 0]], seed: 1 });
    const want = softmax([1, -2, 0.5, 1.5]);
    expectClose(r.logProbs[0], Math.log(want[r.ids[0]]), 1e-12);
  });

  it('greedy (temperature 0) and topK 1 take the argmax, lowest id among ties', () => {
    const x = [0.1, 2, 2, -3];
    const g = engine.sample(x, { temperature: 0, topK: 3, topP: 0.5 });
    expect(g.ids[0]).toBe(1);
    expect(g.logProbs[0]).toBe(0);
    expect(engine.sample(x, { topK: 1, seed: 9 }).ids[0]).toBe(1);
    expectClose(g.rawLogProbs[0], Math.log(softmax(x)[1]), 1e-6);
  });

  it('never draws a -Infinity (banned) token', () => {
    expect(keptSet(engine, [0, -Infinity, 0, -Infinity], {})).toEqual([0, 2]);
  });
});

describe.each(BACKENDS)('sample on %s', (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await engineFor(backend);
  });
  const x = Float32Array.from({ length: 6 * 50 }, (_, i) => Math.cos(i * 0.77) * 2.5);
  const opts = { classes: 50, temperature: 0.8, topK: 10, topP: 0.9, seed: 2026 } as const;

  it('draws the same ids from the same seed, on every engine (ids fixed from the js engine)', async () => {
    const a = engine.sample(x, opts);
    const b = engine.sample(x, opts);
    expect(Array.from(a.ids)).toEqual(Array.from(b.ids));
    const js = (await engineFor('js')).sample(x, opts);
    expect(Array.from(a.ids)).toEqual(Array.from(js.ids));
    expectClose(a.rawLogProbs, js.rawLogProbs, 1e-5, 1e-6);
    expect(a.logProbs).toBeInstanceOf(Float32Array);
    expect(Array.from(engine.sample(x, { ...opts, seed: 2027 }).ids)).not.toEqual(Array.from(a.ids));
  });

  it('refuses bad input with a TypeError or RangeError naming the argument, and stays usable', () => {
    const e = untyped(engine);
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ topP: 0 }, /^sample: topP must be in \(0, 1\], got 0$/],
      [{ topP: 1.5 }, /topP must be in/],
      [{ temperature: -1 }, /^sample: temperature must be a finite number >= 0, got -1$/],
      [{ minP: -0.1 }, /minP must be in \[0, 1\]/],
      [{ topK: 1.5 }, /topK must be an integer/],
      [{ repetitionPenalty: 0 }, /repetitionPenalty must be a finite number > 0/],
      [{ previousTokens: [[1], [2]] }, /previousTokens has 2 rows, expected 6/],
      [{ previousTokens: [[50], [1], [1], [1], [1], [1]] }, /previousTokens\[0\]\[0\] = 50 is outside \[0, 50\)/],
      [{ previousTokens: [1, 2, 3, 4] }, /previousTokens must be N arrays or one flat \[N, L\] array/],
      [{ seed: 1, random: Math.random }, /give seed or random, not both/],
      [{ seed: 1.5 }, /seed must be a safe integer/],
      [{ random: () => 1 }, /random\(\) returned 1, not a number in \[0, 1\)/],
      [{ top_p: 0.9 }, /unknown option 'top_p' \(did you mean 'topP'\?\)/],
      [{ repetition_penalty: 1.2 }, /did you mean 'repetitionPenalty'/],
    ];
    for (const [o, message] of bad) expect(() => e.sample(x, { classes: 50, ...o }), JSON.stringify(o)).toThrow(message);
    expect(() => e.sample(new Float32Array([0, NaN, 1]), {})).toThrow(/^sample: logits\[1\] = NaN; sampling needs finite logits/);
    expect(() => e.sample(new Float32Array([0, Infinity]), {})).toThrow(RangeError);
    expect(() => e.sample(new Float32Array([-Infinity, -Infinity]), {})).toThrow(/^sample: row 0 has no finite logit/);
    expect(() => e.sample('logits', {})).toThrow(TypeError);
    expect(engine.sample(x, opts).ids.length).toBe(6);
  });
});
