/**
 * One instance's linear memory: its views, its growth, and the arrays it hands out (zero-copy).
 *
 * Layout:
 *
 *   [0, base)            the module's static data (math tables)
 *   [base, allocTop)     arrays handed out by allocF32 / allocF64 (zero-copy callers)
 *   [scratch, ...)       staging scratch, reused by every call (src/wasm/staging.ts)
 *
 * The memory starts at one page and grows on demand; growth detaches every view of the old
 * buffer, so the views are re-created in one place (refreshViews) right after it.
 */
import type { ArrayPool, FloatArray, KernelArray } from '../kernels/kernel.js';

const PAGE = 65536;
/** Alignment of every allocation and staging region. */
export const ALIGN = 64;
/**
 * Elements per staged array per block (256 KiB of f32): a block's arrays stay in L2 between
 * the copy in, the kernel and the copy out, and the per-block overhead (a JS→wasm call, two
 * subarrays) stays small. Measured at 4096x1000 and 512x50257, staged: 4K elements is 5-10%
 * slower, 16K to 256K are within noise of each other.
 */
export const BLOCK_ELEMENTS = 1 << 16;
/**
 * Scratch set aside above every allocation: enough for any call whose rows are at most
 * BLOCK_ELEMENTS wide (seven staged arrays of f64), so such calls never grow the memory and
 * never detach the caller's zero-copy arrays.
 */
const SCRATCH_RESERVE = 8 * BLOCK_ELEMENTS * 8;

export const alignUp = (x: number, a: number): number => Math.ceil(x / a) * a;

/** An instance's memory and the zero-copy arrays in it. */
export class WasmMemory implements ArrayPool {
  /** End of the highest live allocation; scratch starts at alignUp(allocTop). */
  private allocTop: number;
  /** Live allocations by array object (kept after growth detaches the view), and free gaps. */
  private readonly blocks = new WeakMap<FloatArray, { offset: number; bytes: number; live: boolean }>();
  private readonly gaps: { offset: number; bytes: number }[] = [];
  /** Largest scratch any call has needed, so allocation growth leaves room for it. */
  private scratchHigh = 0;
  /** Whether allocF32 / allocF64 was ever called. */
  handedOut = false;
  // memory.buffer and views of it, re-created in one place (refreshViews) after every growth.
  private buffer!: ArrayBufferLike;
  private bytes = 0;
  private u8!: Uint8Array;
  private f32!: Float32Array;
  private f64!: Float64Array;
  private i32!: Int32Array;
  /** Every buffer the memory has had: a shared memory's earlier buffers stay valid (smaller) views of it. */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  /** Whether the memory is shared (an unshared one detaches its earlier buffers, so they hold no bytes). */
  private readonly shared: boolean;

  /**
   * @param memory The instance's memory.
   * @param base Start of the zero-copy allocation region (above the module's static data).
   */
  constructor(
    readonly memory: WebAssembly.Memory,
    private readonly base: number,
  ) {
    this.base = alignUp(base, ALIGN);
    this.allocTop = this.base;
    this.shared = typeof SharedArrayBuffer === 'function' && memory.buffer instanceof SharedArrayBuffer;
    this.refreshViews();
  }

  /** Whether any array handed out by allocF32 / allocF64 is live. */
  get hasArrays(): boolean {
    return this.allocTop > this.base;
  }

  /** Where scratch starts: above every live allocation. */
  get scratchStart(): number {
    return alignUp(this.allocTop, ALIGN);
  }

  /** Whether `array` lives in this memory (a call with it runs here, in place). */
  holds(array: ArrayBufferView): boolean {
    if (array.buffer === this.buffer || (this.shared && array.byteLength > 0 && this.buffers.has(array.buffer))) return true;
    return array.byteLength === 0 && this.owns(array);
  }

  private refreshViews(): void {
    const buf = this.memory.buffer;
    this.buffer = buf;
    this.bytes = buf.byteLength;
    this.buffers.add(buf);
    this.u8 = new Uint8Array(buf);
    this.f32 = new Float32Array(buf);
    this.f64 = new Float64Array(buf);
    this.i32 = new Int32Array(buf);
  }

  /** Grows the memory so that [0, end) exists; every view is re-created right after. */
  ensure(end: number): void {
    if (end <= this.bytes) return;
    const have = this.memory.buffer.byteLength;
    try {
      this.memory.grow(Math.ceil((end - have) / PAGE));
    } catch (e) {
      throw new RangeError(`xent: cannot grow WebAssembly memory to ${end} bytes (${have} now): ${String(e)}`);
    }
    this.refreshViews();
  }

  /** Makes [scratchStart, end) exist for a call's staging, and remembers the most any call used. */
  reserveScratch(end: number): void {
    this.ensure(end);
    this.scratchHigh = Math.max(this.scratchHigh, end - this.scratchStart);
  }

  /** The whole-memory view of `array`'s element type, for copies in and out. */
  viewFor(array: KernelArray): KernelArray {
    return array instanceof Float32Array ? this.f32 : array instanceof Float64Array ? this.f64 : this.i32;
  }

  /**
   * Byte offset of an array that lives in this memory (used in place), or -1 for one to stage.
   * An array from allocF32 / allocF64 is found by identity, so it works even after a growth
   * detached it; any other view of the memory must lie inside the allocated region, never in
   * the scratch a call overwrites.
   */
  offsetOf(array: KernelArray): number {
    const buffer = array.buffer;
    if (buffer === this.buffer || (this.shared && array.byteLength > 0 && this.buffers.has(buffer))) {
      if (array.byteOffset < this.base || array.byteOffset + array.byteLength > this.allocTop) {
        throw new Error('xent: an array in the engine memory must come from allocF32 / allocF64');
      }
      return array.byteOffset;
    }
    // Detached views have no bytes; only then is the (slower) identity lookup needed.
    if (array.byteLength === 0 && !(array instanceof Int32Array)) {
      const block = this.blocks.get(array);
      if (block?.live) return block.offset;
    }
    return -1;
  }

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

  misuse(array: ArrayBufferView): string | null {
    const block = array instanceof Float32Array || array instanceof Float64Array ? this.blocks.get(array) : undefined;
    if (block) return block.live ? null : 'was freed (engine.free)';
    if (!(array.buffer === this.buffer || (this.shared && array.byteLength > 0 && this.buffers.has(array.buffer)))) return null;
    // A view inside the live allocations (a subarray of an engine.alloc array) is used in place.
    const start = array.byteOffset;
    const end = start + array.byteLength;
    if (start >= this.base && end <= this.allocTop && this.gaps.every((g) => end <= g.offset || start >= g.offset + g.bytes)) return null;
    return "is a view of the engine's memory outside its live engine.alloc arrays (freed memory, or the scratch every call overwrites)";
  }

  owns(array: ArrayBufferView): boolean {
    return (array instanceof Float32Array || array instanceof Float64Array) && this.blocks.get(array)?.live === true;
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
}
