/**
 * createEngine({ threads }): large calls run on worker threads sharing the engine's memory and
 * give the one-thread numbers (bit for bit where the input is staged, since both cut it into
 * the same blocks; to 1e-6 otherwise), deterministically; small calls run on the calling thread;
 * dispose() stops the workers and leaves a working engine. Where threads cannot run (a page that
 * is not cross-origin isolated) the engine falls back to one thread. (The contract suites run a
 * threaded engine too: 'simd x2 threads' in test/backends.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableBackends, createEngine, createEngineSync, type Engine } from '../src/index.js';
import { threadsUnavailable } from '../src/threads/pool.js';
import { expectClose } from './backends.js';
import { rng } from './random.js';


const canThread = threadsUnavailable() === null;

/** A typed array of numbers (what results hold). */
const isNumbers = (v: unknown): v is ArrayLike<number> => ArrayBuffer.isView(v) && !(v instanceof DataView);

/** Deep equality, bit for bit (NaN equals NaN), fast on large typed arrays; names the first difference. */
function expectSame(got: unknown, want: unknown, path = 'result'): void {
  if (isNumbers(want)) {
    expect(got?.constructor, path).toBe(want.constructor);
    const a = got as ArrayLike<number>;
    const b = want;
    expect(a.length, `${path}.length`).toBe(b.length);
    for (let i = 0; i < b.length; i++) if (!Object.is(a[i], b[i])) expect(a[i], `${path}[${i}]`).toBe(b[i]);
  } else if (typeof want === 'object' && want !== null) {
    for (const k of Object.keys(want)) expectSame((got as Record<string, unknown>)[k], (want as Record<string, unknown>)[k], `${path}.${k}`);
  } else {
    expect(got, path).toBe(want);
  }
}
const wasm = availableBackends().filter((b) => b !== 'js');

