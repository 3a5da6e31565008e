/**
 * `npm run bench`: sparse softmax cross-entropy, loss only and loss + gradient (mean), over the
 * standard shapes, for xent on every backend here and the peers a user would otherwise pick.
 * Every answer is checked against a float64 reference before it is timed. Writes
 * bench/results/<date>.json, latest.md and latest.svg (partial runs: bench/results/partial/).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { USAGE, parseArgs, type RunOptions } from './args.js';
import { markdown, terminalTable, type RunReport } from './report.js';
import { onnxFamily } from './contenders/onnx.js';
import { onnxNodeFamily } from './contenders/onnx-node.js';
import { FAMILIES, errorText, loadContenders, runTasks } from './suite.js';
import { chart } from './svg.js';

/** The command as it was typed, near enough to repeat it (V8 flags included, tsx's own left out). */
function commandLine(): string {
  const args = process.argv.slice(2).join(' ');
  const flags = process.execArgv.filter((a, i, all) => a.startsWith('--') && !/tsx/.test(a) && !/tsx/.test(all[i + 1] ?? ''));
  const env = process.env.NODE_OPTIONS ? `NODE_OPTIONS=${process.env.NODE_OPTIONS} ` : '';
  if (process.env.npm_lifecycle_event === 'bench' && flags.length === 0) return `${env}npm run bench${args ? ` -- ${args}` : ''}`;
  return `${env}npx tsx ${[...flags, 'bench/run.ts', args].filter(Boolean).join(' ')}`;
}

async function main(): Promise<void> {
  let options: RunOptions;
  try {
    const parsed = parseArgs(process.argv.slice(2));
    if (parsed === 'help') return console.log(USAGE);
    options = parsed;
  } catch (e) {
    console.error(`${errorText(e)}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }

  // onnxruntime-node is a native addon: Node's entry point adds it, next to onnxruntime-web.
  const families = FAMILIES.flatMap((f) => (f === onnxFamily ? [f, onnxNodeFamily] : [f]));
  const { selected, loadFailures } = await loadContenders(options, console.log, families);

  const report: RunReport = {
    date: new Date().toISOString().slice(0, 10),
    command: commandLine(),
    machine: {
      cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
      cores: os.cpus().length,
      memoryGB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      v8: process.versions.v8,
      platform: process.platform,
      arch: process.arch,
    },
    loadAverage: { start: os.loadavg()[0], end: 0 },
    budget: options.budget,
    contenders: selected.map(({ id, kind, note }) => ({ id, kind, note })),
    loadFailures,
    tasks: [],
  };

  const started = performance.now();
  report.tasks = await runTasks(options, selected, console.log);
  report.loadAverage.end = os.loadavg()[0];
  console.log(terminalTable(report));

  const here = path.dirname(fileURLToPath(import.meta.url));
  const dir = path.join(here, 'results', options.complete ? '' : 'partial');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${report.date}.json`), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(path.join(dir, 'latest.md'), markdown(report));
  writeFileSync(path.join(dir, 'latest.svg'), chart(report));
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  console.log(`\n${report.tasks.length} tasks in ${seconds} s; wrote ${path.relative(process.cwd(), dir) || '.'}/{${report.date}.json,latest.md,latest.svg}`);
}

await main();
