/**
 * Runs a fuzz case on an engine (staged, or with its float arrays in the engine's memory) and
 * checks what comes back: against the reference, within the tolerances of cases.ts, and against
 * a peer engine: the same result types and shapes, the same NaN and ±Infinity entries, the same
 * error. A call must not write outside its outputs (guards around views, every input as it was).
 */
import type { Engine } from '../../src/index.js';
import { isNumbers } from '../arrays.js';
import type { Expected, FloatArray, FuzzCase, Tol } from './cases.js';
import type { Draw } from './draw.js';

/** What a call returned (arrays copied out of the engine's memory) or threw. */
export type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

const isFloat = (v: unknown): v is FloatArray => v instanceof Float32Array || v instanceof Float64Array;

/** The call's arrays as it saw them, so that a result array can be traced to the argument it is. */
const sourceOf = new WeakMap<object, unknown>();

/** Maps every float array in a tree of arguments (arrays of objects, options objects). */
function deepMap(v: unknown, f: (a: FloatArray) => unknown): unknown {
  if (isFloat(v)) return f(v);
  if (Array.isArray(v)) return v.some((x) => typeof x === 'object' && x !== null) ? v.map((x) => deepMap(x, f)) : v;
  if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = deepMap(x, f);
    return out;
  }
  return v;
}

/** Every array (typed or plain) in a tree of arguments. */
function arraysIn(v: unknown, out = new Set<unknown>()): Set<unknown> {
  if (ArrayBuffer.isView(v)) out.add(v);
  else if (Array.isArray(v)) {
    out.add(v);
    for (const x of v) if (typeof x === 'object' && x !== null) arraysIn(x, out);
  } else if (v !== null && typeof v === 'object') for (const x of Object.values(v)) arraysIn(x, out);
  return out;
}

/**
 * Checks that a call changed nothing but its outputs: every buffer behind the arguments is
 * compared byte by byte outside the outputs' own bytes (so a write past the end of a view, into
 * its guards, is caught), and every number[] entry by entry.
 */
function watchInputs(args: unknown[], outputs: unknown[]): () => string | null {
  const buffers = new Map<ArrayBufferLike, { copy: Uint8Array; writable: [number, number][] }>();
  const plain: [unknown[], unknown[]][] = [];
  for (const a of arraysIn(args)) {
    if (Array.isArray(a)) plain.push([a, a.slice()]);
    else {
      const v = a as ArrayBufferView;
      if (!buffers.has(v.buffer)) buffers.set(v.buffer, { copy: new Uint8Array(v.buffer).slice(), writable: [] });
    }
  }
  for (const o of outputs) {
    if (!ArrayBuffer.isView(o)) continue;
    buffers.get(o.buffer)?.writable.push([o.byteOffset, o.byteOffset + o.byteLength]);
  }
  return () => {
    for (const [buffer, { copy, writable }] of buffers) {
      const now = new Uint8Array(buffer);
      for (let i = 0; i < copy.length; i++) {
        if (now[i] === copy[i] || writable.some(([s, e]) => i >= s && i < e)) continue;
        return `wrote byte ${i} of an argument's buffer (${copy.length} bytes), outside every output`;
      }
    }
    for (const [a, copy] of plain) {
      const i = a.findIndex((v, j) => !Object.is(v, copy[j]));
      if (i >= 0 || a.length !== copy.length) return `modified a number[] argument at ${i}`;
    }
    return null;
  };
}

/** One float argument moved into the engine's memory: alloc(pre + length + post), guards NaN. */
interface Moved {
  original: FloatArray;
  parent: FloatArray;
  pre: number;
  /** What the call is given: a view of the parent, or the parent handle itself (perhaps detached by later allocs). */
  handle: FloatArray;
}

/** The arguments with (most of) their float arrays in the engine's memory, and how to read them back. */
class ZeroCopy {
  private readonly moved = new Map<FloatArray, Moved>();
  private readonly byHandle = new Map<unknown, Moved>();
  readonly args: unknown[];

