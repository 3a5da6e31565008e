/**
 * xent/tfjs gives tf.losses' numbers: the loss and its gradient w.r.t. the logits agree with
 * tf.losses.softmaxCrossEntropy / sigmoidCrossEntropy within 1e-5, on the tfjs cpu and wasm
 * backends, for every reduction, with and without weights and label smoothing, and with an
 * upstream gradient other than 1.
 */
import { beforeAll, describe, it } from 'vitest';
import { BACKENDS, engineFor, expectClose } from './backends.js';
import { TF_BACKENDS, classIds, normals, oneHot, tf, uniform, useTfBackend, values } from './tfjs-setup.js';
import { createTfLosses, type TfLosses } from '../src/tfjs.js';

type Tensor = tf.Tensor;
type Loss = (x: Tensor) => Tensor;

const TOL = 1e-5;
const N = 6;
const C = 5;
const R = tf.Reduction;
const REDUCTIONS = [
  ['NONE', R.NONE],
  ['MEAN', R.MEAN],
  ['SUM', R.SUM],
  ['SUM_BY_NONZERO_WEIGHTS', R.SUM_BY_NONZERO_WEIGHTS],
] as const;

/** Logits with a few exact zeros and large values among N(0, 3) draws. */
function logits(shape: number[], seed: number): Tensor {
  const x = normals(shape.reduce((a, b) => a * b, 1), 3, seed);
  x[0] = 0;
  x[3] = 20;
  x[7] = -20;
  return tf.tensor(x, shape);
}

/** Rows of probabilities (soft labels) of the given shape. */
function softLabels(shape: number[], seed: number): Tensor {
  return tf.tidy(() => tf.softmax(tf.tensor(normals(shape.reduce((a, b) => a * b, 1), 1, seed), shape)));
}

/** Seeded weights of a shape, with one zero when there is room for it. */
function weights(shape: number[], seed: number): Tensor {
  const rand = uniform(seed);
  const w = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => 0.25 + 1.5 * rand());
  if (w.length > 1) w[1] = 0;
  return tf.tensor(w, shape);
}

/**
 * Compares one loss with its tf.losses twin: the value outside a tape, and value and gradient
 * under tf.valueAndGrad, with the upstream gradient 1 and 2.5 (reduced) or seeded per row (NONE).
 */
function expectSameAsTf(ours: Loss, theirs: Loss, x: Tensor, none: boolean): void {
  tf.tidy(() => {
    const a = ours(x);
    const b = theirs(x);
    if (a.shape.join() !== b.shape.join()) throw new Error(`shape [${a.shape}] != tf's [${b.shape}]`);
    expectClose(values(a), values(b), TOL, TOL);
    const upstreams = none ? [tf.tensor(normals(b.size, 1, 7), b.shape)] : [tf.scalar(1), tf.scalar(2.5)];
    for (const up of upstreams) {
      const wrap = (loss: Loss) => (t: Tensor) => loss(t).mul(up).sum() as tf.Scalar;
      const got = tf.valueAndGrad(wrap(ours))(x);
      const want = tf.valueAndGrad(wrap(theirs))(x);
      expectClose(values(got.value), values(want.value), TOL, TOL);
      expectClose(values(got.grad), values(want.grad), TOL, TOL);
    }
  });
}

/** Named weight choices: none, a plain number, and tensors of the given shapes. */
function weightCases(shapes: number[][]): [string, () => Tensor | number | undefined][] {
  return [
    ['no weights', () => undefined],
    ['weight 0.7 (a number)', () => 0.7],
    ...shapes.map((s, i): [string, () => Tensor] => [`weights [${s}]`, () => weights(s, 11 + i)]),
  ];
}

