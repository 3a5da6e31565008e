/**
 * The benchmark's inputs and its float64 reference: seeded logits ~ N(0, 3), uniform labels,
 * and the checks every contender's answer passes before it is timed.
 */

/** A batch shape: n rows of c classes. */
export interface Shape {
  n: number;
  c: number;
}

/** One benchmark input: row-major [n, c] logits and n labels in [0, c). */
export interface Problem extends Shape {
  logits: Float32Array;
  labels: Int32Array;
}

/** The standard shapes of DESIGN.md, smallest first. */
export const STANDARD_SHAPES: readonly Shape[] = [
  { n: 64, c: 10 },
  { n: 256, c: 1000 },
  { n: 4096, c: 1000 },
  { n: 64, c: 32000 },
  { n: 512, c: 50257 },
];

/** `64x10` style name of a shape. */
export function shapeName(s: Shape): string {
  return `${s.n}x${s.c}`;
}

/** Parses `64x10`; throws on anything else. */
export function parseShape(text: string): Shape {
  const m = /^(\d+)x(\d+)$/.exec(text.trim());
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new Error(`bad shape "${text}" (want NxC, e.g. 4096x1000)`);
  return { n: Number(m[1]), c: Number(m[2]) };
}

/** mulberry32: a small seeded generator of uniform numbers in [0, 1). */
function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Logits ~ N(0, 3) (standard deviation 3, Box–Muller) and uniform labels, from a seed. */
export function makeProblem(shape: Shape, seed = 42): Problem {
  const rand = uniform(seed ^ (shape.n * 0x9e3779b1) ^ shape.c);
  const logits = new Float32Array(shape.n * shape.c);
  for (let i = 0; i < logits.length; i += 2) {
    const r = 3 * Math.sqrt(-2 * Math.log(1 - rand()));
    const t = 2 * Math.PI * rand();
    logits[i] = r * Math.cos(t);
    if (i + 1 < logits.length) logits[i + 1] = r * Math.sin(t);
  }
  const labels = new Int32Array(shape.n);
  for (let i = 0; i < labels.length; i++) labels[i] = Math.floor(rand() * shape.c);
  return { ...shape, logits, labels };
}

/** Per-row log-sum-exp in float64. */
function rowLse(p: Problem, row: number): number {
  const x = p.logits;
  const base = row * p.c;
  let max = -Infinity;
  for (let k = 0; k < p.c; k++) max = Math.max(max, x[base + k]);
  let sum = 0;
  for (let k = 0; k < p.c; k++) sum += Math.exp(x[base + k] - max);
  return max + Math.log(sum);
}

/** The float64 reference mean loss, PyTorch `F.cross_entropy(logits, labels)`. */
export function referenceLoss(p: Problem): number {
  let total = 0;
  for (let r = 0; r < p.n; r++) total += rowLse(p, r) - p.logits[r * p.c + p.labels[r]];
  return total / p.n;
}

/**
 * Largest |grad − reference| times n, i.e. measured against per-row gradients (softmax − onehot,
 * entries in [-1, 1]) rather than the 1/n-scaled ones the mean produces.
 */
export function gradError(p: Problem, grad: ArrayLike<number>): number {
  if (grad.length !== p.n * p.c) return Infinity;
  let worst = 0;
  for (let r = 0; r < p.n; r++) {
    const lse = rowLse(p, r);
    const base = r * p.c;
    for (let k = 0; k < p.c; k++) {
      const want = Math.exp(p.logits[base + k] - lse) - (k === p.labels[r] ? 1 : 0);
      const err = Math.abs(grad[base + k] * p.n - want);
      // Written so that a NaN entry counts as the worst error, not as no error.
      if (!(err <= worst)) worst = Number.isNaN(err) ? Infinity : err;
    }
  }
  return worst;
}

/**
 * Largest accepted relative error of a loss against the float64 reference, and largest accepted
 * `gradError`. They catch wrong answers (a bad one-hot, a wrong reduction, NaN), not float32
 * rounding: a plain float32 sum over 50257 classes is off by about 1e-4 and still counts as right.
 * The measured errors are reported next to the timings.
 */
export const LOSS_TOLERANCE = 1e-3;
export const GRAD_TOLERANCE = 1e-3;