  constructor(private readonly engine: Engine, d: Draw, args: unknown[], wide: boolean) {
    const originals = [...arraysIn(args)].filter(isFloat);
    for (const original of originals) {
      if (!d.chance(0.85)) continue;
      const pre = d.chance(0.3) ? d.int(1, 3) : 0;
      const post = d.chance(0.3) ? d.int(1, 3) : 0;
      const length = pre + original.length + post;
      const parent = original instanceof Float64Array ? engine.alloc(length, 'float64') : engine.alloc(length);
      this.moved.set(original, { original, parent, pre, handle: parent });
    }
    // Allocating may have grown the memory and detached earlier arrays: fill them through view().
    for (const m of this.moved.values()) {
      const fresh = this.engine.view(m.parent);
      fresh.fill(NaN);
      fresh.set(m.original, m.pre);
      const whole = fresh.length === m.original.length;
      // The allocated handle itself, detached or not, is accepted when the call cannot grow the memory.
      m.handle = whole ? (!wide && d.chance(0.3) ? m.parent : fresh) : fresh.subarray(m.pre, m.pre + m.original.length);
      this.byHandle.set(m.handle, m);
    }
    this.args = deepMap(args, (a) => this.moved.get(a)?.handle ?? a) as unknown[];
  }

  /** An array the call returned or was given, readable now (re-viewed if growth detached it). */
  read(a: unknown): unknown {
    const m = this.byHandle.get(a);
    if (!m) return a;
    const fresh = this.engine.view(m.parent);
    return fresh.subarray(m.pre, m.pre + m.original.length);
  }

  /** What the call was given in place of `original`. */
  handleOf(original: unknown): unknown {
    return this.moved.get(original as FloatArray)?.handle ?? original;
  }

  /** The guards around every moved array, and the inputs' contents (outputs may change). */
  check(outputs: unknown[]): string | null {
    for (const m of this.moved.values()) {
      const fresh = this.engine.view(m.parent);
      for (let i = 0; i < fresh.length; i++) {
        const inside = i >= m.pre && i < m.pre + m.original.length;
        if (!inside && !Number.isNaN(fresh[i])) return `wrote ${fresh[i]} at ${i - m.pre} of an engine.alloc array (outside the view)`;
        if (inside && !outputs.includes(m.original) && !Object.is(fresh[i], m.original[i - m.pre])) {
          return `modified an input in the engine's memory at ${i - m.pre}: ${m.original[i - m.pre]} → ${fresh[i]}`;
        }
      }
    }
    return null;
  }

  free(): void {
    for (const m of this.moved.values()) this.engine.free(m.parent);
  }
}

/** Where a result array's bytes were in the engine's memory when it was copied out. */
const placeOfResult = new WeakMap<object, string>();

/** An engine array's place (offset and length), comparable after the arrays are freed. */
function placeIn(a: unknown): string {
  return isFloat(a) ? `${a.byteOffset}+${a.length}` : '';
}

/** A result with its arrays copied (their sources remembered), so it outlives the engine's memory. */
function copyOut(v: unknown, read: (a: unknown) => unknown): unknown {
  if (ArrayBuffer.isView(v)) {
    const now = read(v) as { slice(): object };
    const copy = now.slice();
    sourceOf.set(copy, v);
    placeOfResult.set(copy, placeIn(now));
    return copy;
  }
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = copyOut(x, read);
    return out;
  }
  return v;
}

export interface Ran {
  outcome: Outcome;
  /** A write the call should not have made, if any. */
  sideEffect: string | null;
  /** Whether a result array is the argument the caller passed as `original` (gradOut, out). */
  is(result: unknown, original: unknown): boolean;
}

/**
 * The engine's memory below its first allocation (none is live between cases): the module's
 * static data, which no call may write, as every thread of a threaded engine shares it. Null
 * on the js backend.
 */
function staticData(engine: Engine): Uint8Array | null {
  if (engine.backend === 'js') return null;
  const probe = engine.alloc(0);
  const bytes = new Uint8Array(probe.buffer, 0, probe.byteOffset).slice();
  engine.free(probe);
  return bytes;
}

