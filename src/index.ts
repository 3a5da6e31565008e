/**
 * xent: cross-entropy losses in WebAssembly SIMD with PyTorch's semantics.
 *
 * `createEngine()` gives an engine on the best backend this runtime runs; the same methods are
 * also exported as plain functions on a default engine, created synchronously on first use.
 */
import { XentEngine } from './engine.js';
import { jsKernels } from './backends/js.js';
import { createWasmKernels, supportedWasmVariants, type WasmVariant } from './backends/wasm.js';
import { BACKENDS, type BackendName } from './kernels/kernel.js';
import type { Engine, EngineOptions } from './types.js';
import { describe } from './validate.js';
import { preloadThreads } from './threads/pool.js';

/** Most threads an engine takes. */
const MAX_THREADS = 256;

export type * from './types.js';
export { BACKENDS } from './kernels/kernel.js';
export { mergeRowStates } from './shards.js';
export type { MergeOptions, MergedRowStates, PartialLoss, PartialLossWithGrad, RowStates } from './shards.js';

/** The backends this runtime runs, best first; 'js' is always last. */
export function availableBackends(): BackendName[] {
  return [...supportedWasmVariants(), 'js'];
}

/** Creates an engine synchronously (the wasm module is small enough to compile on the spot). */
export function createEngineSync(options: EngineOptions = {}): Engine {
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
  const kernels = backend === 'js' ? jsKernels : createWasmKernels(backend as WasmVariant, { threads });
  return new XentEngine(kernels) as unknown as Engine;
}

/**
 * Creates an engine on the requested backend ('auto', the default, picks the best one here).
 * With threads, it resolves once the workers run.
 */
export async function createEngine(options: EngineOptions = {}): Promise<Engine> {
  if (typeof options === 'object' && options !== null && (options.threads ?? 1) > 1) await preloadThreads();
  const engine = createEngineSync(options);
  await (engine as unknown as XentEngine).ready();
  return engine;
}

let defaultEngine: Engine | undefined;

/** The engine behind the plain-function exports: the best backend, or js where wasm fails to load. */
export function getDefaultEngine(): Engine {
  if (!defaultEngine) {
    try {
      defaultEngine = createEngineSync();
    } catch {
      defaultEngine = createEngineSync({ backend: 'js' });
    }
  }
  return defaultEngine;
}

type Method = Exclude<keyof Engine, 'backend' | 'threads'>;

/** A method of the default engine as a plain function (the engine is created on first call). */
function onDefault<K extends Method>(name: K): Engine[K] {
  return ((...args: unknown[]) => (getDefaultEngine()[name] as (...a: unknown[]) => unknown)(...args)) as Engine[K];
}

/** {@link Engine.softmaxCrossEntropy} on the default engine. */
export const softmaxCrossEntropy = onDefault('softmaxCrossEntropy');
/** {@link Engine.softmaxCrossEntropyWithGrad} on the default engine. */
export const softmaxCrossEntropyWithGrad = onDefault('softmaxCrossEntropyWithGrad');
/** {@link Engine.softmaxCrossEntropyDense} on the default engine. */
export const softmaxCrossEntropyDense = onDefault('softmaxCrossEntropyDense');
/** {@link Engine.softmaxCrossEntropyDenseWithGrad} on the default engine. */
export const softmaxCrossEntropyDenseWithGrad = onDefault('softmaxCrossEntropyDenseWithGrad');
/** {@link Engine.softmaxFocalLoss} on the default engine. */
export const softmaxFocalLoss = onDefault('softmaxFocalLoss');
/** {@link Engine.softmaxFocalLossWithGrad} on the default engine. */
export const softmaxFocalLossWithGrad = onDefault('softmaxFocalLossWithGrad');
/** {@link Engine.sigmoidFocalLoss} on the default engine. */
export const sigmoidFocalLoss = onDefault('sigmoidFocalLoss');
/** {@link Engine.sigmoidFocalLossWithGrad} on the default engine. */
export const sigmoidFocalLossWithGrad = onDefault('sigmoidFocalLossWithGrad');
/** {@link Engine.sigmoidCrossEntropy} on the default engine. */
export const sigmoidCrossEntropy = onDefault('sigmoidCrossEntropy');
/** {@link Engine.sigmoidCrossEntropyWithGrad} on the default engine. */
export const sigmoidCrossEntropyWithGrad = onDefault('sigmoidCrossEntropyWithGrad');
/** {@link Engine.crossEntropy} on the default engine. */
export const crossEntropy = onDefault('crossEntropy');
/** {@link Engine.entropy} on the default engine. */
export const entropy = onDefault('entropy');
/** {@link Engine.klDivergence} on the default engine. */
export const klDivergence = onDefault('klDivergence');
/** {@link Engine.softmax} on the default engine. */
export const softmax = onDefault('softmax');
/** {@link Engine.logSoftmax} on the default engine. */
export const logSoftmax = onDefault('logSoftmax');
