/**
 * A pool of kernel workers sharing one WebAssembly.Memory with the calling thread, driven
 * through shared memory and Atomics: no message per call.
 *
 * A call is cut into blocks of rows. The calling thread stages each block's inputs into one of
 * a ring of slots in the shared memory and writes the block's call descriptor (the export's
 * index and its arguments) into the slot; then it publishes the block (STAGED + 1, notify). Workers and the
 * calling thread claim published blocks in order (compare-exchange on CLAIMED) and run them;
 * the calling thread copies each block's outputs out and adds its partial sum in block order.
 * So the result depends on the blocks, never on which thread ran which block.
 *
 * The calling thread stages, claims and copies out; it waits only for a block a worker has
 * claimed and not yet finished (one block per worker at most), with Atomics.wait where the
 * thread may block (Node, workers) and by spinning on a browser's main thread, where
 * Atomics.wait throws. A worker that has not started yet (or failed to) claims nothing, and the
 * calling thread runs every block itself: the pool is never waited for, only its blocks are.
 *
 * Faults: a kernel that throws in a worker fails the call (the worker carries on). A worker that
 * is gone (terminated, exited, crashed) while it holds a block cannot say so, and the calling
 * thread, blocked in a synchronous call, hears no events: so it waits for a block at most
 * `timeoutMs` plus 1 µs per element of the block (a hundred times a slow kernel's time), then
 * fails the call with an Error and stops the pool, and the engine runs on the calling thread from
 * then on. A worker that is gone between calls holds nothing: the calls go on without it.
 */
import type { Setup } from '../wasm/kernel-set.js';
import { CONTROL } from './protocol.js';
import { WORKER_SOURCE } from './worker-source.js';

/** What a worker starts from (workerData in Node, the first message in a browser). */
interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  slots: SharedArrayBuffer;
  slotCount: number;
  /** Numbers per slot: the export's index, its arguments, the result. */
  width: number;
  names: string[];
  /** The worker's number: its state is control[DONE + slotCount + index]. */
  index: number;
  /** Exports the worker calls, with these arguments, once instantiated (the kernels' settings). */
  setup: Setup;
}

/** The two ways to start a worker. */
interface WorkerHandle {
  terminate(): void;
}

/** The part of node:worker_threads the pool uses. */
interface NodeWorkerThreads {
  Worker: new (src: string, o: { eval: true; workerData: unknown }) => WorkerHandle & {
    unref(): void;
    on(event: 'error' | 'exit', cb: (e: unknown) => void): void;
  };
}

let nodeWorkers: NodeWorkerThreads | undefined;

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

/** node:worker_threads, synchronously where Node has process.getBuiltinModule (20.16+). */
function nodeWorkerThreads(): NodeWorkerThreads | undefined {
  if (!nodeWorkers) {
    const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    nodeWorkers = p?.getBuiltinModule?.('node:worker_threads') as NodeWorkerThreads | undefined;
  }
  return nodeWorkers;
}

/** Loads node:worker_threads for Node versions without process.getBuiltinModule. */
export async function preloadThreads(): Promise<void> {
  if (!isNode() || nodeWorkerThreads()) return;
  const id = 'node:worker_threads';
  nodeWorkers = (await import(/* @vite-ignore */ id)) as NodeWorkerThreads;
}

/**
 * Why worker threads cannot run here, or null if they can: they need SharedArrayBuffer (in a
 * browser, only on a cross-origin isolated page) and a way to start a worker.
 */
export function threadsUnavailable(): string | null {
  const g = globalThis as { crossOriginIsolated?: boolean; Worker?: unknown; Blob?: unknown };
  if (typeof SharedArrayBuffer !== 'function' || g.crossOriginIsolated === false) {
    return 'SharedArrayBuffer is unavailable (a browser page needs cross-origin isolation: Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)';
  }
  if (isNode()) {
    return nodeWorkerThreads() ? null : 'node:worker_threads is not loaded (use createEngine, or Node >= 20.16 for createEngineSync)';
  }
  if (typeof g.Worker !== 'function' || typeof g.Blob !== 'function') return 'this runtime has no Worker';
  return null;
}

