/**
 * The WebAssembly backends: the kernels of assembly/ (three builds of one source), compiled
 * once per variant, and an adapter that stages arrays in and out of the instance's memory.
 *
 * Instantiation is plain `new WebAssembly.Module` / `new WebAssembly.Instance`. The kernels take
 * raw byte offsets and lengths, and return numbers, so there is nothing for
 * @assemblyscript/loader or asc's generated bindings to do (no strings, no managed objects).
 *
 * Memory: the adapter creates the memory and the module imports it (so a later version can
 * pass a shared memory to worker threads). It starts at one page and grows on demand. Layout:
 *
 *   [0, base)            the module's static data (math tables)
 *   [base, allocTop)     arrays handed out by allocF32 / allocF64 (zero-copy callers)
 *   [scratch, ...)       staging scratch, reused by every call
 *
 * Calls stage their arrays in blocks of rows (about BLOCK_ELEMENTS elements per array: 256 KiB
 * of f32), so the scratch stays within a few MiB (or one row per array, for rows wider than a
 * block) whatever the input size, and each block is still in cache when the kernel reads it.
 * An array whose `.buffer` is the memory's buffer (one handed out by allocF32 / allocF64) is
 * used in place and never copied. A gradient (or softmax output) whose input is staged is
 * computed in place in that input's scratch, whether or not the caller asked for an in-place
 * result, and each block is copied out once.
 */

import type {
  ArrayPool,
  BackendName,
  DenseArgs,
  ExpScaleArgs,
  FloatArray,
  Kernels,
  ProbArgs,
  RowStateArgs,
  RowwiseArgs,
  SigmoidArgs,
  SigmoidFocalArgs,
  SparseArgs,
} from '../kernels.js';
import { wasmBinaries } from '../wasm/binaries.js';
import { relaxedMaddFuses } from './choose.js';
import { relaxedSimdSupported, simdSupported, wasmSupported } from './features.js';
import { ThreadPool, threadsUnavailable } from '../threads/pool.js';
import { MAX_PAGES, createSharedMemory, withSharedMemory } from '../threads/shared-module.js';
import { THREAD_TUNING, ThreadedKernels, type ThreadTuning } from '../threads/threaded.js';
import { byColumns, sparseByColumns } from './columns.js';

/** A build of the kernels: relaxed SIMD (FMA), SIMD, or scalar WebAssembly. */
export type WasmVariant = 'relaxed-simd' | 'simd' | 'wasm';

/** The variants, best first. */
const VARIANTS: readonly WasmVariant[] = ['relaxed-simd', 'simd', 'wasm'];

/** Which runtime feature each variant needs (one table: feature → build). */
const VARIANT_SUPPORTED: Record<WasmVariant, () => boolean> = {
  'relaxed-simd': () => simdSupported() && relaxedSimdSupported(),
  simd: simdSupported,
  wasm: wasmSupported,
};

/** Variants this runtime can run, best first, decided by WebAssembly.validate probes (never by version). */
export function supportedWasmVariants(): WasmVariant[] {
  return VARIANTS.filter((v) => VARIANT_SUPPORTED[v]());
}

/** One instance of the kernels with its own memory: a Kernels backend plus zero-copy helpers. */
export interface WasmKernels extends Kernels {
  /** e^x elementwise with the kernels' own vectorised exp (f32) — for the accuracy test and diagnostics. */
  expF32(x: Float32Array, out: Float32Array): void;
  /** tanh elementwise with the kernels' own vectorised tanh (f32, the softcap's) — for the accuracy test. */
  tanhF32(x: Float32Array, out: Float32Array): void;
  /** One SIMD (or scalar) read pass: Σ x — the benchmark's floor. */
  sumF32(x: Float32Array): number;
  /** The instance's memory (for zero-copy: arrays whose .buffer is memory.buffer are used in place). */
  readonly memory: WebAssembly.Memory;
  /**
   * A Float32Array of `length` (zero-filled) that lives in this instance's memory: pass it as an
   * input or output and no copy is made. Valid until the memory grows: growth detaches every
   * view (length 0, writes lost). It happens in allocF32 / allocF64 when the pool is full, and
   * in a call only when its rows are wider than 65536 elements and need more scratch than any
   * call before (each allocation sets aside scratch for narrower rows). So: allocate what you
   * need first, then take `view(array)` of each; after any growth, `view(array)` gives a fresh
   * view of the same bytes with their contents (including kernel output) intact. Kernels
   * accept a detached allocated array too: it is found by identity, not through its buffer.
   */
  allocF32(length: number): Float32Array;
  /** Float64Array counterpart of allocF32. */
  allocF64(length: number): Float64Array;
  /** The current view of an array from allocF32 / allocF64: itself, or a new view after growth. */
  view<T extends FloatArray>(array: T): T;
  /** Whether `array` is a live array from allocF32 / allocF64 (attached or detached by growth). */
  owns(array: ArrayBufferView): boolean;
  /** Returns an array from allocF32 / allocF64 (attached or not) to the pool. */
  free(array: FloatArray): void;
  /** Why `array` may not be given to a call (see ArrayPool.misuse), or null. */
  misuse(array: ArrayBufferView): string | null;
  /** Whether allocF32 / allocF64 was ever called. */
  readonly handedOut: boolean;
}

