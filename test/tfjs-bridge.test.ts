/**
 * What the xent/tfjs bridge costs and where it departs from tf.losses, each a decision: one read
 * of the logits and one upload of the gradient per step, the gradient computed only while tf
 * records a tape, labels and weights as constants, zero denominators giving 0, the true gradient
 * for label rows that do not sum to 1, and errors before any work. (That `xent` loads no
 * TensorFlow.js is test/node/tfjs-packaging.test.ts.)
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TF_BACKENDS, classIds, normals, oneHot, tf, useTfBackend, values } from './tfjs-setup.js';
import { getDefaultEngine, type Engine } from '../src/index.js';
import { Reduction, createTfLosses, type TfLosses } from '../src/tfjs.js';

type Tensor = tf.Tensor;

const N = 7;
const C = 11;

/** An engine that records which of its methods run. */
function recordingEngine(): { engine: Engine; calls: string[] } {
  const calls: string[] = [];
  const inner = getDefaultEngine();
  const engine = new Proxy(inner, {
    get(target, key) {
      const v = Reflect.get(target, key);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        calls.push(String(key));
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { engine, calls };
}

/** Counts reads (the backend's readSync) and uploads (tensors made from JS arrays) by size while `f` runs. */
function countTransfers(f: () => void): { reads: number[]; uploads: number[] } {
  const backend = tf.backend();
  const engine = tf.engine();
  const reads: number[] = [];
  const uploads: number[] = [];
  const { readSync } = backend;
  const { makeTensor } = engine;
  backend.readSync = (dataId) => {
    const out = readSync.call(backend, dataId);
    reads.push(out.length);
    return out;
  };
  engine.makeTensor = (v, ...rest) => {
    uploads.push(v.length);
    return makeTensor.call(engine, v, ...rest);
  };
  try {
    f();
  } finally {
    backend.readSync = readSync;
    engine.makeTensor = makeTensor;
  }
  return { reads, uploads };
}

for (const backend of TF_BACKENDS) {
  describe(`tfjs ${backend} backend`, () => {
    let losses: TfLosses;
    let x: Tensor;
    let ids: Int32Array;
    let hot: Tensor;
    beforeAll(async () => {
      await useTfBackend(backend);
      losses = createTfLosses(tf);
      x = tf.tensor2d(normals(N * C, 2, 1), [N, C]);
      ids = classIds(N, C, 2);
      hot = oneHot(ids, C);
      return () => tf.dispose([x, hot]);
    });

    it('a training step reads the logits once and uploads the gradient once', () => {
      const labels = tf.tensor1d(ids, 'int32');
      const w = tf.variable(tf.tensor2d(normals(3 * C, 1, 3), [3, C]));
      const features = tf.tensor2d(normals(N * 3, 1, 4), [N, 3]);
      const optimizer = tf.train.sgd(0.1);
      const { reads, uploads } = countTransfers(() => {
        tf.dispose(optimizer.minimize(() => losses.sparseSoftmaxCrossEntropy(labels, features.matMul(w)) as tf.Scalar, true)!);
      });
      // N·C values: the logits read once, the gradient uploaded once; the rest are the labels and the scalars.
      expect(reads.filter((n) => n === N * C)).toHaveLength(1);
      expect(uploads.filter((n) => n === N * C)).toHaveLength(1);
      expect(reads.every((n) => n === N * C || n === N || n === 1)).toBe(true);
      tf.dispose([labels, w, features]);
      optimizer.dispose();
    });

    it('computes the gradient (fused) only while tf records a tape', () => {
      const { engine, calls } = recordingEngine();
      const own = createTfLosses(tf, engine);
      tf.dispose(own.softmaxCrossEntropy(hot, x));
      expect(calls).toEqual(['softmaxCrossEntropyDense']);
      calls.length = 0;
      tf.dispose(tf.grad((t: Tensor) => own.softmaxCrossEntropy(hot, t))(x));
      expect(calls).toEqual(['softmaxCrossEntropyDenseWithGrad']);
      calls.length = 0;
      tf.dispose(tf.grad((t: Tensor) => own.sigmoidCrossEntropy(hot, t))(x));
      expect(calls).toEqual(['sigmoidCrossEntropyWithGrad']);
    });

    it('several losses on one tape, step after step, keep their own gradients', () => {
      const step = (sce: typeof losses.softmaxCrossEntropy, sig: typeof losses.sigmoidCrossEntropy) =>
        tf.valueAndGrad((t: Tensor) => tf.add(sce(hot, t), sig(hot, t.mul(2))).add(sce(hot, t.neg())) as tf.Scalar)(x);
      for (let i = 0; i < 3; i++) {
        const ours = step(losses.softmaxCrossEntropy, losses.sigmoidCrossEntropy);
        const theirs = step(tf.losses.softmaxCrossEntropy, tf.losses.sigmoidCrossEntropy);
        expect(Math.abs(values(ours.value)[0] - values(theirs.value)[0])).toBeLessThan(1e-5);
        const g = values(ours.grad);
        const tg = values(theirs.grad);
        for (let k = 0; k < g.length; k++) expect(Math.abs(g[k] - tg[k])).toBeLessThan(1e-5);
        tf.dispose([ours.value, ours.grad, theirs.value, theirs.grad]);
      }
    });

    it('a gradient handed to the caller keeps its values through later steps', () => {
      const grad = tf.grad((t: Tensor) => losses.softmaxCrossEntropy(hot, t));
      const first = grad(x);
      const before = values(first);
      const other = tf.tidy(() => x.mul(-3));
      tf.dispose([grad(other), grad(other), grad(x.neg())]);
      expect(values(first)).toEqual(before);
      tf.dispose([first, other]);
    });

    it('treats labels and weights as constants: tf finds no gradient for them', () => {
      const w = tf.ones([N]);
      expect(() => tf.grad((y: Tensor) => losses.softmaxCrossEntropy(y, x))(hot)).toThrow(/Cannot compute gradient/);
      expect(() => tf.grad((v: Tensor) => losses.softmaxCrossEntropy(hot, x, v))(w)).toThrow(/Cannot compute gradient/);
      expect(() => tf.grad((y: Tensor) => losses.sigmoidCrossEntropy(y, x))(hot)).toThrow(/Cannot compute gradient/);
      w.dispose();
    });

    it('a zero denominator gives loss 0 and gradient 0 (tf.losses: NaN)', () => {
      const zero = tf.zeros([N]);
      for (const reduction of [Reduction.MEAN, Reduction.SUM_BY_NONZERO_WEIGHTS]) {
        const { value, grad } = tf.valueAndGrad((t: Tensor) => losses.softmaxCrossEntropy(hot, t, zero, 0, reduction) as tf.Scalar)(x);
        expect(values(value)).toEqual([0]);
        expect(values(grad).every((g) => g === 0)).toBe(true);
        const theirs = tf.losses.softmaxCrossEntropy(hot, x, zero, 0, reduction);
        expect(values(theirs)[0]).toBeNaN();
        tf.dispose([value, grad, theirs]);
      }
      const sig = tf.valueAndGrad((t: Tensor) => losses.sigmoidCrossEntropy(hot, t, tf.zeros([C])) as tf.Scalar)(x);
      expect(values(sig.value)).toEqual([0]);
      expect(values(sig.grad).every((g) => g === 0)).toBe(true);
      tf.dispose([zero, sig.value, sig.grad]);
    });

    it('for label rows that do not sum to 1, the gradient is the loss\'s own (tf.losses: softmax - labels)', () => {
      // Row 0 is padding (all zeros): its loss is 0 in both, so its true gradient is 0.
      const y = tf.tidy(() => hot.mul(tf.tensor2d([0, 1, 1, 1, 1, 1, 1], [N, 1])));
      const f = (loss: typeof losses.softmaxCrossEntropy) => (t: Tensor) => loss(y, t, undefined, 0, Reduction.SUM) as tf.Scalar;
      const ours = tf.valueAndGrad(f(losses.softmaxCrossEntropy))(x);
      const theirs = tf.valueAndGrad(f(tf.losses.softmaxCrossEntropy))(x);
      expect(values(ours.value)[0]).toBeCloseTo(values(theirs.value)[0], 4);
      const g = values(ours.grad);
      const tg = values(theirs.grad);
      expect(g.slice(0, C).every((v) => v === 0)).toBe(true);
      expect(tg.slice(0, C).some((v) => v > 0)).toBe(true);
      for (let i = C; i < N * C; i++) expect(Math.abs(g[i] - tg[i])).toBeLessThan(1e-6);
      tf.dispose([y, ours.value, ours.grad, theirs.value, theirs.grad]);
    });

    it('rejects bad input with an error that names the loss and the argument', () => {
      const sparse = tf.tensor1d(ids, 'int32');
      expect(() => losses.softmaxCrossEntropy(hot, x, undefined, 0, 4 as never)).toThrow('softmaxCrossEntropy: Unknown reduction: 4');
      expect(() => losses.softmaxCrossEntropy(hot, x, undefined, 1)).toThrow(/labelSmoothing must be a number in \[0, 1\)/);
      expect(() => losses.sigmoidCrossEntropy(hot, x, undefined, -0.1)).toThrow(/labelSmoothing/);
      expect(() => losses.softmaxCrossEntropy(hot.slice(0, N - 1), x)).toThrow(/onehotLabels shape \[6,11\] and logits shape \[7,11\] must match/);
      expect(() => losses.softmaxCrossEntropy(hot, x, tf.ones([N, 1]))).toThrow(/weights of shape \[7,1\] do not broadcast to the losses' shape \[7\]/);
      expect(() => losses.softmaxCrossEntropy(hot, x, [1, 2, NaN, 1, 1, 1, 1])).toThrow(/weights\[2\] = NaN is not finite/);
      expect(() => losses.sparseSoftmaxCrossEntropy(sparse.slice(0, 3), x)).toThrow(/labels shape \[3\] must be the logits' shape without the class axis, \[7\]/);
      expect(() => losses.sparseSoftmaxCrossEntropy(tf.tensor1d([0, 1, 2, 3, 4, 5, C], 'int32'), x)).toThrow('sparseSoftmaxCrossEntropy: labels[6] = 11 is not a class in [0, 11)');
      expect(() => losses.sparseSoftmaxCrossEntropy(tf.tensor1d([0, 1, 2, 3, 4, 5, -100], 'int32'), x)).toThrow('labels[6] = -100 is not a class');
      expect(() => losses.sparseSoftmaxCrossEntropy(tf.tensor1d([0, 1, 2, 3, 4, 5, 1.5]), x)).toThrow('labels[6] = 1.5 is not a class');
      expect(() => createTfLosses({} as never)).toThrow(TypeError);
      sparse.dispose();
    });
  });
}
