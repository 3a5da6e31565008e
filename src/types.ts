/**
 * The public types every loss shares. A loss's own options are declared with the loss
 * (src/losses/), and the Engine interface in the registry (src/losses/index.ts).
 */
import type { BackendName } from './kernels/kernel.js';

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
