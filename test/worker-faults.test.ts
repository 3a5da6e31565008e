/**
 * Faults of worker threads, at the pool (src/threads/pool.ts), with a module made for it: a
 * kernel that throws in a worker fails that call with an Error and the worker carries on; a
 * worker that never finishes its block (hung, or gone without a word) fails that call with an
 * Error after a bounded wait, and the pool stops its workers. In Node and in Chromium on a
 * cross-origin isolated page (Web Workers; the page's thread spins instead of waiting). The
 * engine's side is test/node/worker-faults.test.ts. The wait is made short here; nothing is timed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ThreadPool, preloadThreads, threadsUnavailable, type BlockJob } from '../src/threads/pool.js';
import { faultModule, until } from './fault-module.js';

describe.runIf(threadsUnavailable() === null)('a pool whose worker fails', () => {
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
  function job(first: 'spin' | 'trap' | 'twice'): BlockJob {
    const flag = new Int32Array(memory.buffer, 0, 1);
    Atomics.store(flag, 0, first === 'twice' ? 1 : 0);
    return {
      stage: (b) => {
        if (b === 0) return { name: first, args: first === 'twice' ? [0] : [] };
        until(() => Atomics.load(flag, 0) === 1, 'the worker to enter block 0');
        return { name: 'twice', args: [b] };
      },
      finish: () => {},
    };
  }

  it('a kernel that throws in a worker fails the call with an Error; the worker carries on', async () => {
    const pool = new ThreadPool(module, memory, exports, 1, 300);
    try {
      expect(await pool.ready()).toBe(1);
      expect(() => pool.run(4, job('trap'))).toThrow('xent: a kernel failed in a worker thread');
      expect(pool.running).toBe(1);
      // Σ twice(b) = 2·(0 + 1 + 2 + 3), the worker taking its share.
      expect(pool.run(4, job('twice'))).toBe(12);
    } finally {
      pool.dispose();
    }
  });

  it('a worker that never finishes its block fails the call after a bounded wait, and the pool stops its workers', async () => {
    const pool = new ThreadPool(module, memory, exports, 1, 300);
    expect(await pool.ready()).toBe(1);
    expect(() => pool.run(3, job('spin'))).toThrow(/^xent: a worker thread did not finish its block in 300 ms: it was terminated or died/);
    expect(pool.running).toBe(0);
    expect(pool.alive).toBe(0);
    // The spinning worker was terminated, mid-loop (Node tells: its threadId becomes -1).
    const worker = pool['handles'][0];
    if (!('threadId' in worker)) return;
    await new Promise<void>((resolve, reject) => {
      const end = Date.now() + 10_000;
      const poll = () => (worker.threadId === -1 ? resolve() : Date.now() > end ? reject(new Error('the worker still runs')) : setTimeout(poll, 5));
      poll();
    });
  });
});

