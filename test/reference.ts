/**
 * A float64 reference of every xent method, written for clarity, not speed.
 *
 * It is deliberately formulated differently from the kernels (the kernels of src/losses/): each row is first
 * turned into log-probabilities (max, then log Σ exp), and every loss is then written straight
 * from PyTorch's definition on those log-probabilities; every gradient is the hand-derived
 * derivative of that definition (what autograd would return), written out plainly.
 *
 * Inputs are read as plain numbers (a Float32Array's entries are its float32 values, read
 * exactly); all arithmetic is float64. Results have the shapes of the public API: a number for
 * 'mean' / 'sum', one value per row ('none'; one per element for sigmoid) as a Float64Array.
 *
 * xent's decisions where PyTorch is silent or gives NaN, followed here:
 *  - 'mean' over nothing (every row ignored, Σ of the counted weights = 0, or N = 0) is 0, and
 *    its gradient is 0;
 *  - a term whose coefficient is 0 contributes 0, whatever the log it multiplies
 *    (0·log 0 = 0, also 0·(-inf) = 0): dense targets with w·t' = 0 against a -inf logit, and the
 *    probability-space functions with p = 0, and the sparse loss's terms with a class weight
 *    of 0 (w[y] = 0 in the nll term, w_k = 0 in the smoothing sum), which PyTorch would turn into
 *    NaN against a -inf logit; so the sparse and the dense (one-hot) calls agree.
 * Everything else is raw PyTorch.
 *
 * Each function also returns `gradAmp` (same layout as `grad`): for each gradient entry, the
 * magnitude of the terms whose difference it is. It is no part of the loss; tests use it to scale
 * absolute tolerances (a gradient entry that is the small difference of two large terms cannot be
 * more exact, relative to those terms, than the precision of the arithmetic).
 */

export type Reduction = 'mean' | 'sum' | 'none';
export type Loss = number | Float64Array;

/** Numbers a reference function reads: a typed array or a plain array. */
export type Values = ArrayLike<number>;

/** Loss and gradient with respect to the logits, as autograd would give them. */
export interface RefResult {
  loss: Loss;
  grad: Float64Array;
  /** Per gradient entry: the size of the terms it is the difference of (for tolerances). */
  gradAmp: Float64Array;
}

// ---------------------------------------------------------------------------------------------
// Row-wise softmax / log-softmax
// ---------------------------------------------------------------------------------------------

/** log-softmax of one row: (x_k − max) − log Σ_j exp(x_j − max). */
export function logSoftmaxRow(row: Values): Float64Array {
  let max = -Infinity;
  for (let k = 0; k < row.length; k++) max = Math.max(max, row[k]);
  let sumExp = 0;
  for (let k = 0; k < row.length; k++) sumExp += Math.exp(row[k] - max);
  // (x − max) − log Σ: max + log Σ would round away log Σ when |max| is ~1e17 or more.
  const logSum = Math.log(sumExp);
  const out = new Float64Array(row.length);
  for (let k = 0; k < row.length; k++) out[k] = row[k] - max - logSum;
  return out;
}

/** The rows of a row-major [n, c] array. */
function rows(x: Values, c: number): Values[] {
  if (!(Number.isInteger(c) && c >= 1) || x.length % c !== 0) throw new Error(`reference: bad classes ${c} for length ${x.length}`);
  const out: Values[] = [];
  for (let off = 0; off < x.length; off += c) out.push(Array.prototype.slice.call(x, off, off + c) as number[]);
  return out;
}

/** log-softmax of every row. */
export function refLogSoftmax(x: Values, opts: { classes: number }): Float64Array {
  const out = new Float64Array(x.length);
  rows(x, opts.classes).forEach((row, r) => out.set(logSoftmaxRow(row), r * opts.classes));
  return out;
}

/** softmax of every row: exp(log-softmax). */
export function refSoftmax(x: Values, opts: { classes: number }): Float64Array {
  return refLogSoftmax(x, opts).map(Math.exp);
}

// ---------------------------------------------------------------------------------------------
// Reductions and upstream gradients
// ---------------------------------------------------------------------------------------------

