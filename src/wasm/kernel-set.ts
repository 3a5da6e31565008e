/**
 * A WebAssembly backend: one instance of a kernel build on its own memory. It runs any kernel
 * by its binding (src/kernels/kernel.ts): the export named for the main operand's element type,
 * its arguments described once (src/wasm/staging.ts), staged and run in blocks of rows.
 *
 * The instance imports its memory, created here, so that a threaded engine can give it (and its
 * workers) a shared one (src/threads/).
 */
import {
  type ArrayPool, type BackendName, type ElementType, type FloatArray, type Kernel, type KernelArgs, type KernelArray, type Kernels, elementType,
} from '../kernels/kernel.js';
import { WasmMemory } from './memory.js';
import type { WasmVariant } from './module.js';
import { type StagedCall, type WasmFn, describeCall, place, runBlocks } from './staging.js';

/** One instance of the kernels with its own memory: a Kernels backend plus zero-copy arrays. */
export interface WasmKernels extends Kernels, ArrayPool {
  /** The instance's memory (for zero-copy: arrays whose .buffer is memory.buffer are used in place). */
  readonly memory: WebAssembly.Memory;
  readonly arrays: ArrayPool;
}

/**
 * Exports every instance of a build calls once instantiated, with their arguments: the build's
 * settings (set_fused_madd), the same for the calling thread's instances and the workers'.
 */
export type Setup = readonly (readonly [name: string, args: readonly number[]])[];

/** A backend's zero-copy arrays as its own methods (WasmKernels), each passed to its pool. */
export abstract class ArraysOf implements ArrayPool {
  abstract readonly arrays: ArrayPool;

  allocF32(length: number): Float32Array {
    return this.arrays.allocF32(length);
  }

  allocF64(length: number): Float64Array {
    return this.arrays.allocF64(length);
  }

  view<T extends FloatArray>(array: T): T {
    return this.arrays.view(array);
  }

  owns(array: ArrayBufferView): boolean {
    return this.arrays.owns(array);
  }

  misuse(array: ArrayBufferView): string | null {
    return this.arrays.misuse(array);
  }

  get handedOut(): boolean {
    return this.arrays.handedOut;
  }

  free(array: FloatArray): void {
    this.arrays.free(array);
  }
}

/** A kernel build instantiated on a memory. */
export class WasmKernelSet extends ArraysOf implements WasmKernels {
  readonly name: BackendName;
  /** The memory's views, growth and zero-copy arrays. */
  readonly mem: WasmMemory;
  /** The instance's exports by name. */
  protected readonly exports: Record<string, WasmFn>;
  /** Each kernel's export per element type, found once. */
  private readonly found = new WeakMap<object, Partial<Record<ElementType, { name: string; fn: WasmFn }>>>();

  constructor(variant: WasmVariant, mod: WebAssembly.Module, memory: WebAssembly.Memory, setup: Setup) {
    super();
    this.name = variant;
    const instance = new WebAssembly.Instance(mod, { env: { memory } });
    const exports: Record<string, WasmFn> = {};
    for (const [name, value] of Object.entries(instance.exports)) if (typeof value === 'function') exports[name] = value as WasmFn;
    this.exports = exports;
    for (const [name, args] of setup) exports[name](...args);
    // scratch_base: the first byte above the module's static data.
    this.mem = new WasmMemory(memory, exports.scratch_base() ?? 0);
  }

  get memory(): WebAssembly.Memory {
    return this.mem.memory;
  }

  /** The zero-copy surface the front exposes as engine.alloc / view / free. */
  get arrays(): ArrayPool {
    return this.mem;
  }

  run<A extends KernelArgs>(kernel: Kernel<A>, a: A): number {
    if (a.n === 0) return 0;
    if (kernel.wide && kernel.wide.when(a) && this.mem.offsetOf(a[kernel.main] as KernelArray) < 0) return kernel.wide.run(this, a);
    const call = this.describe(kernel, a);
    const stagedPerRow = place(this.mem, call);
    return this.runOnThreads(kernel, a, call) ?? runBlocks(this.mem, call, stagedPerRow);
  }

  /** The call descriptor of a kernel on `a`: the export for its main operand's element type. */
  describe<A extends KernelArgs>(kernel: Kernel<A>, a: A): StagedCall {
    const type = elementType(a[kernel.main] as KernelArray);
    let byType = this.found.get(kernel);
    if (!byType) this.found.set(kernel, (byType = {}));
    let entry = byType[type];
    if (!entry) {
      const name = `${type}_${kernel.export}`;
      const fn = this.exports[name];
      if (!fn) throw new Error(`xent: the '${this.name}' build has no export ${name}`);
      entry = byType[type] = { name, fn };
    }
    return describeCall(kernel, a, type, entry.name, entry.fn);
  }

  /** Runs a placed call on worker threads, or gives null to run it on this thread (no threads here). */
  protected runOnThreads<A extends KernelArgs>(_kernel: Kernel<A>, _a: A, _call: StagedCall): number | null {
    return null;
  }
}
