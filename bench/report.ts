/**
 * The benchmark's results and how they are shown: the record of a run (written as JSON), the
 * terminal table and the markdown table for the README.
 */
import type { Contender, Mode } from './contenders/types.js';
import type { Budget, Timing } from './measure.js';

/** One task: a contender on one shape in one mode. */
export type TaskRecord = {
  mode: Mode;
  shape: string;
  n: number;
  c: number;
  contender: string;
  kind: Contender['kind'];
  /** Threads the contender computes on. */
  threads: number;
} & (
  | ({
      status: 'ok';
      /** Million logits per second: n·c / median time. */
      mlogitsPerSec: number;
      /** |loss − float64 reference| / reference; absent for floors. */
      lossError?: number;
      /** See data.ts gradError; absent for floors and loss-only tasks. */
      gradError?: number;
      /** Throughput relative to xent's js backend and to the fastest peer on at most as many threads, same shape and mode. */
      vsXentJs?: number;
      vsBestPeer?: number;
      /** For a row of `--options`: its time relative to the plain row it extends (1.10 = 10% slower). */
      costVsPlain?: number;
    } & Timing)
  | { status: 'wrong'; loss: number; reference: number; lossError: number; gradError?: number }
  | { status: 'failed'; error: string }
);

/** Everything one run measured, as written to bench/results/<date>.json. */
export interface RunReport {
  date: string;
  command: string;
  /** `browser` is set when the run was in a browser (bench:browser): then `v8` is the browser's, `node` the driver's. */
  machine: { cpu: string; cores: number; memoryGB: number; node: string; v8: string; platform: string; arch: string; browser?: string };
  /** One-minute load average at the start and at the end: other work on a shared machine skews times. */
  loadAverage: { start: number; end: number };
  budget: Budget;
  contenders: { id: string; kind: Contender['kind']; note: string }[];
  loadFailures: { family: string; error: string }[];
  tasks: TaskRecord[];
}

/**
 * Fills in the ratio fields of the ok tasks: to xent-js, and to the fastest peer on at most as
 * many threads (a one-thread row against one-thread peers, a two-thread row against all of them).
 */
export function addRatios(tasks: TaskRecord[]): void {
  const key = (t: TaskRecord) => `${t.mode} ${t.shape}`;
  const xentJs = new Map<string, number>();
  const peers = tasks.filter((t) => t.kind === 'peer' && t.status === 'ok');
  for (const t of tasks) {
    if (t.status === 'ok' && t.contender === 'xent-js') xentJs.set(key(t), t.mlogitsPerSec);
  }
  for (const t of tasks) {
    if (t.status !== 'ok') continue;
    const js = xentJs.get(key(t));
    const rivals = peers.filter((p) => key(p) === key(t) && p.threads <= t.threads);
    const peer = rivals.length > 0 ? Math.max(...rivals.map((p) => (p.status === 'ok' ? p.mlogitsPerSec : 0))) : undefined;
    if (js) t.vsXentJs = t.mlogitsPerSec / js;
    if (peer) t.vsBestPeer = t.mlogitsPerSec / peer;
    // Rows of --options are named <plain row>+<extra>.
    const plain = t.contender.includes('+') ? tasks.find((p) => p.status === 'ok' && key(p) === key(t) && p.contender === t.contender.split('+')[0]) : undefined;
    if (plain?.status === 'ok') t.costVsPlain = plain.mlogitsPerSec / t.mlogitsPerSec;
  }
}

export const MODE_TITLE: Record<Mode, string> = {
  loss: 'loss only (mean)',
  grad: 'loss + gradient (mean)',
};

/** Milliseconds with a unit that keeps 3–4 significant digits. */
export function formatTime(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 1) return `${ms.toPrecision(3)} ms`;
  return `${(ms * 1000).toPrecision(3)} µs`;
}

/** Throughput in million logits per second. */
export function formatRate(m: number): string {
  return m >= 100 ? m.toFixed(0) : m >= 10 ? m.toFixed(1) : m.toPrecision(2);
}

function formatRatio(r: number | undefined): string {
  return r === undefined ? '' : `${r >= 10 ? r.toFixed(0) : r.toFixed(2)}×`;
}

/** The larger of the loss and gradient errors against float64 ('' for floors). */
function formatError(t: { lossError?: number; gradError?: number }): string {
  if (t.lossError === undefined) return '';
  const e = Math.max(t.lossError, t.gradError ?? 0);
  return e === 0 ? '0' : e.toExponential(0);
}

/** Why a task's answer was rejected. */
export function wrongText(t: Extract<TaskRecord, { status: 'wrong' }>): string {
  const grad = t.gradError === undefined ? '' : `, gradient error ${t.gradError.toExponential(1)}`;
  // Rows of --options carry their own reference: only the error is known here.
  const ref = Number.isNaN(t.reference) ? 'its own reference' : `reference ${t.reference.toPrecision(8)}`;
  return `loss ${t.loss} vs ${ref} (error ${t.lossError.toExponential(1)}${grad})`;
}