/** 'none' → the per-row values; 'sum' → Σ; 'mean' → Σ / denom, or 0 when denom is 0. */
function reduce(perRow: Float64Array, reduction: Reduction, denom: number): Loss {
  if (reduction === 'none') return perRow;
  let sum = 0;
  for (const v of perRow) sum += v;
  if (reduction === 'sum') return sum;
  return denom === 0 ? 0 : sum / denom;
}

/**
 * d(reduced loss)/d(rowLoss_i), times the upstream gradient: for 'mean' g / denom (0 when denom
 * is 0: the mean is then the constant 0), for 'sum' g, for 'none' g_i (one per row or one number).
 */
function upstream(reduction: Reduction, gradOutput: number | Values | undefined, count: number, denom: number): Float64Array {
  const g = gradOutput ?? 1;
  const out = new Float64Array(count);
  if (typeof g === 'number') {
    const s = reduction === 'mean' ? (denom === 0 ? 0 : g / denom) : g;
    out.fill(s);
  } else {
    if (reduction !== 'none') throw new Error('reference: gradOutput array needs reduction none');
    if (g.length !== count) throw new Error(`reference: gradOutput length ${g.length}, expected ${count}`);
    for (let i = 0; i < count; i++) out[i] = g[i];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// A row loss −Σ_k a_k·logp_k with fixed coefficients a (the probability-target loss)
// ---------------------------------------------------------------------------------------------

/**
 * loss = −Σ_k a_k·log p_k(x), skipping a_k = 0 (0·log anything = 0).
 * Gradient (autograd): ∂/∂x_j of −Σ_k a_k (x_k − lse(x)) = −a_j + (Σ_k a_k)·p_j.
 */
function coefficientRow(x: Values, a: Values, g: number): { loss: number; grad: Float64Array; amp: Float64Array } {
  const logp = logSoftmaxRow(x);
  let loss = 0;
  let sumA = 0;
  for (let k = 0; k < x.length; k++) {
    if (a[k] === 0) continue;
    loss -= a[k] * logp[k];
    sumA += a[k];
  }
  const grad = new Float64Array(x.length);
  const amp = new Float64Array(x.length);
  for (let j = 0; j < x.length; j++) {
    const p = Math.exp(logp[j]);
    grad[j] = g * (sumA * p - a[j]);
    amp[j] = Math.abs(g) * (Math.abs(sumA) * p + Math.abs(a[j]));
  }
  return { loss, grad, amp };
}

// ---------------------------------------------------------------------------------------------
// softmaxCrossEntropy: F.cross_entropy with class indices
// ---------------------------------------------------------------------------------------------

export interface RefSparseOptions {
  classes: number;
  reduction?: Reduction;
  weight?: Values | null;
  ignoreIndex?: number;
  labelSmoothing?: number;
  gradOutput?: number | Values;
  /** Logit soft-capping c > 0 (0 or absent: none). */
  softcap?: number;
  /** z-loss coefficient (0 or absent: none). */
  zLoss?: number;
}

/** The z-loss term alone (reduced as the loss is) and the per-row statistics, for the extras. */
export interface RefExtras {
  zLoss: Loss;
  stats: {
    lse: Float64Array;
    predicted: Int32Array;
    correct: Uint8Array;
    correctCount: number;
    counted: number;
    accuracy: number;
    perplexity: number;
  };
}

/** c·tanh(x/c) of every entry of a row (the row itself when c is 0). */
function capRow(row: Values, cap: number): Values {
  return cap > 0 ? Array.from(row, (v) => cap * Math.tanh(v / cap)) : row;
}

/** d(c·tanh(x/c))/dx = 1 − tanh²(x/c) (1 when c is 0). */
function capSlope(x: number, cap: number): number {
  return cap > 0 ? 1 - Math.tanh(x / cap) ** 2 : 1;
}

/** log Σ exp of a row: max + log Σ exp(x − max) (NaN for a row of -inf, which has no softmax). */
export function logSumExp(row: Values): number {
  let max = -Infinity;
  for (let k = 0; k < row.length; k++) max = Math.max(max, row[k]);
  let sumExp = 0;
  for (let k = 0; k < row.length; k++) sumExp += Math.exp(row[k] - max);
  return max + Math.log(sumExp);
}

/** torch.argmax of a row: the first NaN if any, else the first of the largest entries. */
export function argmaxRow(row: Values): number {
  let at = 0;
  for (let k = 0; k < row.length; k++) {
    if (Number.isNaN(row[k])) return k;
    if (row[k] > row[at]) at = k;
  }
  return at;
}

/**
 * PyTorch, row by row (n not ignored), with logp = log_softmax(x_n) and ε = labelSmoothing:
 *   nll_n    = −w[y]·logp_y
 *   smooth_n = −Σ_c w_c·logp_c            (computed only when ε > 0, as PyTorch does)
 *   loss_n   = (1−ε)·nll_n + (ε/C)·smooth_n
 * and loss_n = 0 for an ignored row (y = ignoreIndex). 'mean' divides Σ_n loss_n by
 * Σ_{n∉I} w[y_n] (PyTorch's weighted mean, applied to the smoothing term too); 'sum' is Σ_n.
 *
 * Gradient: with ∂logp_c/∂x_k = [c = k] − p_k,
 *   ∂nll_n/∂x_k    = w[y]·(p_k − [k = y])
 *   ∂smooth_n/∂x_k = Σ_c w_c·(p_k − [c = k]) = p_k·Σ_c w_c − w_k
 *   ∂loss_n/∂x_k   = (1−ε)·w[y]·(p_k − [k = y]) + (ε/C)·(p_k·Σ_c w_c − w_k)
 * times the upstream factor of row n (gradOutput / denominator for 'mean').
 *
 * The training extras (Liger-Kernel's cross-entropy, written out):
 *  - softcap c: the row x_n is replaced by c·tanh(x_n/c) everywhere above, and the gradient
 *    w.r.t. x_k is multiplied by 1 − tanh²(x_k/c);
 *  - zLoss z: each counted row adds z·lse_n² (lse of the capped row), not weighted; its 'mean'
 *    divides by the number of counted rows (not by Σ w[y]); its gradient is 2z·lse_n·p_k times
 *    the upstream factor (gradOutput / counted rows for 'mean').
 * `zLoss` in the result is that term alone, reduced the same way; `stats` are the per-row
 * statistics (perplexity = exp of the mean −logp_y over counted rows, unweighted, unsmoothed).
 */
export function refSoftmaxCrossEntropy(logits: Values, labels: ArrayLike<number | bigint>, opts: RefSparseOptions): RefResult & RefExtras {
  const c = opts.classes;
  const reduction = opts.reduction ?? 'mean';
  const ignoreIndex = opts.ignoreIndex ?? -100;
  const eps = opts.labelSmoothing ?? 0;
  const cap = opts.softcap ?? 0;
  const z = opts.zLoss ?? 0;
  const weight = (k: number) => (opts.weight ? opts.weight[k] : 1);
  const xs = rows(logits, c);
  const n = xs.length;
  if (labels.length !== n) throw new Error('reference: labels length');
  const label = (i: number) => Number(labels[i]);

  let denom = 0;
  let counted = 0;
  for (let i = 0; i < n; i++) {
    if (label(i) === ignoreIndex) continue;
    denom += weight(label(i));
    counted++;
  }
  let sumW = 0;
  for (let k = 0; k < c; k++) sumW += weight(k);

  const g = upstream(reduction, opts.gradOutput, n, denom);
  const gz = upstream(reduction, opts.gradOutput, n, counted);
  const ceRow = new Float64Array(n);
  const zRow = new Float64Array(n);
  const grad = new Float64Array(n * c);
  const gradAmp = new Float64Array(n * c);
  const lse = new Float64Array(n).fill(NaN);
  const predicted = new Int32Array(n).fill(-1);
  const correct = new Uint8Array(n);
  let nllSum = 0;
  for (let i = 0; i < n; i++) {
    const y = label(i);
    if (y === ignoreIndex) continue; // loss 0, gradient 0
    const v = capRow(xs[i], cap);
    const logp = logSoftmaxRow(v);
    lse[i] = logSumExp(v);
    predicted[i] = argmaxRow(xs[i]);
    correct[i] = predicted[i] === y ? 1 : 0;
    nllSum -= logp[y];
    const nll = weight(y) === 0 ? 0 : -weight(y) * logp[y];
    let smooth = 0;
    if (eps > 0) for (let k = 0; k < c; k++) if (weight(k) !== 0) smooth -= weight(k) * logp[k];
    // A NaN logit makes a smoothed row NaN even when every class weight is 0 (README: a NaN logit
    // makes its row NaN); a zero weight drops a term only against a -inf logit, and w[y] = 0 the nll term whole.
    if (eps > 0 && logp.some(Number.isNaN)) smooth = NaN;
    zRow[i] = z === 0 ? 0 : z * lse[i] * lse[i];
    ceRow[i] = (1 - eps) * nll + (eps / c) * smooth;
    for (let k = 0; k < c; k++) {
      const p = Math.exp(logp[k]);
      const hit = k === y ? 1 : 0;
      const dNll = weight(y) * (p - hit);
      const dSmooth = p * sumW - weight(k);
      const dz = 2 * z * lse[i] * p;
      const slope = capSlope(xs[i][k], cap);
      grad[i * c + k] = (g[i] * ((1 - eps) * dNll + (eps / c) * dSmooth) + gz[i] * dz) * slope;
      // The terms a·p_k, (1−ε)·w[y]·[k = y], (ε/C)·w_k and 2z·lse·p_k of the kernels' form.
      gradAmp[i * c + k] =
        (Math.abs(g[i]) * (Math.abs((1 - eps) * weight(y) + (eps / c) * sumW) * p + Math.abs((1 - eps) * weight(y) * hit) + Math.abs((eps / c) * weight(k))) +
          Math.abs(gz[i] * dz)) *
        slope;
    }
  }
  // The mean of a loss with a z-loss term: the cross-entropy part over Σ w[y], the z part over counted rows.
  const zLoss = reduce(zRow, reduction, counted);
  const ce = reduce(ceRow, reduction, denom);
  const loss = reduction === 'none' ? ceRow.map((v, i) => v + zRow[i]) : (ce as number) + (zLoss as number);
  const correctCount = correct.reduce((a, b) => a + b, 0);
  const stats = {
    lse,
    predicted,
    correct,
    correctCount,
    counted,
    accuracy: counted === 0 ? 0 : correctCount / counted,
    perplexity: counted === 0 ? 1 : Math.exp(nllSum / counted),
  };
  return { loss, grad, gradAmp, zLoss, stats };
}

// ---------------------------------------------------------------------------------------------
// softmaxFocalLoss: multi-class focal loss on integer labels
// ---------------------------------------------------------------------------------------------

export interface RefSoftmaxFocalOptions {
  classes: number;
  reduction?: Reduction;
  gamma?: number;
  /** One number for every class, or one per class. */
  alpha?: number | Values | null;
  weight?: Values | null;
  ignoreIndex?: number;
  gradOutput?: number | Values;
}

/**
 * Focal loss (Lin et al. 2017), multi-class: with logp_y = log_softmax(x)_y, p = exp(logp_y),
 *   loss_n = −α_y·w[y]·(1 − p)^γ·logp_y      (0 for an ignored row)
 * 'mean' divides by Σ_{n∉I} w[y_n] (α is a loss factor, not a weight of the mean; without
 * weights: the number of counted rows), so γ = 0 without α is F.cross_entropy exactly.
 * Gradient: ∂(1 − p)^γ/∂x_k = −γ(1 − p)^(γ−1)·p·([k = y] − p_k) and ∂(−logp_y)/∂x_k = p_k − [k = y]:
 *   ∂loss_n/∂x_k = α_y·w[y]·G·(p_k − [k = y]),  G = (1 − p)^γ + γ·p·(1 − p)^(γ−1)·(−logp_y).
 * 1 − p is −expm1(logp_y); where it is 0, (1 − p)^(γ−1)·(−logp_y) → 1 (−log p ≈ 1 − p).
 */
export function refSoftmaxFocalLoss(logits: Values, labels: ArrayLike<number>, opts: RefSoftmaxFocalOptions): RefResult {
  const c = opts.classes;
  const reduction = opts.reduction ?? 'mean';
  const ignoreIndex = opts.ignoreIndex ?? -100;
  const gamma = opts.gamma ?? 2;
  const weight = (k: number) => (opts.weight ? opts.weight[k] : 1);
  const alphaOpt = opts.alpha ?? null;
  const alpha = (k: number) => (alphaOpt === null ? 1 : typeof alphaOpt === 'number' ? alphaOpt : alphaOpt[k]);
  const xs = rows(logits, c);
  const n = xs.length;
  let denom = 0;
  for (let i = 0; i < n; i++) if (labels[i] !== ignoreIndex) denom += weight(labels[i]);
  const g = upstream(reduction, opts.gradOutput, n, denom);
  const perRow = new Float64Array(n);
  const grad = new Float64Array(n * c);
  const gradAmp = new Float64Array(n * c);
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    if (y === ignoreIndex) continue;
    const logp = logSoftmaxRow(xs[i]);
    const p = Math.exp(logp[y]);
    const q = -Math.expm1(logp[y]);
    const a = alpha(y) * weight(y);
    const f = gamma === 0 ? 1 : q ** gamma;
    perRow[i] = a === 0 ? 0 : -a * f * logp[y];
    // (1 − p)^(γ−1)·(−logp_y)·p = f·p·(−logp_y)/q, with its limits at q = 0 and p = 0.
    const tail = p === 0 ? 0 : q === 0 ? f * p : (f * p * -logp[y]) / q;
    const G = f + gamma * tail;
    for (let k = 0; k < c; k++) {
      const pk = Math.exp(logp[k]);
      const hit = k === y ? 1 : 0;
      grad[i * c + k] = g[i] * a * G * (pk - hit);
      gradAmp[i * c + k] = Math.abs(g[i] * a * G) * (pk + hit);
    }
  }
  return { loss: reduce(perRow, reduction, denom), grad, gradAmp };
}

// ---------------------------------------------------------------------------------------------
// sigmoidFocalLoss: torchvision.ops.sigmoid_focal_loss
// ---------------------------------------------------------------------------------------------

export interface RefSigmoidFocalOptions {
  classes: number;
  reduction?: Reduction;
  gamma?: number;
  alpha?: number;
  gradOutput?: number | Values;
}

/**
 * torchvision.ops.sigmoid_focal_loss, elementwise, with p = σ(x):
 *   ce = BCE-with-logits(x, t) = t·softplus(−x) + (1 − t)·softplus(x)
 *   p_t = p·t + (1 − p)·(1 − t);  loss = ce·(1 − p_t)^γ, times α_t = α·t + (1 − α)·(1 − t) if α ≥ 0
 * (1 − p_t is written t·σ(−x) + (1 − t)·σ(x), the same number without cancellation).
 * 'mean' divides by N·C (torchvision's default reduction is 'none'; xent's is 'mean').
 * Gradient: dce/dx = p − t, d(1 − p_t)/dx = (1 − 2t)·p·(1 − p):
 *   dloss/dx = α_t·[(p − t)·q^γ + γ·q^(γ−1)·(1 − 2t)·p·(1 − p)·ce],  q = 1 − p_t
 * (the second term is 0 where q = 0: its limit).
 */
export function refSigmoidFocalLoss(logits: Values, targets: Values, opts: RefSigmoidFocalOptions): RefResult {
  const reduction = opts.reduction ?? 'mean';
  const gamma = opts.gamma ?? 2;
  const alpha = opts.alpha ?? 0.25;
  const count = logits.length;
  const g = upstream(reduction, opts.gradOutput, count, count);
  const perElem = new Float64Array(count);
  const grad = new Float64Array(count);
  const gradAmp = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const x = logits[i];
    const t = targets[i];
    const p = sigmoid(x);
    const pNeg = sigmoid(-x);
    const ce = bceWithLogits(x, t);
    const q = t * pNeg + (1 - t) * p;
    const fq = gamma === 0 ? 1 : q ** gamma;
    const at = alpha >= 0 ? alpha * t + (1 - alpha) * (1 - t) : 1;
    perElem[i] = at * ce * fq;
    const second = gamma === 0 || q === 0 ? 0 : gamma * q ** (gamma - 1) * (1 - 2 * t) * p * pNeg * ce;
    grad[i] = g[i] * at * ((p - t) * fq + second);
    gradAmp[i] = Math.abs(g[i] * at) * ((p + Math.abs(t)) * fq + Math.abs(second));
  }
  return { loss: reduce(perElem, reduction, count), grad, gradAmp };
}

