/**
 * TensorFlow.js for the xent/tfjs suites: the cpu and wasm backends, in Node and in the browser
 * project, and a seeded generator for their inputs.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { rng } from './random.js';

export { tf };

/** The tfjs backends the adapter is tested on. */
export const TF_BACKENDS = ['cpu', 'wasm'] as const;
export type TfBackend = (typeof TF_BACKENDS)[number];

/**
 * Where the backend's .wasm files are: the package's dist/, as a file: URL in Node and on the test
 * server in the browser, which serves the repository's node_modules at /node_modules/.
 */
const WASM_DIR =
  typeof window === 'undefined'
    ? new URL('../node_modules/@tensorflow/tfjs-backend-wasm/dist/', import.meta.url).href
    : new URL('/node_modules/@tensorflow/tfjs-backend-wasm/dist/', window.location.href).href;

let configured = false;

/** Switches TensorFlow.js to `name` (production mode, the wasm backend's files, one thread), or throws. */
export async function useTfBackend(name: TfBackend): Promise<void> {
  if (!configured) {
    configured = true;
    // Production mode: no debug checks, no Node.js banner.
    tf.enableProdMode();
    setWasmPaths(WASM_DIR);
    // One thread: no worker files to find, and the same arithmetic in every run.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  }
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend('${name}') failed`);
}

/** mulberry32: seeded uniform numbers in [0, 1). */
export const uniform = rng;

/** n seeded normal numbers with standard deviation `sd` (Box–Muller). */
export function normals(n: number, sd: number, seed: number): Float32Array {
  const rand = uniform(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = sd * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  return out;
}

/** n seeded integers in [0, c). */
export function classIds(n: number, c: number, seed: number): Int32Array {
  const rand = uniform(seed);
  return Int32Array.from({ length: n }, () => Math.floor(rand() * c));
}

/** One-hot float32 rows of the ids (built as int32 then cast: tfjs-backend-wasm 4.22's float32 oneHot is wrong). */
export function oneHot(ids: Int32Array, c: number, shape?: number[]): tf.Tensor {
  return tf.tidy(() => {
    const t = tf.oneHot(tf.tensor1d(ids, 'int32'), c).toFloat();
    return shape ? t.reshape(shape) : t;
  });
}

/** Values of a tensor as a plain array, to compare. */
export function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}
