/**
 * Cases made invalid on purpose: one argument or option of a valid case broken in one way. Every
 * engine must throw the same TypeError or RangeError (same message) before any work, leave
 * every input as it was, and then run the valid case right.
 */
import { isNumbers } from '../arrays.js';
import type { Draw } from './draw.js';
import type { FloatArray, FuzzCase, Method } from './cases.js';

/** The options each method takes (README "Options"), to pick one it does not. */
const TAKES: Record<Method, readonly string[]> = {
  softmaxCrossEntropy: ['classes', 'reduction', 'weight', 'ignoreIndex', 'labelSmoothing', 'zLoss', 'softcap', 'returnZLoss', 'stats'],
  softmaxCrossEntropyWithGrad: ['classes', 'reduction', 'weight', 'ignoreIndex', 'labelSmoothing', 'zLoss', 'softcap', 'returnZLoss', 'stats', 'gradOut', 'gradOutput'],
  softmaxCrossEntropyDense: ['classes', 'reduction', 'weight', 'labelSmoothing', 'zLoss', 'softcap', 'returnZLoss'],
  softmaxCrossEntropyDenseWithGrad: ['classes', 'reduction', 'weight', 'labelSmoothing', 'zLoss', 'softcap', 'returnZLoss', 'gradOut', 'gradOutput'],
  softmaxFocalLoss: ['classes', 'reduction', 'weight', 'ignoreIndex', 'gamma', 'alpha'],
  softmaxFocalLossWithGrad: ['classes', 'reduction', 'weight', 'ignoreIndex', 'gamma', 'alpha', 'gradOut', 'gradOutput'],
  sigmoidCrossEntropy: ['classes', 'reduction', 'weight', 'posWeight'],
  sigmoidCrossEntropyWithGrad: ['classes', 'reduction', 'weight', 'posWeight', 'gradOut', 'gradOutput'],
  sigmoidFocalLoss: ['classes', 'reduction', 'gamma', 'alpha'],
  sigmoidFocalLossWithGrad: ['classes', 'reduction', 'gamma', 'alpha', 'gradOut', 'gradOutput'],
  crossEntropy: ['classes', 'reduction', 'base'],
  entropy: ['classes', 'reduction', 'base'],
  klDivergence: ['classes', 'reduction', 'base'],
  softmax: ['classes', 'out'],
  logSoftmax: ['classes', 'out'],
  softmaxCrossEntropyPartial: ['classes', 'weight', 'ignoreIndex', 'labelSmoothing'],
  softmaxCrossEntropyPartialWithGrad: ['classes', 'weight', 'ignoreIndex', 'labelSmoothing', 'gradOut', 'gradOutput'],
  shards: [],
};
const ALL_OPTIONS = [...new Set(Object.values(TAKES).flat()), 'classOffset'];

/** A mutation: the description of what it broke and the broken arguments, or null where it does not apply. */
type Mutation = (k: FuzzCase, d: Draw, args: unknown[], opts: Record<string, unknown>) => string | null;

const typed = (x: unknown): x is FloatArray => x instanceof Float32Array || x instanceof Float64Array;
const otherType = (x: FloatArray, length = x.length): FloatArray => (x instanceof Float64Array ? new Float32Array(length) : new Float64Array(length));
const hasLabels = (m: Method) => m.startsWith('softmaxCrossEntropy') && !m.startsWith('softmaxCrossEntropyDense') || m.startsWith('softmaxFocal');
const withGrad = (m: Method) => m.endsWith('WithGrad');
const takes = (m: Method, option: string) => TAKES[m].includes(option);
/** The index of the second array argument (labels, targets, q), or -1. */
const secondArg = (m: Method) => (m === 'entropy' || m === 'softmax' || m === 'logSoftmax' ? -1 : 1);

function set(opts: Record<string, unknown>, key: string, value: unknown): string {
  opts[key] = value;
  return `${key}: ${show(value)}`;
}