const modules = new Map<WasmVariant, WebAssembly.Module>();

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const bin = atob(text);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

function unsupported(variant: WasmVariant): Error {
  return new Error(
    `xent: this runtime cannot run the '${variant}' WebAssembly build ` +
      `(supported here: ${supportedWasmVariants().join(', ') || 'none'})` +
      (variant === 'relaxed-simd' ? '; Node 20 needs --experimental-wasm-relaxed-simd' : ''),
  );
}

/** The variant's embedded bytes, after checking that this runtime can run it. */
function bytesFor(variant: WasmVariant): Uint8Array<ArrayBuffer> {
  if (!VARIANTS.includes(variant)) throw new Error(`xent: unknown WebAssembly variant '${String(variant)}'`);
  if (!VARIANT_SUPPORTED[variant]()) throw unsupported(variant);
  return decodeBase64(wasmBinaries[variant]);
}

function moduleFor(variant: WasmVariant): WebAssembly.Module {
  let mod = modules.get(variant);
  if (!mod) {
    mod = new WebAssembly.Module(bytesFor(variant));
    modules.set(variant, mod);
  }
  return mod;
}

/**
 * Compiles a variant asynchronously and caches it, so that a following createWasmKernels does
 * not compile synchronously (browsers refuse synchronous compilation of large modules on the
 * main thread).
 */
export async function compileWasmVariant(variant: WasmVariant): Promise<void> {
  if (modules.has(variant)) return;
  const mod = await WebAssembly.compile(bytesFor(variant));
  if (!modules.has(variant)) modules.set(variant, mod);
}

const sharedModules = new Map<WasmVariant, WebAssembly.Module>();

/** The variant with its memory import made shared (src/threads/shared-module.ts), compiled once. */
function sharedModuleFor(variant: WasmVariant): WebAssembly.Module {
  let mod = sharedModules.get(variant);
  if (!mod) {
    mod = new WebAssembly.Module(withSharedMemory(bytesFor(variant), MAX_PAGES));
    sharedModules.set(variant, mod);
  }
  return mod;
}

/** Options of createWasmKernels. */
export interface WasmKernelOptions {
  /**
   * Threads to run calls on, the calling thread included (default 1). Above 1 the memory is
   * shared with threads − 1 workers; where workers cannot run (threadsUnavailable) the kernels
   * run on the calling thread alone and `threads` is 1.
   */
  threads?: number;
  /** When calls run on threads (THREAD_TUNING by default; tests cut tiny calls into blocks). */
  tuning?: Partial<ThreadTuning>;
}

/** Synchronously compiles (module cached per variant) and instantiates one variant. Throws a clear Error if the runtime cannot run it. */
export function createWasmKernels(variant: WasmVariant, options: WasmKernelOptions = {}): WasmKernels {
  const threads = options.threads ?? 1;
  const tuning = { ...THREAD_TUNING, ...options.tuning };
  const local = new WasmKernelSet(variant, moduleFor(variant), 1, tuning);
  if (threads <= 1 || threadsUnavailable() !== null) return local;
  return new ThreadedKernels(local, new WasmKernelSet(variant, sharedModuleFor(variant), threads, tuning, local), tuning);
}

/** The kernel exports; pointers are byte offsets (0 = absent), floats f32 or f64 by prefix. */
interface KernelExports {
  scratch_base(): number;
  set_fused_madd(fused: number): void;
  f32_exp(x: number, len: number, out: number): void;
  f32_tanh(x: number, len: number, out: number): void;
  f32_sum(x: number, len: number): number;
  f32_sparse_xent: SparseFn;
  f64_sparse_xent: SparseFn;
  f32_dense_xent: DenseFn;
  f64_dense_xent: DenseFn;
  f32_sigmoid_xent: SigmoidFn;
  f64_sigmoid_xent: SigmoidFn;
  f32_sigmoid_focal: SigmoidFocalFn;
  f64_sigmoid_focal: SigmoidFocalFn;
  f32_cross_entropy: ProbPairFn;
  f64_cross_entropy: ProbPairFn;
  f32_kl_div: ProbPairFn;
  f64_kl_div: ProbPairFn;
  f32_entropy: EntropyFn;
  f64_entropy: EntropyFn;
  f32_softmax: RowwiseFn;
  f64_softmax: RowwiseFn;
  f32_log_softmax: RowwiseFn;
  f64_log_softmax: RowwiseFn;
  f32_row_states: RowStatesFn;
  f64_row_states: RowStatesFn;
  f32_row_expscale: ExpScaleFn;
  f64_row_expscale: ExpScaleFn;
}
type SparseFn = (
  logits: number, labels: number, n: number, c: number, weight: number, ignoreIndex: number,
  smoothing: number, rowLoss: number, grad: number, gradScale: number, rowScale: number,
  softcap: number, zLoss: number, zGradScale: number, focalGamma: number, rowLse: number, rowArgmax: number,
) => number;
type DenseFn = (
  logits: number, targets: number, n: number, c: number, weight: number, smoothing: number,
  rowLoss: number, grad: number, gradScale: number, rowScale: number,
  softcap: number, zLoss: number, zGradScale: number, rowLse: number,
) => number;
type SigmoidFocalFn = (
  logits: number, targets: number, n: number, c: number, gamma: number, alpha: number,
  elemLoss: number, grad: number, gradScale: number, elemScale: number,
) => number;
type SigmoidFn = (
  logits: number, targets: number, n: number, c: number, weight: number, weightPerElement: number,
  posWeight: number, elemLoss: number, grad: number, gradScale: number, elemScale: number,
) => number;
type ProbPairFn = (p: number, q: number, n: number, c: number, rowLoss: number) => number;
type EntropyFn = (p: number, n: number, c: number, rowLoss: number) => number;
type RowwiseFn = (x: number, n: number, c: number, out: number) => void;
type RowStatesFn = (x: number, n: number, c: number, w: number, max: number, sumExp: number, wdot: number) => void;
type ExpScaleFn = (
  x: number, n: number, c: number, shift: number, alpha: number, beta: number, w: number, out: number,
) => void;

