/**
 * distillationLoss(+WithGrad): knowledge distillation from a teacher's logits to a student's,
 * [N, V] each: forward KL(teacher ‖ student) (the default), reverse KL, or Liger-Kernel's
 * generalised JSD with β; both distributions at temperature T and the loss times T² (Hinton et
 * al.); rows whose label is ignoreIndex skipped; 'mean' is the sum over counted rows divided by
 * their number (PyTorch's 'batchmean'). The rows are computed in the front (src/lm/distill-rows.ts).
 */
import type { Call } from '../front/call.js';
import { DEFAULT_FRONT } from '../front/default.js';
import { describe } from '../front/describe.js';
import type { Front } from '../front/front.js';
import { labelsOf } from '../front/labels.js';
import { newFloat } from '../front/operands.js';
import { CLASSES, IGNORE_INDEX, REDUCTION, option, options } from '../front/options.js';
import { reduce } from '../front/reduce.js';
import { type DistillSettings, distillRow } from '../lm/distill-rows.js';
import { LABELS, TEMPERATURE, type TokenIds } from '../lm/tokens.js';
import type { FloatInput, GradOptions, Loss, LossWithGrad, ReduceOptions } from '../types.js';

/** Options of `distillationLoss`. `classes` is the vocabulary size V. */
export interface DistillationOptions extends ReduceOptions {
  /** 'forward-kl' (KL(teacher ‖ student), the default), 'reverse-kl', or 'jsd' (with beta). */
  kind?: 'forward-kl' | 'reverse-kl' | 'jsd';
  /** β in [0, 1] of the generalised JSD (0: forward KL, 1: reverse KL, as Liger-Kernel). Default 0.5. */
  beta?: number;
  /** Both distributions at temperature T > 0; the loss is multiplied by T². Default 1. */
  temperature?: number;
  /** One per row: rows whose label is ignoreIndex are skipped (and count for nothing in 'mean'). */
  labels?: TokenIds;
  /** Default -100. */
  ignoreIndex?: number;
}

const KINDS = ['forward-kl', 'reverse-kl', 'jsd'] as const;
const KIND = option('kind', ['loss', 'losstype', 'divergence'], (method, v) => {
  if (v === undefined) return 'forward-kl';
  if (typeof v === 'string' && (KINDS as readonly string[]).includes(v)) return v as DistillSettings['kind'];
  throw new RangeError(`${method}: kind must be 'forward-kl', 'reverse-kl' or 'jsd', got ${describe(v)}`);
});
const BETA = option('beta', ['jsdbeta'], (method, v) => {
  if (v === undefined) return NaN;
  if (typeof v !== 'number') throw new TypeError(`${method}: beta must be a number, got ${describe(v)}`);
  if (!(v >= 0 && v <= 1)) throw new RangeError(`${method}: beta must be in [0, 1], got ${v}`);
  return v;
});

const DISTILL_OPTIONS = options(CLASSES, KIND, BETA, TEMPERATURE, LABELS, IGNORE_INDEX, REDUCTION);

function distill(call: Call, student: unknown, teacher: unknown): Loss | LossWithGrad {
  const { method } = call;
  const rawLabels = call.o[LABELS.name];
  const { x, f64, n, c } = call.rows('studentLogits', student, rawLabels === undefined ? 'required' : { labels: rawLabels });
  const t = call.side('teacherLogits', teacher, f64, x.length);
  const kind = call.get(KIND);
  const beta = call.get(BETA);
  if (!Number.isNaN(beta) && kind !== 'jsd') throw new TypeError(`${method}: beta applies to kind 'jsd', not '${kind}'`);
  const temperature = call.get(TEMPERATURE);
  if (temperature === 0) throw new RangeError(`${method}: temperature must be > 0, got 0`);
  // NaN or +Infinity logits would give a silent NaN: refused; -Infinity (a banned token) is a probability of 0.
  for (const [name, a] of [['studentLogits', x], ['teacherLogits', t]] as const) {
    for (let i = 0; i < a.length; i++) if (!(a[i] < Infinity)) throw new RangeError(`${method}: ${name}[${i}] = ${a[i]} is not finite (-Infinity is the only non-finite logit allowed)`);
  }
  const reduction = call.get(REDUCTION);
  const ignoreIndex = call.get(IGNORE_INDEX);
  const labels = rawLabels === undefined ? null : labelsOf(method, rawLabels, n, c, ignoreIndex, null);
  const counted = labels ? labels.counted : n;
  const { grad, gradScale, scales } = call.gradient(x, f64, [t, labels?.labels ?? null], reduction, n, counted);
  const settings: DistillSettings = { kind, beta: Number.isNaN(beta) ? 0.5 : beta, temperature };
  const rowLoss = reduction === 'none' ? newFloat(f64, n) : null;
  let total = 0;
  for (let r = 0; r < n; r++) {
    if (labels && labels.labels[r] === labels.ignore) {
      if (grad) grad.fill(0, r * c, r * c + c);
      continue;
    }
    const loss = distillRow(x, t, r * c, c, settings, grad, scales ? scales[r] : gradScale);
    if (rowLoss) rowLoss[r] = loss;
    total += loss;
  }
  const loss = reduce(total, reduction, counted, rowLoss);
  return grad ? { loss, grad } : loss;
}

/** The distillation loss of a student's logits [N, V] against a teacher's (forward KL by default). */
export function lossMethod(studentLogits: FloatInput, teacherLogits: FloatInput, opts?: DistillationOptions): Loss;
export function lossMethod(this: Front, studentLogits: unknown, teacherLogits: unknown, opts?: unknown): Loss | LossWithGrad {
  return distill(this.begin('distillationLoss', DISTILL_OPTIONS, opts, false), studentLogits, teacherLogits);
}

/** distillationLoss and its gradient w.r.t. the student logits, fused: `{ loss, grad }`. */
export function gradMethod(studentLogits: FloatInput, teacherLogits: FloatInput, opts?: DistillationOptions & GradOptions): LossWithGrad;
export function gradMethod(this: Front, studentLogits: unknown, teacherLogits: unknown, opts?: unknown): Loss | LossWithGrad {
  return distill(this.begin('distillationLossWithGrad', DISTILL_OPTIONS, opts, true), studentLogits, teacherLogits);
}

export default {
  methods: { distillationLoss: lossMethod, distillationLossWithGrad: gradMethod },
};

/** `engine.distillationLoss` on the default engine. */
export const distillationLoss = lossMethod.bind(DEFAULT_FRONT);
/** `engine.distillationLossWithGrad` on the default engine. */
export const distillationLossWithGrad = gradMethod.bind(DEFAULT_FRONT);
