/**
 * What a kernel is, for every backend: its arguments by name, its pure-TypeScript body, and its
 * WebAssembly binding (the export and how each argument is passed). A backend runs any kernel
 * through one method, `run(kernel, args)`, so adding a kernel adds no code to the backends, the
 * staging or the threads.
 *
 * The front validates every argument before a call, so a kernel may trust what it is given:
 * - all float arrays of one call have the element type of the kernel's main operand, whose type
 *   decides the precision the kernel computes in and the export it runs (f32_ or f64_);
 * - lengths match n and c exactly; n >= 0, c >= 1; every label is in [0, c) or is ignored;
 * - an output array may be the very same array as the operand it is computed in place of (same
 *   buffer, same offset, same length), but never overlaps any other argument partially.
 * Kernels return mergeable partial results (sums as float64 numbers); the front reduces them. A
 * kernel never keeps a reference to an argument after it returns.
 */

import { WASM_VARIANTS } from '../wasm/variants.js';

/** A float array a kernel computes on; all float arrays of one call share the type. */
export type FloatArray = Float32Array | Float64Array;

/** Any array a kernel reads or writes. */
export type KernelArray = Float32Array | Float64Array | Int32Array;

/** The element type of an operand, the prefix of the wasm export that reads it. */
export type ElementType = 'f32' | 'f64' | 'i32';

/** The element type of an array. */
export function elementType(array: KernelArray): ElementType {
  return array instanceof Float32Array ? 'f32' : array instanceof Float64Array ? 'f64' : 'i32';
}

/** What every kernel call has: n rows of c elements (a kernel on one flat array has c = 1). */
export interface KernelArgs {
  n: number;
  c: number;
}

/**
 * How an array operand is laid out over the rows, which tells the staging how to cut it into
 * blocks of rows: 'rows' holds c elements per row ([n, c]), 'row' one per row, 'whole' is read
 * whole by every block (per-class weights).
 */
export type Layout = 'rows' | 'row' | 'whole';

/** An array operand of a wasm export, passed as a byte offset (0 when the argument is null). */
export interface Operand<A> {
  readonly arg: keyof A & string;
  /**
   * Its element type: absent, the main operand's (whose type picks the export); else always
   * this one (labels and argmax int32, merged row states float64).
   */
  readonly type?: 'i32' | 'f64';
  /** The layout, or a function of the call's arguments when it depends on them. */
  readonly layout: Layout | ((a: A) => Layout);
  /** Written by the kernel (copied out of the staging), not read. */
  readonly out?: boolean;
  /**
   * For an output the kernel may compute in place of an input (the same array): that input.
   * When the input is staged, the output shares its scratch (the staged copy is ours to
   * overwrite), which halves the scratch a block touches; the kernels give the same numbers.
   */
  readonly inPlaceOf?: keyof A & string;
}

/** A number parameter of a wasm export: `n` is the block's rows; others come from the arguments (absent: `absent`). */
export interface Scalar<A> {
  readonly arg: keyof A & string;
  readonly absent?: number;
}

/** One parameter of a wasm export, in order. */
export type Param<A> = Operand<A> | Scalar<A>;

/** An operand parameter. */
export function operand<A>(arg: keyof A & string, layout: Operand<A>['layout'], more: Omit<Operand<A>, 'arg' | 'layout'> = {}): Operand<A> {
  return { arg, layout, ...more };
}

/** A number parameter (booleans pass as 1 and 0). */
export function scalar<A>(arg: keyof A & string, absent?: number): Scalar<A> {
  return absent === undefined ? { arg } : { arg, absent };
}

/** Whether a parameter is an array operand. */
export function isOperand<A>(p: Param<A>): p is Operand<A> {
  return 'layout' in p;
}

/** A kernel as declared: its arguments A, its TypeScript body and its WebAssembly binding. */
export interface KernelSpec<A extends KernelArgs> {
  /** The wasm export, without the element-type prefix of `main` (f32_, f64_). */
  readonly export: string;
  /** The operand whose element type picks the export. */
  readonly main: keyof A & string;
  /** The export's parameters in order. */
  readonly params: readonly Param<A>[];
  /**
   * The export takes one more parameter after `params`: its frame, FRAME_BYTES of scratch the
   * caller places per call and per thread, where the kernel's passes leave their second
   * results (assembly/frame.ts).
   */
  readonly frame?: boolean;
  /** The pure-TypeScript kernel (the js backend); absent for the wasm-only diagnostics. */
  readonly js?: (a: A) => number | void;
  /**
   * Rows too wide to stage whole: a wasm backend whose main operand must be staged runs `run`
   * instead when `when` holds (one column block at a time, through other kernels).
   */
  readonly wide?: { when(a: A): boolean; run(kernels: Kernels, a: A): number };
}

