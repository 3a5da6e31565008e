/**
 * The registry's contract, for every method it lists (src/losses/index.ts) on every engine of
 * test/backends.ts: the method is there; options that are not an object, and an option no
 * method takes, are a TypeError naming the method, before any input is read; a name from
 * another library's spelling gets a did-you-mean only where the method takes the option meant.
 * The plain-function exports are the registry's methods, and each runs on the default engine.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as xent from '../src/index.js';
import type { Engine } from '../src/index.js';
import { BACKENDS, METHODS, engineFor, untyped } from './backends.js';

/** Where a method takes its options: its last parameter (the registry's methods declare them so). */
const optionsAt = (engine: Engine, method: string): number => {
  const f: unknown = Reflect.get(engine, method);
  if (typeof f !== 'function') throw new Error(`${method} is not a method`);
  return f.length - 1;
};

describe('the registry', () => {
  it('lists every method once', () => {
    expect(new Set(METHODS).size).toBe(METHODS.length);
    expect(METHODS).toContain('softmaxCrossEntropy');
    expect(METHODS).toContain('softmaxCrossEntropyShardGrad');
  });

  it('gives the package its plain functions: every function export but the factories and mergeRowStates is a method', () => {
    const others = ['availableBackends', 'createEngine', 'createEngineSync', 'getDefaultEngine', 'mergeRowStates'];
    const functions = Object.entries(xent).filter(([, v]) => typeof v === 'function').map(([k]) => k);
    for (const name of functions) if (!others.includes(name)) expect(METHODS, name).toContain(name);
  });

  it('plain functions run on the default engine: the result of getDefaultEngine()', () => {
    const x = new Float32Array([0.5, -1, 2, 0, 1, 3]);
    const e = xent.getDefaultEngine();
    expect(xent.softmaxCrossEntropy(x, [2, 0], { classes: 3 })).toBe(e.softmaxCrossEntropy(x, [2, 0], { classes: 3 }));
    expect(Array.from(xent.logSoftmax(x, { classes: 3 }))).toEqual(Array.from(e.logSoftmax(x, { classes: 3 })));
    expect(xent.sigmoidFocalLoss(x, new Float32Array(6).fill(1))).toBe(e.sigmoidFocalLoss(x, new Float32Array(6).fill(1)));
  });
});

describe.each(BACKENDS)('every method of the registry on %s', (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await engineFor(backend);
  });

  it('is a method of the engine', () => {
    for (const method of METHODS) expect(typeof Reflect.get(engine, method), method).toBe('function');
  });

  it('refuses options that are not an object, and an unknown option, before reading its inputs', () => {
    const e = untyped(engine);
    for (const method of METHODS) {
      const args = (opts: unknown) => [...Array.from({ length: optionsAt(engine, method) }, () => 'not an input'), opts];
      expect(() => e[method](...args(5)), method).toThrow(new TypeError(`${method}: options must be an object, got 5`));
      expect(() => e[method](...args([1])), method).toThrow(TypeError);
      expect(() => e[method](...args({ bogus: 1 })), method).toThrow(new RegExp(`^${method}: unknown option 'bogus'; options: `));
    }
  });

  it("answers another library's spelling with a did-you-mean only where the option meant applies", () => {
    const e = untyped(engine);
    for (const method of METHODS) {
      const args = [...Array.from({ length: optionsAt(engine, method) }, () => 'not an input'), { ignore_index: 3 }];
      let message = '';
      try {
        e[method](...args);
      } catch (err) {
        message = String(err);
      }
      const takesIt = /options: .*\bignoreIndex\b/.test(message);
      expect(message, method).toMatch(new RegExp(`^TypeError: ${method}: unknown option 'ignore_index'`));
      expect(message.includes("(did you mean 'ignoreIndex'?)"), method).toBe(takesIt);
    }
  });

  it('keeps working after every refusal', () => {
    expect(engine.softmaxCrossEntropy(new Float32Array([0, 0, 0]), [1], { classes: 3 })).toBeCloseTo(Math.log(3), 6);
  });
});
