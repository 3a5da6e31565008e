/**
 * Golden vectors of the training extras: every case of test/golden/extras/*.json (PyTorch 1.13's
 * numbers, written by scripts/golden.py: z-loss and softcap in torch ops, the multi-class focal
 * loss, torchvision's sigmoid_focal_loss transcribed, the statistics with torch.argmax) on every
 * backend — the loss of the loss-only call and of its ...WithGrad twin, the gradient, the
 * z-loss term and the statistics — at the tolerances of test/golden-helpers.ts.
 */
/// <reference types="vite/client" />
import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../src/index.js';
import { BACKENDS, engineFor, untyped } from './backends.js';
import { compare, floatArray, type GoldenCase, type Num } from './golden-helpers.js';

type Opts = Record<string, unknown>;
type Result = Record<string, unknown>;

/** The cases of an extras file: the methods of the extras, and their extra expectations. */
interface ExtraCase extends Omit<GoldenCase, 'method' | 'want'> {
  method: 'softmaxCrossEntropy' | 'softmaxCrossEntropyDense' | 'softmaxFocalLoss' | 'sigmoidFocalLoss';
  want: {
    loss: Num | Num[];
    grad: Num[];
    zLoss?: Num | Num[];
    lse?: Num[];
    predicted?: number[];
    correct?: number[];
    accuracy?: number;
    perplexity?: Num;
  };
}

const FILES = Object.entries(import.meta.glob<{ cases: ExtraCase[] }>('./golden/extras/*.json', { eager: true, import: 'default' }))
  .sort(([a], [b]) => (a < b ? -1 : 1))
  .map(([path, f]) => ({ file: path.slice(path.lastIndexOf('/') + 1), cases: f.cases }));

function options(c: ExtraCase, withGrad: boolean): Opts {
  const opts: Opts = { ...c.opts };
  for (const key of ['weight', 'alpha']) {
    const v = opts[key];
    if (Array.isArray(v)) opts[key] = floatArray(c.dtype, v as Num[]);
  }
  if (withGrad && c.gradOutput !== undefined) {
    opts.gradOutput = Array.isArray(c.gradOutput) ? floatArray(c.dtype, c.gradOutput) : c.gradOutput;
  }
  return opts;
}

/** Runs one case, loss-only and with the gradient; returns every disagreement (empty: it passes). */
function runCase(engine: Engine, c: ExtraCase): string[] {
  const problems: string[] = [];
  const e = untyped(engine);
  const logits = floatArray(c.dtype, c.logits!);
  const second = c.labels ? Int32Array.from(c.labels) : floatArray(c.dtype, c.targets!);
  const extras = c.opts.returnZLoss === true || c.opts.stats === true;
  for (const withGrad of [false, true]) {
    const raw = e[withGrad ? `${c.method}WithGrad` : c.method](logits, second, options(c, withGrad));
    const r = (withGrad || extras ? raw : { loss: raw }) as Result;
    const what = `${c.method}${withGrad ? 'WithGrad' : ''}`;
    problems.push(...compare(`${what} loss`, r.loss, c.want.loss, c.dtype, 'loss'));
    if (withGrad) problems.push(...compare(`${what} grad`, r.grad, c.want.grad, c.dtype, 'prob'));
    if (c.want.zLoss !== undefined) problems.push(...compare(`${what} zLoss`, r.zLoss, c.want.zLoss, c.dtype, 'loss'));
    if (c.want.lse !== undefined) {
      const s = r.stats as Record<string, unknown>;
      problems.push(...compare(`${what} stats.lse`, s.lse, c.want.lse, c.dtype, 'loss'));
      problems.push(...compare(`${what} stats.perplexity`, s.perplexity, c.want.perplexity!, c.dtype, 'loss'));
      problems.push(...compare(`${what} stats.accuracy`, s.accuracy, c.want.accuracy!, c.dtype, 'loss'));
      if (JSON.stringify(Array.from(s.predicted as Int32Array)) !== JSON.stringify(c.want.predicted)) problems.push(`${what} stats.predicted: got ${String(s.predicted)}, want ${String(c.want.predicted)}`);
      if (JSON.stringify(Array.from(s.correct as Uint8Array)) !== JSON.stringify(c.want.correct)) problems.push(`${what} stats.correct: got ${String(s.correct)}, want ${String(c.want.correct)}`);
    }
  }
  return problems.map((p) => `${c.name}: ${p}`);
}

describe('golden files of the training extras', () => {
  it('hold float32 and float64 cases of every extra', () => {
    const seen = new Set(FILES.flatMap((f) => f.cases.map((c) => `${f.file}/${c.dtype}`)));
    for (const file of ['focal.json', 'sigmoid-focal.json', 'softcap.json', 'stats.json', 'zloss.json']) {
      expect(seen.has(`${file}/float32`), file).toBe(true);
      expect(seen.has(`${file}/float64`), file).toBe(true);
    }
  });
});

describe.each(BACKENDS)('golden vectors of the training extras on %s', (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await engineFor(backend);
  });

  for (const { file, cases } of FILES) {
    describe(file, () => {
      for (const c of cases) {
        it(c.name, () => {
          const problems = runCase(engine, c);
          if (problems.length > 0) throw new Error(`on ${backend}, opts ${JSON.stringify(c.opts).slice(0, 200)}:\n${problems.join('\n')}`);
        });
      }
    });
  }
});
