/**
 * Every bad input throws the same TypeError or RangeError, naming the argument and the problem,
 * on every backend; the engine keeps working afterwards.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, engineFor, untyped } from './backends.js';
import { createEngine, type Engine } from '../src/index.js';

const x6 = new Float32Array([1, 2, 3, 4, 5, 6]);
const y2 = new Int32Array([0, 2]);

type Case = [name: string, call: (e: Engine) => unknown, type: typeof TypeError | typeof RangeError, message: RegExp];

// The engine is typed for correct use; these calls are deliberately wrong.
const bad = untyped;

const CASES: Case[] = [
  ['length not a multiple of classes', (e) => e.softmaxCrossEntropy(new Float32Array(10), [0, 1, 2], { classes: 3 }), RangeError, /softmaxCrossEntropy: logits length 10 is not a multiple of classes \(3\)/],
  ['labels length differs from N', (e) => e.softmaxCrossEntropy(x6, [0, 1, 2], { classes: 3 }), RangeError, /softmaxCrossEntropy: labels has length 3, expected 2/],
  ['classes not an integer', (e) => e.softmaxCrossEntropy(x6, y2, { classes: 2.5 }), RangeError, /classes must be a positive integer, got 2.5/],
  ['classes zero', (e) => e.softmaxCrossEntropy(x6, y2, { classes: 0 }), RangeError, /classes must be a positive integer, got 0/],
  ['classes negative', (e) => e.softmaxCrossEntropy(x6, y2, { classes: -3 }), RangeError, /classes must be a positive integer, got -3/],
  ['classes a string', (e) => bad(e).softmaxCrossEntropy(x6, y2, { classes: '3' }), TypeError, /classes must be a number, got '3'/],
  ['classes missing and not inferable', (e) => e.softmaxCrossEntropyDense(x6, x6, {} as never), TypeError, /softmaxCrossEntropyDense: options.classes is required/],
  ['label out of range names the first bad index', (e) => e.softmaxCrossEntropy(new Float32Array(9), [0, 3, 7], { classes: 3 }), RangeError, /labels\[1\] = 3 is outside \[0, 3\) and is not ignoreIndex \(-100\)/],
  ['negative label that is not ignoreIndex', (e) => e.softmaxCrossEntropy(x6, [0, -1], { classes: 3 }), RangeError, /labels\[1\] = -1 is outside \[0, 3\)/],
  ['label not an integer', (e) => e.softmaxCrossEntropy(x6, [0, 1.5], { classes: 3 }), TypeError, /labels\[1\] = 1.5 is not an integer/],
  ['labels not an array', (e) => bad(e).softmaxCrossEntropy(x6, 'ab', { classes: 3 }), TypeError, /labels must be an integer typed array or number\[\]/],
  ['logits not an array', (e) => bad(e).softmaxCrossEntropy('abc', y2, { classes: 3 }), TypeError, /logits must be a Float32Array, Float64Array or number\[\], got 'abc'/],
  ['logits with a non-number entry', (e) => bad(e).softmaxCrossEntropy([1, '2', 3], [0], { classes: 3 }), TypeError, /logits\[1\] is '2', not a number/],
  ['weight of the wrong length', (e) => e.softmaxCrossEntropy(x6, y2, { classes: 3, weight: [1, 2] }), RangeError, /weight has length 2, expected 3/],
  ['weight not finite', (e) => e.softmaxCrossEntropy(x6, y2, { classes: 3, weight: [1, NaN, 1] }), RangeError, /weight\[1\] = NaN is not finite/],
  ['labelSmoothing 1', (e) => e.softmaxCrossEntropy(x6, y2, { classes: 3, labelSmoothing: 1 }), RangeError, /labelSmoothing must be in \[0, 1\), got 1/],
  ['labelSmoothing negative', (e) => e.softmaxCrossEntropy(x6, y2, { classes: 3, labelSmoothing: -0.1 }), RangeError, /labelSmoothing must be in \[0, 1\), got -0.1/],
  ['labelSmoothing NaN', (e) => e.softmaxCrossEntropyDense(x6, x6, { classes: 3, labelSmoothing: NaN }), RangeError, /labelSmoothing must be in \[0, 1\), got NaN/],
  ['labelSmoothing a string', (e) => bad(e).softmaxCrossEntropy(x6, y2, { classes: 3, labelSmoothing: '0.1' }), TypeError, /labelSmoothing must be a number/],
  ['ignoreIndex not an integer', (e) => e.softmaxCrossEntropy(x6, y2, { classes: 3, ignoreIndex: 0.5 }), RangeError, /ignoreIndex must be an integer, got 0.5/],
  ['snake_case option (a typo users make)', (e) => bad(e).softmaxCrossEntropy(x6, y2, { classes: 3, ignore_index: 0 }), TypeError, /unknown option 'ignore_index' \(did you mean 'ignoreIndex'\?\)/],
  ['label_smoothing typo', (e) => bad(e).softmaxCrossEntropy(x6, y2, { classes: 3, label_smoothing: 0.1 }), TypeError, /unknown option 'label_smoothing' \(did you mean 'labelSmoothing'\?\)/],
  ['an unknown option', (e) => bad(e).softmaxCrossEntropy(x6, y2, { classes: 3, logitScale: 2 }), TypeError, /unknown option 'logitScale'/],
  ['an option of another method', (e) => bad(e).softmaxCrossEntropy(x6, y2, { classes: 3, posWeight: 2 }), TypeError, /option 'posWeight' does not apply here/],
  ['a gradient option on a loss-only call', (e) => bad(e).softmaxCrossEntropy(x6, y2, { classes: 3, gradOutput: 2 }), TypeError, /option 'gradOutput' does not apply here/],
  ['options not an object', (e) => bad(e).softmaxCrossEntropy(x6, y2, 3), TypeError, /options must be an object, got 3/],
  ['unknown reduction', (e) => bad(e).softmaxCrossEntropy(x6, y2, { classes: 3, reduction: 'avg' }), RangeError, /reduction must be 'mean', 'sum' or 'none', got 'avg'/],
  ['gradOut of the wrong type', (e) => e.softmaxCrossEntropyWithGrad(x6, y2, { classes: 3, gradOut: new Float64Array(6) }), TypeError, /gradOut must be a Float32Array \(the logits' precision\), got a Float64Array/],
  ['gradOut of the wrong length', (e) => e.softmaxCrossEntropyWithGrad(x6, y2, { classes: 3, gradOut: new Float32Array(5) }), RangeError, /gradOut has length 5, expected 6/],
  ['gradOut partially overlapping the logits', (e) => {
    const buf = new Float32Array(9);
    return e.softmaxCrossEntropyWithGrad(buf.subarray(0, 6), y2, { classes: 3, gradOut: buf.subarray(3, 9) });
  }, RangeError, /gradOut partially overlaps the input/],
  ['gradOut overlapping the targets', (e) => e.sigmoidCrossEntropyWithGrad(x6.slice(), x6, { classes: 3, gradOut: x6 }), RangeError, /gradOut overlaps another input/],
  ['gradOutput array with a reducing mean', (e) => bad(e).softmaxCrossEntropyWithGrad(x6, y2, { classes: 3, gradOutput: [1, 2] }), TypeError, /gradOutput must be a number for reduction 'mean'/],
  ['gradOutput of the wrong length', (e) => e.softmaxCrossEntropyWithGrad(x6, y2, { classes: 3, reduction: 'none', gradOutput: [1, 2, 3] }), RangeError, /gradOutput has length 3, expected 2/],
  ['gradOutput not finite', (e) => e.softmaxCrossEntropyWithGrad(x6, y2, { classes: 3, gradOutput: Infinity }), RangeError, /gradOutput must be finite, got Infinity/],
  ['targets of the wrong length', (e) => e.softmaxCrossEntropyDense(x6, [0, 1, 0], { classes: 3 }), RangeError, /softmaxCrossEntropyDense: targets has length 3, expected 6/],
  ['sigmoid weight of neither length', (e) => e.sigmoidCrossEntropy(x6, x6, { classes: 3, weight: [1, 2] }), RangeError, /weight has length 2, expected 3 \(one per class\) or 6 \(one per element\)/],
  ['posWeight of the wrong length', (e) => e.sigmoidCrossEntropy(x6, x6, { classes: 3, posWeight: [1, 2] }), RangeError, /posWeight has length 2, expected 3/],
  ['posWeight not finite', (e) => e.sigmoidCrossEntropy(x6, x6, { classes: 3, posWeight: NaN }), RangeError, /posWeight must be finite, got NaN/],
  ['q of the wrong length', (e) => e.crossEntropy([0.5, 0.5], [0.2, 0.3, 0.5]), RangeError, /crossEntropy: q has length 3, expected 2/],
  ['a probability outside [0, 1]', (e) => e.entropy([0.5, -0.5, 1]), RangeError, /entropy: p\[1\] = -0.5 is not a probability in \[0, 1\]/],
  ['a NaN probability', (e) => e.klDivergence([0.5, 0.5], [NaN, 1]), RangeError, /klDivergence: q\[0\] = NaN is not a probability/],
  ['an unknown base', (e) => bad(e).entropy([0.5, 0.5], { base: 10 }), RangeError, /base must be 'e' or 2, got 10/],
  ['softmax out of the wrong type', (e) => e.softmax(x6, { classes: 3, out: new Float64Array(6) }), TypeError, /softmax: out must be a Float32Array/],
];

describe.each(BACKENDS)('validation on %s', (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await engineFor(backend);
  });

  it.each(CASES)('%s', (_name, call, type, message) => {
    let thrown: unknown;
    try {
      call(engine);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(type);
    expect((thrown as Error).message).toMatch(message);
  });

  it('keeps working after every error', () => {
    for (const [, call] of CASES) {
      try {
        call(engine);
      } catch {
        // expected
      }
    }
    const logits = new Float32Array([2, 1, 0.5, 0.1, 3, 0.2]);
    const want = (Math.log(Math.exp(2) + Math.exp(1) + Math.exp(0.5)) - 2 + Math.log(Math.exp(0.1) + Math.exp(3) + Math.exp(0.2)) - 3) / 2;
    expect(engine.softmaxCrossEntropy(logits, [0, 1], { classes: 3 })).toBeCloseTo(want, 6);
  });
});

describe('createEngine', () => {
  it('rejects an unknown backend naming it and the choices', async () => {
    await expect(createEngine({ backend: 'gpu' as never })).rejects.toThrow(RangeError);
    await expect(createEngine({ backend: 'gpu' as never })).rejects.toThrow(/unknown backend 'gpu'; expected 'auto', 'relaxed-simd', 'simd', 'wasm', 'js'/);
  });

  it('rejects an unknown option', async () => {
    await expect(createEngine({ backnd: 'js' } as never)).rejects.toThrow(/unknown option 'backnd'/);
  });
});
