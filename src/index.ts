/**
 * xent: cross-entropy losses in WebAssembly SIMD with PyTorch's semantics.
 *
 * `createEngine()` gives an engine on the best backend this runtime runs; the same methods are
 * also exported as plain functions on a default engine, created synchronously on first use.
 */
import { XentEngine } from './engine.js';
import { createKernels, defaultKernels } from './backends/index.js';
import type { Engine } from './losses/index.js';
import type { EngineOptions } from './types.js';
import { preloadThreads } from './threads/pool.js';

export type * from './types.js';
export * from './losses/index.js';
export { availableBackends } from './backends/index.js';
export { BACKENDS } from './kernels/kernel.js';
export { mergeRowStates } from './shards.js';
export type { MergeOptions, MergedRowStates, PartialLoss, PartialLossWithGrad, RowStates } from './shards.js';

/** Creates an engine synchronously (the wasm module is small enough to compile on the spot). */
export function createEngineSync(options: EngineOptions = {}): Engine {
  return new XentEngine(createKernels(options));
}

/**
 * Creates an engine on the requested backend ('auto', the default, picks the best one here).
 * With threads, it resolves once the workers run.
 */
export async function createEngine(options: EngineOptions = {}): Promise<Engine> {
  if (typeof options === 'object' && options !== null && (options.threads ?? 1) > 1) await preloadThreads();
  const engine = new XentEngine(createKernels(options));
  await engine.ready();
  return engine;
}

let defaultEngine: Engine | undefined;

/** The engine behind the plain-function exports: the best backend, or js where wasm fails to load. */
export function getDefaultEngine(): Engine {
  defaultEngine ??= new XentEngine(defaultKernels());
  return defaultEngine;
}
