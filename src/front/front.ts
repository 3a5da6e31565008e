/**
 * The front: what the losses' methods run on. A loss module's methods are functions of `this:
 * Front`; the engine is a Front (src/engine.ts), and so is the default front behind the
 * plain-function exports (src/front/default.ts). Each method begins a Call (src/front/call.ts).
 */
import type { Kernels } from '../kernels/kernel.js';
import { Call } from './call.js';
import type { OptionList } from './options.js';

export abstract class Front {
  /** The backend the methods run on. */
  abstract readonly kernels: Kernels;

  /** Starts a call of `method`: its options object, and their names checked against `list` (and the gradient's options). */
  begin(method: string, list: OptionList, opts: unknown, withGrad: boolean): Call {
    return new Call(this.kernels, method, list, opts, withGrad);
  }
}

/** What a loss module gives the registry (its default export): the methods it adds to the engine. */
export interface LossModule<M extends object = object> {
  readonly methods: M;
}

type UnionToIntersection<U> = (U extends unknown ? (k: U) => void : never) extends (k: infer I) => void ? I : never;

/** The engine methods of a list of loss modules. */
export type MethodsOf<L extends readonly LossModule[]> = UnionToIntersection<L[number]['methods']>;
