/**
 * A threaded WebAssembly backend: two instances of one kernel build.
 *
 * - `shared`: on a shared memory, with a pool of workers (pool.ts); it runs large calls on all
 *   threads, and every call that touches an array in its memory (engine.alloc hands those out).
 * - `local`: an ordinary one-thread instance on its own unshared memory; it runs every other
 *   call. Below THREAD_TUNING.minElements threads cannot pay for their dispatch, and copies into a
 *   shared memory are slower than into an unshared one (relaxed-atomic word copies, ~3x at
 *   L2 sizes in V8), so a small call on a threaded engine costs what it costs on a one-thread one.
 *
 * The split is by size only, so a given call always runs the same way, and a threaded result
 * depends on the blocks (THREAD_TUNING.blockElements), never on which thread ran which block.
 * Both are routed by the kernel's operands (src/kernels/kernel.ts), whatever the kernel.
 */
import { type ArrayPool, type Kernel, type KernelArgs, isOperand } from '../kernels/kernel.js';
import { ArraysOf, type Setup, WasmKernelSet, type WasmKernels } from '../wasm/kernel-set.js';
import type { WasmVariant } from '../wasm/module.js';
import type { StagedCall } from '../wasm/staging.js';
import { type ThreadTuning, runOnPool } from './blocks.js';
import { ThreadPool } from './pool.js';
import { createSharedMemory } from './shared-module.js';

/**
 * Threaded instances collected without dispose(): their pools stop (the workers would otherwise
 * sleep forever, holding their threads and the shared memory).
 */
const poolsOfDroppedEngines = new FinalizationRegistry<ThreadPool>((pool) => pool.dispose());

/** The shared instance: on a shared memory, with worker threads running its large calls. */
export class SharedKernelSet extends WasmKernelSet {
  private pool: ThreadPool | null;

  /**
   * @param lane The one-thread instance on an unshared memory where the calling thread runs
   *   its own blocks of a staged call (copies into an unshared memory are faster).
   */
  constructor(
    variant: WasmVariant,
    mod: WebAssembly.Module,
    threads: number,
    private readonly tuning: ThreadTuning,
    private readonly lane: WasmKernelSet,
    setup: Setup,
  ) {
    super(variant, mod, createSharedMemory(), setup);
    this.pool = new ThreadPool(mod, this.memory, this.exports, threads - 1, tuning.workerTimeoutMs, setup);
    // An engine dropped without dispose() stops its workers once collected: nothing the pool
    // or its workers hold leads back here.
    poolsOfDroppedEngines.register(this, this.pool, this.pool);
  }

  /** Threads calls may run on: the calling thread and the pool's workers (those not gone). */
  get threads(): number {
    return this.pool ? this.pool.alive + 1 : 1;
  }

  /**
   * Resolves once the workers run (calls before then are correct, only less parallel). If none
   * could start (a Content-Security-Policy without `worker-src blob:`, say), the engine drops
   * them and runs on one thread: `threads` is then 1.
   */
  async ready(): Promise<void> {
    if (this.pool && (await this.pool.ready()) === 0) this.dispose();
  }

  /** Stops the workers; later calls run on the calling thread. */
  dispose(): void {
    if (this.pool) poolsOfDroppedEngines.unregister(this.pool);
    this.pool?.dispose();
    this.pool = null;
  }

  protected override runOnThreads<A extends KernelArgs>(kernel: Kernel<A>, a: A, call: StagedCall): number | null {
    const pool = this.pool;
    if (!pool || call.n * call.c < this.tuning.minElements || pool.running === 0) return null;
    return runOnPool(pool, this.mem, this.tuning, call, kernel, a, this.lane);
  }
}

/** Routes each call to the shared (threaded) or the local instance. */
export class ThreadedKernels extends ArraysOf implements WasmKernels {
  constructor(
    private readonly local: WasmKernels,
    private readonly shared: SharedKernelSet,
    private readonly tuning: ThreadTuning,
  ) {
    super();
  }

  get name() {
    return this.shared.name;
  }

  get threads(): number {
    return this.shared.threads;
  }

  get memory(): WebAssembly.Memory {
    return this.shared.memory;
  }

  get arrays(): ArrayPool {
    return this.shared.arrays;
  }

  ready(): Promise<void> {
    return this.shared.ready();
  }

  dispose(): void {
    this.shared.dispose();
  }

  run<A extends KernelArgs>(kernel: Kernel<A>, a: A): number {
    return this.pick(kernel, a).run(kernel, a);
  }

  /** The instance for a call: shared if large or if any of its arrays lives there. */
  private pick<A extends KernelArgs>(kernel: Kernel<A>, a: A): WasmKernels {
    if (a.n * a.c >= this.tuning.minElements) return this.shared;
    if (!this.shared.mem.hasArrays) return this.local;
    for (const p of kernel.params) {
      if (!isOperand(p)) continue;
      const v = a[p.arg];
      // An array of the shared memory is a view of a SharedArrayBuffer (growth detaches none).
      if (ArrayBuffer.isView(v) && v.buffer instanceof SharedArrayBuffer && this.shared.mem.holds(v)) return this.shared;
    }
    return this.local;
  }
}