/** Any array a kernel reads or writes. */
type Staged = Float32Array | Float64Array | Int32Array;

/**
 * One array argument of a call. `perRow` is the number of elements per row: c for [n, c]
 * arrays, 1 for per-row arrays, 0 for an array staged whole (per-class weights).
 */
interface Operand {
  array: Staged | null;
  perRow: number;
  output: boolean;
  /**
   * For an output the kernel may compute in place: the index of that input. When the input is
   * staged, the output shares its scratch (the staged copy is ours to overwrite), which halves
   * the scratch a block touches; the kernels give the same numbers in place.
   */
  inPlaceOf?: number;
}

/**
 * Elements per staged array per block (256 KiB of f32): a block's arrays stay in L2 between
 * the copy in, the kernel and the copy out, and the per-block overhead (a JS→wasm call, two
 * subarrays) stays small. Measured at 4096x1000 and 512x50257, staged: 4K elements is 5-10%
 * slower, 16K to 256K are within noise of each other.
 */
const BLOCK_ELEMENTS = 1 << 16;
/**
 * Scratch set aside above every allocation: enough for any call whose rows are at most
 * BLOCK_ELEMENTS wide (seven staged arrays of f64), so such calls never grow the memory and
 * never detach the caller's zero-copy arrays.
 */
const SCRATCH_RESERVE = 8 * BLOCK_ELEMENTS * 8;
const PAGE = 65536;
const ALIGN = 64;
/**
 * Copies between an ordinary ArrayBuffer and a shared memory go word by word (relaxed atomics),
 * and byte by byte, 8-12x slower still, unless source and destination agree modulo 8 bytes: so
 * each staged block sits at its source's phase modulo PHASE within its slot.
 */
const PHASE = 8;
const phaseOf = (a: Staged, element: number): number => (a.byteOffset + element * a.BYTES_PER_ELEMENT) % PHASE;
/** Most scratch a threaded call may stage (all slots); wider rows run on the calling thread. */
const THREAD_SCRATCH_MAX = 64 << 20;

const alignUp = (x: number, a: number): number => Math.ceil(x / a) * a;

/**
 * Threaded instances collected without dispose(): their pools stop (the workers would otherwise
 * sleep forever, holding their threads and the shared memory).
 */
const poolsOfDroppedEngines = new FinalizationRegistry<ThreadPool>((pool) => pool.dispose());

/** Operand placement for one call: where each lives, and whether it is copied. */
interface Placement {
  /** Byte offset of the array (in place) or of its scratch region (staged); 0 when absent. */
  offset: number;
  staged: boolean;
  /** Index of the operand whose scratch this output shares (in-place), or -1. */
  aliasOf: number;
}

class WasmKernelSet implements WasmKernels {
  readonly name: BackendName;
  readonly memory: WebAssembly.Memory;
  private readonly k: KernelExports;
  /** Start of the zero-copy allocation region. */
  private readonly base: number;
  /** End of the highest live allocation; scratch starts at alignUp(allocTop). */
  private allocTop: number;
  /** Live allocations by array object (kept after growth detaches the view), and free gaps. */
  private readonly blocks = new WeakMap<FloatArray, { offset: number; bytes: number; live: boolean }>();
  private readonly gaps: { offset: number; bytes: number }[] = [];
  /** Largest scratch any call has needed, so allocation growth leaves room for it. */
  private scratchHigh = 0;
  handedOut = false;
  // Views of memory.buffer, re-created in one place (refreshViews) after every growth.
  private u8!: Uint8Array;
  private f32!: Float32Array;
  private f64!: Float64Array;
  private i32!: Int32Array;

