/**
 * Softmax cross-entropy as a user writes it in plain JavaScript: numerically stable (max
 * subtracted), Math.exp / Math.log in float64, and a new array for every gradient.
 */
import type { Contender, Family } from './types.js';

function crossEntropy(logits: Float32Array, labels: Int32Array, classes: number): number {
  const rows = labels.length;
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const row = i * classes;
    let max = -Infinity;
    for (let j = 0; j < classes; j++) max = Math.max(max, logits[row + j]);
    let sum = 0;
    for (let j = 0; j < classes; j++) sum += Math.exp(logits[row + j] - max);
    total += Math.log(sum) + max - logits[row + labels[i]];
  }
  return total / rows;
}

function crossEntropyWithGrad(logits: Float32Array, labels: Int32Array, classes: number) {
  const rows = labels.length;
  const grad = new Float32Array(logits.length);
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const row = i * classes;
    let max = -Infinity;
    for (let j = 0; j < classes; j++) max = Math.max(max, logits[row + j]);
    let sum = 0;
    for (let j = 0; j < classes; j++) {
      const e = Math.exp(logits[row + j] - max);
      grad[row + j] = e;
      sum += e;
    }
    total += Math.log(sum) + max - logits[row + labels[i]];
    for (let j = 0; j < classes; j++) grad[row + j] = grad[row + j] / sum / rows;
    grad[row + labels[i]] -= 1 / rows;
  }
  return { loss: total / rows, grad };
}

const naive: Contender = {
  id: 'naive-js',
  kind: 'peer',
  note: 'plain JavaScript loops, Math.exp/Math.log, a new Float32Array per gradient',
  modes: ['loss', 'grad'],
  async prepare(p, mode) {
    return {
      call:
        mode === 'loss'
          ? () => ({ loss: crossEntropy(p.logits, p.labels, p.c) })
          : () => crossEntropyWithGrad(p.logits, p.labels, p.c),
    };
  },
};

/** The naive JavaScript contender (always loads). */
export const naiveFamily: Family = { name: 'naive JavaScript', load: async () => [naive] };
