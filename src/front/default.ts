/**
 * The front behind the plain-function exports: the default backend, created on first use
 * (src/backends/index.ts). A loss module exports its methods bound to it.
 */
import { defaultKernels } from '../backends/index.js';
import type { Kernels } from '../kernels/kernel.js';
import { Front } from './front.js';

class DefaultFront extends Front {
  get kernels(): Kernels {
    return defaultKernels();
  }
}

/** The default front: `method.bind(DEFAULT_FRONT)` is the method as a plain function. */
export const DEFAULT_FRONT: Front = new DefaultFront();
