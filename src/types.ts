import type { BackendName } from './kernels.js';
import type { MergedRowStates, PartialLoss, PartialLossWithGrad, RowStates } from './shards.js';

export type { BackendName } from './kernels.js';

/** A float input: Float32Array is the fast path; Float64Array computes in float64; number[] is read as float32. */
export type FloatInput = Float32Array | Float64Array | readonly number[];

/** Class labels: any integer typed array, BigInt64Array, number[], or a float array of integer values. */
export type LabelInput =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array
  | readonly number[];

/** The array type results come back in: Float64Array for Float64Array inputs, else Float32Array. */
export type FloatOutput = Float32Array | Float64Array;

/** How per-row (or per-element) losses are reduced. */
export type Reduction = 'mean' | 'sum' | 'none';

/** A loss: a number for 'mean' and 'sum', one value per row (per element for sigmoid) for 'none'. */
export type Loss = number | FloatOutput;

/** A loss with its gradient w.r.t. the logits (same layout as the logits). */
export interface LossWithGrad<L extends Loss = Loss> {
  loss: L;
  grad: FloatOutput;
}

/** Options every reducing loss takes. */
export interface ReduceOptions {
  /** C, the row length. */
  classes?: number;
  /** Default 'mean'. */
  reduction?: Reduction;
}

/** Options of the gradient-returning variants. */
export interface GradOptions {
  /**
   * Where to write the gradient (same type and length as the logits). It may be the logits
   * array itself for an in-place gradient; never by default.
   */
  gradOut?: FloatOutput;
  /**
   * The upstream gradient: a number for 'mean' / 'sum'; for 'none' one value per row (per
   * element for sigmoid) or one number for all. Default 1.
   */
  gradOutput?: number | FloatInput;
}

/** Options of `softmaxCrossEntropy` (integer labels; PyTorch `F.cross_entropy`). */
export interface SparseOptions extends ReduceOptions {
  /** Per-class weights, length C. */
  weight?: FloatInput;
  /** Label value whose rows count for nothing. Default -100. */
  ignoreIndex?: number;
  /** ε in [0, 1). Default 0. */
  labelSmoothing?: number;
}

/** Options of `softmaxCrossEntropyDense` (probability targets). */
export interface DenseOptions extends ReduceOptions {
  classes: number;
  weight?: FloatInput;
  labelSmoothing?: number;
}

/** Options of `sigmoidCrossEntropy` (PyTorch `binary_cross_entropy_with_logits`). */
export interface SigmoidOptions extends ReduceOptions {
  /** Per-class (length C) or per-element (length N·C) weights. */
  weight?: FloatInput;
  /** Weight of positive examples: a number, or one per class (length C). */
  posWeight?: number | FloatInput;
}

/** Options of the probability-space functions. */
export interface ProbOptions extends ReduceOptions {
  /** Logarithm base: 'e' (nats, default) or 2 (bits). */
  base?: 'e' | 2;
}

/** Options of `softmax` / `logSoftmax`. */
export interface RowwiseOptions {
  classes?: number;
  /** Where to write the result (same type and length as the input; may be the input itself). */
  out?: FloatOutput;
}

/** Options of `softmaxCrossEntropyRowStates`: one vocabulary shard, the classes [classOffset, classOffset + classes). */
export interface RowStateOptions {
  /** The shard's number of classes (its width); default labels.length / rows. */
  classes?: number;
  /** The shard's first class. Default 0. */
  classOffset?: number;
  /** The shard's class weights (length classes). */
  weight?: FloatInput;
  ignoreIndex?: number;
  labelSmoothing?: number;
}

/** Options of `createEngine`. */
export interface EngineOptions {
  /** Default 'auto': the best backend this runtime runs. */
  backend?: 'auto' | BackendName;
  /**
   * Threads to run each large call on, the calling thread included (default 1): a WebAssembly
   * backend runs on threads − 1 workers sharing its memory. Where workers cannot run (a browser
   * page that is not cross-origin isolated) the engine runs on one thread; `engine.threads` says.
   */
  threads?: number;
}

