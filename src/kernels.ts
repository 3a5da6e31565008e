/**
 * The internal interface every backend implements: the pure-TypeScript kernels and each
 * WebAssembly build. The front (engine.ts) validates every argument before a call, so a kernel
 * may trust what it is given:
 * - all float arrays of one call have the same type (Float32Array or Float64Array); the type
 *   of `logits` (or `p`, `x`) decides the precision the kernel computes in;
 * - lengths match n and c exactly; n >= 0, c >= 1;
 * - every label is in [0, c) or equals ignoreIndex;
 * - an output array may be the very same array as the logits / input (same buffer, same
 *   offset, same length) — in-place — but never overlaps any other argument partially.
 * Kernels return mergeable partial results (sums as float64 numbers); the front applies the
 * reduction. A kernel never keeps a reference to an argument after it returns.
 */

/** A float array a kernel computes on; all float arrays of one call share the type. */
export type FloatArray = Float32Array | Float64Array;

/**
 * Softmax cross-entropy with integer class labels (PyTorch `F.cross_entropy`, class indices).
 * The training extras (softcap, zLoss, focalGamma, rowLse, rowArgmax) are off when absent.
 */
export interface SparseArgs<F extends FloatArray = FloatArray> {
  /** Row-major [n, c] logits. */
  logits: F;
  /** n labels, each in [0, c) or equal to ignoreIndex. */
  labels: Int32Array;
  n: number;
  c: number;
  /** Per-class weights (length c), or null for all ones. */
  weight: F | null;
  ignoreIndex: number;
  /** Label smoothing ε in [0, 1). */
  smoothing: number;
  /**
   * Out (length n), or null: row n's loss
   * (1-ε)·w[y]·(lse - x_y) + (ε/c)·Σ_k w_k·(lse - x_k); exactly 0 for an ignored row.
   */
  rowLoss: F | null;
  /**
   * Out (length n·c), or null for loss only: the gradient of the row losses w.r.t. logits,
   * each row multiplied by rowScale[n] when rowScale is given, else by gradScale:
   * scale·[ a·p_k − (1-ε)·w[y]·[k = y] − (ε/c)·w_k ] with a = (1-ε)·w[y] + (ε/c)·Σ_k w_k.
   * Ignored rows get exactly 0. May be the same array as logits (in-place).
   */
  grad: F | null;
  gradScale: number;
  /** Per-row gradient multipliers (length n), or null to use gradScale (and zGradScale). */
  rowScale: F | null;
  /**
   * Logit soft-capping c > 0, or 0 for none: every logit x is replaced by c·tanh(x/c) before
   * the softmax (and in the loss), and the gradient is multiplied by 1 − tanh²(x/c).
   */
  softcap?: number;
  /**
   * z-loss coefficient z ≥ 0. The kernel adds only its gradient, zGradScale·2z·lse·p_k for each
   * counted row (rowScale[n] instead of zGradScale when rowScale is given); rowLoss and the
   * returned sum exclude the z·lse² term, which the front adds from rowLse.
   */
  zLoss?: number;
  zGradScale?: number;
  /**
   * Focal loss γ ≥ 0 (smoothing is then 0), or -1 for cross-entropy. A counted row's loss is
   * w[y]·(1 − p_y)^γ·(−log p_y) and its gradient scale·w[y]·G·(p_k − [k = y]) with
   * G = (1 − p_y)^γ·(1 + γ·p_y·(−log p_y)/(1 − p_y)) (G = 1 for γ = 0, 0 when p_y = 1 and γ > 0).
   */
  focalGamma?: number;
  /** Out (length n), or null: each row's log-sum-exp (of the capped logits); NaN for ignored rows. */
  rowLse?: F | null;
  /**
   * Out (length n), or null: each row's argmax of the logits as given (before the cap), the
   * lowest index among equal maxima, the first NaN if the row has one (torch.argmax); -1 for
   * ignored rows.
   */
  rowArgmax?: Int32Array | null;
}

