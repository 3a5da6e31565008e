/**
 * One thread against N on the same inputs: `npm run bench:threads` (or `npx tsx bench/threads.ts`).
 *
 * For each shape and mode (loss; loss + gradient) and input (a Float32Array the engine stages;
 * zero-copy arrays from engine.alloc), windows of back-to-back calls alternate between a
 * one-thread and an N-thread engine, and the medians over the windows are compared. With
 * --gap, each call follows `gap` ms of busy work on the calling thread instead (a training step's
 * other work), so workers have gone to sleep and every call pays their wake-up.
 *
 * The machines this runs on are shared: on Linux, a pair of windows during which other
 * processes used more than 20% of a core (from /proc/stat, less this process's own CPU time) is
 * dropped and redone, and the report says how many were.
 */
import { loadavg } from 'node:os';
import { availableBackends, createEngine, type BackendName, type Engine } from '../src/index.js';
import { foreignLoad, machineBusyMs } from './load.js';

const USAGE = `usage: npx tsx bench/threads.ts [--shapes 64x10,256x1000,...] [--threads 2] [--backend simd] [--gap ms] [--windows 11]`;

interface Options {
  shapes: [number, number][];
  threads: number;
  backend: BackendName;
  gap: number;
  windows: number;
}

function parse(argv: string[]): Options {
  const o: Options = {
    shapes: [[64, 10], [256, 1000], [4096, 1000], [512, 50257]],
    threads: 2,
    backend: availableBackends()[0],
    gap: 0,
    windows: 11,
  };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case '--shapes':
        o.shapes = v.split(',').map((s) => s.split('x').map(Number) as [number, number]);
        i++;
        break;
      case '--threads':
        o.threads = Number(v);
        i++;
        break;
      case '--backend':
        o.backend = v as BackendName;
        i++;
        break;
      case '--gap':
        o.gap = Number(v);
        i++;
        break;
      case '--windows':
        o.windows = Number(v);
        i++;
        break;
      default:
        console.log(USAGE);
        process.exit(argv[i] === '--help' ? 0 : 1);
    }
  }
  return o;
}

function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

const o = parse(process.argv.slice(2));
const one = await createEngine({ backend: o.backend });
const many = await createEngine({ backend: o.backend, threads: o.threads });
if (many.threads !== o.threads) throw new Error(`threads cannot run here (engine.threads = ${many.threads})`);
const load = loadavg()[0];
console.log(`${o.backend}, 1 vs ${o.threads} threads, ${o.gap > 0 ? `each call after ${o.gap} ms of other work` : 'calls back to back'}; load average ${load.toFixed(2)}`);
console.log('| shape | mode | input | 1 thread | ' + `${o.threads} threads | speedup | windows (dropped as loaded) |`);
console.log('|---|---|---|---:|---:|---:|---:|');

/** Median time per call (ms) of `call` in a window of about 40 ms (or 8 calls after gaps). */
function window(call: () => unknown): number {
  if (o.gap > 0) {
    let total = 0;
    for (let i = 0; i < 8; i++) {
      spin(o.gap);
      const t = performance.now();
      call();
      total += performance.now() - t;
    }
    return total / 8;
  }
  const start = performance.now();
  let calls = 0;
  while (performance.now() - start < 40) {
    call();
    calls++;
  }
  return (performance.now() - start) / calls;
}

for (const [n, c] of o.shapes) {
  const x = Float32Array.from({ length: n * c }, () => 6 * Math.random() - 3);
  const labels = Int32Array.from({ length: n }, () => Math.floor(Math.random() * c));
  for (const input of ['staged', 'zero-copy'] as const) {
    const arrays = (e: Engine) => {
      if (input === 'staged') return { x, g: new Float32Array(n * c), block: null };
      const block = e.alloc(2 * n * c);
      block.set(x);
      return { x: block.subarray(0, n * c), g: block.subarray(n * c), block };
    };
    const a1 = arrays(one);
    const aN = arrays(many);
    for (const mode of ['loss', 'grad'] as const) {
      const call = (e: Engine, a: { x: Float32Array; g: Float32Array }) =>
        mode === 'loss'
          ? () => e.softmaxCrossEntropy(a.x, labels, { classes: c })
          : () => e.softmaxCrossEntropyWithGrad(a.x, labels, { classes: c, gradOut: a.g });
      const f1 = call(one, a1);
      const fN = call(many, aN);
      window(f1);
      window(fN);
      const t1: number[] = [];
      const tN: number[] = [];
      let dropped = 0;
      while (t1.length < o.windows && dropped < 20 * o.windows) {
        const busy0 = machineBusyMs();
        const cpu0 = process.cpuUsage();
        const wall0 = performance.now();
        const p = window(f1);
        const q = window(fN);
        const cpu = process.cpuUsage(cpu0);
        const foreign = foreignLoad(busy0, machineBusyMs(), (cpu.user + cpu.system) / 1000, performance.now() - wall0);
        if (foreign !== null && foreign > 0.2) {
          dropped++;
          continue;
        }
        t1.push(p);
        tN.push(q);
      }
      if (t1.length === 0) {
        console.log(`| ${n}x${c} | ${mode} | ${input} | – | – | – | 0 (${dropped}): the machine was busy throughout |`);
        continue;
      }
      t1.sort((a, b) => a - b);
      tN.sort((a, b) => a - b);
      const m1 = t1[t1.length >> 1];
      const mN = tN[tN.length >> 1];
      const fmt = (ms: number) => (ms < 1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(2)} ms`);
      console.log(`| ${n}x${c} | ${mode} | ${input} | ${fmt(m1)} | ${fmt(mN)} | **${(m1 / mN).toFixed(2)}×** | ${t1.length} (${dropped}) |`);
    }
    if (a1.block) one.free(a1.block);
    if (aN.block) many.free(aN.block);
  }
}
many.dispose();
