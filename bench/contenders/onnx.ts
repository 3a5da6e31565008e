/**
 * onnxruntime-web (wasm backend, one thread) running the standard ONNX `SoftmaxCrossEntropyLoss`
 * operator from a model built in code (bench/onnx-model.ts). The gradient row runs the same
 * operator plus its analytic gradient from standard operators, since onnxruntime-web ships no
 * training operators. A timed call wraps the same arrays in ort.Tensor, awaits session.run (which
 * copies them into the runtime's memory) and reads the outputs.
 */
import { softmaxCrossEntropyModel } from '../onnx-model.js';
import type { Problem } from '../data.js';
import { packageDirUrl } from '../package-dir.js';
import type { Call, Family, Mode } from './types.js';

/** The part of onnxruntime's API (web and node alike) that a timed call uses. */
interface OrtApi {
  Tensor: new (type: 'float32' | 'int32', data: Float32Array | Int32Array, dims: number[]) => unknown;
}
interface OrtSession {
  run(feeds: Record<string, unknown>): Promise<Record<string, { data: unknown }>>;
}

/** The timed call of an onnxruntime row: wrap the arrays in tensors, await run, read the outputs. */
export function sessionCall(ort: OrtApi, session: OrtSession, p: Problem, mode: Mode): Call {
  return async () => {
    const out = await session.run({
      scores: new ort.Tensor('float32', p.logits, [p.n, p.c]),
      labels: new ort.Tensor('int32', p.labels, [p.n]),
    });
    const loss = (out.loss.data as Float32Array)[0];
    return mode === 'loss' ? { loss } : { loss, grad: out.grad.data as Float32Array };
  };
}

/** onnxruntime-web, loaded from the .wasm files in node_modules. */
export const onnxFamily: Family = {
  name: 'onnxruntime-web (wasm)',
  async load() {
    const ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.wasmPaths = packageDirUrl('onnxruntime-web');
    ort.env.logLevel = 'error';
    // Load the runtime now, so that a broken install is a load failure rather than a task error.
    await (await ort.InferenceSession.create(softmaxCrossEntropyModel(1, 2, false))).release();
    return [
      {
        id: 'onnxruntime-web',
        kind: 'peer',
        note: `onnxruntime-web ${ort.env.versions.web}, wasm, 1 thread, SoftmaxCrossEntropyLoss (opset 13); gradient = (exp(log_prob) − OneHot(labels)) / N from standard ops; each call wraps the arrays in ort.Tensor, awaits session.run and reads the outputs`,
        modes: ['loss', 'grad'],
        async prepare(p, mode) {
          const session = await ort.InferenceSession.create(softmaxCrossEntropyModel(p.n, p.c, mode === 'grad'), {
            executionProviders: ['wasm'],
          });
          return { call: sessionCall(ort, session, p, mode), release: () => session.release() };
        },
      },
    ];
  },
};