/** Whether this thread may block in Atomics.wait (not a browser's main thread). */
function mayBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

let workerUrl: string | undefined;

/** Starts a worker; `gone` runs when it fails or exits (a Web Worker has no exit event: only its own errors). */
function spawn(init: WorkerInit, gone: () => void): WorkerHandle {
  if (isNode()) {
    const worker = new (nodeWorkerThreads()!.Worker)(WORKER_SOURCE, { eval: true, workerData: init });
    // A process whose only remaining work is idle kernel workers exits normally.
    worker.unref();
    worker.on('error', gone);
    worker.on('exit', gone);
    return worker;
  }
  workerUrl ??= URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
  const worker = new Worker(workerUrl);
  worker.onerror = gone;
  worker.postMessage(init);
  return worker;
}

/** A block's call descriptor: the export it calls and its arguments (offsets in the shared memory and numbers). */
export interface BlockCall {
  readonly name: string;
  readonly args: ArrayLike<number>;
}

/** One call's blocks, staged and finished by the adapter that owns the memory layout. */
export interface BlockJob {
  /** Stages block `block`'s inputs into `slot`; returns its call descriptor. */
  stage(block: number, slot: number): BlockCall;
  /** Copies block `block`'s outputs out of `slot`. */
  finish(block: number, slot: number): void;
  /**
   * Runs block `block` on this thread, on the lane instance (an unshared memory, where staging
   * copies are faster). Returns its result. Absent: this thread runs published blocks on the
   * shared instance instead.
   */
  runHere?(block: number): number;
}

const { STAGED, CLAIMED, STOP, FAILED, DONE, WAIT_SPIN_MS, RUNNING, GONE } = CONTROL;

type KernelFn = (...args: number[]) => number | undefined;

/**
 * Published blocks waiting per worker before the calling thread runs one itself. One keeps each
 * worker fed while the blocks the calling thread runs are those it staged last, still in its
 * cache: at 4096x1000 (loss) 1.72-1.80x over one thread, against 1.23-1.27x when it staged a
 * ring ahead first.
 */
const AHEAD = 1;

/** Worker threads running one module's kernels on one shared memory. */
export class ThreadPool {
  /** Worker threads (the calling thread comes on top). */
  readonly workers: number;
  /** Slots in the ring (a power of two, so that block numbers map to slots across int32 wrap). */
  readonly slotCount: number;
  private readonly ctl: Int32Array;
  private readonly slots: Float64Array;
  /** Numbers per slot (see protocol.ts). */
  private readonly width: number;
  private readonly names: string[];
  private readonly fns: KernelFn[];
  /** Each export's index in names. */
  private readonly indexOf = new Map<string, number>();
  private readonly handles: WorkerHandle[] = [];
  private readonly canBlock = mayBlock();
  /** Absolute number of the next block (the value of STAGED and CLAIMED between calls). */
  private next = 0;
  private disposed = false;