/** Rows of strings for one shape and mode: a header and one row per task (a 'time vs plain' column when --options rows are there). */
function rows(tasks: TaskRecord[]): string[][] {
  const extras = tasks.some((t) => t.contender.includes('+'));
  const head = ['contender', 'median', '±rme', 'samples', 'M logits/s', 'vs xent-js', 'vs best peer', 'error', ...(extras ? ['time vs plain'] : [])];
  const body = tasks.map((t) => {
    if (t.status === 'ok') {
      return [
        t.contender,
        formatTime(t.medianMs),
        t.samples > 1 ? `${t.rme.toFixed(1)}%` : '–',
        t.batch > 1 ? `${t.samples}×${t.batch}` : `${t.samples}`,
        formatRate(t.mlogitsPerSec),
        formatRatio(t.vsXentJs),
        formatRatio(t.vsBestPeer),
        formatError(t),
        ...(extras ? [formatRatio(t.costVsPlain)] : []),
      ];
    }
    return [t.contender, t.status === 'wrong' ? `WRONG: ${wrongText(t)}` : `FAILED: ${t.error}`, '', '', '', '', '', '', ...(extras ? [''] : [])];
  });
  return [head, ...body];
}

/** Groups tasks by mode then shape, keeping the run's order. */
export function groups(tasks: TaskRecord[]): { mode: Mode; shape: string; tasks: TaskRecord[] }[] {
  const out: { mode: Mode; shape: string; tasks: TaskRecord[] }[] = [];
  for (const mode of ['loss', 'grad'] as const) {
    for (const t of tasks) {
      if (t.mode !== mode) continue;
      let g = out.find((x) => x.mode === mode && x.shape === t.shape);
      if (!g) out.push((g = { mode, shape: t.shape, tasks: [] }));
      g.tasks.push(t);
    }
  }
  return out;
}

/** The terminal table: one block per mode and shape. */
export function terminalTable(report: RunReport): string {
  const lines: string[] = [];
  for (const g of groups(report.tasks)) {
    const first = g.tasks[0];
    lines.push('', `${MODE_TITLE[g.mode]}, ${g.shape} (${(first.n * first.c).toLocaleString('en-US')} logits)`);
    const table = rows(g.tasks);
    const problem = (r: string[]) => /^(WRONG|FAILED):/.test(r[1]);
    const widths = table[0].map((_, i) => Math.max(...table.filter((r) => !problem(r)).map((r) => r[i].length)));
    for (const r of table) {
      const cells = problem(r) ? [r[0].padEnd(widths[0]), r[1]] : r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])));
      lines.push(`  ${cells.join('  ')}`);
    }
  }
  for (const f of report.loadFailures) lines.push('', `not loaded: ${f.family}: ${f.error}`);
  return lines.join('\n');
}

/** The JavaScript runtime measured: Node, or the browser (with its V8). */
export function runtimeText(m: RunReport['machine']): string {
  return m.browser ? `${m.browser}, V8 ${m.v8}` : `Node ${m.node} (V8 ${m.v8})`;
}

/**
 * The markdown for the README: per mode, throughput by contender and shape, then the details
 * (medians, margins, samples) and how the run was made.
 */
export function markdown(report: RunReport): string {
  const out: string[] = [];
  const shapes = [...new Set(report.tasks.map((t) => t.shape))];
  for (const mode of ['loss', 'grad'] as const) {
    const tasks = report.tasks.filter((t) => t.mode === mode);
    if (tasks.length === 0) continue;
    out.push(`#### ${MODE_TITLE[mode]}: million logits per second (higher is better)`, '');
    out.push(`| contender | ${shapes.join(' | ')} |`, `|---|${shapes.map(() => '---:').join('|')}|`);
    for (const id of [...new Set(tasks.map((t) => t.contender))]) {
      const cells = shapes.map((shape) => {
        const t = tasks.find((x) => x.contender === id && x.shape === shape);
        if (!t) return '';
        if (t.status === 'wrong') return 'wrong';
        if (t.status === 'failed') return 'failed';
        const rate = formatRate(t.mlogitsPerSec);
        const best = t.kind === 'xent' && t.vsBestPeer !== undefined ? ` (${formatRatio(t.vsBestPeer)})` : '';
        return t.kind === 'xent' ? `**${rate}**${best}` : rate;
      });
      out.push(`| ${id} | ${cells.join(' | ')} |`);
    }
    out.push('');
  }
  out.push(
    'Bold: xent; in parentheses, its speed relative to the fastest peer (naive JS, TensorFlow.js, onnxruntime-web, in Node onnxruntime-node) ' +
      'on that shape and on at most as many threads. ' +
      'floor-read is one SIMD read pass over the same logits, floor-copy the copy of them into wasm memory: what any loss must at least pay.',
    '',
  );
  out.push('<details><summary>Medians, margins of error, samples, contenders</summary>', '');
  for (const g of groups(report.tasks)) {
    out.push(`${MODE_TITLE[g.mode]}, ${g.shape}:`, '');
    const [head, ...body] = rows(g.tasks);
    out.push(`| ${head.join(' | ')} |`, `|---|${head.slice(1).map(() => '---:').join('|')}|`);
    for (const r of body) out.push(`| ${r.join(' | ')} |`);
    out.push('');
  }
  out.push('Contenders:', '');
  for (const c of report.contenders) out.push(`- \`${c.id}\` (${c.kind}): ${c.note}`);
  for (const f of report.loadFailures) out.push(`- not loaded: ${f.family}: ${f.error}`);
  out.push('', '</details>', '');
  const m = report.machine;
  out.push(
    `${m.cpu} (${m.cores} cores), ${runtimeText(m)}, ${m.platform}/${m.arch}; ${report.date}; \`${report.command}\`; ` +
      `load average ${report.loadAverage.start.toFixed(1)} at the start, ${report.loadAverage.end.toFixed(1)} at the end. ` +
      `Times are tinybench medians, ±rme the relative margin of error of the mean (95%); calls under ${report.budget.batchMs} ms are timed in batches (samples×batch calls).`,
    '',
  );
  return out.join('\n');
}