for (const backend of TF_BACKENDS) {
  describe(`tfjs ${backend} backend`, () => {
    let losses: TfLosses;
    beforeAll(async () => {
      await useTfBackend(backend);
      losses = createTfLosses(tf);
    });

    describe('softmaxCrossEntropy = tf.losses.softmaxCrossEntropy', () => {
      const labelCases: [string, () => Tensor][] = [
        ['one-hot labels', () => oneHot(classIds(N, C, 3), C)],
        ['probability labels', () => softLabels([N, C], 4)],
      ];
      for (const [rName, reduction] of REDUCTIONS) {
        for (const [lName, labelsOf] of labelCases) {
          for (const [wName, weightsOf] of weightCases([[N], [1]])) {
            for (const eps of [0, 0.2]) {
              it(`${rName}, ${lName}, ${wName}, labelSmoothing ${eps}`, () => {
                const x = logits([N, C], 1);
                const y = labelsOf();
                const w = weightsOf();
                expectSameAsTf(
                  (t) => losses.softmaxCrossEntropy(y, t, w, eps, reduction),
                  (t) => tf.losses.softmaxCrossEntropy(y, t, w, eps, reduction),
                  x,
                  reduction === R.NONE,
                );
                tf.dispose([x, y]);
              });
            }
          }
        }
        for (const [wName, weightsOf] of weightCases([[2, 3], [2, 1], [3]])) {
          it(`${rName}, rank-3 logits [2,3,${C}], ${wName}`, () => {
            const x = logits([2, 3, C], 2);
            const y = oneHot(classIds(6, C, 5), C, [2, 3, C]);
            const w = weightsOf();
            expectSameAsTf(
              (t) => losses.softmaxCrossEntropy(y, t, w, 0, reduction),
              (t) => tf.losses.softmaxCrossEntropy(y, t, w, 0, reduction),
              x,
              reduction === R.NONE,
            );
            tf.dispose([x, y]);
          });
        }
      }
    });

    describe('sparseSoftmaxCrossEntropy = tf.losses.softmaxCrossEntropy on one-hot labels', () => {
      const ids = classIds(N, C, 6);
      const labelCases: [string, () => Tensor][] = [
        ['int32 labels [N]', () => tf.tensor1d(ids, 'int32')],
        ['int32 labels [N,1]', () => tf.tensor2d(ids, [N, 1], 'int32')],
        ['float32 labels [N]', () => tf.tensor1d(Float32Array.from(ids))],
      ];
      for (const [rName, reduction] of REDUCTIONS) {
        for (const [lName, labelsOf] of labelCases) {
          for (const [wName, weightsOf] of weightCases([[N]])) {
            it(`${rName}, ${lName}, ${wName}`, () => {
              const x = logits([N, C], 8);
              const y = labelsOf();
              const hot = oneHot(ids, C);
              const w = weightsOf();
              expectSameAsTf(
                (t) => losses.sparseSoftmaxCrossEntropy(y, t, w, reduction),
                (t) => tf.losses.softmaxCrossEntropy(hot, t, w, 0, reduction),
                x,
                reduction === R.NONE,
              );
              tf.dispose([x, y, hot]);
            });
          }
        }
      }
    });

    describe('sigmoidCrossEntropy = tf.losses.sigmoidCrossEntropy', () => {
      const labelCases: [string, () => Tensor][] = [
        ['0/1 labels', () => tf.tensor(Float32Array.from({ length: N * C }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0), [N, C])],
        ['soft labels', () => tf.tensor(Float32Array.from({ length: N * C }, uniform(9)), [N, C])],
      ];
      for (const [rName, reduction] of REDUCTIONS) {
        for (const [lName, labelsOf] of labelCases) {
          for (const [wName, weightsOf] of weightCases([[N, 1], [C], [1, C], [N, C], [1]])) {
            for (const eps of [0, 0.2]) {
              it(`${rName}, ${lName}, ${wName}, labelSmoothing ${eps}`, () => {
                const x = logits([N, C], 10);
                const y = labelsOf();
                const w = weightsOf();
                expectSameAsTf(
                  (t) => losses.sigmoidCrossEntropy(y, t, w, eps, reduction),
                  (t) => tf.losses.sigmoidCrossEntropy(y, t, w, eps, reduction),
                  x,
                  reduction === R.NONE,
                );
                tf.dispose([x, y]);
              });
            }
          }
        }
      }
    });

    it('defaults (no weights, no smoothing, SUM_BY_NONZERO_WEIGHTS) are tf.losses\' defaults', () => {
      const x = logits([N, C], 12);
      const hot = oneHot(classIds(N, C, 13), C);
      expectSameAsTf((t) => losses.softmaxCrossEntropy(hot, t), (t) => tf.losses.softmaxCrossEntropy(hot, t), x, false);
      expectSameAsTf((t) => losses.sigmoidCrossEntropy(hot, t), (t) => tf.losses.sigmoidCrossEntropy(hot, t), x, false);
      tf.dispose([x, hot]);
    });

    it("the README's example: 0.1755, as tf.losses, from one-hot or integer labels", () => {
      const x = tf.tensor2d([[2, 0.5, -1], [0.1, 0.2, 3]]);
      const hot = tf.tensor2d([[1, 0, 0], [0, 0, 1]]);
      const ids = tf.tensor1d([0, 2], 'int32');
      const got = [losses.softmaxCrossEntropy(hot, x), losses.sparseSoftmaxCrossEntropy(ids, x), tf.losses.softmaxCrossEntropy(hot, x)];
      for (const t of got) expectClose(values(t), [0.17545637], TOL, TOL);
      tf.dispose([x, hot, ids, ...got]);
    });

    it('every xent backend, passed in as the engine, gives the same numbers', async () => {
      for (const name of BACKENDS) {
        const own = createTfLosses(tf, await engineFor(name));
        const x = logits([N, C], 14);
        const hot = oneHot(classIds(N, C, 15), C);
        const w = weights([N], 16);
        expectSameAsTf(
          (t) => own.softmaxCrossEntropy(hot, t, w, 0.1, R.MEAN),
          (t) => tf.losses.softmaxCrossEntropy(hot, t, w, 0.1, R.MEAN),
          x,
          false,
        );
        expectSameAsTf(
          (t) => own.sigmoidCrossEntropy(hot, t, w.reshape([N, 1]), 0.1),
          (t) => tf.losses.sigmoidCrossEntropy(hot, t, w.reshape([N, 1]), 0.1),
          x,
          false,
        );
        tf.dispose([x, hot, w]);
      }
    });
  });
}