// ---------------------------------------------------------------------------------------------
// softmaxCrossEntropyDense: F.cross_entropy with probability targets
// ---------------------------------------------------------------------------------------------

export interface RefDenseOptions {
  classes: number;
  reduction?: Reduction;
  weight?: Values | null;
  labelSmoothing?: number;
  gradOutput?: number | Values;
  softcap?: number;
  zLoss?: number;
}

/**
 * PyTorch: t' = (1−ε)·t + ε/C; loss_n = −Σ_c w_c·t'[n, c]·logp[n, c]; 'mean' divides by N
 * (not by any weight sum). Coefficients a_c = w_c·t'_c; a zero coefficient contributes 0.
 * softcap and zLoss as for refSoftmaxCrossEntropy (every row counts, so the z-loss 'mean'
 * divides by N too); `zLoss` in the result is that term alone.
 */
export function refSoftmaxCrossEntropyDense(logits: Values, targets: Values, opts: RefDenseOptions): RefResult & { zLoss: Loss } {
  const c = opts.classes;
  const reduction = opts.reduction ?? 'mean';
  const eps = opts.labelSmoothing ?? 0;
  const w = opts.weight ?? null;
  const cap = opts.softcap ?? 0;
  const z = opts.zLoss ?? 0;
  const xs = rows(logits, c);
  const ts = rows(targets, c);
  const n = xs.length;
  if (ts.length !== n) throw new Error('reference: targets length');
  const g = upstream(reduction, opts.gradOutput, n, n);
  const perRow = new Float64Array(n);
  const zRow = new Float64Array(n);
  const grad = new Float64Array(n * c);
  const gradAmp = new Float64Array(n * c);
  for (let i = 0; i < n; i++) {
    const v = capRow(xs[i], cap);
    const a = Float64Array.from(ts[i], (t, k) => (w ? w[k] : 1) * ((1 - eps) * t + eps / c));
    const row = coefficientRow(v, a, g[i]);
    const lse = logSumExp(v);
    zRow[i] = z === 0 ? 0 : z * lse * lse;
    perRow[i] = row.loss + zRow[i];
    const logp = logSoftmaxRow(v);
    for (let k = 0; k < c; k++) {
      const dz = g[i] * 2 * z * lse * Math.exp(logp[k]);
      const slope = capSlope(xs[i][k], cap);
      grad[i * c + k] = (row.grad[k] + dz) * slope;
      gradAmp[i * c + k] = (row.amp[k] + Math.abs(dz)) * slope;
    }
  }
  return { loss: reduce(perRow, reduction, n), grad, gradAmp, zLoss: reduce(zRow, reduction, n) };
}

