/**
 * A dedicated worker that makes its own threaded engine (test/browser/threads-in-worker.test.ts):
 * in a worker the calling thread may block, so it waits for its workers in Atomics.wait.
 */
import { createEngine } from '../../src/index.js';

self.onmessage = async (e: MessageEvent<{ n: number; c: number }>) => {
  const { n, c } = e.data;
  const x = Float32Array.from({ length: n * c }, (_, i) => Math.sin(i) * 3);
  const labels = Int32Array.from({ length: n }, (_, i) => (i * 31) % c);
  const one = await createEngine({ backend: 'simd' });
  const two = await createEngine({ backend: 'simd', threads: 2 });
  const a = one.softmaxCrossEntropyWithGrad(x, labels, { classes: c });
  const b = two.softmaxCrossEntropyWithGrad(x, labels, { classes: c });
  let same = a.loss === b.loss;
  for (let i = 0; i < a.grad.length && same; i++) same = a.grad[i] === b.grad[i];
  const threads = two.threads;
  two.dispose();
  self.postMessage({ threads, same, isolated: self.crossOriginIsolated });
};
