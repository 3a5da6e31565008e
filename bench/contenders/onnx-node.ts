/**
 * onnxruntime-node (native, CPU execution provider: MLAS, AVX2 here), Node only: the strongest
 * CPU peer a Node user has. It runs the model the onnxruntime-web row runs (bench/onnx-model.ts):
 * the standard `SoftmaxCrossEntropyLoss` operator, and for the gradient the same operator plus
 * its analytic gradient from standard operators (ORT's inference packages have no training
 * operators), on 1 and 2 intra-op threads. A timed call wraps the arrays in ort.Tensor, awaits
 * session.run and reads the outputs, as a user of it would.
 */
import { softmaxCrossEntropyModel } from '../onnx-model.js';
import { sessionCall } from './onnx.js';
import type { Contender, Family } from './types.js';

/** Intra-op thread counts of the rows: one thread, and two against xent's two-thread engine. */
const THREADS = [1, 2];

export const onnxNodeFamily: Family = {
  name: 'onnxruntime-node (native)',
  async load() {
    const ort = await import('onnxruntime-node');
    // Load the native binding now, so that a broken install is a load failure rather than a task error.
    await (await ort.InferenceSession.create(softmaxCrossEntropyModel(1, 2, false))).release();
    return THREADS.map(
      (threads): Contender => ({
        id: threads === 1 ? 'onnxruntime-node' : `onnxruntime-node-${threads}t`,
        kind: 'peer',
        threads,
        note:
          `onnxruntime-node ${ort.env.versions.node}, CPU execution provider, ${threads} intra-op thread${threads > 1 ? 's' : ''}, ` +
          'SoftmaxCrossEntropyLoss (opset 13); gradient = (exp(log_prob) − OneHot(labels)) / N from standard ops; ' +
          'each call wraps the arrays in ort.Tensor, awaits session.run and reads the outputs',
        modes: ['loss', 'grad'],
        async prepare(p, mode) {
          const session = await ort.InferenceSession.create(softmaxCrossEntropyModel(p.n, p.c, mode === 'grad'), {
            executionProviders: ['cpu'],
            intraOpNumThreads: threads,
            interOpNumThreads: 1,
          });
          return { call: sessionCall(ort, session, p, mode), release: () => session.release() };
        },
      }),
    );
  },
};