  /** Worker threads sharing the memory (threaded engines only). */
  private pool: ThreadPool | null = null;
  /** Every buffer the memory has had: a shared memory's earlier buffers stay valid (smaller) views of it. */
  private readonly buffers = new WeakSet<ArrayBufferLike>();

  /**
   * @param lane For a threaded instance, the one-thread instance on an unshared memory where
   *   the calling thread runs its own blocks of a staged call (copies into an unshared memory
   *   are faster).
   */
  constructor(
    variant: WasmVariant,
    mod: WebAssembly.Module,
    threads: number,
    private readonly tuning: ThreadTuning,
    private readonly lane: WasmKernelSet | null = null,
  ) {
    this.name = variant;
    this.memory = threads > 1 ? createSharedMemory() : new WebAssembly.Memory({ initial: 1 });
    const instance = new WebAssembly.Instance(mod, { env: { memory: this.memory } });
    this.k = instance.exports as unknown as KernelExports;
    // The relaxed build's fastest exp is accurate only where relaxed_madd fuses: the same probe
    // that ranks the builds (choose.ts) tells every instance, the workers' too.
    const fused = variant === 'relaxed-simd' && relaxedMaddFuses() ? 1 : 0;
    this.k.set_fused_madd(fused);
    if (threads > 1) {
      this.pool = new ThreadPool(mod, this.memory, instance.exports, threads - 1, tuning.workerTimeoutMs, [['set_fused_madd', [fused]]]);
      this.k = this.pool.wrap(this.k, lane && lane.k);
      // An engine dropped without dispose() stops its workers once collected: nothing the pool
      // or its workers hold leads back here.
      poolsOfDroppedEngines.register(this, this.pool, this.pool);
    }
    this.base = alignUp(this.k.scratch_base(), ALIGN);
    this.allocTop = this.base;
    this.refreshViews();
  }

  /** Whether any array handed out by allocF32 / allocF64 is live. */
  get hasArrays(): boolean {
    return this.allocTop > this.base;
  }

  /** Whether `array` lives in this memory (a call with it runs here, in place). */
  holds(array: ArrayBufferView): boolean {
    if (array.buffer === this.memory.buffer || (array.byteLength > 0 && this.buffers.has(array.buffer))) return true;
    return array.byteLength === 0 && this.owns(array);
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

  private refreshViews(): void {
    const buf = this.memory.buffer;
    this.buffers.add(buf);
    this.u8 = new Uint8Array(buf);
    this.f32 = new Float32Array(buf);
    this.f64 = new Float64Array(buf);
    this.i32 = new Int32Array(buf);
  }

  /** Grows the memory so that [0, end) exists; every view is re-created right after. */
  private ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    try {
      this.memory.grow(Math.ceil((end - have) / PAGE));
    } catch (e) {
      throw new RangeError(`xent: cannot grow WebAssembly memory to ${end} bytes (${have} now): ${String(e)}`);
    }
    this.refreshViews();
  }

  private viewFor(array: Staged): Staged {
    return array instanceof Float32Array ? this.f32 : array instanceof Float64Array ? this.f64 : this.i32;
  }

  /**
   * Byte offset of an array that lives in this memory (used in place), or -1 for one to stage.
   * An array from allocF32 / allocF64 is found by identity, so it works even after a growth
   * detached it; any other view of the memory must lie inside the allocated region, never in
   * the scratch a call overwrites.
   */
  private offsetInMemory(array: Staged): number {
    if (array.buffer === this.memory.buffer || (array.byteLength > 0 && this.buffers.has(array.buffer))) {
      if (array.byteOffset < this.base || array.byteOffset + array.byteLength > this.allocTop) {
        throw new Error('xent: an array in the engine memory must come from allocF32 / allocF64');
      }
      return array.byteOffset;
    }
    // Detached views have no bytes; only then is the (slower) identity lookup needed.
    if (array.byteLength === 0) {
      const block = this.blocks.get(array as FloatArray);
      if (block?.live) return block.offset;
    }
    return -1;
  }

  // ---- zero-copy allocation --------------------------------------------------------------

  allocF32(length: number): Float32Array {
    const offset = this.alloc(length * 4);
    const array = new Float32Array(this.memory.buffer, offset, length);
    this.blocks.set(array, { offset, bytes: length * 4, live: true });
    return array;
  }

  allocF64(length: number): Float64Array {
    const offset = this.alloc(length * 8);
    const array = new Float64Array(this.memory.buffer, offset, length);
    this.blocks.set(array, { offset, bytes: length * 8, live: true });
    return array;
  }

  view<T extends FloatArray>(array: T): T {
    const block = this.blocks.get(array);
    if (!block || !block.live) throw new Error('xent: view() takes an array from allocF32 / allocF64');
    if (array.buffer === this.memory.buffer) return array;
    const fresh = (array instanceof Float32Array
      ? new Float32Array(this.memory.buffer, block.offset, block.bytes / 4)
      : new Float64Array(this.memory.buffer, block.offset, block.bytes / 8)) as T;
    this.blocks.set(fresh, block);
    return fresh;
  }