/** A kernel's parameters read into arrays once, for the staging to walk on every call. */
export interface Binding<A> {
  /** Per parameter: its argument's name. */
  readonly args: readonly (keyof A & string)[];
  /** Per parameter: SCALAR, OPERAND or ROWS (the block's row count, the argument `n`). */
  readonly kinds: Uint8Array;
  /** Per scalar: its value when the argument is absent. */
  readonly absent: Float64Array;
  /** Per operand: its layout (or the function of the arguments that gives it). */
  readonly layouts: readonly (Operand<A>['layout'] | undefined)[];
  /** Per operand: its fixed element type, or undefined for the main operand's. */
  readonly types: readonly (ElementType | undefined)[];
  readonly outs: readonly boolean[];
  /** Per output: the parameter index of the input it may be computed in place of, or -1. */
  readonly inPlaceOf: Int32Array;
}

/** Bytes of a kernel's frame (assembly/frame.ts FRAME_BYTES), 16-byte aligned. */
export const FRAME_BYTES = 64;

/** Binding.kinds. */
export const SCALAR = 0;
export const OPERAND = 1;
export const ROWS = 2;

/** A kernel: its declaration and its binding, read once. */
export interface Kernel<A extends KernelArgs> extends KernelSpec<A> {
  readonly binding: Binding<A>;
}

/** Declares a kernel (see KernelSpec). */
export function kernel<A extends KernelArgs>(spec: KernelSpec<A>): Kernel<A> {
  const { params } = spec;
  const at = (arg: string | undefined) => (arg === undefined ? -1 : params.findIndex((q) => q.arg === arg));
  const binding: Binding<A> = {
    args: params.map((p) => p.arg),
    kinds: Uint8Array.from(params, (p) => (isOperand(p) ? OPERAND : p.arg === 'n' ? ROWS : SCALAR)),
    absent: Float64Array.from(params, (p) => (isOperand(p) ? 0 : (p.absent ?? 0))),
    layouts: params.map((p) => (isOperand(p) ? p.layout : undefined)),
    types: params.map((p) => (isOperand(p) ? p.type : undefined)),
    outs: params.map((p) => isOperand(p) && p.out === true),
    inPlaceOf: Int32Array.from(params, (p) => (isOperand(p) ? at(p.inPlaceOf) : -1)),
  };
  return { ...spec, binding };
}

/** One kernel set: a backend. */
export interface Kernels {
  readonly name: BackendName;
  /** Runs a kernel; returns its partial result (0 for kernels that return nothing). */
  run<A extends KernelArgs>(kernel: Kernel<A>, args: A): number;
  /**
   * Zero-copy arrays, for backends with a memory of their own (wasm): arrays that live there
   * are used in place by every kernel. Absent on the js backend, where every array is in place.
   */
  readonly arrays?: ArrayPool;
  /** Threads a call may run on, the calling thread included (absent: 1). */
  readonly threads?: number;
  /** Resolves once the backend's worker threads run (absent: nothing to wait for). */
  ready?(): Promise<void>;
  /** Stops the backend's worker threads; later calls run on the calling thread. */
  dispose?(): void;
}

/** Arrays handed out by a backend that owns a memory. */
export interface ArrayPool {
  allocF32(length: number): Float32Array;
  allocF64(length: number): Float64Array;
  /** Whether `array` is a live array from allocF32 / allocF64 (attached or detached by growth). */
  owns(array: ArrayBufferView): boolean;
  /** The current view of an owned array: itself, or a fresh view after the memory grew. */
  view<T extends FloatArray>(array: T): T;
  free(array: FloatArray): void;
  /**
   * Why `array` may not be given to a call, or null: an allocated array that was freed, or a
   * view of the memory outside the live allocations (freed memory, or the scratch every call
   * overwrites). Arrays elsewhere are none of the pool's business (null).
   */
  misuse(array: ArrayBufferView): string | null;
  /** Whether any array was ever handed out: until then no argument can lie in the memory. */
  readonly handedOut: boolean;
}

/** The backends, best first: the kernel builds (asconfig.json's targets), then the pure-TypeScript one. */
export const BACKENDS = [...WASM_VARIANTS, 'js'] as const;
/** A backend name. */
export type BackendName = (typeof BACKENDS)[number];
