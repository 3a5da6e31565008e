import type { BackendName } from './kernels/kernel.js';
import type { MergedRowStates, PartialLoss, PartialLossWithGrad, RowStates } from './shards.js';

export type { BackendName } from './kernels/kernel.js';

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

/** The training extras of the softmax cross-entropy losses (see the README, "Training extras"). */
export interface SoftmaxExtraOptions {
  /**
   * z-loss coefficient z ≥ 0 (PaLM; Liger's `lse_square_scale`): adds z·lse² per counted row,
   * lse the row's log-sum-exp, with its gradient fused. Not weighted by class weights; 'mean'
   * divides it by the number of counted rows. Default 0.
   */
  zLoss?: number;
  /** c > 0: every logit x becomes c·tanh(x/c) before the softmax (Gemma 2). Default: no cap. */
  softcap?: number;
  /** Also return the z-loss term on its own: the result becomes `{ loss, zLoss }` (`loss` includes it). */
  returnZLoss?: boolean;
}

/** Options of `softmaxCrossEntropy` (integer labels; PyTorch `F.cross_entropy`). */
export interface SparseOptions extends ReduceOptions, SoftmaxExtraOptions {
  /** Per-class weights, length C. */
  weight?: FloatInput;
  /** Label value whose rows count for nothing. Default -100. */
  ignoreIndex?: number;
  /** ε in [0, 1). Default 0. */
  labelSmoothing?: number;
  /** Also return per-row statistics from the same pass: the result becomes `{ loss, stats }`. */
  stats?: boolean;
}

/** Options of `softmaxCrossEntropyDense` (probability targets). */
export interface DenseOptions extends ReduceOptions, SoftmaxExtraOptions {
  classes: number;
  weight?: FloatInput;
  labelSmoothing?: number;
}

/** Options of `softmaxFocalLoss`: per row −α_y·w[y]·(1 − p_y)^γ·log p_y. */
export interface SoftmaxFocalOptions extends ReduceOptions {
  /** γ ≥ 0; 0 gives cross-entropy. Default 2. */
  gamma?: number;
  /** α: one number for every class, or one per class (length C). Default 1. Not in the mean's denominator. */
  alpha?: number | FloatInput;
  /** Per-class weights, length C; 'mean' divides by Σ w[y] over counted rows, as cross-entropy does. */
  weight?: FloatInput;
  /** Label value whose rows count for nothing. Default -100. */
  ignoreIndex?: number;
}

/** Options of `sigmoidFocalLoss` (torchvision.ops.sigmoid_focal_loss). */
export interface SigmoidFocalOptions extends ReduceOptions {
  /** γ ≥ 0. Default 2 (torchvision's). */
  gamma?: number;
  /** Weight of positives α (negatives 1 − α); a negative α turns the weighting off, as in torchvision. Default 0.25. */
  alpha?: number;
}

/**
 * Per-row statistics of a `softmaxCrossEntropy` call with `stats: true`, taken in the loss pass.
 * Ignored rows (label = ignoreIndex) are not read: lse NaN, predicted -1, correct 0.
 */
export interface SoftmaxStats {
  /** Each row's log-sum-exp, log Σ_k exp(x_k), of the capped logits when `softcap` is set. */
  lse: FloatOutput;
  /** Each row's argmax of the logits (the lowest index among equal maxima, a row's first NaN if any: `torch.argmax`). */
  predicted: Int32Array;
  /** 1 where the prediction equals the label, else 0. */
  correct: Uint8Array;
  /** Σ correct: the number of counted rows predicted right. */
  correctCount: number;
  /** The number of counted rows (label ≠ ignoreIndex). */
  counted: number;
  /** correctCount / counted (0 when no row counts). */
  accuracy: number;
  /**
   * exp(mean over counted rows of −log p_y): perplexity as language-model evaluation reports it,
   * unweighted, without smoothing or z-loss (exp(loss) of a plain 'mean' call); 1 when no row counts.
   */
  perplexity: number;
}

/** The loss type of a call with options O: a number for 'mean' / 'sum' (the default), one value per row for 'none'. */
export type ReducedLoss<O> = 'reduction' extends keyof O ? LossOfReduction<O[keyof O & 'reduction']> : number;
type LossOfReduction<R> = [R] extends ['none'] ? FloatOutput : [R] extends ['mean' | 'sum' | undefined] ? number : Loss;

