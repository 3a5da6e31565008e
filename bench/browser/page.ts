/**
 * The browser benchmark's page: bench/suite.ts, the suite `npm run bench` runs, in this browser,
 * with the command-line arguments bench/browser/run.ts passes in the URL (`?args=` a JSON array).
 * One line per task goes to the console; `window.benchmark` resolves to what the run measured.
 */
import { parseArgs } from '../args.js';
import type { RunReport } from '../report.js';
import { loadContenders, runTasks } from '../suite.js';

/** What the page hands back: the measured part of a RunReport, and how the page was isolated. */
export interface BrowserRun extends Pick<RunReport, 'contenders' | 'loadFailures' | 'tasks'> {
  userAgent: string;
  /** Whether the page was cross-origin isolated (performance.now() to 5 µs rather than 100 µs). */
  crossOriginIsolated: boolean;
}

declare global {
  interface Window {
    benchmark: Promise<BrowserRun>;
  }
}

async function run(): Promise<BrowserRun> {
  const options = parseArgs(JSON.parse(new URLSearchParams(location.search).get('args') ?? '[]') as string[]);
  if (options === 'help') throw new Error('--help is answered by bench/browser/run.ts');
  const { selected, loadFailures } = await loadContenders(options, console.log);
  const tasks = await runTasks(options, selected, console.log);
  return {
    contenders: selected.map(({ id, kind, note }) => ({ id, kind, note })),
    loadFailures,
    tasks,
    userAgent: navigator.userAgent,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
  };
}

window.benchmark = run();
