/**
 * Staging: one kernel call on a wasm instance, as an explicit call descriptor (the export, its
 * number arguments, and where each array operand lives), and the loop that runs it on one
 * thread in blocks of rows.
 *
 * An array whose `.buffer` is the memory's buffer (one handed out by allocF32 / allocF64) is
 * used in place and never copied. Others are staged into scratch above the allocations, in
 * blocks of rows (about BLOCK_ELEMENTS elements per array: 256 KiB of f32), so the scratch stays
 * within a few MiB (or one row per array, for rows wider than a block) whatever the input size,
 * and each block is still in cache when the kernel reads it. An output whose input is staged is
 * computed in place in that input's scratch (see Operand.inPlaceOf), and each block is copied
 * out once.
 */
import { type ElementType, FRAME_BYTES, type Kernel, type KernelArgs, type KernelArray, ROWS, SCALAR, elementType, isOperand } from '../kernels/kernel.js';
import { ALIGN, BLOCK_ELEMENTS, type WasmMemory, alignUp } from './memory.js';

/** A kernel export: numbers in (byte offsets, lengths, scalars), a partial sum or nothing out. */
export type WasmFn = (...args: number[]) => number | undefined;

/** One array operand of a call, and where it is placed. */
export interface OperandUse {
  /** The argument it comes from. */
  readonly arg: string;
  readonly array: KernelArray;
  /** Elements per row (c for a 'rows' operand, 1 for 'row'), or 0 for an array read whole. */
  readonly perRow: number;
  readonly out: boolean;
  /** Its position in the export's arguments. */
  readonly at: number;
  /** Index (in `ops`) of the input this output may be computed in place of, or -1. */
  readonly inPlaceOf: number;
  /** Byte offset of the array (in place) or of its scratch region (staged). */
  offset: number;
  staged: boolean;
  /** Index of the operand whose scratch this output shares (in place), or -1. */
  aliasOf: number;
}

/** A kernel call as a wasm instance runs it: the call descriptor. */
export interface StagedCall {
  /** The export's name (its element-type prefix included), as every instance of the build names it. */
  readonly name: string;
  readonly fn: WasmFn;
  /** The export's arguments: the scalars; each block sets its operands' offsets and its rows. */
  readonly argv: number[];
  /** Where the block's row count goes in argv (-1: the export takes none). */
  readonly nAt: number;
  /** Where the kernel's frame goes in argv (-1: the export takes none; see KernelSpec.frame). */
  readonly frameAt: number;
  readonly n: number;
  readonly c: number;
  /** The array operands present (absent ones pass 0). */
  readonly ops: OperandUse[];
}

/**
 * The call descriptor of `kernel` on `a`, with `fn` the export `name` (for the main operand's
 * element type `type`); operands not yet placed. An operand of another element type than the
 * export reads is refused: the kernel would read past it.
 */
export function describeCall<A extends KernelArgs>(kernel: Kernel<A>, a: A, type: ElementType, name: string, fn: WasmFn): StagedCall {
  const b = kernel.binding;
  const count = b.args.length;
  const values = argumentsOf(kernel, a);
  const argv: number[] = [];
  const ops: OperandUse[] = [];
  let nAt = -1;
  for (let i = 0; i < count; i++) {
    argv.push(0);
    const kind = b.kinds[i];
    if (kind === ROWS) {
      nAt = i;
      continue;
    }
    const v = values[i];
    if (kind === SCALAR) {
      argv[i] = v === undefined || v === null ? b.absent[i] : +(v as number);
      continue;
    }
    if (!v) continue;
    const array = v as KernelArray;
    const want = b.types[i] ?? type;
    if (elementType(array) !== want) throw new Error(`xent: ${name} takes ${b.args[i]} as ${want}, got a ${array.constructor.name}`);
    const given = b.layouts[i]!;
    const layout = typeof given === 'function' ? given(a) : given;
    const perRow = layout === 'rows' ? a.c : layout === 'row' ? 1 : 0;
    const input = b.inPlaceOf[i];
    let inPlaceOf = -1;
    if (input >= 0) for (let j = 0; j < ops.length; j++) if (ops[j].at === input) inPlaceOf = j;
    ops.push({ arg: b.args[i], array, perRow, out: b.outs[i], at: i, inPlaceOf, offset: 0, staged: false, aliasOf: -1 });
  }
  let frameAt = -1;
  if (kernel.frame) {
    frameAt = count;
    argv.push(0);
  }
  return { name, fn, argv, nAt, frameAt, n: a.n, c: a.c, ops };
}

/** The values of a kernel's parameters, read from `a` (reused by every call: read before the next). */
const VALUES: unknown[] = [];

/**
 * The parameters' values in order. An argument object written with the parameters in order (as
 * the losses write theirs; absent ones may end it) is read in one for-in pass, which V8 serves
 * from the object's own layout, three times faster than a lookup by name per parameter.
 */
