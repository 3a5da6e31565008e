/**
 * A staged call on the pool's threads: the same call descriptor as on one thread
 * (src/wasm/staging.ts), cut into blocks of tuning.blockElements elements of its widest
 * row-array, staged or not. Staged operands get one region per slot of the pool's ring (arrays
 * read whole one region for all), and each block's descriptor (its operands' offsets in its
 * slot, its rows) goes to the pool.
 */
import { FRAME_BYTES, type Kernel, type KernelArgs, type KernelArray } from '../kernels/kernel.js';
import { ALIGN, type WasmMemory, alignUp } from '../wasm/memory.js';
import { type StagedCall, sliceRows, stageWhole } from '../wasm/staging.js';
import type { ThreadPool } from './pool.js';

/** When a call runs on threads, and how it is cut. */
export interface ThreadTuning {
  /**
   * Smallest call, in elements of its widest row-array (N·C for the softmax family), that runs
   * on threads.
   */
  minElements: number;
  /** Elements (of the widest row-array) per block of a threaded call. */
  blockElements: number;
  /**
   * How long the calling thread waits for a block a worker holds (plus 1 µs per element of the
   * block) before it takes the worker for gone, fails the call and stops the workers.
   */
  workerTimeoutMs: number;
}

// Measured on a 2-core VM (`npx tsx bench/threads.ts`, with and without --gap): a worker asleep
// between calls takes 40-300 µs to wake there. At 256x1000 (2.4·10^5 logits, ~0.2 ms) two
// threads win 1.3x back to back and tie (0.99-1.08x) when each call follows 5 ms of other work;
// at 384x1000 they win 1.24x even then. So calls from 2^18 logits run on threads. A block of
// 2^16 logits (256 KiB of f32) costs a few µs to stage, describe and claim against ~40 µs of
// kernel.
/** The tuning of every threaded engine (tests cut calls finer). */
// A block takes microseconds to milliseconds; a worker preempted on a busy machine is back within
// tens of milliseconds. Two seconds only ever expire for a worker that is gone.
export const THREAD_TUNING: ThreadTuning = { minElements: 1 << 18, blockElements: 1 << 16, workerTimeoutMs: 2000 };

/**
 * Copies between an ordinary ArrayBuffer and a shared memory go word by word (relaxed atomics),
 * and byte by byte, 8-12x slower still, unless source and destination agree modulo 8 bytes: so
 * each staged block sits at its source's phase modulo PHASE within its slot.
 */
const PHASE = 8;
const phaseOf = (a: KernelArray, element: number): number => (a.byteOffset + element * a.BYTES_PER_ELEMENT) % PHASE;
/** Most scratch a threaded call may stage (all slots); wider rows run on the calling thread. */
const THREAD_SCRATCH_MAX = 64 << 20;

/** Where the calling thread runs its own blocks of a fully staged call: an unshared instance. */
export interface Lane {
  run<A extends KernelArgs>(kernel: Kernel<A>, a: A): number;
}

/**
 * Runs a placed call on the pool's threads, or gives null when it fits in one block or would
 * need too much scratch. With every array staged, the blocks this thread runs go to the lane
 * (its own unshared memory) instead of through the shared memory: the same kernel, the same
 * numbers.
 */
export function runOnPool<A extends KernelArgs>(
  pool: ThreadPool, memory: WasmMemory, tuning: ThreadTuning, call: StagedCall, kernel: Kernel<A>, a: A, lane: Lane | null,
): number | null {
  const { n, ops, argv } = call;
  let perRow = 1;
  for (const op of ops) perRow = Math.max(perRow, op.perRow);
  const rowsPerBlock = Math.max(1, Math.floor(tuning.blockElements / perRow));
  const blocks = Math.ceil(n / rowsPerBlock);
  if (blocks < 2) return null;
  let end = memory.scratchStart;
  // Arrays read whole once, then the slots.
  const rel = ops.map(() => 0);
  for (const op of ops) {
    if (!op.staged || op.perRow !== 0) continue;
    op.offset = end;
    end = alignUp(end + op.array.length * op.array.BYTES_PER_ELEMENT, ALIGN);
  }
  const slotBase = end;
  // Each slot starts with the kernel's frame (KernelSpec.frame): its own per block in flight.
  let slotBytes = call.frameAt >= 0 ? FRAME_BYTES : 0;
  const region = (op: (typeof ops)[number]) => {
    const at = slotBytes;
    slotBytes = alignUp(slotBytes + rowsPerBlock * op.perRow * op.array.BYTES_PER_ELEMENT + PHASE, ALIGN);
    return at;
  };
  ops.forEach((op, i) => {
    if (op.staged && op.perRow !== 0 && op.aliasOf < 0) rel[i] = region(op);
  });
  ops.forEach((op, i) => {
    if (op.aliasOf < 0) return;
    // An output computed in place shares its input's region only if it copies out in phase with it.
    if ((op.array.byteOffset - ops[op.aliasOf].array.byteOffset) % PHASE === 0) {
      rel[i] = rel[op.aliasOf];
      return;
    }
    op.aliasOf = -1;
    rel[i] = region(op);
  });
  if (pool.slotCount * slotBytes > THREAD_SCRATCH_MAX) return null;
  memory.reserveScratch(slotBase + pool.slotCount * slotBytes);
  stageWhole(memory, call);
  /** Byte offset of operand i's block starting at row r0 in `slot`. */
  const inSlot = (i: number, slot: number, r0: number) => {
    const op = ops[i];
    const k = op.aliasOf >= 0 ? op.aliasOf : i;
    return slotBase + slot * slotBytes + rel[i] + phaseOf(ops[k].array, r0 * op.perRow);
  };
  const rowsOf = (b: number) => Math.min(rowsPerBlock, n - b * rowsPerBlock);
  const { name } = call;
  return pool.run(blocks, {
    runHere:
      lane && ops.every((op) => op.staged)
        ? (b) => lane.run(kernel, sliceRows(kernel, a, b * rowsPerBlock, rowsOf(b)))
        : undefined,
    stage: (b, slot) => {
      const r0 = b * rowsPerBlock;
      const rows = rowsOf(b);
      ops.forEach((op, i) => {
        const a = op.array;
        const per = op.perRow;
        if (!op.staged) {
          argv[op.at] = op.offset + r0 * per * a.BYTES_PER_ELEMENT;
        } else if (per === 0) {
          argv[op.at] = op.offset;
        } else {
          argv[op.at] = inSlot(i, slot, r0);
          if (!op.out) memory.viewFor(a).set(a.subarray(r0 * per, (r0 + rows) * per), argv[op.at] / a.BYTES_PER_ELEMENT);
        }
      });
      if (call.nAt >= 0) argv[call.nAt] = rows;
      if (call.frameAt >= 0) argv[call.frameAt] = slotBase + slot * slotBytes;
      return { name, args: argv };
    },
    finish: (b, slot) => {
      const r0 = b * rowsPerBlock;
      const rows = rowsOf(b);
      ops.forEach((op, i) => {
        if (!op.staged || !op.out || op.perRow === 0) return;
        const a = op.array;
        const from = inSlot(i, slot, r0) / a.BYTES_PER_ELEMENT;
        a.set(memory.viewFor(a).subarray(from, from + rows * op.perRow), r0 * op.perRow);
      });
    },
  }, rowsPerBlock * perRow);
}