  owns(array: ArrayBufferView): boolean {
    return this.blocks.get(array as FloatArray)?.live === true;
  }

  misuse(array: ArrayBufferView): string | null {
    const block = this.blocks.get(array as FloatArray);
    if (block) return block.live ? null : 'was freed (engine.free)';
    if (!(array.buffer === this.memory.buffer || (array.byteLength > 0 && this.buffers.has(array.buffer)))) return null;
    // A view inside the live allocations (a subarray of an engine.alloc array) is used in place.
    const start = array.byteOffset;
    const end = start + array.byteLength;
    if (start >= this.base && end <= this.allocTop && this.gaps.every((g) => end <= g.offset || start >= g.offset + g.bytes)) return null;
    return "is a view of the engine's memory outside its live engine.alloc arrays (freed memory, or the scratch every call overwrites)";
  }

  /** The zero-copy surface the front exposes as engine.alloc / view / free. */
  get arrays(): ArrayPool {
    return this;
  }

  free(array: FloatArray): void {
    const block = this.blocks.get(array);
    if (!block || !block.live) throw new Error('xent: free() takes a live array from allocF32 / allocF64');
    block.live = false;
    // The bytes alloc() took: an empty array takes one alignment unit (which freeing gave back as 0 bytes, leaking it).
    this.gaps.push({ offset: block.offset, bytes: alignUp(Math.max(block.bytes, 1), ALIGN) });
    this.gaps.sort((a, b) => a.offset - b.offset);
    for (let i = this.gaps.length - 1; i > 0; i--) {
      const prev = this.gaps[i - 1];
      if (prev.offset + prev.bytes === this.gaps[i].offset) {
        prev.bytes += this.gaps[i].bytes;
        this.gaps.splice(i, 1);
      }
    }
    const last = this.gaps[this.gaps.length - 1];
    if (last && last.offset + last.bytes === this.allocTop) {
      this.allocTop = last.offset;
      this.gaps.pop();
    }
  }

  /** First fit in the freed gaps, else at the top; zero-filled. */
  private alloc(bytes: number): number {
    this.handedOut = true;
    const size = alignUp(Math.max(bytes, 1), ALIGN);
    let offset = -1;
    for (let i = 0; i < this.gaps.length; i++) {
      const gap = this.gaps[i];
      if (gap.bytes >= size) {
        offset = gap.offset;
        gap.offset += size;
        gap.bytes -= size;
        if (gap.bytes === 0) this.gaps.splice(i, 1);
        break;
      }
    }
    if (offset < 0) {
      offset = this.allocTop;
      this.ensure(offset + size + Math.max(this.scratchHigh, SCRATCH_RESERVE));
      this.allocTop = offset + size;
    }
    this.u8.fill(0, offset, offset + bytes);
    return offset;
  }

  // ---- staging ---------------------------------------------------------------------------

  /**
   * Places the operands (in place, or in scratch), and runs `call` on blocks of rows; `call`
   * gets each operand's byte offset for the block (0 when absent) and returns a partial sum.
   */
  private run(n: number, c: number, ops: Operand[], call: (p: number[], rows: number) => number): number {
    if (n === 0) return 0;
    const places: Placement[] = ops.map(() => ({ offset: 0, staged: false, aliasOf: -1 }));
    // Widest staged row-array (elements per row): it sets the rows per block.
    let stagedPerRow = 0;
    for (let i = 0; i < ops.length; i++) {
      const a = ops[i].array;
      if (!a) continue;
      const offset = this.offsetInMemory(a);
      if (offset >= 0) {
        places[i].offset = offset;
        continue;
      }
      places[i].staged = true;
      stagedPerRow = Math.max(stagedPerRow, ops[i].perRow);
      const j = ops[i].inPlaceOf;
      if (j !== undefined && places[j].staged) places[i].aliasOf = j;
    }
    if (this.pool && n * c >= this.tuning.minElements && this.pool.running > 0) {
      const total = this.runThreaded(this.pool, n, c, ops, places, call);
      if (total !== null) return total;
    }
    // Blocks of rows only as wide as staging needs: with just labels or per-row losses staged,
    // a block holds BLOCK_ELEMENTS rows, so the kernel sees long runs of rows (its exp pass
    // reads ahead into the next row).
    const rowsPerBlock = stagedPerRow > 0 ? Math.min(n, Math.max(1, Math.floor(BLOCK_ELEMENTS / stagedPerRow))) : n;
    let end = alignUp(this.allocTop, ALIGN);
    for (let i = 0; i < ops.length; i++) {
      const a = ops[i].array;
      if (!a || !places[i].staged || places[i].aliasOf >= 0) continue;
      places[i].offset = end;
      const elements = ops[i].perRow > 0 ? rowsPerBlock * ops[i].perRow : a.length;
      end = alignUp(end + elements * a.BYTES_PER_ELEMENT, ALIGN);
    }
    for (let i = 0; i < ops.length; i++) {
      if (places[i].aliasOf >= 0) places[i].offset = places[places[i].aliasOf].offset;
    }
    this.ensure(end);
    this.scratchHigh = Math.max(this.scratchHigh, end - alignUp(this.allocTop, ALIGN));

    for (let i = 0; i < ops.length; i++) {
      const a = ops[i].array;
      if (a && places[i].staged && ops[i].perRow === 0 && !ops[i].output) {
        this.viewFor(a).set(a, places[i].offset / a.BYTES_PER_ELEMENT);
      }
    }
    const ptrs = new Array<number>(ops.length).fill(0);
    let total = 0;
    for (let r0 = 0; r0 < n; r0 += rowsPerBlock) {
      const rows = Math.min(rowsPerBlock, n - r0);
      for (let i = 0; i < ops.length; i++) {
        const a = ops[i].array;
        if (!a) continue;
        const per = ops[i].perRow;
        if (!places[i].staged) {
          ptrs[i] = places[i].offset + r0 * per * a.BYTES_PER_ELEMENT;
          continue;
        }
        ptrs[i] = places[i].offset;
        if (per > 0 && !ops[i].output) {
          this.viewFor(a).set(a.subarray(r0 * per, (r0 + rows) * per), places[i].offset / a.BYTES_PER_ELEMENT);
        }
      }
      total += call(ptrs, rows);
      for (let i = 0; i < ops.length; i++) {
        const a = ops[i].array;
        if (!a || !places[i].staged || !ops[i].output) continue;
        const per = ops[i].perRow;
        const from = places[i].offset / a.BYTES_PER_ELEMENT;
        a.set(this.viewFor(a).subarray(from, from + rows * per), r0 * per);
      }
    }
    return total;
  }

