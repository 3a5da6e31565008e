/**
 * One call of a public method: its name (for every error message), its options (names checked
 * against the method's list), and the steps every loss takes, written once: the main input and
 * its shape, the other inputs, the gradient's output and scales, and the kernel.
 */
import type { FloatArray, Kernel, KernelArgs, Kernels } from '../kernels/kernel.js';
import type { Reduction } from '../types.js';
import { describe } from './describe.js';
import { type ClassInference, classesOf } from './labels.js';
import { checkFinite, live, mainFloat, newFloat, outputArray, sideFloat } from './operands.js';
import { CLASSES, GRAD_OUT, GRAD_OUTPUT, type Option, type OptionList, WEIGHT, optionsObject } from './options.js';
import { type GradScales, gradScaleOf } from './reduce.js';

/** The main input of a call, with its shape. */
export interface Rows {
  x: FloatArray;
  /** Whether the call computes in float64 (a Float64Array main input). */
  f64: boolean;
  n: number;
  c: number;
}

/** The gradient's output (null for a loss-only call) and its multipliers. */
export interface Gradient extends GradScales {
  grad: FloatArray | null;
}

export class Call {
  /** The options as given (their names checked). */
  readonly o: Record<string, unknown>;

  constructor(
    private readonly kernels: Kernels,
    readonly method: string,
    list: OptionList,
    opts: unknown,
    /** Whether this is a ...WithGrad call (it takes gradOut and gradOutput). */
    readonly withGrad: boolean,
  ) {
    this.o = optionsObject(method, opts);
    (withGrad ? list.withGrad : list).check(method, this.o);
  }

  /** An option's value, checked, or its default. */
  get<T>(option: Option<T>): T {
    const v = this.o[option.name];
    return v === undefined ? option.fallback : option.read(this.method, v);
  }

  /** An argument as the kernels should see it (an engine array detached by growth, re-attached). */
  live(name: string, a: unknown): unknown {
    return live(this.kernels.arrays, this.method, name, a);
  }

  /** The main float input and its shape: C from options.classes or `infer`, N = length / C. */
  rows(name: string, raw: unknown, infer: ClassInference): Rows {
    const x = mainFloat(this.method, name, this.live(name, raw));
    const c = classesOf(this.method, this.o[CLASSES.name], x.length, infer);
    return { x, f64: x instanceof Float64Array, n: x.length / c, c };
  }

  /** A secondary float input in the call's precision, of `length` elements. */
  side(name: string, raw: unknown, f64: boolean, length: number): FloatArray {
    return sideFloat(this.method, name, this.live(name, raw), f64, length);
  }

  /** The per-class weights (options.weight: C finite numbers), or null. */
  classWeights(f64: boolean, c: number): FloatArray | null {
    const raw = this.o[WEIGHT.name];
    if (raw === undefined) return null;
    const weight = this.side('weight', raw, f64, c);
    checkFinite(this.method, 'weight', weight);
    return weight;
  }

  /**
   * Elementwise weights (options.weight) of an [n, c] input of `length` elements: one per class
   * (c, broadcast over the rows) or one per element; with whether they are per element.
   */
  elementWeights(f64: boolean, c: number, length: number): { weight: FloatArray | null; perElement: boolean } {
    const raw = this.o[WEIGHT.name];
    if (raw === undefined) return { weight: null, perElement: false };
    const len = (raw as { length?: unknown }).length;
    const perElement = len === length && len !== c;
    if (len !== c && len !== length) {
      throw new RangeError(`${this.method}: weight has length ${describe(len)}, expected ${c} (one per class) or ${length} (one per element)`);
    }
    const weight = this.side('weight', raw, f64, perElement ? length : c);
    checkFinite(this.method, 'weight', weight);
    return { weight, perElement };
  }

  /**
   * An output option (gradOut, out): checked, or a new array when absent. It may be `inPlaceOk`
   * itself, and overlaps no other input.
   */
  output(option: Option<unknown>, f64: boolean, inPlaceOk: FloatArray, inputs: readonly (ArrayBufferView | null)[]): FloatArray {
    const raw = this.o[option.name];
    const length = inPlaceOk.length;
    if (raw === undefined) return newFloat(f64, length);
    return outputArray(this.method, option.name, this.live(option.name, raw), f64, length, inPlaceOk, inputs);
  }

  /**
   * The gradient's output (gradOut, or a new array) and its multipliers from gradOutput, for a
   * call whose mean divides by `denom` (and its z-loss term by `zDenom`) and whose 'none'
   * gradOutput has `count` entries; nothing for a loss-only call.
   */
  gradient(
    x: FloatArray, f64: boolean, inputs: readonly (ArrayBufferView | null)[], reduction: Reduction, count: number, denom: number, zDenom = denom,
  ): Gradient {
    if (!this.withGrad) return { grad: null, gradScale: 0, zGradScale: 0, scales: null };
    const grad = this.output(GRAD_OUT, f64, x, inputs);
    return { grad, ...gradScaleOf(this.method, this.live(GRAD_OUTPUT.name, this.o[GRAD_OUTPUT.name]), reduction, count, denom, f64, zDenom) };
  }

  /** Runs a kernel on the engine's backend. */
  run<A extends KernelArgs>(kernel: Kernel<A>, args: A): number {
    return this.kernels.run(kernel, args);
  }
}