// ---------------------------------------------------------------------------------------------
// sigmoidCrossEntropy: F.binary_cross_entropy_with_logits
// ---------------------------------------------------------------------------------------------

export interface RefSigmoidOptions {
  classes: number;
  reduction?: Reduction;
  /** Per class (length C, broadcast over rows) or per element (length N·C). */
  weight?: Values | null;
  /** A number, or one per class. */
  posWeight?: number | Values | null;
  /** A number; for 'none' also one per element. */
  gradOutput?: number | Values;
}

/** softplus(z) = log(1 + e^z), evaluated without overflow: max(z, 0) + log1p(e^−|z|). */
export function softplus(z: number): number {
  return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
}

/** σ(z) = 1 / (1 + e^−z), evaluated without overflow. */
export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/**
 * binary_cross_entropy_with_logits of one element, with pw the positive weight:
 * pw·t·softplus(−x) + (1−t)·softplus(x). At x = ±Infinity it is PyTorch's own expression,
 * (1−t)·x − (1 + (pw−1)·t)·log σ(x), which is NaN wherever it meets 0·∞ or ∞ − ∞ (x = +∞ with
 * t = 1, x = −∞ with any t) where the limit would be finite or +∞.
 */
export function bceWithLogits(x: number, t: number, pw = 1): number {
  if (Number.isFinite(x)) return pw * t * softplus(-x) + (1 - t) * softplus(x);
  return (1 - t) * x + (1 + (pw - 1) * t) * softplus(-x);
}

