/**
 * Faults of worker threads on an engine, in Node (the pool's own are test/worker-faults.test.ts):
 * a worker terminated during a call fails that call unless it finished its block first, a
 * kernel that throws in a worker fails that call, a worker terminated between calls is simply
 * missing; and the engine keeps giving the one-thread numbers, on the threads it has left.
 * The waits are bounded by the engine's workerTimeoutMs, made short here; nothing is timed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/index.js';
import { XentEngine } from '../../src/engine.js';
import { createWasmKernels } from '../../src/backends/wasm.js';
import type { ThreadPool } from '../../src/threads/pool.js';
import { CONTROL } from '../../src/threads/protocol.js';
import { ThreadedKernels } from '../../src/threads/threaded.js';
import { rng } from '../random.js';
import { until } from '../fault-module.js';

/** Bit for bit, fast on large arrays (expect's deep equality takes seconds on millions). */
function expectSame(got: Float32Array, want: Float32Array): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) expect.fail(`[${i}]: ${got[i]}, want ${want[i]}`);
}

/** The pool's private parts these tests reach for: its control memory and its workers. */
const inside = (pool: ThreadPool) => ({ ctl: pool['ctl'], handles: pool['handles'] });

/** A threaded engine on the SIMD build whose calls of 2^16 logits and more run on its threads. */
async function threadedEngine(threads: number): Promise<{ engine: Engine; pool: ThreadPool }> {
  const kernels = createWasmKernels('simd', { threads, tuning: { minElements: 1 << 16, workerTimeoutMs: 300 } });
  const engine = new XentEngine(kernels);
  await engine.ready();
  const pool = kernels instanceof ThreadedKernels ? kernels['shared']['pool'] : null;
  if (!pool) throw new Error('no threads here');
  return { engine, pool };
}

/** Waits (asynchronously, 10 s at most) until a worker has exited (a worker_threads Worker's threadId turns -1). */
async function exited(worker: object): Promise<void> {
  const end = Date.now() + 10_000;
  while (Reflect.get(worker, 'threadId') !== -1) {
    if (Date.now() > end) throw new Error('the worker still runs');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  // The pool hears of it through the 'exit' event, on this thread's event loop.
  await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('an engine whose worker is terminated', () => {
  // Blocks of 65 rows (2^16 logits), as a one-thread engine stages them: the same numbers, bit for bit.
  const n = 390;
  const c = 1000;
  const r = rng(11);
  const x = Float32Array.from({ length: n * c }, () => 4 * (2 * r() - 1));
  const labels = Int32Array.from({ length: n }, () => Math.floor(r() * c));
  let one: Engine;
  let want: { loss: number; grad: Float32Array };
  beforeAll(async () => {
    one = await createEngine({ backend: 'simd' });
    want = one.softmaxCrossEntropyWithGrad(x, labels, { classes: c }) as { loss: number; grad: Float32Array };
  });

  /** The call every test makes: a staged call of 6 blocks. */
  const call = (e: Engine) => e.softmaxCrossEntropyWithGrad(x, labels, { classes: c }) as { loss: number; grad: Float32Array };
  const expectRight = (e: Engine) => {
    const got = call(e);
    expect(got.loss).toBe(want.loss);
    expectSame(got.grad, want.grad);
  };

  /** Makes the next call of `pool` run `during` once its worker holds block 0 (given its absolute number). */
  function duringBlock0(pool: ThreadPool, during: (block: number) => void): void {
    const run = pool.run;
    pool.run = (blocks, job, elements) => {
      pool.run = run;
      const { ctl } = inside(pool);
      const first = Atomics.load(ctl, CONTROL.CLAIMED);
      return run.call(pool, blocks, {
        ...job,
        stage: (b, slot) => {
          if (b === 1) {
            until(() => Atomics.load(ctl, CONTROL.CLAIMED) !== first, 'the worker to claim block 0');
            during(first);
          }
          return job.stage(b, slot);
        },
      }, elements);
    };
  }

  it('terminated during a call: the call is whole (if the worker finished its block) or an Error, and the engine goes on with one thread', async () => {
    // Which of the two happens is the scheduler's choice (a pool whose worker dies inside its
    // block is tested deterministically above, with a worker that never finishes).
    const { engine, pool } = await threadedEngine(2);
    expectRight(engine);
    const worker = inside(pool).handles[0];
    let finishedFirst = false;
    duringBlock0(pool, (block) => {
      worker.terminate();
      // A terminated worker stops within microseconds (its isolate is interrupted in the kernel's
      // loop); whatever it has not finished 200 ms later, it never will. (Its exit is an event,
      // which this thread, blocked in the call, cannot see.)
      const end = performance.now() + 200;
      while (performance.now() < end);
      finishedFirst = Atomics.load(inside(pool).ctl, CONTROL.DONE + (block & (pool.slotCount - 1))) === ((block + 1) | 0);
    });
    let error: unknown;
    try {
      const got = call(engine);
      expect(got.loss).toBe(want.loss);
      expectSame(got.grad, want.grad);
    } catch (e) {
      error = e;
    }
    if (finishedFirst) {
      expect(error).toBeUndefined();
      // The worker is missed from its exit on.
      await exited(worker);
    } else {
      expect(String(error)).toMatch(/^Error: xent: a worker thread did not finish its block in \d+ ms: it was terminated or died/);
    }
    expect(engine.threads).toBe(1);
    expectRight(engine);
    expectRight(engine);
    engine.dispose();
  });

  it('a kernel that throws in a worker: that call fails with an Error, and the engine keeps its threads', async () => {
    const { engine, pool } = await threadedEngine(2);
    // Block 0's logits pointer, moved past the end of the memory: the worker's kernel traps.
    duringBlock0(pool, () => {});
    const inner = pool.run;
    pool.run = (blocks, job, elements) => {
      pool.run = inner;
      return inner.call(pool, blocks, {
        ...job,
        stage: (b, slot) => {
          const call = job.stage(b, slot);
          return b === 0 ? { name: call.name, args: [2 ** 32 - 64, ...Array.from(call.args).slice(1)] } : call;
        },
      }, elements);
    };
    expect(() => call(engine)).toThrow('xent: a kernel failed in a worker thread');
    expect(engine.threads).toBe(2);
    expectRight(engine);
    engine.dispose();
  });

  it('between calls: the engine goes on without it, on the threads it has left', async () => {
    const { engine, pool } = await threadedEngine(3);
    expect(engine.threads).toBe(3);
    expectRight(engine);
    const [a, b] = inside(pool).handles;
    a.terminate();
    await exited(a);
    expect(engine.threads).toBe(2);
    expectRight(engine);
    b.terminate();
    await exited(b);
    expect(engine.threads).toBe(1);
    expectRight(engine);
    engine.dispose();
  });

  afterAll(() => one?.dispose());
});