  // ---- threads ---------------------------------------------------------------------------

  /**
   * `run` on the pool's threads (src/threads/pool.ts), or null when the call fits in one block
   * or would need too much scratch (`run` sends only calls of at least tuning.minElements).
   * Blocks are tuning.blockElements elements of the widest row-array, staged or not; staged operands get
   * one region per slot of the pool's ring (per-class arrays one region for all), and `call`
   * is made once per block while the pool records it.
   */
  private runThreaded(
    pool: ThreadPool, n: number, c: number, ops: Operand[], places: Placement[], call: (p: number[], rows: number) => number,
  ): number | null {
    let perRow = 1;
    for (const op of ops) if (op.array) perRow = Math.max(perRow, op.perRow);
    const rowsPerBlock = Math.max(1, Math.floor(this.tuning.blockElements / perRow));
    const blocks = Math.ceil(n / rowsPerBlock);
    if (blocks < 2) return null;
    const start = alignUp(this.allocTop, ALIGN);
    let end = start;
    // Per-class (whole) arrays once, then the slots.
    const rel = ops.map(() => 0);
    for (let i = 0; i < ops.length; i++) {
      const a = ops[i].array;
      if (!a || !places[i].staged || ops[i].perRow !== 0) continue;
      places[i].offset = end;
      end = alignUp(end + a.length * a.BYTES_PER_ELEMENT, ALIGN);
    }
    const slotBase = end;
    let slotBytes = 0;
    for (let i = 0; i < ops.length; i++) {
      const a = ops[i].array;
      if (!a || !places[i].staged || ops[i].perRow === 0 || places[i].aliasOf >= 0) continue;
      rel[i] = slotBytes;
      slotBytes = alignUp(slotBytes + rowsPerBlock * ops[i].perRow * a.BYTES_PER_ELEMENT + PHASE, ALIGN);
    }
    for (let i = 0; i < ops.length; i++) {
      const j = places[i].aliasOf;
      if (j < 0) continue;
      // An output computed in place shares its input's region only if it copies out in phase with it.
      const a = ops[i].array!;
      const b = ops[j].array!;
      if ((a.byteOffset - b.byteOffset) % PHASE === 0) {
        rel[i] = rel[j];
        continue;
      }
      places[i].aliasOf = -1;
      rel[i] = slotBytes;
      slotBytes = alignUp(slotBytes + rowsPerBlock * ops[i].perRow * a.BYTES_PER_ELEMENT + PHASE, ALIGN);
    }
    if (pool.slotCount * slotBytes > THREAD_SCRATCH_MAX) return null;
    end = slotBase + pool.slotCount * slotBytes;
    this.ensure(end);
    this.scratchHigh = Math.max(this.scratchHigh, end - start);
    for (let i = 0; i < ops.length; i++) {
      const a = ops[i].array;
      if (a && places[i].staged && ops[i].perRow === 0 && !ops[i].output) this.viewFor(a).set(a, places[i].offset / a.BYTES_PER_ELEMENT);
    }
    const ptrs = new Array<number>(ops.length).fill(0);
    // With every array staged, the blocks this thread runs go to the lane (its own unshared
    // memory) instead of through the shared memory: the same kernel, the same numbers.
    const lane = this.lane;
    const runHere =
      lane && ops.every((op, i) => !op.array || places[i].staged)
        ? (b: number) => {
            const r0 = b * rowsPerBlock;
            const rows = Math.min(rowsPerBlock, n - r0);
            const sub = ops.map((op) => ({
              ...op,
              array: op.array && op.perRow > 0 ? op.array.subarray(r0 * op.perRow, (r0 + rows) * op.perRow) : op.array,
            }));
            return lane.run(rows, c, sub, call);
          }
        : undefined;
    return pool.run(blocks, {
      runHere,
      stage: (b, slot) => {
        const r0 = b * rowsPerBlock;
        const rows = Math.min(rowsPerBlock, n - r0);
        for (let i = 0; i < ops.length; i++) {
          const a = ops[i].array;
          if (!a) continue;
          const per = ops[i].perRow;
          if (!places[i].staged) {
            ptrs[i] = places[i].offset + r0 * per * a.BYTES_PER_ELEMENT;
          } else if (per === 0) {
            ptrs[i] = places[i].offset;
          } else {
            const k = places[i].aliasOf >= 0 ? places[i].aliasOf : i;
            ptrs[i] = slotBase + slot * slotBytes + rel[i] + phaseOf(ops[k].array!, r0 * per);
            if (!ops[i].output) this.viewFor(a).set(a.subarray(r0 * per, (r0 + rows) * per), ptrs[i] / a.BYTES_PER_ELEMENT);
          }
        }
        call(ptrs, rows);
      },
      finish: (b, slot) => {
        const r0 = b * rowsPerBlock;
        const rows = Math.min(rowsPerBlock, n - r0);
        for (let i = 0; i < ops.length; i++) {
          const a = ops[i].array;
          if (!a || !places[i].staged || !ops[i].output || ops[i].perRow === 0) continue;
          const per = ops[i].perRow;
          const k = places[i].aliasOf >= 0 ? places[i].aliasOf : i;
          const from = (slotBase + slot * slotBytes + rel[i] + phaseOf(ops[k].array!, r0 * per)) / a.BYTES_PER_ELEMENT;
          a.set(this.viewFor(a).subarray(from, from + rows * per), r0 * per);
        }
      },
    }, rowsPerBlock * perRow);
  }

