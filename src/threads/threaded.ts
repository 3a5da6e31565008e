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
 */
import type {
  ArrayPool, DenseArgs, ExpScaleArgs, FloatArray, ProbArgs, RowStateArgs, RowwiseArgs, SigmoidArgs, SigmoidFocalArgs, SparseArgs,
} from '../kernels.js';
import type { WasmKernels } from '../backends/wasm.js';

/** When a call runs on threads, and how it is cut. */
export interface ThreadTuning {
  /**
   * Smallest call, in elements of its widest row-array (N·C for the softmax family), that runs
   * on threads.
   */
  minElements: number;
  /** Elements (of the widest row-array) per block of a threaded call. */
  blockElements: number;
  /**
   * How long the calling thread waits for a block a worker holds (plus 1 µs per element of the
   * block) before it takes the worker for gone, fails the call and stops the workers.
   */
  workerTimeoutMs: number;
}

// Measured on a 2-core VM (`npx tsx bench/threads.ts`, with and without --gap): a worker asleep
// between calls takes 40-300 µs to wake there. At 256x1000 (2.4·10^5 logits, ~0.2 ms) two
// threads win 1.3x back to back and tie (0.99-1.08x) when each call follows 5 ms of other work;
// at 384x1000 they win 1.24x even then. So calls from 2^18 logits run on threads. A block of
// 2^16 logits (256 KiB of f32) costs a few µs to stage, record and claim against ~40 µs of
// kernel.
/** The tuning of every threaded engine (tests cut calls finer). */
// A block takes microseconds to milliseconds; a worker preempted on a busy machine is back within
// tens of milliseconds. Two seconds only ever expire for a worker that is gone.
export const THREAD_TUNING: ThreadTuning = { minElements: 1 << 18, blockElements: 1 << 16, workerTimeoutMs: 2000 };

/** The shared instance: a WasmKernels with a pool, that can tell the arrays in its memory. */
export interface SharedWasmKernels extends WasmKernels {
  readonly threads: number;
  /** Whether `array` lives in this instance's memory (so a call with it must run here). */
  holds(array: ArrayBufferView): boolean;
  /** Whether any array handed out by allocF32 / allocF64 is live. */
  readonly hasArrays: boolean;
  ready(): Promise<void>;
  dispose(): void;
}

/** Routes each call to the shared (threaded) or the local instance. */
export class ThreadedKernels implements WasmKernels {
  constructor(
    private readonly local: WasmKernels,
    private readonly shared: SharedWasmKernels,
    private readonly tuning: ThreadTuning,
  ) {}

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
    return this.shared;
  }

  ready(): Promise<void> {
    return this.shared.ready();
  }

  dispose(): void {
    this.shared.dispose();
  }

  /** The instance for a call on [n, c] arrays: shared if large or if any array lives there. */
  private pick(a: { n: number; c: number }): WasmKernels {
    if (a.n * a.c >= this.tuning.minElements) return this.shared;
    if (!this.shared.hasArrays) return this.local;
    const args = a as unknown as Record<string, unknown>;
    for (const key in args) {
      const v = args[key];
      // An array of the shared memory is a view of a SharedArrayBuffer (growth detaches none).
      if (ArrayBuffer.isView(v) && v.buffer instanceof SharedArrayBuffer && this.shared.holds(v)) return this.shared;
    }
    return this.local;
  }

  sparse(a: SparseArgs): number {
    return this.pick(a).sparse(a);
  }

  dense(a: DenseArgs): number {
    return this.pick(a).dense(a);
  }

  sigmoid(a: SigmoidArgs): number {
    return this.pick(a).sigmoid(a);
  }

  sigmoidFocal(a: SigmoidFocalArgs): number {
    return this.pick(a).sigmoidFocal(a);
  }

  crossEntropy(a: ProbArgs): number {
    return this.pick(a).crossEntropy(a);
  }

  entropy(a: ProbArgs): number {
    return this.pick(a).entropy(a);
  }

  klDivergence(a: ProbArgs): number {
    return this.pick(a).klDivergence(a);
  }

  softmax(a: RowwiseArgs): void {
    this.pick(a).softmax(a);
  }

  logSoftmax(a: RowwiseArgs): void {
    this.pick(a).logSoftmax(a);
  }

  rowStates(a: RowStateArgs): void {
    this.pick(a).rowStates(a);
  }

  expScale(a: ExpScaleArgs): void {
    this.pick(a).expScale(a);
  }

  expF32(x: Float32Array, out: Float32Array): void {
    const args = { n: x.length, c: 1, x, out };
    this.pick(args).expF32(x, out);
  }

  tanhF32(x: Float32Array, out: Float32Array): void {
    const args = { n: x.length, c: 1, x, out };
    this.pick(args).tanhF32(x, out);
  }

  sumF32(x: Float32Array): number {
    const args = { n: x.length, c: 1, x };
    return this.pick(args).sumF32(x);
  }

  allocF32(length: number): Float32Array {
    return this.shared.allocF32(length);
  }

  allocF64(length: number): Float64Array {
    return this.shared.allocF64(length);
  }

  view<T extends FloatArray>(array: T): T {
    return this.shared.view(array);
  }

  owns(array: ArrayBufferView): boolean {
    return this.shared.owns(array);
  }

  misuse(array: ArrayBufferView): string | null {
    return this.shared.misuse(array);
  }

  get handedOut(): boolean {
    return this.shared.handedOut;
  }

  free(array: FloatArray): void {
    this.shared.free(array);
  }
}
