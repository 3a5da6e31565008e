/**
 * Choosing a backend: what this runtime runs, the kernels of createEngine's options, and the
 * default ones behind the plain-function exports.
 */
import { BACKENDS, type BackendName, type Kernels } from '../kernels/kernel.js';
import type { EngineOptions } from '../types.js';
import { describe } from '../front/describe.js';
import { rankVariants } from './choose.js';
import { jsKernels } from './js.js';
import { createWasmKernels, supportedWasmVariants } from './wasm.js';

/** Most threads an engine takes. */
const MAX_THREADS = 256;

/**
 * The backends this runtime runs, fastest first ('auto' takes the first; see backends/choose.ts);
 * 'js' is always last.
 */
export function availableBackends(): BackendName[] {
  return [...rankVariants(supportedWasmVariants()), 'js'];
}

/** The kernels of an engine with these options (createEngine's), checked. */
export function createKernels(options: EngineOptions = {}): Kernels {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`createEngine: options must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (key !== 'backend' && key !== 'threads') throw new TypeError(`createEngine: unknown option '${key}'; options: backend, threads`);
  }
  const threads = options.threads ?? 1;
  if (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new RangeError(`createEngine: threads must be an integer in [1, ${MAX_THREADS}], got ${describe(threads)}`);
  }
  const requested = options.backend ?? 'auto';
  if (requested !== 'auto' && !(BACKENDS as readonly string[]).includes(requested)) {
    throw new RangeError(`createEngine: unknown backend ${describe(requested)}; expected 'auto', ${BACKENDS.map((b) => `'${b}'`).join(', ')}`);
  }
  const available = availableBackends();
  const backend = requested === 'auto' ? available[0] : requested;
  if (!available.includes(backend)) {
    throw new Error(
      `createEngine: backend '${backend}' cannot run here (WebAssembly.validate rejects its features); available: ${available.join(', ')}` +
        (backend === 'relaxed-simd' ? '. Node 20 enables relaxed SIMD with --experimental-wasm-relaxed-simd' : ''),
    );
  }
  if (backend === 'js' && threads > 1) {
    throw new RangeError("createEngine: threads run the WebAssembly backends; the 'js' backend runs on one thread");
  }
  return backend === 'js' ? jsKernels : createWasmKernels(backend, { threads });
}

let defaults: Kernels | undefined;

/** The kernels behind the plain-function exports: the best backend, or js where wasm fails to load. */
export function defaultKernels(): Kernels {
  if (!defaults) {
    try {
      defaults = createKernels();
    } catch {
      defaults = jsKernels;
    }
  }
  return defaults;
}