/** Runs a case, staged (zeroCopy null) or with arrays from engine.alloc. */
export function run(engine: Engine, k: FuzzCase, zeroCopy: Draw | null): Ran {
  const statics = staticData(engine);
  const zc = zeroCopy ? new ZeroCopy(engine, zeroCopy, k.args, k.c > 65536) : null;
  const args = zc ? zc.args : k.args;
  const outputs = k.outputs.map((o) => (zc ? zc.handleOf(o) : o));
  const watch = zc ? null : watchInputs(args, outputs);
  let outcome: Outcome;
  try {
    outcome = { ok: true, value: copyOut(k.call(engine, args), (a) => (zc ? zc.read(a) : a)) };
  } catch (error) {
    outcome = { ok: false, error };
  }
  let sideEffect = zc ? zc.check(k.outputs) : watch!();
  // Where each output handle's bytes are, read before the arrays are freed (is() runs later).
  const placeOf = new Map<unknown, string>();
  if (zc) for (const h of outputs) placeOf.set(h, placeIn(zc.read(h)));
  zc?.free();
  const now = statics && staticData(engine);
  if (statics && now && now.length !== statics.length) {
    sideEffect ??= `the first engine.alloc array moved from byte ${statics.length} to ${now.length}: freed memory was not given back`;
  } else if (statics && now) {
    const at = statics.findIndex((b, i) => b !== now[i]);
    if (at >= 0) sideEffect ??= `changed the module's static data (byte ${at} of ${statics.length})`;
  }
  return {
    outcome,
    sideEffect,
    is: (result, original) => {
      const source = sourceOf.get(result as object);
      const given = zc ? zc.handleOf(original) : original;
      if (source === given) return true;
      // A detached engine.alloc handle comes back as the fresh view of the same bytes.
      if (zc) return placeOf.has(given) && placeOfResult.get(result as object) === placeOf.get(given);
      const a = source as FloatArray;
      const b = given as FloatArray;
      return isFloat(a) && isFloat(b) && a.buffer === b.buffer && a.byteOffset === b.byteOffset && a.length === b.length;
    },
  };
}

// ---- comparison ------------------------------------------------------------------------------

function tolerance(tol: Tol, f64: boolean, want: number, amp = 0): number {
  const a = Math.abs(want);
  if (tol === 'grad') return f64 ? 1e-12 * Math.max(1, amp) + 1e-10 * a : 1e-6 * Math.max(1, amp) + 2e-5 * a;
  return f64 ? 1e-12 + 1e-10 * a : 2e-5 * Math.max(1, a);
}

/** Why `got` is not `want`, or null. */
function differs(got: number, want: number, tol: Tol, f64: boolean, amp?: number, slack = 0): string | null {
  if (typeof got !== 'number') return `got ${String(got)}, want ${want}`;
  if (Number.isNaN(want) ? Number.isNaN(got) : got === want) return null;
  if (!Number.isFinite(want) || tol === 'exact') return `got ${got}, want ${want}`;
  if (tol === 'perplexity') {
    const t = tolerance('loss', f64, Math.log(want)) + slack;
    return Math.abs(Math.log(got) - Math.log(want)) <= t ? null : `got ${got}, want ${want} (|Δ log| ${Math.abs(Math.log(got) - Math.log(want))}, tolerance ${t})`;
  }
  const t = tolerance(tol, f64, want, amp);
  return Math.abs(got - want) <= t ? null : `got ${got}, want ${want} (|Δ| ${Math.abs(got - want)}, tolerance ${t})`;
}

/** Where entry i of an [n, c] (or per-row) result is, for messages. */
function where(k: FuzzCase, i: number, length: number): string {
  if (length === k.n * k.c && k.c > 1) return ` (row ${Math.floor(i / k.c)}, class ${i % k.c})`;
  return '';
}

