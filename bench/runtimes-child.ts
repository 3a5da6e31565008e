/**
 * One runtime's side of `npm run bench:runtimes` (bench/runtimes.ts starts it on each Node with an
 * IPC channel): loads xent's backends and onnxruntime-node, says what it has, then checks and
 * times one task per request with the benchmark's own code (suite.ts runTask), so that every
 * runtime measures exactly the same way, while the parent alternates between runtimes.
 */
import { availableBackends, createEngine } from '../src/index.js';
import type { Contender, Mode } from './contenders/types.js';
import { onnxNodeFamily } from './contenders/onnx-node.js';
import { xentContender } from './contenders/xent.js';
import { makeProblem, referenceLoss, shapeName, type Problem, type Shape } from './data.js';
import type { Budget } from './measure.js';
import type { TaskRecord } from './report.js';
import { errorText, runTask } from './suite.js';

/** What the child says once loaded. */
export interface Hello {
  type: 'hello';
  node: string;
  v8: string;
  execArgv: string[];
  /** The backend 'auto' picks here. */
  auto: string;
  rows: { id: string; note: string }[];
  loadFailures: { family: string; error: string }[];
}

/** A request: check and time contender `id` on `shape` in `mode`. */
export interface TaskRequest {
  type: 'task';
  id: string;
  shape: Shape;
  mode: Mode;
  budget: Budget;
}

/** The reply: the task's record, and the CPU time the child spent on it (all its threads). */
export interface TaskResult {
  type: 'result';
  record: TaskRecord;
  cpuMs: number;
}

const rows: Contender[] = [];
const loadFailures: Hello['loadFailures'] = [];
for (const backend of availableBackends()) {
  const create = () => createEngine({ backend });
  rows.push(xentContender(await create(), false, create));
}
try {
  rows.push(...(await onnxNodeFamily.load()).filter((c) => (c.threads ?? 1) === 1));
} catch (e) {
  loadFailures.push({ family: onnxNodeFamily.name, error: errorText(e) });
}

/** The inputs of the shape last asked for, with their float64 reference (one shape at a time: 512x50257 is 100 MB). */
let current: { name: string; problem: Problem; reference: number } | undefined;

function problemFor(shape: Shape): { problem: Problem; reference: number } {
  if (current?.name !== shapeName(shape)) {
    current = undefined;
    const problem = makeProblem(shape);
    current = { name: shapeName(shape), problem, reference: referenceLoss(problem) };
  }
  return current;
}

const send = (message: unknown) => process.send!(message);

process.on('message', (message: TaskRequest | { type: 'exit' }) => {
  if (message.type === 'exit') {
    process.disconnect();
    return;
  }
  const { id, shape, mode, budget } = message;
  const c = rows.find((r) => r.id === id);
  if (!c) throw new Error(`bench/runtimes-child: no contender ${id}`);
  const { problem, reference } = problemFor(shape);
  const cpu0 = process.cpuUsage();
  runTask(c, problem, mode, reference, budget).then((record) => {
    const cpu = process.cpuUsage(cpu0);
    send({ type: 'result', record, cpuMs: (cpu.user + cpu.system) / 1000 } satisfies TaskResult);
  });
});

send({
  type: 'hello',
  node: process.version,
  v8: process.versions.v8,
  execArgv: process.execArgv.filter((a) => a.startsWith('--experimental')),
  auto: availableBackends()[0],
  rows: rows.map(({ id, note }) => ({ id, note })),
  loadFailures,
} satisfies Hello);
