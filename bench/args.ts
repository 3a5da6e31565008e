/** The benchmark's command line. */
import { STANDARD_SHAPES, parseShape, type Shape } from './data.js';
import type { Mode } from './contenders/types.js';
import type { Budget } from './measure.js';

/** What one run measures. */
export interface RunOptions {
  shapes: Shape[];
  modes: Mode[];
  /** Contender ids to run; null for all that load. */
  contenders: string[] | null;
  quick: boolean;
  budget: Budget;
  /** --options: xent's training extras (zLoss, softcap, stats), each next to its plain row. */
  options: boolean;
  /** True when nothing was left out: the run may replace latest.md / latest.svg. */
  complete: boolean;
}

export const USAGE = `usage: npm run bench -- [options]      (or: npx tsx bench/run.ts [options])
  --quick                  short budgets, all but the largest shape (under a minute)
  --shapes 64x10,4096x1000 shapes to run (default: ${STANDARD_SHAPES.map((s) => `${s.n}x${s.c}`).join(',')})
  --contenders a,b         contender ids to run (default: all that load; ids are listed at start)
  --loss | --grad          loss only, or loss and gradient (default: both)
  --time <ms>              time budget per task (default 1000, quick 100)
  --options                xent's training extras (zLoss, softcap, stats) on every backend, each
                           next to the plain loss (and its cost relative to it); xent rows only
A full default run writes bench/results/<date>.json, latest.md and latest.svg; any other run
writes them under bench/results/partial/ (not committed).
Relaxed SIMD needs a V8 flag in Node 20, which NODE_OPTIONS does not accept; add its row with
  npm run build && npx tsx --experimental-wasm-relaxed-simd bench/run.ts [options]`;

/** The value that follows option argv[i]; throws when there is none (the end, or the next option). */
export function optionValue(argv: string[], i: number): string {
  const value = argv[i + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`${argv[i]} needs a value`);
  return value;
}

/** Parses argv (without node and script); throws with a message on bad input. */
export function parseArgs(argv: string[]): RunOptions | 'help' {
  let shapes: Shape[] | undefined;
  let contenders: string[] | null = null;
  let quick = false;
  let extras = false;
  let timeMs: number | undefined;
  const modes = new Set<Mode>();
  const list = (i: number) =>
    optionValue(argv, i)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    switch (arg) {
      case '--help':
      case '-h':
        return 'help';
      case '--quick':
        quick = true;
        break;
      case '--options':
        extras = true;
        break;
      case '--loss':
        modes.add('loss');
        break;
      case '--grad':
        modes.add('grad');
        break;
      case '--shapes':
        shapes = list(i++).map(parseShape);
        break;
      case '--contenders':
        contenders = list(i++);
        break;
      case '--time':
        timeMs = Number(argv[++i]);
        if (!(timeMs > 0)) throw new Error('--time needs a positive number of milliseconds');
        break;
      default:
        throw new Error(`unknown argument "${arg}"`);
    }
  }
  const budget: Budget = quick
    ? { timeMs: timeMs ?? 100, warmupMs: 20, minSamples: 3, batchMs: 1, slowMs: 500, slowSamples: 1 }
    : { timeMs: timeMs ?? 1000, warmupMs: 150, minSamples: 5, batchMs: 1, slowMs: 1000, slowSamples: 3 };
  return {
    // Quick leaves out the largest shape, where TensorFlow.js cpu alone takes half a minute.
    shapes: shapes ?? (quick ? STANDARD_SHAPES.slice(0, -1) : [...STANDARD_SHAPES]),
    modes: modes.size === 0 ? ['loss', 'grad'] : [...modes],
    contenders,
    quick,
    budget,
    options: extras,
    complete: !quick && !extras && timeMs === undefined && contenders === null && modes.size !== 1 && shapes === undefined,
  };
}
