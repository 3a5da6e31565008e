/**
 * Times one call with tinybench. Calls shorter than `batchMs` are run in batches, each sample
 * being the batch's mean per call, so that timer resolution and overhead stay out of the numbers.
 */
import { Bench } from 'tinybench';
import type { Call, Outcome } from './contenders/types.js';

/** How long to measure one task. */
export interface Budget {
  /** Time budget for samples, ms (tinybench `time`). */
  timeMs: number;
  /** Warmup budget, ms (tinybench `warmupTime`). */
  warmupMs: number;
  /** At least this many samples, however slow the call (tinybench `iterations`). */
  minSamples: number;
  /** Calls are batched until one sample takes about this long, ms. */
  batchMs: number;
}

/** The statistics of one measured task. */
export interface Timing {
  /** Median time per call, ms. */
  medianMs: number;
  /** Relative margin of error of the mean, percent (95% confidence). */
  rme: number;
  /** Number of samples. */
  samples: number;
  /** Calls per sample. */
  batch: number;
}

/** Where results go so that no call's work can be optimised away. */
export let sink: Outcome | undefined;

/** Measures `call`, which the caller has already run once (and checked). */
export async function measure(call: Call, budget: Budget): Promise<Timing> {
  const start = performance.now();
  const first = call();
  const isAsync = first instanceof Promise;
  sink = await first;
  const single = Math.max(performance.now() - start, 1e-6);
  const batch = Math.max(1, Math.min(1e5, Math.floor(budget.batchMs / single)));

  const bench = new Bench({
    time: budget.timeMs,
    iterations: budget.minSamples,
    warmupTime: budget.warmupMs,
    warmupIterations: 1,
    throws: true,
  });
  const sample = (elapsed: number) => ({ overriddenDuration: elapsed / batch, overriddenIterationCost: elapsed });
  if (isAsync) {
    bench.add(
      'call',
      async () => {
        const t0 = bench.now();
        for (let i = 0; i < batch; i++) sink = await call();
        return sample(bench.now() - t0);
      },
      { async: true },
    );
  } else {
    bench.add(
      'call',
      () => {
        const t0 = bench.now();
        for (let i = 0; i < batch; i++) sink = call() as Outcome;
        return sample(bench.now() - t0);
      },
      { async: false },
    );
  }
  const [task] = await bench.run();
  const result = task.result;
  if (result.state !== 'completed') {
    throw result.state === 'errored' ? result.error : new Error(`tinybench task ended ${result.state}`);
  }
  return { medianMs: result.latency.p50, rme: result.latency.rme, samples: result.latency.samplesCount, batch };
}