/**
 * PyTorch: ℓ = −w·[pw·t·log σ(x) + (1−t)·log(1 − σ(x))] with log σ(x) = −softplus(−x) and
 * log(1 − σ(x)) = −softplus(x): ℓ = w·[pw·t·softplus(−x) + (1−t)·softplus(x)].
 * Gradient: dℓ/dx = w·[−pw·t·σ(−x) + (1−t)·σ(x)]. 'mean' divides by N·C.
 */
export function refSigmoidCrossEntropy(logits: Values, targets: Values, opts: RefSigmoidOptions): RefResult {
  const c = opts.classes;
  const reduction = opts.reduction ?? 'mean';
  const count = logits.length;
  if (targets.length !== count) throw new Error('reference: targets length');
  const w = opts.weight ?? null;
  // PyTorch broadcasting: a weight of length C is per class, one of length N·C per element.
  const perElement = w !== null && w.length !== c;
  if (w && w.length !== c && w.length !== count) throw new Error('reference: weight length');
  const pwOpt = opts.posWeight ?? null;
  const posWeight = (k: number) => (pwOpt === null ? 1 : typeof pwOpt === 'number' ? pwOpt : pwOpt[k]);
  const g = upstream(reduction, opts.gradOutput, count, count);
  const perElem = new Float64Array(count);
  const grad = new Float64Array(count);
  const gradAmp = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const k = i % c;
    const x = logits[i];
    const t = targets[i];
    const wi = w ? w[perElement ? i : k] : 1;
    const pw = posWeight(k);
    perElem[i] = wi * bceWithLogits(x, t, pw);
    grad[i] = g[i] * wi * (-pw * t * sigmoid(-x) + (1 - t) * sigmoid(x));
    // The kernels' form w·[(1−t) − (1 + (pw−1)·t)·σ(−x)] subtracts terms of these sizes.
    gradAmp[i] = Math.abs(g[i] * wi) * (Math.abs(1 - t) + Math.abs(1 + (pw - 1) * t) * sigmoid(-x));
  }
  return { loss: reduce(perElem, reduction, count), grad, gradAmp };
}