/** The engine: every loss of the family, on one backend. All methods are synchronous. */
export interface Engine {
  readonly backend: BackendName;
  /** Threads a large call runs on, the calling thread included (1 unless created with threads). */
  readonly threads: number;
  /** Stops the engine's worker threads; it stays usable, on the calling thread. A no-op without threads. */
  dispose(): void;
  softmaxCrossEntropy(logits: FloatInput, labels: LabelInput, opts?: SparseOptions & { reduction?: 'mean' | 'sum' }): number;
  softmaxCrossEntropy(logits: FloatInput, labels: LabelInput, opts: SparseOptions & { reduction: 'none' }): FloatOutput;
  softmaxCrossEntropy(logits: FloatInput, labels: LabelInput, opts?: SparseOptions): Loss;
  softmaxCrossEntropyWithGrad(logits: FloatInput, labels: LabelInput, opts?: SparseOptions & GradOptions & { reduction?: 'mean' | 'sum' }): LossWithGrad<number>;
  softmaxCrossEntropyWithGrad(logits: FloatInput, labels: LabelInput, opts: SparseOptions & GradOptions & { reduction: 'none' }): LossWithGrad<FloatOutput>;
  softmaxCrossEntropyWithGrad(logits: FloatInput, labels: LabelInput, opts?: SparseOptions & GradOptions): LossWithGrad;
  softmaxCrossEntropyDense(logits: FloatInput, targets: FloatInput, opts: DenseOptions & { reduction?: 'mean' | 'sum' }): number;
  softmaxCrossEntropyDense(logits: FloatInput, targets: FloatInput, opts: DenseOptions & { reduction: 'none' }): FloatOutput;
  softmaxCrossEntropyDense(logits: FloatInput, targets: FloatInput, opts: DenseOptions): Loss;
  softmaxCrossEntropyDenseWithGrad(logits: FloatInput, targets: FloatInput, opts: DenseOptions & GradOptions & { reduction?: 'mean' | 'sum' }): LossWithGrad<number>;
  softmaxCrossEntropyDenseWithGrad(logits: FloatInput, targets: FloatInput, opts: DenseOptions & GradOptions & { reduction: 'none' }): LossWithGrad<FloatOutput>;
  softmaxCrossEntropyDenseWithGrad(logits: FloatInput, targets: FloatInput, opts: DenseOptions & GradOptions): LossWithGrad;
  sigmoidCrossEntropy(logits: FloatInput, targets: FloatInput, opts?: SigmoidOptions & { reduction?: 'mean' | 'sum' }): number;
  sigmoidCrossEntropy(logits: FloatInput, targets: FloatInput, opts: SigmoidOptions & { reduction: 'none' }): FloatOutput;
  sigmoidCrossEntropy(logits: FloatInput, targets: FloatInput, opts?: SigmoidOptions): Loss;
  sigmoidCrossEntropyWithGrad(logits: FloatInput, targets: FloatInput, opts?: SigmoidOptions & GradOptions & { reduction?: 'mean' | 'sum' }): LossWithGrad<number>;
  sigmoidCrossEntropyWithGrad(logits: FloatInput, targets: FloatInput, opts: SigmoidOptions & GradOptions & { reduction: 'none' }): LossWithGrad<FloatOutput>;
  sigmoidCrossEntropyWithGrad(logits: FloatInput, targets: FloatInput, opts?: SigmoidOptions & GradOptions): LossWithGrad;
  crossEntropy(p: FloatInput, q: FloatInput, opts?: ProbOptions & { reduction?: 'mean' | 'sum' }): number;
  crossEntropy(p: FloatInput, q: FloatInput, opts: ProbOptions & { reduction: 'none' }): FloatOutput;
  crossEntropy(p: FloatInput, q: FloatInput, opts?: ProbOptions): Loss;
  entropy(p: FloatInput, opts?: ProbOptions & { reduction?: 'mean' | 'sum' }): number;
  entropy(p: FloatInput, opts: ProbOptions & { reduction: 'none' }): FloatOutput;
  entropy(p: FloatInput, opts?: ProbOptions): Loss;
  klDivergence(p: FloatInput, q: FloatInput, opts?: ProbOptions & { reduction?: 'mean' | 'sum' }): number;
  klDivergence(p: FloatInput, q: FloatInput, opts: ProbOptions & { reduction: 'none' }): FloatOutput;
  klDivergence(p: FloatInput, q: FloatInput, opts?: ProbOptions): Loss;
  softmax(logits: FloatInput, opts?: RowwiseOptions): FloatOutput;
  logSoftmax(logits: FloatInput, opts?: RowwiseOptions): FloatOutput;
  // ---- shards that combine exactly (src/shards.ts) ----
  /** A batch shard's loss as `{ sum, denominator }`: the batch mean is Σ sum / Σ denominator. */
  softmaxCrossEntropyPartial(logits: FloatInput, labels: LabelInput, opts?: Omit<SparseOptions, 'reduction'>): PartialLoss;
  /**
   * `{ sum, denominator, grad }` with grad the gradient of `gradOutput · sum` (gradOutput
   * default 1); `gradOutput: 1 / (Σ denominator over all shards)` gives the shard's rows of the
   * gradient of the batch mean.
   */
  softmaxCrossEntropyPartialWithGrad(
    logits: FloatInput, labels: LabelInput, opts?: Omit<SparseOptions, 'reduction'> & Omit<GradOptions, 'gradOutput'> & { gradOutput?: number },
  ): PartialLossWithGrad;
  /** A vocabulary shard's per-row state (its columns of every row), for `mergeRowStates`. */
  softmaxCrossEntropyRowStates(logits: FloatInput, labels: LabelInput, opts?: RowStateOptions): RowStates;
  /** The shard's columns of the gradient of the merged loss (`gradOutput` as for its reduction). */
  softmaxCrossEntropyShardGrad(logits: FloatInput, state: RowStates, merged: MergedRowStates, opts?: GradOptions): FloatOutput;
  // ---- end of shards ----
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