  // ---- Kernels ---------------------------------------------------------------------------

  sparse(a: SparseArgs): number {
    // Rows wider than a block, staged: one column block at a time (src/backends/columns.ts).
    if (byColumns(a) && this.offsetInMemory(a.logits) < 0) return sparseByColumns(this, a);
    const f = a.logits instanceof Float64Array ? this.k.f64_sparse_xent : this.k.f32_sparse_xent;
    const { c } = a;
    return this.run(a.n, c, [
      { array: a.logits, perRow: c, output: false },
      { array: a.labels, perRow: 1, output: false },
      { array: a.weight, perRow: 0, output: false },
      { array: a.rowLoss, perRow: 1, output: true },
      { array: a.grad, perRow: c, output: true, inPlaceOf: 0 },
      { array: a.rowScale, perRow: 1, output: false },
      { array: a.rowLse ?? null, perRow: 1, output: true },
      { array: a.rowArgmax ?? null, perRow: 1, output: true },
    ], (p, rows) => f(
      p[0], p[1], rows, c, p[2], a.ignoreIndex, a.smoothing, p[3], p[4], a.gradScale, p[5],
      a.softcap ?? 0, a.zLoss ?? 0, a.zGradScale ?? 0, a.focalGamma ?? -1, p[6], p[7],
    ));
  }

  dense(a: DenseArgs): number {
    const f = a.logits instanceof Float64Array ? this.k.f64_dense_xent : this.k.f32_dense_xent;
    const { c } = a;
    return this.run(a.n, c, [
      { array: a.logits, perRow: c, output: false },
      { array: a.targets, perRow: c, output: false },
      { array: a.weight, perRow: 0, output: false },
      { array: a.rowLoss, perRow: 1, output: true },
      { array: a.grad, perRow: c, output: true, inPlaceOf: 0 },
      { array: a.rowScale, perRow: 1, output: false },
      { array: a.rowLse ?? null, perRow: 1, output: true },
    ], (p, rows) => f(p[0], p[1], rows, c, p[2], a.smoothing, p[3], p[4], a.gradScale, p[5], a.softcap ?? 0, a.zLoss ?? 0, a.zGradScale ?? 0, p[6]));
  }

  sigmoidFocal(a: SigmoidFocalArgs): number {
    const f = a.logits instanceof Float64Array ? this.k.f64_sigmoid_focal : this.k.f32_sigmoid_focal;
    const { c } = a;
    return this.run(a.n, c, [
      { array: a.logits, perRow: c, output: false },
      { array: a.targets, perRow: c, output: false },
      { array: a.elemLoss, perRow: c, output: true },
      { array: a.grad, perRow: c, output: true, inPlaceOf: 0 },
      { array: a.elemScale, perRow: c, output: false },
    ], (p, rows) => f(p[0], p[1], rows, c, a.gamma, a.alpha, p[2], p[3], a.gradScale, p[4]));
  }

