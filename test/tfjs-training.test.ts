/**
 * xent/tfjs trains like tf.losses: a small MLP on generated data follows the same loss curve for
 * 50 optimizer steps (within 1e-4) with xent's loss and with tf's, and the loss works as the
 * `loss` of `model.compile` in `model.fit`.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TF_BACKENDS, classIds, normals, oneHot, tf, useTfBackend } from './tfjs-setup.js';
import { createTfLosses, type TfLosses } from '../src/tfjs.js';

type Tensor = tf.Tensor;

const SAMPLES = 128;
const FEATURES = 16;
const HIDDEN = 32;
const CLASSES = 8;
const STEPS = 50;
const CURVE_TOL = 1e-4;

/** Gaussian blobs: one seeded centre per class, unit noise around it. */
function dataset(): { x: Tensor; ids: Int32Array } {
  const ids = classIds(SAMPLES, CLASSES, 31);
  const centres = normals(CLASSES * FEATURES, 1.5, 32);
  const x = normals(SAMPLES * FEATURES, 1, 33);
  for (let i = 0; i < SAMPLES; i++) for (let f = 0; f < FEATURES; f++) x[i * FEATURES + f] += centres[ids[i] * FEATURES + f];
  return { x: tf.tensor2d(x, [SAMPLES, FEATURES]), ids };
}

/** `STEPS` steps of SGD on a seeded two-layer MLP; the loss of each step. */
function trainLoop(x: Tensor, loss: (logits: Tensor) => Tensor): number[] {
  const w1 = tf.variable(tf.tensor2d(normals(FEATURES * HIDDEN, 1 / Math.sqrt(FEATURES), 34), [FEATURES, HIDDEN]));
  const b1 = tf.variable(tf.zeros([HIDDEN]));
  const w2 = tf.variable(tf.tensor2d(normals(HIDDEN * CLASSES, 1 / Math.sqrt(HIDDEN), 35), [HIDDEN, CLASSES]));
  const b2 = tf.variable(tf.zeros([CLASSES]));
  const optimizer = tf.train.sgd(0.2);
  const curve: number[] = [];
  for (let step = 0; step < STEPS; step++) {
    const value = optimizer.minimize(() => loss(tf.relu(x.matMul(w1).add(b1)).matMul(w2).add(b2)) as tf.Scalar, true, [w1, b1, w2, b2])!;
    curve.push(value.dataSync()[0]);
    value.dispose();
  }
  optimizer.dispose();
  tf.dispose([w1, b1, w2, b2]);
  return curve;
}

/** Largest |a[i] - b[i]|. */
function maxDiff(a: number[], b: number[]): number {
  return Math.max(...a.map((v, i) => Math.abs(v - b[i])));
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
      ({ x, ids } = dataset());
      hot = oneHot(ids, CLASSES);
      return () => tf.dispose([x, hot]);
    });

    it(`${STEPS} SGD steps of an MLP follow tf.losses' loss curve (softmax, sparse, sigmoid)`, () => {
      const labels = tf.tensor1d(ids, 'int32');
      const tfSoftmax = trainLoop(x, (l) => tf.losses.softmaxCrossEntropy(hot, l));
      const xentSoftmax = trainLoop(x, (l) => losses.softmaxCrossEntropy(hot, l));
      const xentSparse = trainLoop(x, (l) => losses.sparseSoftmaxCrossEntropy(labels, l));
      const tfSigmoid = trainLoop(x, (l) => tf.losses.sigmoidCrossEntropy(hot, l, undefined, 0.1));
      const xentSigmoid = trainLoop(x, (l) => losses.sigmoidCrossEntropy(hot, l, undefined, 0.1));
      labels.dispose();
      // The runs learn (so that the comparison means something) ...
      expect(tfSoftmax.at(-1)!).toBeLessThan(tfSoftmax[0] / 4);
      expect(tfSigmoid.at(-1)!).toBeLessThan(tfSigmoid[0] / 2);
      // ... and follow the same curve.
      expect(maxDiff(xentSoftmax, tfSoftmax)).toBeLessThanOrEqual(CURVE_TOL);
      expect(maxDiff(xentSparse, tfSoftmax)).toBeLessThanOrEqual(CURVE_TOL);
      expect(maxDiff(xentSigmoid, tfSigmoid)).toBeLessThanOrEqual(CURVE_TOL);
    });

    it('is the loss of model.compile: model.fit trains, on the same curve as tf.losses', async () => {
      const fit = async (loss: (yTrue: Tensor, yPred: Tensor) => Tensor) => {
        const model = tf.sequential({
          layers: [
            tf.layers.dense({ units: HIDDEN, activation: 'relu', inputShape: [FEATURES], kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
            tf.layers.dense({ units: CLASSES, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
          ],
        });
        model.compile({ optimizer: tf.train.adam(0.01), loss });
        const history = await model.fit(x, hot, { epochs: 4, batchSize: 32, shuffle: false, verbose: 0 });
        const evaluated = model.evaluate(x, hot, { batchSize: SAMPLES }) as Tensor;
        const result = { curve: history.history.loss as number[], evaluated: evaluated.dataSync()[0] };
        evaluated.dispose();
        model.dispose();
        return result;
      };
      const ours = await fit(losses.softmaxCrossEntropy);
      const theirs = await fit((yTrue, yPred) => tf.losses.softmaxCrossEntropy(yTrue, yPred));
      expect(ours.curve).toHaveLength(4);
      for (let i = 1; i < ours.curve.length; i++) expect(ours.curve[i]).toBeLessThan(ours.curve[i - 1]);
      expect(maxDiff(ours.curve, theirs.curve)).toBeLessThanOrEqual(CURVE_TOL);
      expect(Math.abs(ours.evaluated - theirs.evaluated)).toBeLessThanOrEqual(CURVE_TOL);
    });
  });
}