/** Softmax cross-entropy with probability targets [n, c] (PyTorch's probability-target path). */
export interface DenseArgs<F extends FloatArray = FloatArray> {
  logits: F;
  /** Row-major [n, c] target probabilities; smoothing applies t' = (1-ε)·t + ε/c. */
  targets: F;
  n: number;
  c: number;
  weight: F | null;
  smoothing: number;
  /**
   * Out (length n), or null: Σ_k w_k·t'_k·(lse - x_k). A term with w_k·t'_k = 0 contributes 0
   * even when x_k = -inf (0·log 0 = 0; PyTorch would give NaN there).
   */
  rowLoss: F | null;
  /** Out [n, c] or null: scale·[ p_k·Σ_j w_j·t'_j − w_k·t'_k ]. May be the logits array. */
  grad: F | null;
  gradScale: number;
  rowScale: F | null;
  /** As SparseArgs.softcap. */
  softcap?: number;
  /** As SparseArgs.zLoss (every row counts). */
  zLoss?: number;
  zGradScale?: number;
  /** Out (length n), or null: each row's log-sum-exp (of the capped logits). */
  rowLse?: F | null;
}

/** Binary cross-entropy with logits, elementwise (PyTorch `binary_cross_entropy_with_logits`). */
export interface SigmoidArgs<F extends FloatArray = FloatArray> {
  logits: F;
  targets: F;
  n: number;
  c: number;
  /** null, per-class (length c, broadcast over rows) or per-element (length n·c). */
  weight: F | null;
  weightPerElement: boolean;
  /** Per-class positive weight (length c), or null for 1. */
  posWeight: F | null;
  /**
   * Out (length n·c), or null: w·[ (1-t)·x + (1 + (pw-1)·t)·(log1p(exp(-|x|)) + max(-x, 0)) ].
   */
  elemLoss: F | null;
  /** Out [n, c] or null: scale·w·[ (1-t) − (1 + (pw-1)·t)·sigmoid(-x) ]. May be the logits. */
  grad: F | null;
  gradScale: number;
  /** Per-element gradient multipliers (length n·c), or null to use gradScale. */
  elemScale: F | null;
}

/**
 * Sigmoid focal loss, elementwise (torchvision.ops.sigmoid_focal_loss): with p = σ(x) and
 * q = t·(1 − p) + (1 − t)·p (= 1 − p_t), loss = a_t·BCE(x, t)·q^γ, a_t = α·t + (1 − α)·(1 − t)
 * when α ≥ 0, else 1.
 */
export interface SigmoidFocalArgs<F extends FloatArray = FloatArray> {
  logits: F;
  targets: F;
  n: number;
  c: number;
  gamma: number;
  /** α; negative: no α weighting (torchvision). */
  alpha: number;
  /** Out (length n·c), or null. */
  elemLoss: F | null;
  /**
   * Out [n, c] or null: scale·a_t·[ (p − t)·q^γ + γ·BCE·(1 − 2t)·p·(1 − p)·q^(γ−1) ], the last
   * term taken as 0 where q = 0. May be the logits.
   */
  grad: F | null;
  gradScale: number;
  /** Per-element gradient multipliers (length n·c), or null to use gradScale. */
  elemScale: F | null;
}

/** Row-wise functions on probabilities, natural log; 0·log(anything) = 0. */
export interface ProbArgs<F extends FloatArray = FloatArray> {
  p: F;
  /** Second distribution (crossEntropy, klDivergence); null for entropy. */
  q: F | null;
  n: number;
  c: number;
  /** Out (length n), or null. */
  rowLoss: F | null;
}

/** Row-wise softmax / log-softmax. */
export interface RowwiseArgs<F extends FloatArray = FloatArray> {
  x: F;
  n: number;
  c: number;
  /** Out [n, c]; may be the same array as x. */
  out: F;
}

/**
 * Per-row state of a block of columns (a vocabulary shard, or part of a row too wide to
 * stage): the pieces of log-sum-exp that merge exactly across blocks (src/shards.ts).
 */