/** The differences between a result and the reference's, at most a few, as text. */
export function compareWithReference(k: FuzzCase, got: unknown, want: Expected, ran: Ran, path = 'result'): string[] {
  const f64 = k.prec === 'f64';
  if (want.kind === 'number') {
    const d = differs(got as number, want.want, want.tol, f64, undefined, want.slack);
    return d ? [`${path}: ${d}`] : [];
  }
  if (want.kind === 'object') {
    if (got === null || typeof got !== 'object' || ArrayBuffer.isView(got)) return [`${path}: expected an object, got ${describe(got)}`];
    const keys = Object.keys(got).sort().join(', ');
    const wanted = Object.keys(want.fields).sort().join(', ');
    if (keys !== wanted) return [`${path}: fields { ${keys} }, expected { ${wanted} }`];
    return Object.entries(want.fields).flatMap(([key, e]) => compareWithReference(k, (got as Record<string, unknown>)[key], e, ran, `${path}.${key}`));
  }
  if (!isNumbers(got) || got.constructor.name !== want.type) return [`${path}: expected a ${want.type}, got ${describe(got)}`];
  const g = got;
  if (g.length !== want.want.length) return [`${path}: length ${g.length}, expected ${want.want.length}`];
  const problems: string[] = [];
  if (want.output !== undefined && !ran.is(got, k.outputs[want.output])) problems.push(`${path}: is not the array passed as the output`);
  const f32 = want.type === 'Float32Array';
  let bad = 0;
  for (let i = 0; i < g.length; i++) {
    // A float32 result holds the reference rounded to float32 (±Infinity where it overflows).
    const w = f32 ? Math.fround(want.want[i]) : want.want[i];
    const d = differs(g[i], w, want.tol, f64, want.amp?.[i]);
    if (d && bad++ === 0) problems.push(`${path}[${i}]${where(k, i, g.length)}: ${d}`);
  }
  if (bad > 1) problems.push(`… and ${bad - 1} more entries of ${path}`);
  return problems;
}

/** Differences from a peer engine's result: types, shapes, fields, and every non-finite entry. */
export function compareWithPeer(got: unknown, peer: unknown, path = 'result'): string | null {
  if (typeof peer === 'number') {
    if (typeof got !== 'number') return `${path}: ${describe(got)} here, a number on the peer`;
    return Number.isFinite(peer) && Number.isFinite(got) ? null : Object.is(got, peer) ? null : `${path}: ${got} here, ${peer} on the peer`;
  }
  if (isNumbers(peer)) {
    if (!isNumbers(got) || got.constructor !== peer.constructor) return `${path}: ${describe(got)} here, a ${peer.constructor.name} on the peer`;
    const a = got;
    const b = peer;
    if (a.length !== b.length) return `${path}: length ${a.length} here, ${b.length} on the peer`;
    for (let i = 0; i < b.length; i++) {
      if ((Number.isFinite(a[i]) && Number.isFinite(b[i])) || Object.is(a[i], b[i])) continue;
      return `${path}[${i}]: ${a[i]} here, ${b[i]} on the peer`;
    }
    return null;
  }
  if (peer !== null && typeof peer === 'object') {
    if (got === null || typeof got !== 'object') return `${path}: ${describe(got)} here, an object on the peer`;
    const keys = Object.keys(got).sort().join(', ');
    const wanted = Object.keys(peer).sort().join(', ');
    if (keys !== wanted) return `${path}: fields { ${keys} } here, { ${wanted} } on the peer`;
    for (const key of Object.keys(peer)) {
      const d = compareWithPeer((got as Record<string, unknown>)[key], (peer as Record<string, unknown>)[key], `${path}.${key}`);
      if (d) return d;
    }
    return null;
  }
  return Object.is(got, peer) ? null : `${path}: ${describe(got)} here, ${describe(peer)} on the peer`;
}

export function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (isNumbers(v)) return `a ${v.constructor.name}(${v.length})`;
  if (Array.isArray(v)) return `an array(${v.length})`;
  if (typeof v === 'object') return `an object { ${Object.keys(v).join(', ')} }`;
  return typeof v === 'string' ? `'${v}'` : String(v);
}

/** An error as the test compares it: its class and message. */
export function errorText(e: unknown): string {
  return e instanceof Error ? `${e.constructor.name}: ${e.message}` : `a thrown ${describe(e)}`;
}
