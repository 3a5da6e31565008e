/**
 * The example's input: a batch of logits (rows of scores, as a model's last layer emits them)
 * and one true class per row, generated from a seed so that every run sees the same numbers.
 */

/** mulberry32: a small seeded generator of uniform numbers in [0, 1). */
function uniform(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `rows` x `classes` logits, uniform in [-4, 4), row-major in one Float32Array, and one label
 * per row in [0, classes).
 * @param {number} rows
 * @param {number} classes
 * @param {number} seed
 * @returns {{ logits: Float32Array, labels: Int32Array }}
 */
export function makeProblem(rows, classes, seed) {
  const rand = uniform(seed);
  const logits = new Float32Array(rows * classes);
  for (let i = 0; i < logits.length; i++) logits[i] = 8 * rand() - 4;
  const labels = new Int32Array(rows);
  for (let i = 0; i < rows; i++) labels[i] = Math.floor(rand() * classes);
  return { logits, labels };
}
