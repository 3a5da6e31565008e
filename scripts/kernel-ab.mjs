// A/B of one kernel export between two built checkouts (build/ of each), interleaved in one
// process: per call kind, the best single-call time over 21 rounds x 25 calls, alternating which
// checkout goes first. For quick checks that a change to assembly/ costs nothing; the project
// benchmark (bench/) and scripts/wasm-throughput.ts are the reference.
//
//   node scripts/kernel-ab.mjs DIR_A DIR_B [NxC] [relaxed-simd|simd|wasm] [sparse|softcap|stats|dense|softmax|rows]
//   (Node 20: add --experimental-wasm-relaxed-simd for relaxed-simd)
// Each kind times two calls: sparse loss, loss+grad; softcap loss, loss+grad with smoothing;
// stats (lse, argmax) loss, loss+grad; dense loss, loss+grad with smoothing and softcap;
// softmax, log-softmax; row states, row exp-scale. Both builds get a frame as last argument
// (a build whose exports take none ignores it).
import { readFileSync } from 'node:fs';
const [dirA, dirB, shape = '256x1000', variant = 'simd', kind = 'sparse'] = process.argv.slice(2);
const [n, c] = shape.split('x').map(Number);
const dirs = [dirA, dirB];
const calls = dirs.map((dir) => {
  const mod = new WebAssembly.Module(readFileSync(`${dir}/build/xent-${variant}.wasm`));
  const memory = new WebAssembly.Memory({ initial: Math.ceil((65536 + n * c * 12 + n * 32 + 128) / 65536) + 1 });
  const k = new WebAssembly.Instance(mod, { env: { memory } }).exports;
  const x = 65536, g = x + n * c * 4, t = g + n * c * 4, lab = t + n * c * 4, r0 = lab + n * 4, r1 = r0 + n * 8, r2 = r1 + n * 8, fr = r2 + n * 8;
  const tt = new Float32Array(memory.buffer, t, n * c); for (let i = 0; i < n * c; i++) tt[i] = ((i * 13) % 7) / 21 / c * 3;
  const f = new Float32Array(memory.buffer, x, n * c); for (let i = 0; i < n * c; i++) f[i] = Math.sin(i) * 3;
  const l = new Int32Array(memory.buffer, lab, n); for (let i = 0; i < n; i++) l[i] = (i * 7) % c;
  const K = {
    sparse: [() => k.f32_sparse_xent(x, lab, n, c, 0, -100, 0, 0, 0, 1 / n, 0, 0, 0, 0, -1, 0, 0, fr), () => k.f32_sparse_xent(x, lab, n, c, 0, -100, 0, 0, g, 1 / n, 0, 0, 0, 0, -1, 0, 0, fr)],
    softcap: [() => k.f32_sparse_xent(x, lab, n, c, 0, -100, 0, 0, 0, 1 / n, 0, 30, 0, 0, -1, 0, 0, fr), () => k.f32_sparse_xent(x, lab, n, c, 0, -100, 0.1, 0, g, 1 / n, 0, 30, 0, 0, -1, 0, 0, fr)],
    stats: [() => k.f32_sparse_xent(x, lab, n, c, 0, -100, 0, 0, 0, 1 / n, 0, 0, 0, 0, -1, r0, r1, fr), () => k.f32_sparse_xent(x, lab, n, c, 0, -100, 0, 0, g, 1 / n, 0, 0, 0, 0, 2, r0, r1, fr)],
    dense: [() => k.f32_dense_xent(x, t, n, c, 0, 0, 0, 0, 1 / n, 0, 0, 0, 0, 0, fr), () => k.f32_dense_xent(x, t, n, c, 0, 0.1, 0, g, 1 / n, 0, 30, 0, 0, 0, fr)],
    softmax: [() => k.f32_softmax(x, n, c, g, fr), () => k.f32_log_softmax(x, n, c, g, fr)],
    rows: [() => k.f32_row_states(x, n, c, 0, r0, r1, r2, fr), () => k.f32_row_expscale(x, n, c, r0, r1, r2, 0, g, fr)],
  };
  return K[kind];
});
const N = Math.max(200, Math.round(3e7 / (n * c)));
const best = calls.map(() => [Infinity, Infinity]);
for (let round = 0; round < 21; round++) {
  for (let j = 0; j < 2; j++) {
    const d = round % 2 ? 1 - j : j;
    for (let t = 0; t < 2; t++) {
      const fn = calls[d][t];
      for (let i = 0; i < 25; i++) {
        const t0 = performance.now(); fn(); const dt = (performance.now() - t0) * 1000;
        best[d][t] = Math.min(best[d][t], dt);
      }
    }
  }
}
console.log(`${kind} ${variant} ${n}x${c}: first A ${best[0][0].toFixed(3)} us, B ${best[1][0].toFixed(3)} us (A/B x${(best[0][0] / best[1][0]).toFixed(3)}); second A ${best[0][1].toFixed(3)} us, B ${best[1][1].toFixed(3)} us (x${(best[0][1] / best[1][1]).toFixed(3)})`);
