// The measurement of scripts/wasm-throughput.ts, shared by Node and the Chromium page it
// drives: the sparse softmax cross-entropy of each build, loss and loss + gradient, on arrays in
// wasm memory (zero-copy) and on plain Float32Arrays (staged by the adapter), with the read
// floor (one SIMD sum pass) and the core's clock, all timed in one process, interleaved.

import { compileWasmVariant, createWasmKernels, supportedWasmVariants, type WasmVariant } from '../src/backends/wasm.js';
import { SUM_F32 } from '../src/kernels/diagnostics.js';
import { SPARSE_XENT } from '../src/losses/softmax-cross-entropy.js';

/** What one run measures. */
export interface RunOptions {
  /** Builds to time; those the runtime cannot run are skipped. */
  variants: WasmVariant[];
  /** [rows, classes]. */
  shapes: [number, number][];
  /** Timed calls per task (the best is kept), after two warm-up calls. */
  reps: number;
}

/** The best time of one task. */
export interface Timing {
  variant: WasmVariant;
  shape: string;
  task: Task;
  /** Million logits per second of the fastest call. */
  rate: number;
}

export const TASKS = ['floor', 'zero-copy loss', 'zero-copy loss+grad', 'staged loss', 'staged loss+grad'] as const;
export type Task = (typeof TASKS)[number];

/** A seeded generator, so that every runtime times the same logits. */
function lcg(seed: number): () => number {
  return () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
}

/** Times every task of `options` in this process, interleaving the tasks of a build and shape. */
export async function measure(options: RunOptions): Promise<Timing[]> {
  const out: Timing[] = [];
  const supported = supportedWasmVariants();
  for (const variant of options.variants) {
    if (!supported.includes(variant)) continue;
    await compileWasmVariant(variant);
    for (const [n, c] of options.shapes) {
      const k = createWasmKernels(variant);
      const allocated = [k.allocF32(n * c), k.allocF32(n * c)];
      const [xm, gm] = allocated.map((a) => k.view(a));
      const xj = new Float32Array(n * c);
      const gj = new Float32Array(n * c);
      const rand = lcg(1);
      // Logits about N(0, 3), as a trained model's are: a few units, no row dominated by one class.
      for (let i = 0; i < xj.length; i++) xj[i] = (rand() + rand() + rand() - 1.5) * 6;
      xm.set(xj);
      const labels = new Int32Array(n).map(() => Math.floor(rand() * c));
      const sparse = (logits: Float32Array, grad: Float32Array | null) =>
        k.run(SPARSE_XENT, { logits, labels, n, c, weight: null, ignoreIndex: -100, smoothing: 0, rowLoss: null, grad, gradScale: 1 / n, rowScale: null });
      const run: Record<Task, () => unknown> = {
        floor: () => k.run(SUM_F32, { x: xm, n: xm.length, c: 1 }),
        'zero-copy loss': () => sparse(xm, null),
        'zero-copy loss+grad': () => sparse(xm, gm),
        'staged loss': () => sparse(xj, null),
        'staged loss+grad': () => sparse(xj, gj),
      };
      const best = new Map<Task, number>();
      for (let rep = 0; rep < options.reps + 2; rep++) {
        for (const task of TASKS) {
          const t0 = performance.now();
          run[task]();
          const t = performance.now() - t0;
          if (rep >= 2) best.set(task, Math.min(best.get(task) ?? Infinity, t));
        }
      }
      for (const task of TASKS) out.push({ variant, shape: `${n}x${c}`, task, rate: (n * c) / best.get(task)! / 1e3 });
      allocated.forEach((a) => k.free(a));
    }
  }
  return out;
}

/**
 * The core's clock in GHz: a wasm loop of 16 dependent i32 adds per iteration (one cycle each;
 * the loop counter runs alongside), best of 20 runs of 2^20 iterations. The add operand is a
 * parameter, so no compiler can fold the chain.
 */
export function clockGHz(): number {
  const adds = 16;
  // (func (param $n i32) (param $y i32) (result i32) (local $x i32)
  //   (loop (local.set $x (i32.add (... (i32.add (local.get $x) (local.get $y)) ...) (local.get $y)))
  //         (br_if 0 (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
  //   (local.get $x))
  const body = [
    0x01, 0x01, 0x7f, // one local i32
    0x03, 0x40, // loop
    0x20, 0x02, // local.get x
    ...Array.from({ length: adds }, () => [0x20, 0x01, 0x6a]).flat(), // (local.get y, i32.add) × adds
    0x21, 0x02, // local.set x
    0x20, 0x00, 0x41, 0x01, 0x6b, 0x22, 0x00, // n = n − 1 (tee)
    0x0d, 0x00, // br_if 0
    0x0b, // end loop
    0x20, 0x02, // local.get x
    0x0b, // end
  ];
  const bytes = new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, // type: (i32, i32) → i32
    0x03, 0x02, 0x01, 0x00, // one function of type 0
    0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00, // export "f"
    0x0a, body.length + 2, 0x01, body.length, ...body, // code (sizes fit in one LEB byte)
  ]);
  const f = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.f as (n: number, y: number) => number;
  const iterations = 1 << 20;
  let best = Infinity;
  for (let i = 0; i < 22; i++) {
    const t0 = performance.now();
    f(iterations, i);
    const t = performance.now() - t0;
    if (i >= 2) best = Math.min(best, t);
  }
  return (iterations * adds) / best / 1e6;
}
