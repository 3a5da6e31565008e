/**
 * TensorFlow.js `tf.losses.softmaxCrossEntropy` on the cpu backend and on
 * @tensorflow/tfjs-backend-wasm (SIMD, one thread, like the other wasm rows). A timed call starts
 * from the same Float32Array logits and Int32Array labels as every other contender and pays what
 * a user pays: creating the tensors, the one-hot labels the API requires, the loss (and its
 * gradient through tf.valueAndGrad), and reading the results back with dataSync.
 */
import { packageDirUrl } from '../package-dir.js';
import type { Contender, Family } from './types.js';

type Tf = typeof import('@tensorflow/tfjs');
type Tensor = import('@tensorflow/tfjs').Tensor;

/** What each timed call includes, for the notes. */
const PER_CALL = 'each call makes the tensors and one-hot labels from the arrays and reads results with dataSync';

let loaded: Promise<Tf> | undefined;

/** Loads TensorFlow.js once, in production mode (fewer checks, no Node.js banner). */
function loadTf(): Promise<Tf> {
  loaded ??= import('@tensorflow/tfjs').then((tf) => {
    tf.enableProdMode();
    return tf;
  });
  return loaded;
}

function contender(tf: Tf, backend: 'cpu' | 'wasm', note: string): Contender {
  return {
    id: `tfjs-${backend}`,
    kind: 'peer',
    note,
    modes: ['loss', 'grad'],
    async prepare(p, mode) {
      if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend('${backend}') failed`);
      // tfjs-backend-wasm 4.22 returns garbage from a float32 tf.oneHot: build it as int32, then cast.
      const oneHot = () => tf.oneHot(tf.tensor1d(p.labels, 'int32'), p.c).toFloat();
      const logits = () => tf.tensor2d(p.logits, [p.n, p.c]);
      // tf.tidy returns tensors only: it walks what it returns, element by element for a typed array.
      if (mode === 'loss') {
        return {
          call: () => {
            const loss = tf.tidy(() => tf.losses.softmaxCrossEntropy(oneHot(), logits()));
            const out = { loss: loss.dataSync()[0] };
            loss.dispose();
            return out;
          },
        };
      }
      return {
        call: () => {
          const { value, grad } = tf.tidy(() => {
            const target = oneHot();
            const f = (x: Tensor) => tf.losses.softmaxCrossEntropy(target, x).asScalar();
            return tf.valueAndGrad(f)(logits());
          });
          const out = { loss: value.dataSync()[0], grad: grad.dataSync() as Float32Array };
          tf.dispose([value, grad]);
          return out;
        },
      };
    },
  };
}

/** TensorFlow.js on its pure-JavaScript cpu backend. */
export const tfjsCpuFamily: Family = {
  name: 'TensorFlow.js (cpu)',
  async load() {
    const tf = await loadTf();
    return [contender(tf, 'cpu', `@tensorflow/tfjs ${tf.version_core}, cpu backend, production mode; ${PER_CALL}`)];
  },
};

/** TensorFlow.js on its wasm backend, loaded from the .wasm files in node_modules. */
export const tfjsWasmFamily: Family = {
  name: 'TensorFlow.js (wasm)',
  async load() {
    const tf = await loadTf();
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const dist = packageDirUrl('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(dist);
    // One thread, like xent and onnxruntime-web here: the comparison is per core.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    if (!(await tf.setBackend('wasm'))) throw new Error(`tfjs-backend-wasm did not initialise from ${dist}`);
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    return [
      contender(tf, 'wasm', `@tensorflow/tfjs-backend-wasm ${wasm.version_wasm}, ${simd ? 'SIMD' : 'no SIMD'}, 1 thread, production mode; ${PER_CALL}`),
    ];
  },
};