  /**
   * @param timeoutMs How long the calling thread waits for a block a worker holds (plus 1 µs per
   *   element of the block) before it takes the worker for gone.
   * @param setup Exports each worker calls once instantiated, with their arguments: the settings
   *   the calling thread gave its own instance.
   */
  constructor(
    module: WebAssembly.Module, memory: WebAssembly.Memory, exports: Record<string, unknown>, workers: number,
    private readonly timeoutMs: number, setup: Setup = [],
  ) {
    this.workers = workers;
    let slots = 2;
    while (slots < 4 * (workers + 1)) slots *= 2;
    this.slotCount = slots;
    this.names = Object.keys(exports).filter((k) => typeof exports[k] === 'function');
    this.fns = this.names.map((k) => exports[k] as KernelFn);
    this.names.forEach((name, i) => this.indexOf.set(name, i));
    this.width = 2 + Math.max(0, ...this.fns.map((f) => f.length));
    this.ctl = new Int32Array(new SharedArrayBuffer(4 * (DONE + slots + workers)));
    this.slots = new Float64Array(new SharedArrayBuffer(8 * this.width * slots));
    const init = {
      module, memory, control: this.ctl.buffer as SharedArrayBuffer, slots: this.slots.buffer as SharedArrayBuffer,
      slotCount: slots, width: this.width, names: this.names, setup,
    };
    // The handlers hold the control memory, not the pool, so that a dropped engine's pool can be collected.
    const ctl = this.ctl;
    for (let i = 0; i < workers; i++) this.handles.push(spawn({ ...init, index: i }, () => Atomics.store(ctl, DONE + slots + i, GONE)));
  }

  /** How many workers are in `state` (RUNNING, GONE). */
  private count(state: number): number {
    let k = 0;
    for (let i = 0; i < this.workers; i++) if (Atomics.load(this.ctl, DONE + this.slotCount + i) === state) k++;
    return k;
  }

  /** Workers that have instantiated the kernels and are claiming blocks. */
  get running(): number {
    return this.disposed ? 0 : this.count(RUNNING);
  }

  /** Workers not known to be gone (running, or still starting). */
  get alive(): number {
    return this.disposed ? 0 : this.workers - this.count(GONE);
  }

