/**
 * The WebAssembly backends: one instance of a kernel build (src/wasm/), or, with threads, a
 * pair of instances routed by size (src/threads/threaded.ts).
 */
import { type Setup, WasmKernelSet, type WasmKernels } from '../wasm/kernel-set.js';
import { relaxedMaddFuses } from './choose.js';
import { type WasmVariant, moduleFor } from '../wasm/module.js';
import { THREAD_TUNING, type ThreadTuning } from '../threads/blocks.js';
import { threadsUnavailable } from '../threads/pool.js';
import { sharedModuleFor } from '../threads/shared-module.js';
import { SharedKernelSet, ThreadedKernels } from '../threads/threaded.js';

export type { WasmKernels } from '../wasm/kernel-set.js';
export { WASM_VARIANTS, type WasmVariant, compileWasmVariant, supportedWasmVariants } from '../wasm/module.js';

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
  // The relaxed build's fastest exp is accurate only where relaxed_madd fuses: the same probe
  // that ranks the builds (choose.ts) tells every instance, the workers' too.
  const setup: Setup = [['set_fused_madd', [variant === 'relaxed-simd' && relaxedMaddFuses() ? 1 : 0]]];
  const local = new WasmKernelSet(variant, moduleFor(variant), new WebAssembly.Memory({ initial: 1 }), setup);
  if (threads <= 1 || threadsUnavailable() !== null) return local;
  const tuning = { ...THREAD_TUNING, ...options.tuning };
  return new ThreadedKernels(local, new SharedKernelSet(variant, sharedModuleFor(variant), threads, tuning, local, setup), tuning);
}