/** The extra fields a call with options O returns: `zLoss` for `returnZLoss: true`, `stats` for `stats: true`. */
export type LossExtras<O> = (O extends { returnZLoss: true } ? { zLoss: ReducedLoss<O> } : unknown) &
  (O extends { stats: true } ? { stats: SoftmaxStats } : unknown);

/**
 * What a loss-only softmax cross-entropy call returns: the loss itself, or with `returnZLoss: true`
 * or `stats: true` an object `{ loss, zLoss?, stats? }` with exactly the fields asked for.
 */
export type LossResult<O> = O extends { returnZLoss: true } | { stats: true } ? { loss: ReducedLoss<O> } & LossExtras<O> : ReducedLoss<O>;

/** What a softmax cross-entropy `...WithGrad` call returns: `{ loss, grad }` plus the extras asked for. */
export type GradResult<O> = LossWithGrad<ReducedLoss<O>> & LossExtras<O>;

/**
 * Options O, with every key the method does not take typed `never` (so a typo fails to compile)
 * unless its type admits undefined: the engine ignores options whose value is undefined.
 */
export type Checked<O, Allowed> = O & { [K in keyof O as K extends keyof Allowed ? never : K]: undefined extends O[K] ? O[K] : never };

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

/** Options of `softmaxCrossEntropyPartial`: the plain softmax cross-entropy's, without a reduction (it is a sum). */
export type PartialOptions = Pick<SparseOptions, 'classes' | 'weight' | 'ignoreIndex' | 'labelSmoothing'>;

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
  /** Softmax cross-entropy with integer labels; with `returnZLoss` / `stats`, an object (see LossResult). */
  softmaxCrossEntropy<const O extends SparseOptions = {}>(logits: FloatInput, labels: LabelInput, opts?: Checked<O, SparseOptions>): LossResult<O>;
  softmaxCrossEntropyWithGrad<const O extends SparseOptions & GradOptions = {}>(
    logits: FloatInput,
    labels: LabelInput,
    opts?: Checked<O, SparseOptions & GradOptions>,
  ): GradResult<O>;
  softmaxCrossEntropyDense<const O extends DenseOptions>(logits: FloatInput, targets: FloatInput, opts: Checked<O, DenseOptions>): LossResult<O>;
  softmaxCrossEntropyDenseWithGrad<const O extends DenseOptions & GradOptions>(
    logits: FloatInput,
    targets: FloatInput,
    opts: Checked<O, DenseOptions & GradOptions>,
  ): GradResult<O>;
  /** Multi-class focal loss on integer labels. */
  softmaxFocalLoss<const O extends SoftmaxFocalOptions = {}>(logits: FloatInput, labels: LabelInput, opts?: Checked<O, SoftmaxFocalOptions>): ReducedLoss<O>;
  softmaxFocalLossWithGrad<const O extends SoftmaxFocalOptions & GradOptions = {}>(
    logits: FloatInput,
    labels: LabelInput,
    opts?: Checked<O, SoftmaxFocalOptions & GradOptions>,
  ): LossWithGrad<ReducedLoss<O>>;
  /** Elementwise sigmoid focal loss (torchvision's), default reduction 'mean'. */
  sigmoidFocalLoss<const O extends SigmoidFocalOptions = {}>(logits: FloatInput, targets: FloatInput, opts?: Checked<O, SigmoidFocalOptions>): ReducedLoss<O>;
  sigmoidFocalLossWithGrad<const O extends SigmoidFocalOptions & GradOptions = {}>(
    logits: FloatInput,
    targets: FloatInput,
    opts?: Checked<O, SigmoidFocalOptions & GradOptions>,
  ): LossWithGrad<ReducedLoss<O>>;
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
  softmaxCrossEntropyPartial(logits: FloatInput, labels: LabelInput, opts?: PartialOptions): PartialLoss;
  /**
   * `{ sum, denominator, grad }` with grad the gradient of `gradOutput · sum` (gradOutput
   * default 1); `gradOutput: 1 / (Σ denominator over all shards)` gives the shard's rows of the
   * gradient of the batch mean.
   */
  softmaxCrossEntropyPartialWithGrad(
    logits: FloatInput, labels: LabelInput, opts?: PartialOptions & Omit<GradOptions, 'gradOutput'> & { gradOutput?: number },
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
