/**
 * The registry: every loss of the engine, in one list. The engine's methods (src/engine.ts),
 * the package's plain-function exports and option types (src/index.ts re-exports this module's
 * named exports), and the contract tests' list of methods (test/registry.test.ts) all come from
 * here. Adding a loss is its module and its lines below: the import, the public names it
 * exports, and its entry in LOSSES.
 */
import type { MethodsOf } from '../front/front.js';
import type { BackendName, FloatOutput } from '../types.js';
import sparseXent from './softmax-cross-entropy.js';
import denseXent from './softmax-cross-entropy-dense.js';
import softmaxFocal from './softmax-focal-loss.js';
import sigmoidFocal from './sigmoid-focal-loss.js';
import sigmoidXent from './sigmoid-cross-entropy.js';
import binaryXent from './binary-cross-entropy.js';
import probability from './probabilities.js';
import rowwise from './softmax.js';
import shards from './shards.js';
import causalLm from './causal-lm.js';
import scoring from './score-tokens.js';
import sampling from './sample.js';
import distillation from './distillation.js';

export { softmaxCrossEntropy, softmaxCrossEntropyWithGrad, type SparseOptions } from './softmax-cross-entropy.js';
export { softmaxCrossEntropyDense, softmaxCrossEntropyDenseWithGrad, type DenseOptions } from './softmax-cross-entropy-dense.js';
export { softmaxFocalLoss, softmaxFocalLossWithGrad, type SoftmaxFocalOptions } from './softmax-focal-loss.js';
export { sigmoidFocalLoss, sigmoidFocalLossWithGrad, type SigmoidFocalOptions } from './sigmoid-focal-loss.js';
export { sigmoidCrossEntropy, sigmoidCrossEntropyWithGrad, type SigmoidOptions } from './sigmoid-cross-entropy.js';
export { binaryCrossEntropy, binaryCrossEntropyWithGrad, type BinaryOptions } from './binary-cross-entropy.js';
export { crossEntropy, entropy, klDivergence, type ProbOptions } from './probabilities.js';
export { softmax, logSoftmax, type RowwiseOptions } from './softmax.js';
export type { PartialOptions, RowStateOptions } from './shards.js';
export { causalLmLoss, causalLmLossWithGrad, type CausalLmOptions } from './causal-lm.js';
export { scoreTokens, type ScoreOptions, type SequenceScores, type TokenScores } from './score-tokens.js';
export { sample, type SampleOptions, type SampleResult } from './sample.js';
export { distillationLoss, distillationLossWithGrad, type DistillationOptions } from './distillation.js';
export type { MaskInput, TokenIds } from '../lm/tokens.js';

/** Every loss module, in the order of the README. */
const LOSSES = [
  sparseXent, denseXent, softmaxFocal, sigmoidFocal, sigmoidXent, binaryXent, probability, rowwise, shards, causalLm, scoring, sampling, distillation,
] as const;

/** The list of losses (the registry's one internal export; its named exports are all public). */
export default LOSSES;

/** The engine: every loss of the family, on one backend. All methods are synchronous. */
export interface Engine extends MethodsOf<typeof LOSSES> {
  readonly backend: BackendName;
  /** Threads a large call runs on, the calling thread included (1 unless created with threads). */
  readonly threads: number;
  /** Stops the engine's worker threads; it stays usable, on the calling thread. A no-op without threads. */
  dispose(): void;
  /**
   * A zero-filled array that lives in the engine's own memory (wasm backends): pass it as
   * logits, targets, gradOut or out and no copy is made. On the js backend, a plain array.
   * Allocating can grow the memory, which detaches earlier views (length 0): the engine still
   * accepts them (and re-attaches them), and `view(array)` gives a fresh view with the contents
   * intact. Allocate what you need first, then take a view of each.
   */
  alloc(length: number, type?: 'float32'): Float32Array;
  alloc(length: number, type: 'float64'): Float64Array;
  /** The current view of an array from `alloc`: itself, or a fresh view after the memory grew. */
  view<T extends FloatOutput>(array: T): T;
  /** Returns an array from `alloc` to the engine (a no-op on the js backend). */
  free(array: FloatOutput): void;
}