function argumentsOf<A extends KernelArgs>(kernel: Kernel<A>, a: A): unknown[] {
  const names = kernel.binding.args;
  const values = VALUES;
  let i = 0;
  let inOrder = true;
  for (const key in a) {
    if (key !== names[i]) {
      inOrder = false;
      break;
    }
    values[i++] = a[key];
  }
  if (inOrder) for (; i < names.length; i++) values[i] = undefined;
  else for (i = 0; i < names.length; i++) values[i] = a[names[i]];
  return values;
}

/**
 * Places each operand: in place when it lives in the memory, else to be staged (an output
 * sharing the scratch of the staged input it is computed in place of). Returns the widest
 * staged row-array (elements per row), which sets the rows per block.
 */
export function place(memory: WasmMemory, call: StagedCall): number {
  let stagedPerRow = 0;
  for (const op of call.ops) {
    const offset = memory.offsetOf(op.array);
    if (offset >= 0) {
      op.offset = offset;
      continue;
    }
    op.staged = true;
    stagedPerRow = Math.max(stagedPerRow, op.perRow);
    if (op.inPlaceOf >= 0 && call.ops[op.inPlaceOf].staged) op.aliasOf = op.inPlaceOf;
  }
  return stagedPerRow;
}

/** Copies the operands read whole (per-class arrays) into their scratch. */
export function stageWhole(memory: WasmMemory, call: StagedCall): void {
  for (const op of call.ops) {
    if (op.staged && op.perRow === 0 && !op.out) memory.viewFor(op.array).set(op.array, op.offset / op.array.BYTES_PER_ELEMENT);
  }
}

/** Elements [from, from + count) of `a`: `a` itself when that is all of it (a small call's one block, without a new view). */
function rowsOf(a: KernelArray, from: number, count: number): KernelArray {
  return from === 0 && count === a.length ? a : a.subarray(from, from + count);
}

/** Runs the placed call on this thread in blocks of rows; returns the Σ of the blocks' results. */
export function runBlocks(memory: WasmMemory, call: StagedCall, stagedPerRow: number): number {
  const { n, ops, argv } = call;
  if (n === 0) return 0;
  // Blocks of rows only as wide as staging needs: with just labels or per-row losses staged,
  // a block holds BLOCK_ELEMENTS rows, so the kernel sees long runs of rows (its exp pass
  // reads ahead into the next row).
  const rowsPerBlock = stagedPerRow > 0 ? Math.min(n, Math.max(1, Math.floor(BLOCK_ELEMENTS / stagedPerRow))) : n;
  let end = memory.scratchStart;
  if (call.frameAt >= 0) {
    argv[call.frameAt] = end;
    end += FRAME_BYTES;
  }
  for (const op of ops) {
    if (!op.staged || op.aliasOf >= 0) continue;
    op.offset = end;
    const elements = op.perRow > 0 ? rowsPerBlock * op.perRow : op.array.length;
    end = alignUp(end + elements * op.array.BYTES_PER_ELEMENT, ALIGN);
  }
  for (const op of ops) if (op.aliasOf >= 0) op.offset = ops[op.aliasOf].offset;
  memory.reserveScratch(end);
  stageWhole(memory, call);
  let total = 0;
  for (let r0 = 0; r0 < n; r0 += rowsPerBlock) {
    const rows = Math.min(rowsPerBlock, n - r0);
    for (const op of ops) {
      const a = op.array;
      const per = op.perRow;
      if (!op.staged) {
        argv[op.at] = op.offset + r0 * per * a.BYTES_PER_ELEMENT;
        continue;
      }
      argv[op.at] = op.offset;
      if (per > 0 && !op.out) memory.viewFor(a).set(rowsOf(a, r0 * per, rows * per), op.offset / a.BYTES_PER_ELEMENT);
    }
    if (call.nAt >= 0) argv[call.nAt] = rows;
    const r = call.fn.apply(null, argv);
    if (r !== undefined) total += r;
    for (const op of ops) {
      if (!op.staged || !op.out) continue;
      const a = op.array;
      const per = op.perRow;
      const from = op.offset / a.BYTES_PER_ELEMENT;
      a.set(memory.viewFor(a).subarray(from, from + rows * per), r0 * per);
    }
  }
  return total;
}

/** The arguments of rows [r0, r0 + rows) of a call: its per-row operands cut to those rows. */
export function sliceRows<A extends KernelArgs>(kernel: Kernel<A>, a: A, r0: number, rows: number): A {
  const sub = { ...a, n: rows };
  for (const p of kernel.params) {
    if (!isOperand(p)) continue;
    const array = a[p.arg] as KernelArray | null | undefined;
    const layout = typeof p.layout === 'function' ? p.layout(a) : p.layout;
    if (!array || layout === 'whole') continue;
    const per = layout === 'rows' ? a.c : 1;
    Object.assign(sub, { [p.arg]: array.subarray(r0 * per, (r0 + rows) * per) });
  }
  return sub;
}
