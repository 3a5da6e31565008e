/**
 * xent/ort: the language-model functions on ONNX Runtime tensors, as onnxruntime-web,
 * onnxruntime-node and transformers.js hand them out (objects with `type`, `dims` and `data`),
 * shapes read from `dims`: logits [B, T, V] (or [N, V] for sample and distillation), ids [B, T].
 * float32 data is read in place; int64 ids come as BigInt64Array and are read as they are.
 * float16 data (a Float16Array, or the Uint16Array of raw bits ONNX Runtime gives where the
 * runtime has no Float16Array) is widened to float32 here, one copy, until the engine's
 * half-precision inputs take it in place. No ONNX Runtime import: the tensors are duck-typed.
 */
import { getDefaultEngine } from './index.js';
import type {
  CausalLmOptions, DistillationOptions, Engine, SampleOptions, SampleResult, ScoreOptions, TokenIds, TokenScores,
} from './losses/index.js';
import { describe } from './front/describe.js';
import type { FloatOutput, GradOptions, Loss, LossWithGrad } from './types.js';

/** An ONNX Runtime tensor, as far as xent reads it. */
export interface OrtTensorLike {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown;
}

/** A token-id or mask argument: a tensor, or a plain array as the main API takes. */
type Ids = OrtTensorLike | Int32Array | BigInt64Array | readonly number[];

function isTensor(x: unknown): x is OrtTensorLike {
  return typeof x === 'object' && x !== null && 'dims' in x && 'data' in x && 'type' in x;
}

/** A float16 value's bits as a number (exact: every half is a float32). */
function halfToFloat(h: number): number {
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  const sign = h & 0x8000 ? -1 : 1;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 31) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/** A float tensor's data as the engine takes it, with its dims checked against its length. */
function floats(method: string, name: string, t: unknown, rank: readonly number[]): { data: Float32Array | Float64Array; dims: readonly number[] } {
  if (!isTensor(t)) throw new TypeError(`${method}: ${name} must be an ONNX Runtime tensor ({ type, dims, data }), got ${describe(t)}`);
  const { type, dims, data } = t;
  if (!rank.includes(dims.length)) throw new RangeError(`${method}: ${name} has dims [${dims.join(', ')}], expected ${rank.join(' or ')} dimensions`);
  const length = dims.reduce((a, b) => a * b, 1);
  if ((data as { length?: unknown }).length !== length) {
    throw new RangeError(`${method}: ${name} data has length ${describe((data as { length?: unknown }).length)}, dims [${dims.join(', ')}] say ${length}`);
  }
  if (type === 'float32' && data instanceof Float32Array) return { data, dims };
  if (type === 'float64' && data instanceof Float64Array) return { data, dims };
  if (type === 'float16' && ArrayBuffer.isView(data)) {
    const out = new Float32Array(length);
    // A Float16Array reads as numbers; a Uint16Array holds the raw bits.
    if (data instanceof Uint16Array) for (let i = 0; i < length; i++) out[i] = halfToFloat(data[i]);
    else out.set(t.data as ArrayLike<number>);
    return { data: out, dims };
  }
  throw new TypeError(`${method}: ${name} must be a float32, float16 or float64 tensor, got type ${describe(type)} with ${describe(data)}`);
}

/** An ids or mask argument: a tensor's data (dims checked against [B, T]) or the array itself. */
function idsOf(method: string, name: string, x: unknown, b: number, t: number): unknown {
  if (!isTensor(x)) return x;
  const { dims, data } = x;
  if (dims.length !== 2 || dims[0] !== b || dims[1] !== t) {
    throw new RangeError(`${method}: ${name} has dims [${dims.join(', ')}], expected [${b}, ${t}] (the logits' [B, T])`);
  }
  return data;
}

/** The options with B and V from the logits' dims, and tensor-valued ids options unwrapped. */
function lmOptions<O extends object>(method: string, opts: O | undefined, b: number, t: number, v: number): O {
  const o: Record<string, unknown> = { ...(opts ?? {}), classes: v, batchSize: b };
  for (const key of ['labels', 'attentionMask']) if (o[key] !== undefined) o[key] = idsOf(method, key, o[key], b, t);
  return o as O;
}

/** The language-model functions on ONNX Runtime tensors, on one engine. */
export interface OrtFunctions {
  causalLmLoss(logits: OrtTensorLike, inputIds: Ids, opts?: Omit<CausalLmOptions, 'classes' | 'batchSize'>): Loss;
  causalLmLossWithGrad(logits: OrtTensorLike, inputIds: Ids, opts?: Omit<CausalLmOptions, 'classes' | 'batchSize'> & GradOptions): LossWithGrad;
  scoreTokens(logits: OrtTensorLike, inputIds: Ids, opts?: Omit<ScoreOptions, 'classes' | 'batchSize'>): TokenScores;
  /** The next token of each row: logits [N, V], or [B, T, V] for the last position of each sequence. */
  sample(logits: OrtTensorLike, opts?: Omit<SampleOptions, 'classes'>): SampleResult;
  distillationLoss(student: OrtTensorLike, teacher: OrtTensorLike, opts?: Omit<DistillationOptions, 'classes'>): Loss;
  distillationLossWithGrad(student: OrtTensorLike, teacher: OrtTensorLike, opts?: Omit<DistillationOptions, 'classes'> & GradOptions): LossWithGrad;
}