  /**
   * Resolves once every worker is running (or gone, or `timeoutMs` passed) with the number
   * running. Calls made before then are correct, only less parallel.
   */
  async ready(timeoutMs = 10_000): Promise<number> {
    const until = Date.now() + timeoutMs;
    while (this.running < this.alive && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    return this.running;
  }

  /** Writes a block's call descriptor into `slot`: the export's index and its arguments. */
  private record(slot: number, { name, args }: BlockCall): void {
    const index = this.indexOf.get(name);
    if (index === undefined) throw new Error(`xent: the shared build has no export ${name}`);
    if (args.length !== this.fns[index].length) throw new Error(`xent: ${name} takes ${this.fns[index].length} arguments, a block gave ${args.length}`);
    const o = slot * this.width;
    this.slots[o] = index;
    for (let i = 0; i < args.length; i++) this.slots[o + 1 + i] = args[i];
  }

  /** Runs the call descriptor in `slot` on this thread; returns its result. */
  private compute(slot: number): number {
    const o = slot * this.width;
    const fn = this.fns[this.slots[o]];
    const r: unknown = Reflect.apply(fn, null, this.slots.subarray(o + 1, o + 1 + fn.length));
    return typeof r === 'number' ? r : 0;
  }

  /** Claims the next published block, if any, and runs it here. */
  private claimAndCompute(stagedUpTo: number): boolean {
    const c = Atomics.load(this.ctl, CLAIMED);
    if (((stagedUpTo - c) | 0) <= 0 || Atomics.compareExchange(this.ctl, CLAIMED, c, (c + 1) | 0) !== c) return false;
    const slot = c & (this.slotCount - 1);
    this.slots[(slot + 1) * this.width - 1] = this.compute(slot);
    Atomics.store(this.ctl, DONE + slot, (c + 1) | 0);
    return true;
  }

  /**
   * Waits until the block in `slot` is done (its flag holds `value`); false if it is not done
   * within `ms` (its worker is gone).
   */
  private waitDone(slot: number, value: number, ms: number): boolean {
    const i = DONE + slot;
    // A block in flight finishes within about a block's time: spin first (waking from
    // Atomics.wait costs tens of µs here), then sleep where this thread may.
    const start = performance.now();
    const until = start + WAIT_SPIN_MS;
    for (let k = 1; Atomics.load(this.ctl, i) !== value; k++) {
      if ((k & 63) !== 0 || performance.now() < until) continue;
      const left = start + ms - performance.now();
      if (left <= 0) return false;
      if (this.canBlock) Atomics.wait(this.ctl, i, Atomics.load(this.ctl, i), left);
    }
    return true;
  }

  /**
   * Runs `blocks` blocks of one call on this thread and the workers; returns the Σ of their
   * results, added in block order. This thread publishes blocks while workers can take them
   * (AHEAD each), runs the others itself (job.runHere, or else a published block it claims),
   * and copies finished blocks out. `elements`: a block's size, for how long to wait for one.
   */
  run(blocks: number, job: BlockJob, elements = 0): number {
    const ctl = this.ctl;
    const mask = this.slotCount - 1;
    const first = this.next;
    const results = new Float64Array(blocks);
    const ahead = AHEAD * this.running;
    const waitMs = this.timeoutMs + elements * 1e-3;
    /** The call's blocks in the order they were published (published block k is block first + k). */
    const published: number[] = [];
    let assigned = 0;
    let finished = 0;
    /** The published block whose worker is gone (it will never be done), or -1. */
    let lost = -1;
    // Wake sleeping workers now, so they are up by the time the first block is staged.
    if (this.workers > 0) Atomics.notify(ctl, STAGED);
    try {
      while (assigned < blocks || finished < published.length) {
        const bf = (first + finished) | 0;
        if (finished < published.length && Atomics.load(ctl, DONE + (bf & mask)) === ((bf + 1) | 0)) {
          results[published[finished]] = this.slots[((bf & mask) + 1) * this.width - 1];
          job.finish(published[finished], bf & mask);
          finished++;
          continue;
        }
        const pub = published.length;
        const unclaimed = (first + pub - Atomics.load(ctl, CLAIMED)) | 0;
        if (assigned < blocks && pub - finished < this.slotCount && unclaimed <= ahead) {
          const slot = (first + pub) & mask;
          this.record(slot, job.stage(assigned, slot));
          published.push(assigned++);
          Atomics.store(ctl, STAGED, (first + pub + 1) | 0);
          if (this.workers > 0) Atomics.notify(ctl, STAGED);
          continue;
        }
        if (assigned < blocks && job.runHere) {
          results[assigned] = job.runHere(assigned);
          assigned++;
          continue;
        }
        if (this.claimAndCompute((first + pub) | 0)) continue;
        if (this.waitDone(bf & mask, (bf + 1) | 0, waitMs)) continue;
        lost = finished;
        throw new Error(
          `xent: a worker thread did not finish its block in ${Math.round(waitMs)} ms: it was terminated or died, or the ` +
            'machine is overloaded. The call failed; the engine stopped its workers and runs on the calling thread from now on',
        );
      }
    } catch (e) {
      // Leave no published block behind: run what nobody claimed, wait for the rest (not for
      // a lost one), then stop the workers if one was lost: its block may still be written.
      while (this.claimAndCompute((first + published.length) | 0));
      for (let k = finished; k < published.length; k++) {
        if (k !== lost && !this.waitDone((first + k) & mask, (first + k + 1) | 0, waitMs)) lost = k;
      }
      if (lost >= 0) this.dispose();
      throw e;
    } finally {
      this.next = (first + published.length) | 0;
    }
    const failed = Atomics.load(ctl, FAILED);
    if (failed !== 0) {
      Atomics.store(ctl, FAILED, 0);
      throw new Error(failed === 1 ? 'xent: a kernel failed in a worker thread' : 'xent: a worker thread failed and stopped; the call failed, the others carry on');
    }
    let total = 0;
    for (let b = 0; b < blocks; b++) total += results[b];
    return total;
  }

  /** Stops and terminates the workers; later calls run on the calling thread. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    Atomics.store(this.ctl, STOP, 1);
    Atomics.notify(this.ctl, STAGED);
    for (const h of this.handles) h.terminate();
  }
}
