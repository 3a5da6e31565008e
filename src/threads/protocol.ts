// The layout of a thread pool's control memory, shared by the calling thread (pool.ts) and its
// workers (worker-source.ts). Two SharedArrayBuffers:
//
// - control, Int32Array: block counters and flags. Blocks are numbered from the pool's start
//   and never reset (int32 arithmetic wraps; only differences and equality are used), so a
//   worker still finishing one call can never claim a block of the next by mistake.
//   STAGED   blocks published (their inputs staged and their call descriptor written)
//   CLAIMED  blocks claimed by some thread; a block b is claimed by compare-exchange b → b + 1
//   STOP     1 when the pool is disposed
//   FAILED   1 if a kernel call threw in a worker; 2 if a worker failed outside a kernel (and stopped)
//   DONE + s (b + 1) once block b, held in slot s = b mod slotCount, has its result
//   DONE + slotCount + w   worker w's state: 0 starting, 1 running (kernels instantiated), 2 gone
//            (set by the worker when it fails, by the calling thread when it sees the worker exit)
// - slots, Float64Array: slotCount slots of `width` numbers each, a block's call descriptor: the
//   export's index, its arguments (as many as that export takes), and the result last. The width
//   is 2 + the most arguments any export of the build takes.

/** The control memory's layout (above). */
export const CONTROL = {
  STAGED: 0,
  CLAIMED: 1,
  STOP: 2,
  FAILED: 4,
  /** The done flags start a cache line after the counters. */
  DONE: 16,
  /**
   * How long an idle worker polls for the next block before it sleeps in Atomics.wait (ms):
   * longer than the calling thread takes to stage a block, so that a call's blocks find it
   * awake, and short, since a spinning worker takes a core from whatever else runs.
   */
  SPIN_MS: 0.1,
  /** How long the calling thread polls for a worker's block before it sleeps (ms). */
  WAIT_SPIN_MS: 0.05,
  /** Worker states (DONE + slotCount + w). */
  RUNNING: 1,
  GONE: 2,
} as const;
