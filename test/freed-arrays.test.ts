/**
 * The lifetime of engine.alloc arrays, on every WebAssembly engine of test/backends.ts: a freed
 * array (or a view of freed memory, or of the scratch every call overwrites) given to any
 * method, a double free, and view / free of a foreign array are a TypeError or RangeError that
 * names the public method and the argument, thrown before any work; the engine keeps working.
 * (On the js backend alloc hands out plain arrays and free does nothing.)
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mergeRowStates, type Engine } from '../src/index.js';
import { BACKENDS, engineFor } from './backends.js';

const FREED = /was freed \(engine\.free\)/;
const OUTSIDE = /is a view of the engine's memory outside its live engine\.alloc arrays/;

describe.each(BACKENDS.filter((b) => b !== 'js'))('freed and foreign arrays on %s', (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await engineFor(backend);
  });

  /** A plain call whose result the engine must still give after each error. */
  const works = () => expect(engine.softmaxCrossEntropy(new Float32Array([0, 0, 0, 1, 1, 1]), [0, 2], { classes: 3 })).toBeCloseTo(Math.log(3), 6);

  it('a freed array given to a method is a RangeError naming the method and the argument', () => {
    const x = engine.alloc(6);
    const g = engine.alloc(6);
    const w = engine.alloc(3);
    const live = engine.alloc(6);
    engine.free(x);
    engine.free(g);
    engine.free(w);
    const labels = [0, 2];
    const cases: [() => unknown, string, RegExp][] = [
      [() => engine.softmaxCrossEntropy(x, labels, { classes: 3 }), 'softmaxCrossEntropy: logits', FREED],
      [() => engine.softmaxCrossEntropyWithGrad(live, labels, { classes: 3, gradOut: g }), 'softmaxCrossEntropyWithGrad: gradOut', FREED],
      [() => engine.softmaxCrossEntropy(live, labels, { classes: 3, weight: w }), 'softmaxCrossEntropy: weight', FREED],
      [() => engine.softmaxCrossEntropyDense(live, x, { classes: 3 }), 'softmaxCrossEntropyDense: targets', FREED],
      [() => engine.sigmoidCrossEntropyWithGrad(live, x, { classes: 3 }), 'sigmoidCrossEntropyWithGrad: targets', FREED],
      [() => engine.sigmoidFocalLoss(x, live, { classes: 3 }), 'sigmoidFocalLoss: logits', FREED],
      [() => engine.softmaxFocalLoss(live, labels, { classes: 3, alpha: w }), 'softmaxFocalLoss: alpha', FREED],
      [() => engine.entropy(x, { classes: 3 }), 'entropy: p', FREED],
      [() => engine.klDivergence(live, x, { classes: 3 }), 'klDivergence: q', FREED],
      [() => engine.softmax(live, { classes: 3, out: x }), 'softmax: out', FREED],
      [() => engine.logSoftmax(x, { classes: 3 }), 'logSoftmax: logits', FREED],
      [() => engine.softmaxCrossEntropyPartial(x, labels, { classes: 3 }), 'softmaxCrossEntropyPartial: logits', FREED],
      [() => engine.softmaxCrossEntropyRowStates(x, labels, { classes: 3 }), 'softmaxCrossEntropyRowStates: logits', FREED],
      // A view into freed memory is not the freed array itself, but it is no better.
      [() => engine.softmaxCrossEntropy(x.subarray(0, 3), [0], { classes: 3 }), 'softmaxCrossEntropy: logits', OUTSIDE],
      [() => engine.sigmoidCrossEntropy(live, live, { classes: 3, posWeight: w.subarray(0, 3) }), 'sigmoidCrossEntropy: posWeight', OUTSIDE],
    ];
    for (const [call, start, problem] of cases) {
      let error: unknown;
      try {
        call();
      } catch (e) {
        error = e;
      }
      expect(error, start).toBeInstanceOf(RangeError);
      expect((error as Error).message.startsWith(`${start} `), (error as Error).message).toBe(true);
      expect((error as Error).message).toMatch(problem);
      works();
    }
    // A view inside a live array is used in place, as the array is.
    live.set([0, 0, 0, 1, 1, 1]);
    expect(engine.softmaxCrossEntropy(engine.view(live).subarray(3), [1], { classes: 3 })).toBeCloseTo(Math.log(3), 6);
    engine.free(live);
  });

  it('softmaxCrossEntropyShardGrad of a freed array is a RangeError too', () => {
    const x = engine.alloc(6);
    x.set([1, 2, 3, 4, 5, 6]);
    const state = engine.softmaxCrossEntropyRowStates(x, [0, 2], { classes: 3 });
    const merged = mergeRowStates([state]);
    engine.free(x);
    expect(() => engine.softmaxCrossEntropyShardGrad(x, state, merged)).toThrow(RangeError);
    expect(() => engine.softmaxCrossEntropyShardGrad(x, state, merged)).toThrow('softmaxCrossEntropyShardGrad: logits was freed (engine.free)');
    works();
  });

  it('a double free, and view or free of a freed array, are a TypeError naming view / free', () => {
    const a = engine.alloc(8);
    engine.free(a);
    expect(() => engine.free(a)).toThrow(TypeError);
    expect(() => engine.free(a)).toThrow('free: the array was freed (engine.free)');
    expect(() => engine.view(a)).toThrow('view: the array was freed (engine.free)');
    works();
  });

  it('view or free of an array the engine did not hand out is a TypeError naming view / free', () => {
    const live = engine.alloc(8);
    for (const foreign of [new Float32Array(8), new Float64Array(2), live.subarray(2)]) {
      expect(() => engine.free(foreign)).toThrow(TypeError);
      expect(() => engine.free(foreign)).toThrow(/^free: takes a live array from engine\.alloc, got a Float(32|64)Array$/);
      expect(() => engine.view(foreign)).toThrow(/^view: takes an array from engine\.alloc, got a Float(32|64)Array$/);
    }
    // The live array is untouched by all that.
    expect(engine.view(live).length).toBe(8);
    engine.free(live);
    works();
  });

  it('alloc(0) and free give the memory back (an empty array took 64 bytes that free never returned)', () => {
    const first = engine.alloc(0);
    const at = first.byteOffset;
    engine.free(first);
    for (let i = 0; i < 100; i++) engine.free(engine.alloc(0));
    const again = engine.alloc(0);
    expect(again.byteOffset).toBe(at);
    engine.free(again);
  });
});