export interface RowStateArgs<F extends FloatArray = FloatArray> {
  /** Row-major [n, c]: the block's columns of each row. */
  x: F;
  n: number;
  c: number;
  /** The block's class weights (length c), or null for all ones; read only for weightedShift. */
  weight: F | null;
  /** Out (length n): max_k x_k (-inf for a row of -inf). */
  max: Float64Array;
  /** Out (length n): Σ_k exp(x_k − max); 0 when max is -inf. */
  sumExp: Float64Array;
  /** Out (length n) or null: Σ_k w_k·(x_k − max) (a class of weight 0 adds 0); 0 when max is -inf. */
  weightedShift: Float64Array | null;
}

/** A block of softmax-family output from merged row states: α·exp(x_k − shift) − β·w_k. */
export interface ExpScaleArgs<F extends FloatArray = FloatArray> {
  x: F;
  n: number;
  c: number;
  /** Per row (length n), at least the row's max (the merged max of all its blocks). */
  shift: Float64Array;
  alpha: Float64Array;
  /** Per row; 0 leaves the w term out (so 0·w_k never meets an infinite exp term). */
  beta: Float64Array;
  weight: F | null;
  /** Out [n, c]; may be x itself. */
  out: F;
}

/** One kernel set: a backend. Every method returns Σ of the per-row (or per-element) losses. */
export interface Kernels {
  readonly name: BackendName;
  /** Σ_n rowLoss_n (ignored rows count 0). */
  sparse(a: SparseArgs): number;
  /** Σ_n rowLoss_n. */
  dense(a: DenseArgs): number;
  /** Σ of the element losses. */
  sigmoid(a: SigmoidArgs): number;
  /** Σ of the element losses. */
  sigmoidFocal(a: SigmoidFocalArgs): number;
  /** Σ_n −Σ_k p_k·log q_k (nats). */
  crossEntropy(a: ProbArgs): number;
  /** Σ_n −Σ_k p_k·log p_k (nats). */
  entropy(a: ProbArgs): number;
  /** Σ_n Σ_k p_k·(log p_k − log q_k) (nats). */
  klDivergence(a: ProbArgs): number;
  softmax(a: RowwiseArgs): void;
  logSoftmax(a: RowwiseArgs): void;
  /** Row states of a block of columns (merged by the front). */
  rowStates(a: RowStateArgs): void;
  /** out = α·exp(x − shift) − β·w per row: a block's slice of a softmax or gradient. */
  expScale(a: ExpScaleArgs): void;
  /**
   * Zero-copy arrays, for backends with a memory of their own (wasm): arrays that live there
   * are used in place by every kernel. Absent on the js backend, where every array is in place.
   */
  readonly arrays?: ArrayPool;
  /** Threads a call may run on, the calling thread included (absent: 1). */
  readonly threads?: number;
  /** Resolves once the backend's worker threads run (absent: nothing to wait for). */
  ready?(): Promise<void>;
  /** Stops the backend's worker threads; later calls run on the calling thread. */
  dispose?(): void;
}

/** Arrays handed out by a backend that owns a memory. */
export interface ArrayPool {
  allocF32(length: number): Float32Array;
  allocF64(length: number): Float64Array;
  /** Whether `array` is a live array from allocF32 / allocF64 (attached or detached by growth). */
  owns(array: ArrayBufferView): boolean;
  /** The current view of an owned array: itself, or a fresh view after the memory grew. */
  view<T extends FloatArray>(array: T): T;
  free(array: FloatArray): void;
  /**
   * Why `array` may not be given to a call, or null: an allocated array that was freed, or a
   * view of the memory outside the live allocations (freed memory, or the scratch every call
   * overwrites). Arrays elsewhere are none of the pool's business (null).
   */
  misuse(array: ArrayBufferView): string | null;
  /** Whether any array was ever handed out: until then no argument can lie in the memory. */
  readonly handedOut: boolean;
}

/** The backends, best first. */
export const BACKENDS = ['relaxed-simd', 'simd', 'wasm', 'js'] as const;
/** A backend name. */
export type BackendName = (typeof BACKENDS)[number];