/** The functions of xent/ort on `engine` (default: the package's default engine). */
export function ortFunctions(engine: Engine = getDefaultEngine()): OrtFunctions {
  const lm = (method: string, logits: unknown, ids: unknown, opts: object | undefined) => {
    const { data, dims } = floats(method, 'logits', logits, [3]);
    const [b, t, v] = dims;
    return { data, ids: idsOf(method, 'inputIds', ids, b, t) as TokenIds, opts: lmOptions(method, opts, b, t, v) };
  };
  const pair = (method: string, student: unknown, teacher: unknown) => {
    const s = floats(method, 'studentLogits', student, [2, 3]);
    const t = floats(method, 'teacherLogits', teacher, [2, 3]);
    if (s.dims.join() !== t.dims.join()) throw new RangeError(`${method}: teacherLogits has dims [${t.dims.join(', ')}], studentLogits [${s.dims.join(', ')}]`);
    return { s: s.data, t: t.data, v: s.dims[s.dims.length - 1] };
  };
  return {
    causalLmLoss(logits, inputIds, opts) {
      const a = lm('causalLmLoss', logits, inputIds, opts);
      return engine.causalLmLoss(a.data, a.ids, a.opts) as Loss;
    },
    causalLmLossWithGrad(logits, inputIds, opts) {
      const a = lm('causalLmLossWithGrad', logits, inputIds, opts);
      return engine.causalLmLossWithGrad(a.data, a.ids, a.opts) as LossWithGrad;
    },
    scoreTokens(logits, inputIds, opts) {
      const a = lm('scoreTokens', logits, inputIds, opts);
      return engine.scoreTokens(a.data, a.ids, a.opts);
    },
    sample(logits, opts) {
      const { data, dims } = floats('sample', 'logits', logits, [2, 3]);
      const v = dims[dims.length - 1];
      let rows: FloatOutput = data;
      if (dims.length === 3) {
        // The last position of each sequence: in place for one sequence, B rows gathered otherwise.
        const [b, t] = dims;
        const last = (s: number) => data.subarray(((s + 1) * t - 1) * v, (s + 1) * t * v);
        if (b === 1) rows = last(0);
        else {
          rows = data instanceof Float64Array ? new Float64Array(b * v) : new Float32Array(b * v);
          for (let s = 0; s < b; s++) rows.set(last(s), s * v);
        }
      }
      return engine.sample(rows, { ...opts, classes: v });
    },
    distillationLoss(student, teacher, opts) {
      const p = pair('distillationLoss', student, teacher);
      return engine.distillationLoss(p.s, p.t, { ...opts, classes: p.v });
    },
    distillationLossWithGrad(student, teacher, opts) {
      const p = pair('distillationLossWithGrad', student, teacher);
      return engine.distillationLossWithGrad(p.s, p.t, { ...opts, classes: p.v });
    },
  };
}

const defaults = (): OrtFunctions => ortFunctions(getDefaultEngine());

/** causalLmLoss on an ONNX Runtime logits tensor [B, T, V] and ids [B, T] (default engine). */
export const causalLmLoss: OrtFunctions['causalLmLoss'] = (logits, ids, opts) => defaults().causalLmLoss(logits, ids, opts);
/** causalLmLossWithGrad on ONNX Runtime tensors (default engine). */
export const causalLmLossWithGrad: OrtFunctions['causalLmLossWithGrad'] = (logits, ids, opts) => defaults().causalLmLossWithGrad(logits, ids, opts);
/** scoreTokens on ONNX Runtime tensors (default engine). */
export const scoreTokens: OrtFunctions['scoreTokens'] = (logits, ids, opts) => defaults().scoreTokens(logits, ids, opts);
/** sample on an ONNX Runtime logits tensor [N, V] or [B, T, V] (default engine). */
export const sample: OrtFunctions['sample'] = (logits, opts) => defaults().sample(logits, opts);
/** distillationLoss on ONNX Runtime tensors (default engine). */
export const distillationLoss: OrtFunctions['distillationLoss'] = (s, t, opts) => defaults().distillationLoss(s, t, opts);
/** distillationLossWithGrad on ONNX Runtime tensors (default engine). */
export const distillationLossWithGrad: OrtFunctions['distillationLossWithGrad'] = (s, t, opts) => defaults().distillationLossWithGrad(s, t, opts);