function show(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  if (isNumbers(v)) return `a ${v.constructor.name}(${v.length})`;
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

const MUTATIONS: Mutation[] = [
  (k, d, args) => {
    args[args.length - 1] = d.pick(['mean', 3, [] as unknown[]]);
    return `options = ${show(args[args.length - 1])}`;
  },
  (k, d, args, o) => set(o, d.pick(['ignore_index', 'weights', 'label_smoothing', 'Classes', 'z_loss', 'foo']), 1),
  (k, d, args, o) => {
    if (k.method.startsWith('softmaxCrossEntropyPartial') && d.chance(0.5)) return set(o, 'reduction', 'sum');
    return set(o, d.pick(ALL_OPTIONS.filter((name) => !takes(k.method, name))), 1);
  },
  (k, d, args, o) => {
    const bad = d.pick([0, -2, 2.5, '4', NaN, k.c + 1]);
    if (bad === k.c + 1 && (k.n * k.c) % (k.c + 1) === 0) return null;
    return set(o, 'classes', bad);
  },
  (k, d, args, o) => (takes(k.method, 'reduction') ? set(o, 'reduction', d.pick(['avg', 'batchmean', 1])) : null),
  (k, d, args) => {
    args[0] = d.pick([Int32Array.from([1, 2]), 'logits', { length: 0 }, null, undefined, [1, 'a']]);
    return `input = ${show(args[0])}`;
  },
  (k, d, args, o) => {
    if (!hasLabels(k.method) || k.n === 0) return null;
    const labels = Array.from(args[1] as ArrayLike<number | bigint>, Number);
    const ignore = typeof o.ignoreIndex === 'number' ? o.ignoreIndex : -100;
    const i = d.int(0, k.n - 1);
    o.classes = k.c;
    labels[i] = d.pick([k.c, -5, k.c + 100, 0.5].filter((v) => v !== ignore));
    args[1] = labels;
    return `labels[${i}] = ${labels[i]}`;
  },
  (k, d, args, o) => {
    if (!hasLabels(k.method)) return null;
    o.classes = k.c;
    args[1] = d.pick([new Array<number>(k.n + 1).fill(0), 'labels', { length: k.n }, null]);
    return `labels = ${show(args[1])}`;
  },
  (k, d, args, o) => (takes(k.method, 'ignoreIndex') ? set(o, 'ignoreIndex', d.pick([1.5, '-100'])) : null),
  (k, d, args, o) => (takes(k.method, 'labelSmoothing') ? set(o, 'labelSmoothing', d.pick([1, -0.1, NaN, '0.1'])) : null),
  (k, d, args, o) => {
    if (!takes(k.method, 'weight')) return null;
    const perElement = k.method.startsWith('sigmoid') ? [k.c, k.n * k.c] : [k.c];
    let length = k.c + 1;
    while (perElement.includes(length)) length++;
    const good = new Float32Array(k.c).fill(1);
    good[d.int(0, k.c - 1)] = d.pick([NaN, Infinity, -Infinity]);
    return set(o, 'weight', d.pick([new Float32Array(length).fill(1), good, 'w']));
  },
  (k, d, args, o) => (takes(k.method, 'zLoss') ? set(o, 'zLoss', d.pick([-1, Infinity, NaN, 'x'])) : null),
  (k, d, args, o) => (takes(k.method, 'softcap') ? set(o, 'softcap', d.pick([0, -1, Infinity, '30'])) : null),
  (k, d, args, o) => (takes(k.method, 'returnZLoss') ? set(o, d.pick(['returnZLoss', 'stats'].filter((n) => takes(k.method, n))), d.pick(['yes', 1])) : null),
  (k, d, args, o) => (takes(k.method, 'gamma') ? set(o, 'gamma', d.pick([-1, NaN, Infinity, '2'])) : null),
  (k, d, args, o) => {
    if (!takes(k.method, 'alpha')) return null;
    if (k.method.startsWith('sigmoidFocal')) return set(o, 'alpha', d.pick([NaN, Infinity, [0.25]]));
    return set(o, 'alpha', d.pick([NaN, new Float32Array(k.c + 1), [NaN, ...new Array<number>(k.c - 1).fill(1)]]));
  },
  (k, d, args, o) => {
    if (!withGrad(k.method)) return null;
    const x = args[0];
    const length = k.n * k.c;
    const choice = d.int(0, 3);
    if (choice === 0 && typed(x)) return set(o, 'gradOut', otherType(x));
    if (choice === 1) return set(o, 'gradOut', (typed(x) && x instanceof Float64Array) || k.prec === 'f64' ? new Float64Array(length + 1) : new Float32Array(length + 1));
    if (choice === 2 && typed(x) && length > 1) {
      // The gradient one element after the logits, in the same buffer: a partial overlap (of one element less).
      const Ctor = x.constructor as new (n: number) => FloatArray;
      const buf = new Ctor(length + 1);
      buf.set(x);
      args[0] = buf.subarray(0, length);
      o.gradOut = buf.subarray(1);
      return 'gradOut overlaps the logits by all but one element';
    }
    return set(o, 'gradOut', [0, 0]);
  },
  (k, d, args, o) => {
    if (!withGrad(k.method)) return null;
    const count = k.method.startsWith('sigmoid') ? k.n * k.c : k.n;
    const choice = d.int(0, 2);
    if (choice === 0) return set(o, 'gradOutput', d.pick([NaN, Infinity, '1']));
    if (choice === 1 && o.reduction !== 'none') return set(o, 'gradOutput', new Array<number>(count).fill(1));
    if (o.reduction !== 'none' || !takes(k.method, 'reduction')) return null;
    const g = new Array<number>(count + (count > 0 && d.chance(0.5) ? 0 : 1)).fill(1);
    if (g.length === count) g[d.int(0, count - 1)] = NaN;
    return set(o, 'gradOutput', g);
  },
  (k, d, args) => {
    const i = secondArg(k.method);
    if (i < 0 || hasLabels(k.method)) return null;
    const y = args[i];
    args[i] = d.pick([typed(y) ? new (y.constructor as new (n: number) => FloatArray)(y.length + 1) : new Array<number>(k.n * k.c + 1).fill(0), 'targets', null]);
    return `second input = ${show(args[i])}`;
  },
  (k, d, args, o) => (takes(k.method, 'posWeight') ? set(o, 'posWeight', d.pick([NaN, Infinity, new Float32Array(k.c + 1), 'x'])) : null),
  (k, d, args) => {
    if (!takes(k.method, 'base') || k.n * k.c === 0) return null;
    const i = k.method === 'entropy' ? 0 : d.int(0, 1);
    const values = Array.from(args[i] as ArrayLike<number>);
    const at = d.int(0, values.length - 1);
    values[at] = d.pick([1.5, -0.1, NaN, Infinity]);
    args[i] = k.prec === 'f64' ? Float64Array.from(values) : values;
    return `${i === 0 ? 'p' : 'q'}[${at}] = ${values[at]}`;
  },
  (k, d, args, o) => (takes(k.method, 'base') ? set(o, 'base', d.pick([10, 'bits', 'E'])) : null),
  (k, d, args, o) => {
    if (!takes(k.method, 'out')) return null;
    const x = args[0];
    const length = k.n * k.c;
    const choice = d.int(0, 2);
    if (choice === 0) return set(o, 'out', k.prec === 'f64' ? new Float64Array(length + 1) : new Float32Array(length + 1));
    if (choice === 1) return set(o, 'out', k.prec === 'f64' ? new Float32Array(length) : new Float64Array(length));
    if (!typed(x) || length < 2) return null;
    const Ctor = x.constructor as new (n: number) => FloatArray;
    const buf = new Ctor(length + 1);
    buf.set(x, 1);
    args[0] = buf.subarray(1);
    o.out = buf.subarray(0, length);
    return 'out overlaps the input by all but one element';
  },
];

/** The shards case: a shard's classOffset broken, or the merge missing a shard. */
function mutateShards(k: FuzzCase, d: Draw, args: unknown[]): string | null {
  const shards = (args[0] as unknown[][]).map((s) => [s[0], { ...(s[1] as object) }, s[2]]);
  args[0] = shards;
  const s = d.int(0, shards.length - 1);
  const o = shards[s][1] as Record<string, unknown>;
  if (shards.length > 1 && d.chance(0.3)) {
    // A shard whose columns claim to start past the others: the merge finds a gap or overlap.
    o.classOffset = k.c;
    return `shard ${s}: classOffset ${k.c}`;
  }
  const key = d.pick(['classOffset', 'labelSmoothing', 'classes']);
  return `shard ${s}: ${set(o, key, key === 'labelSmoothing' ? d.pick([-1, 1, '0.1']) : d.pick([-1, 0.5, '1']))}`;
}

/** The case with one thing broken (deterministically from `d`): the first mutation drawn that applies to it. */
export function mutate(k: FuzzCase, d: Draw): FuzzCase {
  for (;;) {
    const args = k.args.slice();
    let what: string | null;
    if (k.method === 'shards') {
      what = mutateShards(k, d, args);
    } else {
      const opts = { ...(args[args.length - 1] as Record<string, unknown>) };
      args[args.length - 1] = opts;
      what = d.pick(MUTATIONS)(k, d, args, opts);
    }
    if (what !== null) return { ...k, args, invalid: what };
  }
}
