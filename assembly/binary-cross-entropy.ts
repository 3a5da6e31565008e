// Binary cross-entropy on probabilities (PyTorch F.binary_cross_entropy), elementwise, with
// per-class or per-element weights and the fused gradient w.r.t. the probabilities:
//   loss_i = −w_i·(t_i·max(log p_i, −100) + (1 − t_i)·max(log(1 − p_i), −100))
//   grad_i = scale_i·w_i·(p_i − t_i) / max(p_i·(1 − p_i), 1e-12)
// clamped as PyTorch clamps them (its 1e-12 is a float: 1e-12 rounded to f32), so a p of
// exactly 0 or 1 gives a loss of 0 or 100 and a finite gradient, never inf or NaN. The front has checked every p and t is in [0, 1].
// Scalar and in f64 (NativeMath's log, and log1p(−p) for log(1 − p): exact as p → 0) in every
// build: the smallest loss, the proof that a loss is one kernel file and one TS module.

/** PyTorch's EPSILON, a float: 1e-12 rounded to f32 (9.99999996e-13). */
// @ts-ignore: decorator
@inline const EPSILON: f64 = <f64><f32>1e-12;

/** The kernel over count = n·c elements of type T (f32 or f64); returns Σ loss_i. */
// @ts-ignore: decorator
@inline
function binaryXent<T>(
  p: usize, t: usize, n: i32, c: i32, weight: usize, weightPerElement: bool,
  elemLoss: usize, grad: usize, gradScale: f64, elemScale: usize,
): f64 {
  const size = sizeof<T>();
  let total: f64 = 0;
  let i: usize = 0;
  for (let r = 0; r < n; r++) {
    for (let k = 0; k < c; k++, i++) {
      const o = i * size;
      const pi = <f64>load<T>(p + o);
      const ti = <f64>load<T>(t + o);
      const w: f64 = weight ? <f64>load<T>(weight + (weightPerElement ? o : <usize>k * size)) : 1;
      const lp = max(Math.log(pi), -100);
      const lq = max(Math.log1p(-pi), -100);
      const loss = w * ((ti - 1) * lq - ti * lp);
      if (elemLoss) store<T>(elemLoss + o, <T>loss);
      total += loss;
      if (grad) {
        const scale = elemScale ? <f64>load<T>(elemScale + o) : gradScale;
        store<T>(grad + o, <T>(scale * w * (pi - ti) / max(pi * (1 - pi), EPSILON)));
      }
    }
  }
  return total;
}

/**
 * Σ_i loss_i over n rows of c probabilities (f32). weight: null, per class (c, broadcast over
 * the rows) or per element (n·c, weightPerElement); elemLoss, grad, elemScale (the per-element
 * gradient multipliers, else gradScale) 0 when absent; grad may equal p.
 */
export function f32_binary_xent(
  p: usize, t: usize, n: i32, c: i32, weight: usize, weightPerElement: bool,
  elemLoss: usize, grad: usize, gradScale: f64, elemScale: usize,
): f64 {
  return binaryXent<f32>(p, t, n, c, weight, weightPerElement, elemLoss, grad, gradScale, elemScale);
}

/** f64 twin of f32_binary_xent. */
export function f64_binary_xent(
  p: usize, t: usize, n: i32, c: i32, weight: usize, weightPerElement: bool,
  elemLoss: usize, grad: usize, gradScale: f64, elemScale: usize,
): f64 {
  return binaryXent<f64>(p, t, n, c, weight, weightPerElement, elemLoss, grad, gradScale, elemScale);
}
