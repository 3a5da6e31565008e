/**
 * Golden vectors: every case of test/golden/*.json (PyTorch 1.13's numbers, written by
 * scripts/golden.py) on every backend this runtime runs — loss from the loss-only method and
 * from its ...WithGrad twin, the gradient, and softmax / logSoftmax outputs.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../src/index.js';
import { BACKENDS, type Untyped, backendOf, engineFor, untyped } from './backends.js';
import { compare, decode, floatArray, loadGolden, type GoldenCase, type GoldenMethod, type Num } from './golden-helpers.js';

type FloatArr = Float32Array | Float64Array;
type Opts = Record<string, unknown>;
type Result = number | FloatArr;
type WithGrad = { loss: Result; grad: FloatArr };

/** The engine surface the goldens drive, with options as the JSON gives them (so untyped). */
type GoldenEngine = Record<string, Untyped>;

const FILES = loadGolden();
const ALL_METHODS: GoldenMethod[] = [
  'softmaxCrossEntropy',
  'softmaxCrossEntropyDense',
  'sigmoidCrossEntropy',
  'crossEntropy',
  'entropy',
  'klDivergence',
  'softmax',
  'logSoftmax',
];

/** Options with their float arrays as typed arrays of the case's dtype. */
function options(c: GoldenCase): Opts {
  const opts: Opts = { ...c.opts };
  for (const key of ['weight', 'posWeight']) {
    const v = opts[key];
    if (Array.isArray(v)) opts[key] = floatArray(c.dtype, v as Num[]);
  }
  return opts;
}

function gradOptions(c: GoldenCase): Opts {
  const opts = options(c);
  if (c.gradOutput !== undefined) {
    opts.gradOutput = Array.isArray(c.gradOutput) ? floatArray(c.dtype, c.gradOutput) : c.gradOutput;
  }
  return opts;
}

function input(c: GoldenCase, key: 'logits' | 'targets' | 'p' | 'q'): FloatArr {
  const v = c[key];
  if (!v) throw new Error(`${c.name}: no ${key} in the golden file`);
  return floatArray(c.dtype, v);
}

/** Runs one case; returns every disagreement with the expectation (empty: it passes). */
function runCase(e: GoldenEngine, c: GoldenCase): string[] {
  const problems: string[] = [];
  const want = c.want;
  const checkLoss = (what: string, got: unknown) => {
    if (want.loss === undefined) throw new Error(`${c.name}: no expected loss`);
    problems.push(...compare(what, got, want.loss, c.dtype, 'loss'));
  };
  const checkGrad = (r: WithGrad) => {
    if (want.grad === undefined) throw new Error(`${c.name}: no expected gradient`);
    problems.push(...compare('grad', r.grad, want.grad, c.dtype, 'prob'));
  };
  // Inputs must come back untouched (the gradient is written in place only when asked to).
  const unchanged = (name: string, arr: FloatArr, fresh: FloatArr) => {
    if (arr.some((v, i) => !Object.is(v, fresh[i]))) problems.push(`${name} was modified by the call`);
  };
  const m = c.method;
  if (m === 'softmaxCrossEntropy' || m === 'softmaxCrossEntropyDense' || m === 'sigmoidCrossEntropy') {
    const logits = input(c, 'logits');
    let second: Int32Array | number[] | FloatArr;
    if (m === 'softmaxCrossEntropy') {
      const labels = c.labels ?? [];
      second = c.labelsAs === 'array' ? [...labels] : Int32Array.from(labels);
    } else {
      second = input(c, 'targets');
    }
    const call = (grad: boolean): Result | WithGrad => {
      const opts = grad ? gradOptions(c) : options(c);
      if (m === 'softmaxCrossEntropy') {
        const y = second as Int32Array | number[];
        return grad ? e.softmaxCrossEntropyWithGrad(logits, y, opts) : e.softmaxCrossEntropy(logits, y, opts);
      }
      const t = second as FloatArr;
      if (m === 'softmaxCrossEntropyDense') {
        return grad ? e.softmaxCrossEntropyDenseWithGrad(logits, t, opts) : e.softmaxCrossEntropyDense(logits, t, opts);
      }
      return grad ? e.sigmoidCrossEntropyWithGrad(logits, t, opts) : e.sigmoidCrossEntropy(logits, t, opts);
    };
    checkLoss(`${m} loss`, call(false));
    const r = call(true) as WithGrad;
    checkLoss(`${m}WithGrad loss`, r.loss);
    checkGrad(r);
    unchanged('logits', logits, input(c, 'logits'));
    if (m !== 'softmaxCrossEntropy') unchanged('targets', second as FloatArr, input(c, 'targets'));
  } else if (m === 'crossEntropy' || m === 'klDivergence') {
    checkLoss(m, e[m](input(c, 'p'), input(c, 'q'), options(c)));
  } else if (m === 'entropy') {
    checkLoss(m, e.entropy(input(c, 'p'), options(c)));
  } else {
    if (want.out === undefined) throw new Error(`${c.name}: no expected output`);
    const x = input(c, 'logits');
    problems.push(...compare(m, e[m](x, options(c)), want.out, c.dtype, m === 'softmax' ? 'prob' : 'loss'));
    unchanged('logits', x, input(c, 'logits'));
  }
  return problems.map((p) => `${c.name}: ${p}`);
}

describe('golden files', () => {
  it('hold cases for every method, in float32 and float64', () => {
    const seen = new Set(FILES.flatMap((f) => f.cases.map((c) => `${c.method}/${c.dtype}`)));
    for (const m of ALL_METHODS) {
      expect(seen.has(`${m}/float32`), `${m}/float32`).toBe(true);
      expect(seen.has(`${m}/float64`), `${m}/float64`).toBe(true);
    }
  });

  it('agree with the rounded values DESIGN.md prints for its worked examples', () => {
    const examples = FILES.flatMap((f) => f.cases).filter((c) => c.design !== undefined);
    expect(examples.length).toBeGreaterThan(0);
    for (const c of examples) expect(decode(c.want.loss as Num).toFixed(2), c.name).toBe(c.design?.toFixed(2));
  });
});

describe.each(BACKENDS)('golden vectors on %s', (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await engineFor(backend);
  });

  it('runs the requested backend', () => {
    expect(engine.backend).toBe(backendOf(backend));
  });

  for (const { file, cases } of FILES) {
    describe(file, () => {
      for (const c of cases) {
        it(c.name, () => {
          const problems = runCase(untyped(engine), c);
          if (problems.length > 0) throw new Error(`on ${backend}, opts ${JSON.stringify(c.opts)}:\n${problems.join('\n')}`);
        });
      }
    });
  }
});
