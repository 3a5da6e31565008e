/**
 * Golden vectors of the language-model functions (test/golden/lm/*.json, written by
 * scripts/golden_lm.py from PyTorch: Hugging Face's ForCausalLMLoss transcribed, token scores
 * from torch.log_softmax, Liger-Kernel's distillation losses) on every engine, at the tolerances of test/golden-helpers.ts.
 */
/// <reference types="vite/client" />
import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../src/index.js';
import { BACKENDS, engineFor } from './backends.js';
import { compare, type Dtype, floatArray, type Num } from './golden-helpers.js';

interface LmCase {
  name: string;
  dtype: Dtype;
  batchSize: number;
  classes: number;
  logits: Num[];
  inputIds: number[];
  student: Num[];
  teacher: Num[];
  labels?: number[];
  attentionMask?: number[];
  weight?: Num[];
  gradOutput?: number | Num[];
  idsAs?: 'bigint' | 'array';
  hf?: boolean;
  opts: Record<string, unknown>;
  want: Record<string, Num | Num[] | number[]>;
}

const FILES = import.meta.glob<{ cases: LmCase[] }>('./golden/lm/*.json', { eager: true, import: 'default' });
const casesOf = (name: string): LmCase[] => FILES[`./golden/lm/${name}.json`].cases;

function ids(c: LmCase): Int32Array | BigInt64Array | number[] {
  if (c.idsAs === 'bigint') return BigInt64Array.from(c.inputIds, (v) => BigInt(v));
  if (c.idsAs === 'array') return c.inputIds;
  return Int32Array.from(c.inputIds);
}

function options(c: LmCase): Record<string, unknown> {
  const o: Record<string, unknown> = { ...c.opts, classes: c.classes, batchSize: c.batchSize };
  if (c.labels) o.labels = BigInt64Array.from(c.labels, (v) => BigInt(v));
  if (c.attentionMask) o.attentionMask = c.attentionMask;
  if (c.weight) o.weight = floatArray(c.dtype, c.weight);
  return o;
}

function sameInts(what: string, got: unknown, want: unknown): string[] {
  const g = JSON.stringify(Array.from(got as ArrayLike<number>));
  return g === JSON.stringify(want) ? [] : [`${what}: got ${g}, want ${JSON.stringify(want)}`];
}

/** Numbers compared one by one (float64 totals of a float32 call at the float32 loss tolerance). */
function eachClose(what: string, got: ArrayLike<number>, want: readonly Num[], dtype: Dtype): string[] {
  if (got.length !== want.length) return [`${what}: length ${got.length}, want ${want.length}`];
  return want.flatMap((w, i) => compare(`${what}[${i}]`, got[i], w, dtype, 'loss'));
}

describe('golden files of the language-model functions', () => {
  it('hold float32 and float64 cases, and Hugging Face-checked ones', () => {
    for (const name of ['causal', 'score', 'distill']) {
      const dtypes = new Set(casesOf(name).map((c) => c.dtype));
      expect([...dtypes].sort(), name).toEqual(['float32', 'float64']);
    }
    expect(casesOf('causal').filter((c) => c.hf).length).toBeGreaterThan(10);
  });
});

describe.each(BACKENDS)('language-model golden vectors on %s', (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await engineFor(backend);
  });

  it('causalLmLoss and causalLmLossWithGrad match ForCausalLMLoss', () => {
    const problems: string[] = [];
    for (const c of casesOf('causal')) {
      const logits = floatArray(c.dtype, c.logits);
      const loss = engine.causalLmLoss(logits, ids(c), options(c));
      problems.push(...compare(`${c.name} loss`, loss, c.want.loss as Num, c.dtype, 'loss'));
      const gradOpts = options(c);
      if (c.gradOutput !== undefined) gradOpts.gradOutput = Array.isArray(c.gradOutput) ? floatArray(c.dtype, c.gradOutput) : c.gradOutput;
      const r = engine.causalLmLossWithGrad(logits, ids(c), gradOpts);
      problems.push(...compare(`${c.name} WithGrad loss`, r.loss, c.want.loss as Num, c.dtype, 'loss'));
      problems.push(...compare(`${c.name} grad`, r.grad, c.want.grad as Num[], c.dtype, 'prob'));
    }
    expect(problems).toEqual([]);
  });

  it("distillationLoss and distillationLossWithGrad match Liger-Kernel's definitions", () => {
    const problems: string[] = [];
    for (const c of casesOf('distill')) {
      const s = floatArray(c.dtype, c.student);
      const t = floatArray(c.dtype, c.teacher);
      const opts: Record<string, unknown> = { ...c.opts, classes: c.classes };
      if (c.labels) opts.labels = Int32Array.from(c.labels);
      const loss = engine.distillationLoss(s, t, opts);
      problems.push(...compare(`${c.name} loss`, loss, c.want.loss as Num | Num[], c.dtype, 'loss'));
      if (c.gradOutput !== undefined) opts.gradOutput = floatArray(c.dtype, c.gradOutput as Num[]);
      const r = engine.distillationLossWithGrad(s, t, opts);
      problems.push(...compare(`${c.name} WithGrad loss`, r.loss, c.want.loss as Num | Num[], c.dtype, 'loss'));
      problems.push(...compare(`${c.name} grad`, r.grad, c.want.grad as Num[], c.dtype, 'prob'));
    }
    expect(problems).toEqual([]);
  });

  it('scoreTokens matches log_softmax, entropy, argmax, rank and top k', () => {
    const problems: string[] = [];
    for (const c of casesOf('score')) {
      const { want, dtype } = c;
      const r = engine.scoreTokens(floatArray(dtype, c.logits), ids(c), options(c));
      problems.push(...compare(`${c.name} logProbs`, r.logProbs, want.logProbs as Num[], dtype, 'loss'));
      problems.push(...sameInts(`${c.name} predicted`, r.predicted, want.predicted));
      problems.push(...eachClose(`${c.name} perSequence.sum`, r.perSequence.sum, want.sum as Num[], dtype));
      problems.push(...eachClose(`${c.name} perSequence.mean`, r.perSequence.mean, want.mean as Num[], dtype));
      problems.push(...eachClose(`${c.name} perSequence.perplexity`, r.perSequence.perplexity, want.seqPerplexity as Num[], dtype));
      problems.push(...sameInts(`${c.name} perSequence.count`, r.perSequence.count, want.count));
      problems.push(...compare(`${c.name} perplexity`, r.perplexity, want.perplexity as Num, dtype, 'loss'));
      if (want.entropy) problems.push(...compare(`${c.name} entropy`, r.entropy, want.entropy as Num[], dtype, 'loss'));
      else if (r.entropy !== undefined) problems.push(`${c.name}: entropy not asked for`);
      if (want.rank) problems.push(...sameInts(`${c.name} rank`, r.rank, want.rank));
      if (want.topIds) {
        problems.push(...sameInts(`${c.name} topK.ids`, r.topK?.ids, want.topIds));
        problems.push(...compare(`${c.name} topK.logProbs`, r.topK?.logProbs, want.topLogProbs as Num[], dtype, 'loss'));
      }
    }
    expect(problems).toEqual([]);
  });
});