describe.runIf(canThread)('threaded engines', () => {
  for (const backend of wasm) {
    describe(backend, () => {
      let one: Engine;
      let two: Engine;
      beforeAll(async () => {
        one = await createEngine({ backend });
        two = await createEngine({ backend, threads: 2 });
      });
      afterAll(() => two.dispose());

      it('run on the asked threads', () => {
        expect(two.threads).toBe(2);
        expect(two.backend).toBe(backend);
        expect(one.threads).toBe(1);
      });

      // 700 x 1000 is above the threads' minimum; 97 x 50257 has rows wider than a block.
      for (const [n, c] of [[700, 1000], [97, 50257]]) {
        it(`${n}x${c}: every loss and gradient equals one thread's, bit for bit, and repeats exactly`, () => {
          const r = rng(n);
          const x = Float32Array.from({ length: n * c }, () => 4 * (2 * r() - 1));
          const labels = Int32Array.from({ length: n }, (_, i) => (i % 17 === 3 ? -100 : Math.floor(r() * c)));
          const weight = Float32Array.from({ length: c }, () => 0.5 + r());
          const t = Float32Array.from({ length: n * c }, () => r());
          const sparse = { classes: c, weight, labelSmoothing: 0.1 };
          for (const e of [one, two]) expect(e.softmaxCrossEntropy(x, labels, sparse)).toBeTypeOf('number');
          const same = (f: (e: Engine) => unknown) => {
            const a = f(one);
            const b = f(two);
            expectSame(b, a);
            expectSame(f(two), b);
          };
          same((e) => e.softmaxCrossEntropy(x, labels, sparse));
          same((e) => e.softmaxCrossEntropy(x, labels, { ...sparse, reduction: 'none' }));
          same((e) => e.softmaxCrossEntropyWithGrad(x, labels, sparse));
          same((e) => e.softmaxCrossEntropyWithGrad(x, labels, { classes: c }));
          same((e) => e.softmaxCrossEntropyDenseWithGrad(x, t, { classes: c }));
          same((e) => e.sigmoidCrossEntropyWithGrad(x, t, { classes: c, posWeight: 2 }));
          same((e) => e.logSoftmax(x, { classes: c }));
          same((e) => e.softmax(x, { classes: c }));
          same((e) => e.entropy(t.map((v) => v / c), { classes: c }));
          same((e) => e.softmaxCrossEntropyRowStates(x, labels, { classes: c, labelSmoothing: 0.1 }));
          const g1 = new Float32Array(n * c);
          const g2 = new Float32Array(n * c);
          one.softmaxCrossEntropyWithGrad(x, labels, { classes: c, gradOut: g1 });
          two.softmaxCrossEntropyWithGrad(x, labels, { classes: c, gradOut: g2 });
          expectSame(g2, g1);
          // In place, with the gradient at an odd offset from its buffer's start.
          const buf = new Float32Array(n * c + 1);
          buf.set(x, 1);
          const xs = buf.subarray(1);
          two.softmaxCrossEntropyWithGrad(xs, labels, { classes: c, gradOut: xs });
          expectSame(xs, g1);
        });
      }

      it('arrays in the engine memory (zero-copy) run in place on the threads, within 1e-6 of one thread', () => {
        const n = 1024;
        const c = 1000;
        const r = rng(3);
        const values = Float32Array.from({ length: n * c }, () => 3 * (2 * r() - 1));
        const labels = Int32Array.from({ length: n }, () => Math.floor(r() * c));
        const x = two.alloc(n * c);
        const g = two.alloc(n * c);
        two.view(x).set(values);
        const want = one.softmaxCrossEntropyWithGrad(values, labels, { classes: c });
        const got = two.softmaxCrossEntropyWithGrad(two.view(x), labels, { classes: c, gradOut: two.view(g) });
        expectClose(got.loss as number, want.loss as number, 1e-6);
        expectClose(two.view(g), want.grad, 1e-6, 1e-9);
        expect(two.softmaxCrossEntropy(two.view(x), labels, { classes: c })).toBe(got.loss);
        two.free(x);
        two.free(g);
      });

      it('small calls run on the calling thread, with the numbers of a one-thread engine', () => {
        const x = Float32Array.from([2, 0.5, -1, 0.1, 0.2, 3]);
        expect(two.softmaxCrossEntropy(x, [0, 2], { classes: 3 })).toBe(one.softmaxCrossEntropy(x, [0, 2], { classes: 3 }));
      });
    });
  }

  it('dispose() stops the workers; the engine keeps working on one thread', async () => {
    const e = await createEngine({ threads: 3 });
    expect(e.threads).toBe(3);
    const x = Float32Array.from({ length: 600 * 1000 }, (_, i) => Math.sin(i));
    const labels = Int32Array.from({ length: 600 }, (_, i) => (i * 7) % 1000);
    const before = e.softmaxCrossEntropyWithGrad(x, labels, { classes: 1000 });
    e.dispose();
    e.dispose();
    expect(e.threads).toBe(1);
    const after = e.softmaxCrossEntropyWithGrad(x, labels, { classes: 1000 });
    expect(after.loss).toBe(before.loss);
    expectSame(after.grad, before.grad);
  });

  it('createEngineSync takes threads too (workers join as they start)', () => {
    const e = createEngineSync({ backend: 'simd', threads: 2 });
    expect(e.threads).toBe(2);
    expect(e.softmaxCrossEntropy(new Float32Array(600 * 1000), new Int32Array(600), { classes: 1000 })).toBeCloseTo(Math.log(1000), 5);
    e.dispose();
  });
});

describe('threads option', () => {
  it('is validated', async () => {
    for (const bad of [0, 1.5, -1, 257, '2']) {
      await expect(createEngine({ threads: bad as never })).rejects.toThrow(/threads must be an integer in \[1, 256\]/);
    }
    await expect(createEngine({ backend: 'js', threads: 2 })).rejects.toThrow(/'js' backend runs on one thread/);
    expect((await createEngine({ backend: 'js', threads: 1 })).threads).toBe(1);
  });

  it.runIf(!canThread)('falls back to one thread where workers cannot share memory (a page that is not cross-origin isolated)', async () => {
    const e = await createEngine({ threads: 2 });
    expect(e.threads).toBe(1);
    expect(e.softmaxCrossEntropy([0, 0, 0], [1], { classes: 3 })).toBeCloseTo(Math.log(3), 6);
    e.dispose();
  });
});
