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
  /** A call at least this long, ms, is slow: no warmup, and `slowSamples` samples at least. */
  slowMs: number;
  slowSamples: number;
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

/** The caller's first call: how long it took and whether it returned a promise. */
export interface FirstCall {
  ms: number;
  async: boolean;
}

/**
 * Measures `call`, which the caller has already run once and checked. Slow calls (over `slowMs`)
 * skip the warmup, which that first call already did, and take `slowSamples` samples at least.
 */
export async function measure(call: Call, first: FirstCall, budget: Budget): Promise<Timing> {
  let single = first.ms;
  if (first.ms < budget.slowMs) {
    // The first call included compilation; a few more give the batch size.
    let calls = 0;
    const start = performance.now();
    do {
      sink = await call();
      calls++;
    } while (performance.now() - start < 20 && calls < 1000);
    single = Math.max((performance.now() - start) / calls, 1e-6);
  }
  const batch = Math.max(1, Math.floor(budget.batchMs / single));
  const slow = single >= budget.slowMs;
  const bench = new Bench({
    time: budget.timeMs,
    iterations: slow ? budget.slowSamples : budget.minSamples,
    warmup: !slow,
    warmupTime: budget.warmupMs,
    warmupIterations: 1,
    throws: true,
  });
  const sample = (elapsed: number) => ({ overriddenDuration: elapsed / batch, overriddenIterationCost: elapsed });
  if (first.async) {
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
