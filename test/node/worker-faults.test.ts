/**
 * Faults of worker threads (src/threads/pool.ts), in Node:
 * - a kernel that throws in a worker fails that call with an Error, and the worker carries on;
 * - a worker that never finishes its block (hung, or gone without a word) fails that call with
 *   an Error after a bounded wait, and the pool stops its workers;
 * - on an engine: a worker terminated during a call fails that call unless it finished its
 *   block first, a kernel that throws in a worker fails that call, a worker terminated between
 *   calls is simply missing; and the engine keeps giving the one-thread numbers, on the threads
 *   it has left.
 * The waits are bounded by the engine's workerTimeoutMs, made short here; nothing is timed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/index.js';
import { XentEngine } from '../../src/engine.js';
import { createWasmKernels } from '../../src/backends/wasm.js';
import { ThreadPool, preloadThreads, type BlockJob } from '../../src/threads/pool.js';
import { CONTROL } from '../../src/threads/protocol.js';
import { rng } from '../random.js';

/** The LEB128 of a length, and a section of a module. */
const leb = (n: number): number[] => (n < 128 ? [n] : [(n & 127) | 128, ...leb(n >> 7)]);
const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
const name = (s: string) => [s.length, ...Array.from(s, (ch) => ch.charCodeAt(0))];
const F64_ONE = [0x44, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f];

/**
 * A module on a shared memory of one page: `mark()` sets a global of its instance; `spin()` and
 * `trap()` return 1 in a marked instance (the calling thread's), and in a worker's instance set
 * memory[0] = 1 and then loop forever or trap; `twice(x)` is 2x.
 */
function faultModule(): WebAssembly.Module {
  const inWorker = (then: number[]) => [0x23, 0, 0x45, 0x04, 0x40, 0x41, 0, 0x41, 1, 0xfe, 0x17, 2, 0, ...then, 0x0b, ...F64_ONE, 0x0b];
  const body = (code: number[]) => [...leb(code.length + 1), 0, ...code];
  return new WebAssembly.Module(Uint8Array.from([
    0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, [3, 0x60, 0, 0, 0x60, 0, 1, 0x7c, 0x60, 1, 0x7c, 1, 0x7c]),
    ...section(2, [1, ...name('env'), ...name('memory'), 2, 3, 1, 1]),
    ...section(3, [4, 0, 1, 1, 2]),
    ...section(6, [1, 0x7f, 1, 0x41, 0, 0x0b]),
    ...section(7, [4, ...name('mark'), 0, 0, ...name('spin'), 0, 1, ...name('trap'), 0, 2, ...name('twice'), 0, 3]),
    ...section(10, [
      4,
      ...body([0x41, 1, 0x24, 0, 0x0b]),
      ...body(inWorker([0x03, 0x40, 0x0c, 0, 0x0b])),
      ...body(inWorker([0x00])),
      ...body([0x20, 0, 0x44, 0, 0, 0, 0, 0, 0, 0, 0x40, 0xa2, 0x0b]),
    ]),
  ]));
}

/** Bit for bit, fast on large arrays (expect's deep equality takes seconds on millions). */
function expectSame(got: Float32Array, want: Float32Array): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) expect.fail(`[${i}]: ${got[i]}, want ${want[i]}`);
}

/** Spins until `done()` (10 s at most: then the test fails rather than hangs). */
function until(done: () => boolean, what: string): void {
  const end = performance.now() + 10_000;
  while (!done()) if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
}

interface PoolInside {
  ctl: Int32Array;
  slots: Float64Array;
  handles: { terminate(): void; threadId: number }[];
}
const inside = (pool: ThreadPool) => pool as unknown as PoolInside;

describe('a pool whose worker fails', () => {
  let memory: WebAssembly.Memory;
  let exports: WebAssembly.Exports;
  let module: WebAssembly.Module;
  beforeAll(async () => {
    await preloadThreads();
    memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    module = faultModule();
    exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
    (exports.mark as () => void)();
  });

  /**
   * A job of `blocks` blocks: block 0 calls `first`, the others twice(b). Block 1 is staged only
   * once a worker has entered block 0 (memory[0] = 1), so the worker, not this thread, runs it.
   */
  function job(pool: ThreadPool, first: 'spin' | 'trap' | 'twice'): BlockJob {
    const k = pool.wrap(exports as unknown as Record<string, (...a: number[]) => number>, null);
    const flag = new Int32Array(memory.buffer, 0, 1);
    Atomics.store(flag, 0, first === 'twice' ? 1 : 0);
    return {
      stage: (b) => {
        if (b === 0) k[first](0);
        else {
          until(() => Atomics.load(flag, 0) === 1, 'the worker to enter block 0');
          k.twice(b);
        }
      },
      finish: () => {},
    };
  }

  it('a kernel that throws in a worker fails the call with an Error; the worker carries on', async () => {
    const pool = new ThreadPool(module, memory, exports as unknown as Record<string, unknown>, 1, 300);
    try {
      expect(await pool.ready()).toBe(1);
      expect(() => pool.run(4, job(pool, 'trap'))).toThrow('xent: a kernel failed in a worker thread');
      expect(pool.running).toBe(1);
      // Σ twice(b) = 2·(0 + 1 + 2 + 3), the worker taking its share.
      expect(pool.run(4, job(pool, 'twice'))).toBe(12);
    } finally {
      pool.dispose();
    }
  });

  it('a worker that never finishes its block fails the call after a bounded wait, and the pool stops its workers', async () => {
    const pool = new ThreadPool(module, memory, exports as unknown as Record<string, unknown>, 1, 300);
    expect(await pool.ready()).toBe(1);
    expect(() => pool.run(3, job(pool, 'spin'))).toThrow(/^xent: a worker thread did not finish its block in 300 ms: it was terminated or died/);
    expect(pool.running).toBe(0);
    expect(pool.alive).toBe(0);
    // The spinning worker was terminated, mid-loop.
    const worker = inside(pool).handles[0];
    await new Promise<void>((resolve, reject) => {
      const end = Date.now() + 10_000;
      const poll = () => (worker.threadId === -1 ? resolve() : Date.now() > end ? reject(new Error('the worker still runs')) : setTimeout(poll, 5));
      poll();
    });
  });
});

/** A threaded engine on the SIMD build whose calls of 2^16 logits and more run on its threads. */
async function threadedEngine(threads: number): Promise<{ engine: Engine; pool: ThreadPool }> {
  const kernels = createWasmKernels('simd', { threads, tuning: { minElements: 1 << 16, workerTimeoutMs: 300 } });
  const engine = new XentEngine(kernels);
  await engine.ready();
  const pool = (kernels as unknown as { shared: { pool: ThreadPool } }).shared.pool;
  return { engine: engine as unknown as Engine, pool };
}

/** Waits (asynchronously, 10 s at most) until a worker has exited. */
async function exited(worker: { threadId: number }): Promise<void> {
  const end = Date.now() + 10_000;
  while (worker.threadId !== -1) {
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
          if (b === 0) {
            job.stage(b, slot);
            return;
          }
          if (b === 1) {
            until(() => Atomics.load(ctl, CONTROL.CLAIMED) !== first, 'the worker to claim block 0');
            during(first);
          }
          job.stage(b, slot);
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
          job.stage(b, slot);
          if (b === 0) inside(pool).slots[slot * CONTROL.SLOT_WIDTH + 1] = 2 ** 32 - 64;
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
