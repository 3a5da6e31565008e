/**
 * The benchmark proper, with no Node API in it, so that it runs both in Node (bench/run.ts) and
 * in a browser (bench/browser/): the contender families, loading them, and checking then timing
 * each task. Where the run happened and where its results go are the entry point's business.
 */
import type { RunOptions } from './args.js';
import { GRAD_TOLERANCE, LOSS_TOLERANCE, gradError, makeProblem, referenceLoss, shapeName, type Problem } from './data.js';
import { floorFamily } from './contenders/floor.js';
import { naiveFamily } from './contenders/naive.js';
import { onnxFamily } from './contenders/onnx.js';
import { tfjsCpuFamily, tfjsWasmFamily } from './contenders/tfjs.js';
import type { Contender, Family, Mode } from './contenders/types.js';
import { xentFamily } from './contenders/xent.js';
import { measure, type Budget } from './measure.js';
import { addRatios, formatRate, formatTime, wrongText, type RunReport, type TaskRecord } from './report.js';

/** Every library the benchmark knows, xent first and the floors last. */
export const FAMILIES: Family[] = [xentFamily, naiveFamily, tfjsCpuFamily, tfjsWasmFamily, onnxFamily, floorFamily];

/** The first line of an error's message. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message.split('\n')[0] : String(e);
}

/** Checks, then times, one contender on one problem. */
export async function runTask(c: Contender, problem: Problem, mode: Mode, reference: number, budget: Budget): Promise<TaskRecord> {
  const base = { mode, shape: shapeName(problem), n: problem.n, c: problem.c, contender: c.id, kind: c.kind, threads: c.threads ?? 1 };
  let prepared;
  try {
    prepared = await c.prepare(problem, mode);
    const start = performance.now();
    const pending = prepared.call();
    const outcome = await pending;
    const first = { ms: performance.now() - start, async: pending instanceof Promise };
    let checks: { lossError?: number; gradError?: number } = {};
    if (c.option) {
      checks = c.option.check(problem, mode, outcome);
      if (!(checks.lossError! <= LOSS_TOLERANCE) || (checks.gradError !== undefined && !(checks.gradError <= GRAD_TOLERANCE))) {
        return { ...base, status: 'wrong', loss: outcome.loss, reference: NaN, lossError: checks.lossError!, gradError: checks.gradError };
      }
    } else if (c.kind !== 'floor') {
      const lossError = Math.abs(outcome.loss - reference) / Math.abs(reference);
      const gErr = mode === 'grad' ? gradError(problem, outcome.grad ?? []) : undefined;
      // Negated comparisons so that NaN counts as wrong.
      if (!(lossError <= LOSS_TOLERANCE) || (gErr !== undefined && !(gErr <= GRAD_TOLERANCE))) {
        return { ...base, status: 'wrong', loss: outcome.loss, reference, lossError, gradError: gErr };
      }
      checks = { lossError, gradError: gErr };
    }
    const timing = await measure(prepared.call, first, budget);
    return { ...base, status: 'ok', ...timing, ...checks, mlogitsPerSec: (problem.n * problem.c) / timing.medianMs / 1e3 };
  } catch (e) {
    return { ...base, status: 'failed', error: errorText(e) };
  } finally {
    await prepared?.release?.();
  }
}

/**
 * Loads every family (one that fails is reported, not fatal) and picks the contenders asked for.
 * `families`: FAMILIES, with what only the entry point's runtime can load (onnxruntime-node).
 */
export async function loadContenders(
  options: RunOptions,
  log: (line: string) => void,
  families: Family[] = FAMILIES,
): Promise<{ selected: Contender[]; loadFailures: RunReport['loadFailures'] }> {
  const contenders: Contender[] = [];
  const loadFailures: RunReport['loadFailures'] = [];
  for (const family of families) {
    try {
      contenders.push(...(await family.load()));
    } catch (e) {
      loadFailures.push({ family: family.name, error: errorText(e) });
      log(`not loaded: ${family.name}: ${errorText(e)}`);
    }
  }
  log(`contenders: ${contenders.map((c) => c.id).join(', ')}`);
  const unknown = options.contenders?.filter((id) => !contenders.some((c) => c.id === id)) ?? [];
  if (unknown.length > 0) log(`not available here: ${unknown.join(', ')}`);
  // Rows of the training extras run with --options (next to the plain xent rows they extend), or when named.
  const wanted = (c: Contender) =>
    options.contenders !== null ? options.contenders.includes(c.id) : options.options ? c.kind === 'xent' && !c.id.endsWith('-zero-copy') : !c.option;
  const selected = contenders.filter(wanted);

  return { selected, loadFailures };
}

/** Checks and times every selected contender on every shape and mode, one log line per task; fills in the ratios. */
export async function runTasks(options: RunOptions, selected: Contender[], log: (line: string) => void): Promise<TaskRecord[]> {
  const tasks: TaskRecord[] = [];
  const total = options.shapes.length * options.modes.reduce((s, m) => s + selected.filter((c) => c.modes.includes(m)).length, 0);
  for (const shape of options.shapes) {
    const problem = makeProblem(shape);
    const reference = referenceLoss(problem);
    for (const mode of options.modes) {
      for (const c of selected.filter((x) => x.modes.includes(mode))) {
        const t = await runTask(c, problem, mode, reference, options.budget);
        tasks.push(t);
        const what =
          t.status === 'ok'
            ? `${formatTime(t.medianMs).padStart(9)} ±${(t.samples > 1 ? t.rme.toFixed(1) : '–').padStart(4)}%  n=${String(t.samples).padEnd(5)} ${formatRate(t.mlogitsPerSec).padStart(6)} M logits/s`
            : t.status === 'wrong'
              ? `WRONG ${wrongText(t)}, not timed`
              : `FAILED ${t.error}`;
        log(`[${String(tasks.length).padStart(3)}/${total}] ${mode.padEnd(4)} ${shapeName(shape).padEnd(10)} ${c.id.padEnd(24)} ${what}`);
      }
    }
  }
  addRatios(tasks);
  return tasks;
}
