/**
 * Options: each one declared once (its name, the spellings other libraries use for it, how its
 * value is checked and its default), and the check every call makes of the names it was given.
 * A method's options are a list of these (an OptionList); a name that is an option of some other
 * method "does not apply here", any other is unknown, with a did-you-mean for the spellings of
 * PyTorch, TensorFlow, Liger and Gemma.
 */
import type { Reduction } from '../types.js';
import { describe } from './describe.js';

/** One option: its name, its aliases, and how its value is read. */
export interface Option<T> {
  readonly name: string;
  /** Spellings users bring from other libraries, lowercase without '_' and '-', answered with a did-you-mean. */
  readonly aliases: readonly string[];
  /** Its value, checked (`method` names the call in errors), or its default when absent (undefined). */
  read(method: string, value: unknown): T;
  /** Its default: read(…, undefined), taken once. */
  readonly fallback: T;
}

/** Every option name any method takes: a name in here "does not apply" to a method that lacks it. */
const KNOWN = new Set<string>();

/**
 * Declares an option. Without `read` its value is passed on as given, for the loss to check
 * against the call's shapes (arrays: weights, gradOut, ...).
 */
export function option<T = unknown>(name: string, aliases: readonly string[], read?: (method: string, value: unknown) => T): Option<T> {
  KNOWN.add(name);
  const check = read ?? ((_method, value) => value as T);
  return { name, aliases, read: check, fallback: check('', undefined) };
}

/** The options a method takes, in the order its error messages list them. */
export class OptionList {
  readonly names: readonly string[];
  private readonly allowed: ReadonlySet<string>;
  private grad?: OptionList;

  constructor(readonly options: readonly Option<unknown>[]) {
    this.names = options.map((o) => o.name);
    this.allowed = new Set(this.names);
  }

  /** The list with the options of the gradient-returning variants (gradOut, gradOutput) after it. */
  get withGrad(): OptionList {
    this.grad ??= new OptionList([...this.options, ...GRAD_OPTIONS]);
    return this.grad;
  }

  /** Throws a TypeError for an option this method does not take, suggesting the one meant. */
  check(method: string, opts: Record<string, unknown>): void {
    for (const key in opts) {
      if (this.allowed.has(key) || opts[key] === undefined) continue;
      const list = this.names.join(', ');
      if (KNOWN.has(key)) throw new TypeError(`${method}: option '${key}' does not apply here (options: ${list})`);
      const spelled = key.replace(/[_-]/g, '').toLowerCase();
      const meant = this.options.find((o) => o.aliases.includes(spelled));
      const hint = meant ? ` (did you mean '${meant.name}'?)` : '';
      throw new TypeError(`${method}: unknown option '${key}'${hint}; options: ${list}`);
    }
  }
}

/** A method's option list. */
export function options(...list: Option<unknown>[]): OptionList {
  return new OptionList(list);
}

/** The options object, or {} when omitted. */
export function optionsObject(method: string, opts: unknown): Record<string, unknown> {
  if (opts === undefined || opts === null) return {};
  if (typeof opts !== 'object' || Array.isArray(opts)) {
    throw new TypeError(`${method}: options must be an object, got ${describe(opts)}`);
  }
  return opts as Record<string, unknown>;
}

/** A number option that must be finite and ≥ 0, or its default when absent. */
export function nonNegative(name: string, aliases: readonly string[], fallback: number): Option<number> {
  return option(name, aliases, (method, v) => {
    if (v === undefined) return fallback;
    if (typeof v !== 'number') throw new TypeError(`${method}: ${name} must be a number, got ${describe(v)}`);
    if (!(v >= 0 && v < Infinity)) throw new RangeError(`${method}: ${name} must be a finite number >= 0, got ${v}`);
    return v;
  });
}

/** A boolean option, false when absent. */
export function flag(name: string, aliases: readonly string[]): Option<boolean> {
  return option(name, aliases, (method, v) => {
    if (v === undefined) return false;
    if (typeof v !== 'boolean') throw new TypeError(`${method}: ${name} must be true or false, got ${describe(v)}`);
    return v;
  });
}

/** C, the row length (read with the input's length: src/front/labels.ts, classesOf). */
export const CLASSES = option('classes', ['numclasses', 'nclasses', 'depth']);

/** options.reduction, default 'mean'. */
export const REDUCTION = option('reduction', [], (method, r): Reduction => {
  if (r === undefined) return 'mean';
  if (r === 'mean' || r === 'sum' || r === 'none') return r;
  throw new RangeError(`${method}: reduction must be 'mean', 'sum' or 'none', got ${describe(r)}`);
});

/** Per-class (or per-element) weights: an array, checked against the call's shapes. */
export const WEIGHT = option('weight', ['weights', 'classweight', 'classweights']);

/** options.ignoreIndex, default -100 (PyTorch's). */
export const IGNORE_INDEX = option('ignoreIndex', ['ignoreindex'], (method, v) => {
  if (v === undefined) return -100;
  if (typeof v !== 'number') throw new TypeError(`${method}: ignoreIndex must be a number, got ${describe(v)}`);
  if (!Number.isInteger(v)) throw new RangeError(`${method}: ignoreIndex must be an integer, got ${v}`);
  return v;
});

/** options.labelSmoothing ε in [0, 1), default 0. */
export const LABEL_SMOOTHING = option('labelSmoothing', ['labelsmoothing', 'smoothing'], (method, e) => {
  if (e === undefined) return 0;
  if (typeof e !== 'number') throw new TypeError(`${method}: labelSmoothing must be a number, got ${describe(e)}`);
  if (!(e >= 0 && e < 1)) throw new RangeError(`${method}: labelSmoothing must be in [0, 1), got ${e}`);
  return e;
});

/** The focal losses' γ ≥ 0, default 2. */
export const GAMMA = nonNegative('gamma', ['focalgamma'], 2);

/** Where to write the gradient (src/front/call.ts, gradient). */
export const GRAD_OUT = option('gradOut', ['gradout']);
/** The upstream gradient (src/front/reduce.ts, gradScaleOf). */
export const GRAD_OUTPUT = option('gradOutput', ['gradoutput']);
/** The options every gradient-returning variant adds. */
const GRAD_OPTIONS = [GRAD_OUT, GRAD_OUTPUT];
/** A method's options when it takes only the gradient's (softmaxCrossEntropyShardGrad). */
export const GRAD_ONLY = options(...GRAD_OPTIONS);