  sigmoid(a: SigmoidArgs): number {
    const f = a.logits instanceof Float64Array ? this.k.f64_sigmoid_xent : this.k.f32_sigmoid_xent;
    const { c } = a;
    const perElement = a.weight !== null && a.weightPerElement;
    return this.run(a.n, c, [
      { array: a.logits, perRow: c, output: false },
      { array: a.targets, perRow: c, output: false },
      { array: a.weight, perRow: perElement ? c : 0, output: false },
      { array: a.posWeight, perRow: 0, output: false },
      { array: a.elemLoss, perRow: c, output: true },
      { array: a.grad, perRow: c, output: true, inPlaceOf: 0 },
      { array: a.elemScale, perRow: c, output: false },
    ], (p, rows) => f(p[0], p[1], rows, c, p[2], perElement ? 1 : 0, p[3], p[4], p[5], a.gradScale, p[6]));
  }

  crossEntropy(a: ProbArgs): number {
    const f = a.p instanceof Float64Array ? this.k.f64_cross_entropy : this.k.f32_cross_entropy;
    return this.probPair(a, f);
  }

  klDivergence(a: ProbArgs): number {
    const f = a.p instanceof Float64Array ? this.k.f64_kl_div : this.k.f32_kl_div;
    return this.probPair(a, f);
  }

  private probPair(a: ProbArgs, f: ProbPairFn): number {
    const { c } = a;
    return this.run(a.n, c, [
      { array: a.p, perRow: c, output: false },
      { array: a.q, perRow: c, output: false },
      { array: a.rowLoss, perRow: 1, output: true },
    ], (p, rows) => f(p[0], p[1], rows, c, p[2]));
  }

  entropy(a: ProbArgs): number {
    const f = a.p instanceof Float64Array ? this.k.f64_entropy : this.k.f32_entropy;
    const { c } = a;
    return this.run(a.n, c, [
      { array: a.p, perRow: c, output: false },
      { array: a.rowLoss, perRow: 1, output: true },
    ], (p, rows) => f(p[0], rows, c, p[1]));
  }

  softmax(a: RowwiseArgs): void {
    this.rowwise(a, a.x instanceof Float64Array ? this.k.f64_softmax : this.k.f32_softmax);
  }

  logSoftmax(a: RowwiseArgs): void {
    this.rowwise(a, a.x instanceof Float64Array ? this.k.f64_log_softmax : this.k.f32_log_softmax);
  }

  private rowwise(a: RowwiseArgs, f: RowwiseFn): void {
    const { c } = a;
    this.run(a.n, c, [
      { array: a.x, perRow: c, output: false },
      { array: a.out, perRow: c, output: true, inPlaceOf: 0 },
    ], (p, rows) => {
      f(p[0], rows, c, p[1]);
      return 0;
    });
  }

  rowStates(a: RowStateArgs): void {
    const f = a.x instanceof Float64Array ? this.k.f64_row_states : this.k.f32_row_states;
    const { c } = a;
    this.run(a.n, c, [
      { array: a.x, perRow: c, output: false },
      { array: a.weight, perRow: 0, output: false },
      { array: a.max, perRow: 1, output: true },
      { array: a.sumExp, perRow: 1, output: true },
      { array: a.weightedShift, perRow: 1, output: true },
    ], (p, rows) => {
      f(p[0], rows, c, p[1], p[2], p[3], p[4]);
      return 0;
    });
  }

  expScale(a: ExpScaleArgs): void {
    const f = a.x instanceof Float64Array ? this.k.f64_row_expscale : this.k.f32_row_expscale;
    const { c } = a;
    this.run(a.n, c, [
      { array: a.x, perRow: c, output: false },
      { array: a.shift, perRow: 1, output: false },
      { array: a.alpha, perRow: 1, output: false },
      { array: a.beta, perRow: 1, output: false },
      { array: a.weight, perRow: 0, output: false },
      { array: a.out, perRow: c, output: true, inPlaceOf: 0 },
    ], (p, rows) => {
      f(p[0], rows, c, p[1], p[2], p[3], p[4], p[5]);
      return 0;
    });
  }

  expF32(x: Float32Array, out: Float32Array): void {
    this.run(x.length, 1, [
      { array: x, perRow: 1, output: false },
      { array: out, perRow: 1, output: true, inPlaceOf: 0 },
    ], (p, rows) => {
      this.k.f32_exp(p[0], rows, p[1]);
      return 0;
    });
  }

  tanhF32(x: Float32Array, out: Float32Array): void {
    this.run(x.length, 1, [
      { array: x, perRow: 1, output: false },
      { array: out, perRow: 1, output: true, inPlaceOf: 0 },
    ], (p, rows) => {
      this.k.f32_tanh(p[0], rows, p[1]);
      return 0;
    });
  }

  sumF32(x: Float32Array): number {
    return this.run(x.length, 1, [{ array: x, perRow: 1, output: false }], (p, rows) => this.k.f32_sum(p[0], rows));
  }
}
