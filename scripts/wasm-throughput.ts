// Kernel developer's timing of the WebAssembly sparse softmax cross-entropy, per build variant:
// the read floor (the SUM_F32 kernel), loss-only and loss+gradient, with arrays in wasm memory (zero-copy)
// and as plain Float32Arrays (staged). Runs interleaved, best of `--reps`, in million logits/s.
// The project benchmark (bench/) is the reference; this is for quick A/B work on assembly/.
//
//   npm run build:wasm && npx tsx scripts/wasm-throughput.ts [variant] [--reps N]
//   node --experimental-wasm-relaxed-simd --import tsx scripts/wasm-throughput.ts relaxed-simd

import { createWasmKernels, supportedWasmVariants, type WasmVariant } from '../src/backends/wasm.js';
import { SUM_F32 } from '../src/kernels/diagnostics.js';
import { SPARSE_XENT } from '../src/losses/softmax-cross-entropy.js';

const args = process.argv.slice(2);
const repsAt = args.indexOf('--reps');
const reps = repsAt >= 0 ? Number(args[repsAt + 1]) : 25;
const only = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--reps') as WasmVariant | undefined;
const SHAPES: [number, number][] = [[4096, 1000], [512, 50257]];

for (const variant of supportedWasmVariants()) {
  if (only && variant !== only) continue;
  for (const [n, c] of SHAPES) {
    const k = createWasmKernels(variant);
    const allocated = [k.allocF32(n * c), k.allocF32(n * c)];
    const [xm, gm] = allocated.map((a) => k.view(a));
    const xj = new Float32Array(n * c);
    const gj = new Float32Array(n * c);
    for (let i = 0; i < xj.length; i++) xj[i] = Math.random() * 10 - 5;
    xm.set(xj);
    const labels = new Int32Array(n).map(() => Math.floor(Math.random() * c));
    const sparse = (logits: Float32Array, grad: Float32Array | null) =>
      k.run(SPARSE_XENT, { logits, labels, n, c, weight: null, ignoreIndex: -100, smoothing: 0, rowLoss: null, grad, gradScale: 1, rowScale: null });
    const tasks: Record<string, () => unknown> = {
      floor: () => k.run(SUM_F32, { x: xm, n: xm.length, c: 1 }),
      'zero-copy loss': () => sparse(xm, null),
      'zero-copy loss+grad': () => sparse(xm, gm),
      'staged loss': () => sparse(xj, null),
      'staged loss+grad': () => sparse(xj, gj),
    };
    const best: Record<string, number> = {};
    for (let rep = 0; rep < reps + 2; rep++) {
      for (const [name, run] of Object.entries(tasks)) {
        const t0 = performance.now();
        run();
        const t = performance.now() - t0;
        if (rep >= 2) best[name] = Math.min(best[name] ?? Infinity, t);
      }
    }
    const rate = (name: string) => (n * c) / best[name] / 1e3;
    const cell = (name: string) => `${name} ${rate(name).toFixed(0)}`;
    const ratio = (a: string, b: string) => (rate(a) / rate(b)).toFixed(2);
    console.log(
      `${variant.padEnd(12)} ${`${n}x${c}`.padEnd(9)} ${cell('floor')} | ${cell('zero-copy loss')}, ${cell('zero-copy loss+grad')} ` +
        `(${ratio('zero-copy loss+grad', 'zero-copy loss')}x) | ${cell('staged loss')}, ${cell('staged loss+grad')} ` +
        `(${ratio('staged loss+grad', 'staged loss')}x)`,
    );
    allocated.forEach((a) => k.free(a));
  }
}
console.log(`M logits/s, best of ${reps}`);
