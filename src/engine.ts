/**
 * The engine: a Front on one backend's kernels, with every loss's methods (src/losses/index.ts)
 * and the zero-copy arrays of its memory.
 */
import { Front, type MethodsOf } from './front/front.js';
import { describe } from './front/describe.js';
import { newFloat } from './front/operands.js';
import type { ArrayPool, BackendName, FloatArray, Kernels } from './kernels/kernel.js';
import LOSSES, { type Engine } from './losses/index.js';

/** The engine over one kernel set. Its loss methods are the registry's, on its prototype. */
export class XentEngine extends Front implements Engine {
  constructor(readonly kernels: Kernels) {
    super();
  }

  /** Which backend runs the kernels. */
  get backend(): BackendName {
    return this.kernels.name;
  }

  /** Threads calls run on, the calling thread included. */
  get threads(): number {
    return this.kernels.threads ?? 1;
  }

  /** Stops the engine's worker threads (if any); the engine stays usable on the calling thread. */
  dispose(): void {
    this.kernels.dispose?.();
  }

  /** Resolves once the engine's worker threads (if any) run. */
  async ready(): Promise<void> {
    await this.kernels.ready?.();
  }

  alloc(length: number, type?: 'float32'): Float32Array;
  alloc(length: number, type: 'float64'): Float64Array;
  alloc(length: unknown, type: unknown = 'float32'): FloatArray {
    if (typeof length !== 'number' || !Number.isInteger(length) || length < 0) {
      throw new RangeError(`alloc: length must be a non-negative integer, got ${describe(length)}`);
    }
    if (type !== 'float32' && type !== 'float64') {
      throw new RangeError(`alloc: type must be 'float32' or 'float64', got ${describe(type)}`);
    }
    const pool = this.kernels.arrays;
    if (!pool) return newFloat(type === 'float64', length);
    return type === 'float64' ? pool.allocF64(length) : pool.allocF32(length);
  }

  view<T extends FloatArray>(array: T): T {
    const pool = this.kernels.arrays;
    if (!pool) return array;
    if (!pool.owns(array)) throw notOwned('view', pool, array);
    return pool.view(array);
  }

  free(array: FloatArray): void {
    const pool = this.kernels.arrays;
    if (!pool) return;
    if (!pool.owns(array)) throw notOwned('free', pool, array);
    pool.free(array);
  }
}

/** The error of view / free given an array the pool does not own (freed, or never allocated). */
function notOwned(method: 'view' | 'free', pool: ArrayPool, array: unknown): TypeError {
  const problem = ArrayBuffer.isView(array) ? pool.misuse(array) : null;
  const takes = method === 'free' ? 'a live array' : 'an array';
  return new TypeError(problem ? `${method}: the array ${problem}` : `${method}: takes ${takes} from engine.alloc, got ${describe(array)}`);
}

/**
 * The loss methods: the registry's, installed on the prototype below. Their types are those of
 * the very functions installed (each loss module's methods), which is what Engine is made of.
 */
export interface XentEngine extends MethodsOf<typeof LOSSES> {}

for (const loss of LOSSES) Object.assign(XentEngine.prototype, loss.methods);