// ---------------------------------------------------------------------------------------------
// Probability-space functions: crossEntropy, entropy, klDivergence
// ---------------------------------------------------------------------------------------------

export interface RefProbOptions {
  classes: number;
  reduction?: Reduction;
  base?: 'e' | 2;
}

/** p·log q with the convention 0·log(anything) = 0. */
function pLogQ(p: number, q: number): number {
  return p === 0 ? 0 : p * Math.log(q);
}

function probRows(p: Values, q: Values | null, opts: RefProbOptions, rowFn: (p: Values, q: Values) => number): Loss {
  const c = opts.classes;
  const ps = rows(p, c);
  const qs = q ? rows(q, c) : ps;
  const perRow = Float64Array.from(ps, (pr, i) => rowFn(pr, qs[i]));
  const unit = opts.base === 2 ? Math.LN2 : 1; // bits: log2 x = ln x / ln 2
  return reduce(perRow.map((v) => v / unit), opts.reduction ?? 'mean', ps.length);
}

/** H(p, q) = −Σ p log q per row. */
export function refCrossEntropy(p: Values, q: Values, opts: RefProbOptions): Loss {
  return probRows(p, q, opts, (pr, qr) => {
    let h = 0;
    for (let k = 0; k < pr.length; k++) h -= pLogQ(pr[k], qr[k]);
    return h;
  });
}

/** H(p) = −Σ p log p per row. */
export function refEntropy(p: Values, opts: RefProbOptions): Loss {
  return probRows(p, null, opts, (pr) => {
    let h = 0;
    for (let k = 0; k < pr.length; k++) h -= pLogQ(pr[k], pr[k]);
    return h;
  });
}

/** KL(p‖q) = Σ p·(log p − log q) per row; a term with p = 0 is 0, one with p > 0 = q is +inf. */
export function refKlDivergence(p: Values, q: Values, opts: RefProbOptions): Loss {
  return probRows(p, q, opts, (pr, qr) => {
    let d = 0;
    for (let k = 0; k < pr.length; k++) if (pr[k] !== 0) d += pr[k] * (Math.log(pr[k]) - Math.log(qr[k]));
    return d;
  });
}
