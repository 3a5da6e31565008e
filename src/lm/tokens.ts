/**
 * Token ids, attention masks and the causal shift, read once for the language-model functions
 * (causalLmLoss, scoreTokens): ids arrive as Int32Array, BigInt64Array (what ONNX models take
 * and give), any other integer typed array or number[], all [B, T] flat; B is options.batchSize.
 */
import type { Call } from '../front/call.js';
import { describe } from '../front/describe.js';
import { classesOf } from '../front/labels.js';
import { option } from '../front/options.js';
import type { FloatArray } from '../kernels/kernel.js';
import type { LabelInput } from '../types.js';

/** Token ids: any integer typed array (BigInt64Array as ONNX models use) or number[]. */
export type TokenIds = LabelInput;

/** An attention mask [B, T]: 1 = a token, 0 = padding; any integer typed array, number[] or boolean[]. */
export type MaskInput = LabelInput | readonly boolean[];

/** B, the number of sequences in a call's flat [B, T] inputs (default 1). */
export const BATCH_SIZE = option('batchSize', ['batch', 'bsz', 'batchsize', 'numsequences'], (method, v) => {
  if (v === undefined) return 1;
  if (typeof v !== 'number') throw new TypeError(`${method}: batchSize must be a number, got ${describe(v)}`);
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${method}: batchSize must be a positive integer, got ${v}`);
  return v;
});

/** The targets [B, T] in Hugging Face's layout (not shifted; -100 = not a target): an array, read with the shapes. */
export const LABELS = option('labels', ['targets']);

/** options.attentionMask [B, T] (0 = padding): an array, read with the shapes. */
export const ATTENTION_MASK = option('attentionMask', ['attentionmask', 'mask', 'paddingmask']);

/** The shape of a language-model call: B sequences of T positions over a vocabulary of V. */
export interface LmShape {
  b: number;
  t: number;
  v: number;
}

/** B, T and V from the logits' length, the ids' length, options.batchSize and options.classes. */
export function lmShape(call: Call, x: FloatArray, ids: unknown): LmShape {
  const { method } = call;
  const n = idsLength(method, 'inputIds', ids);
  const b = call.get(BATCH_SIZE);
  if (n === 0 || n % b !== 0) throw new RangeError(`${method}: inputIds has length ${n}, not a positive multiple of batchSize (${b})`);
  const v = classesOf(method, call.o.classes, x.length, { labels: ids });
  if (x.length !== n * v) {
    throw new RangeError(`${method}: logits has length ${x.length}, expected ${n * v} (inputIds length ${n} x classes ${v})`);
  }
  return { b, t: n / b, v };
}

function idsLength(method: string, name: string, raw: unknown): number {
  const arrayLike = Array.isArray(raw) || (ArrayBuffer.isView(raw) && !(raw instanceof DataView));
  if (!arrayLike) throw new TypeError(`${method}: ${name} must be an integer typed array, BigInt64Array or number[], got ${describe(raw)}`);
  return (raw as ArrayLike<unknown>).length;
}

/**
 * Token ids (or labels) of length n as an Int32Array: each an integer in [0, v), or equal to
 * `ignore` when that is not null (labels). Int32Array input is used as it is.
 */
export function readIds(method: string, name: string, raw: unknown, n: number, v: number, ignore: number | null): Int32Array {
  const len = idsLength(method, name, raw);
  if (len !== n) throw new RangeError(`${method}: ${name} has length ${len}, expected ${n} ([B, T] like inputIds)`);
  const src = raw as ArrayLike<number | bigint>;
  const out = src instanceof Int32Array ? src : new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const r = src[i];
    const id = typeof r === 'bigint' ? Number(r) : r;
    if (id === ignore) {
      out[i] = id;
      continue;
    }
    if (typeof id !== 'number' || !Number.isInteger(id)) throw new TypeError(`${method}: ${name}[${i}] = ${describe(r)} is not an integer`);
    if (id < 0 || id >= v) {
      const or = ignore === null ? '' : ` and is not ignoreIndex (${ignore})`;
      throw new RangeError(`${method}: ${name}[${i}] = ${id} is outside [0, ${v}) (the vocabulary, classes)${or}`);
    }
    out[i] = id;
  }
  return out;
}

/** options.attentionMask as n bytes (1 = token, 0 = padding), or null when absent. */
export function readMask(call: Call, n: number): Uint8Array | null {
  const { method } = call;
  const raw = call.o[ATTENTION_MASK.name];
  if (raw === undefined) return null;
  const len = idsLength(method, 'attentionMask', raw);
  if (len !== n) throw new RangeError(`${method}: attentionMask has length ${len}, expected ${n} ([B, T] like inputIds)`);
  const src = raw as ArrayLike<unknown>;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const m = src[i];
    if (m === 1 || m === 1n || m === true) out[i] = 1;
    else if (!(m === 0 || m === 0n || m === false)) throw new RangeError(`${method}: attentionMask[${i}] = ${describe(m)} is not 0 or 1`);
  }
  return out;
}

/** options.ignoreIndex for the token functions: an int32 (the shifted targets are an Int32Array). */
export function int32Ignore(method: string, ignoreIndex: number): number {
  if ((ignoreIndex | 0) !== ignoreIndex) throw new RangeError(`${method}: ignoreIndex must fit in an int32 here, got ${ignoreIndex}`);
  return ignoreIndex;
}

/**
 * The targets of every position, Hugging Face's shift as an index offset: position t of
 * sequence b predicts src[b, t + 1]; the last position of each sequence, and targets whose
 * mask is 0, get `ignore`. One Int32Array of B·T, so the logits are read as they are.
 */
export function shiftedTargets(src: Int32Array, mask: Uint8Array | null, shape: LmShape, ignore: number): Int32Array {
  const { b, t } = shape;
  const out = new Int32Array(b * t);
  for (let s = 0; s < b; s++) {
    const row = s * t;
    for (let i = 0; i < t - 1; i++) out[row + i] = mask && mask[row + i + 1] === 0 ? ignore : src[row + i + 1];
    out[row + t - 1] = ignore;
  }
  return out;
}

/** options.temperature: a finite number ≥ 0 (0 only where a method allows greedy), default 1. */
export const TEMPERATURE = option('temperature', ['temp', 'tau'], (method, v) => {
  if (v === undefined) return 1;
  if (typeof v !== 'number') throw new TypeError(`${method}: temperature must be a number, got ${describe(v)}`);
  if (!(v >= 0 && v < Infinity)) throw new RangeError(`${method}: temperature must be a finite number >= 0, got ${v}`);
  return v;
});

/** options.promptLength: a number, or one per sequence (read with B). */
export const PROMPT_LENGTH = option('promptLength', ['promptlength', 'contextlength', 'prefixlength']);

/** options.promptLength as one integer ≥ 0 per sequence (0 when absent). */
export function readPromptLength(call: Call, b: number): Int32Array {
  const { method } = call;
  const raw = call.o[PROMPT_LENGTH.name];
  const out = new Int32Array(b);
  if (raw === undefined) return out;
  const one = typeof raw === 'number';
  if (!one && !(Array.isArray(raw) || (ArrayBuffer.isView(raw) && !(raw instanceof DataView)))) {
    throw new TypeError(`${method}: promptLength must be a number or one number per sequence, got ${describe(raw)}`);
  }
  const src = raw as ArrayLike<unknown>;
  if (!one && src.length !== b) throw new RangeError(`${method}: promptLength has length ${src.length}, expected ${b} (one per sequence)`);
  for (let s = 0; s < b; s++) {
    const r = one ? raw : src[s];
    const p = typeof r === 'bigint' ? Number(r) : r;
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 0) {
      throw new RangeError(`${method}: promptLength${one ? '' : `[${s}]`} must be an integer >= 0, got ${describe(r)}`);
    }
    out[s] = Math.min(p, 2147483647);
  }
  return out;
}

/**
 * The targets of a scoring call, by row (the logits of position t score token t + 1): token
 * t + 1 is scored when it is past its sequence's prompt (t + 1 ≥ promptLength), neither it nor
 * the token before it is padding, and its label is not ignoreIndex; every other row gets `ignore`.
 */
export function scoredTargets(src: Int32Array, mask: Uint8Array | null, prompt: Int32Array, shape: LmShape, ignore: number): Int32Array {
  const { b, t } = shape;
  const out = new Int32Array(b * t).fill(ignore);
  for (let s = 0; s < b; s++) {
    const row = s * t;
    for (let i = Math.max(prompt[s] - 1, 0); i < t - 1; i++) {
      if (mask && (mask[row + i] === 0 || mask[row + i + 1] === 0)) continue;
      out[row + i] = src[row + i + 1];
    }
  }
  return out;
}
