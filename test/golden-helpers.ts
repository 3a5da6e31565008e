/**
 * Reading test/golden/*.json (written by scripts/golden.py from PyTorch) and comparing results
 * against it with the project's stated tolerances.
 */
/// <reference types="vite/client" />

/** A number as the JSON holds it: JSON has no infinities or NaN, so those are strings. */
export type Num = number | 'Infinity' | '-Infinity' | 'NaN';

/** The engine methods a golden case names (the ...WithGrad twins are implied). */
export type GoldenMethod =
  | 'softmaxCrossEntropy'
  | 'softmaxCrossEntropyDense'
  | 'sigmoidCrossEntropy'
  | 'crossEntropy'
  | 'entropy'
  | 'klDivergence'
  | 'softmax'
  | 'logSoftmax';

export type Dtype = 'float32' | 'float64';

/** One golden case: inputs, the options exactly as the engine takes them, and PyTorch's answer. */
export interface GoldenCase {
  name: string;
  method: GoldenMethod;
  dtype: Dtype;
  classes: number;
  logits?: Num[];
  labels?: number[];
  targets?: Num[];
  p?: Num[];
  q?: Num[];
  /** `weight` and array `posWeight` are Num[] here; the test turns them into typed arrays. */
  opts: Record<string, unknown>;
  /** The upstream gradient for the ...WithGrad call (absent: the default, 1). */
  gradOutput?: number | Num[];
  /** 'array': pass the labels as number[] instead of an Int32Array. */
  labelsAs?: 'array';
  /** The rounded value DESIGN.md prints for this worked example. */
  design?: number;
  want: { loss?: Num | Num[]; grad?: Num[]; out?: Num[] };
}

/** One golden file. */
export interface GoldenFile {
  file: string;
  meta: { generator: string; torch: string; notes: string[] };
  cases: GoldenCase[];
}

/**
 * test/golden/*.json, bundled by Vite's import.meta.glob rather than read with node:fs, so that
 * the golden suites run unchanged in the browser project too.
 */
const GOLDEN = import.meta.glob<Omit<GoldenFile, 'file'>>('./golden/*.json', { eager: true, import: 'default' });

/** Every test/golden/*.json, in name order. */
export function loadGolden(): GoldenFile[] {
  return Object.keys(GOLDEN)
    .sort()
    .map((path) => ({ file: path.slice(path.lastIndexOf('/') + 1), ...GOLDEN[path] }));
}

/** A JSON-encoded number back to a number ("Infinity" and friends included). */
export function decode(v: Num): number {
  return typeof v === 'number' ? v : Number(v);
}

/** The typed array a case's float inputs go in: its dtype decides the engine's precision. */
export function floatArray(dtype: Dtype, values: readonly Num[]): Float32Array | Float64Array {
  return dtype === 'float32' ? Float32Array.from(values, decode) : Float64Array.from(values, decode);
}

/**
 * 'loss': losses and log-probabilities; 'prob': gradients and probabilities.
 * float32 inputs: loss |Δ| ≤ 1e-5·max(1, |want|), prob |Δ| ≤ 1e-6 + 1e-5·|want| (the reference is
 * exact math on the float32 values, so this bounds the engine's float32 rounding).
 * float64 inputs: |Δ| ≤ 1e-12 + 1e-10·|want| for both.
 */
export type Kind = 'loss' | 'prob';

/** The largest |got - want| allowed. */
export function tolerance(dtype: Dtype, kind: Kind, want: number): number {
  const a = Math.abs(want);
  if (dtype === 'float64') return 1e-12 + 1e-10 * a;
  return kind === 'loss' ? 1e-5 * Math.max(1, a) : 1e-6 + 1e-5 * a;
}

const MAX_REPORTED = 5;

/**
 * Compares a result with the expectation; returns one line per problem (empty when it matches).
 * An array expectation requires the typed array of the case's dtype and the same length; a
 * non-finite expectation requires exactly that value (NaN for NaN).
 */
export function compare(what: string, got: unknown, want: Num | readonly Num[], dtype: Dtype, kind: Kind): string[] {
  if (!Array.isArray(want)) {
    if (typeof got !== 'number') return [`${what}: expected a number, got ${describeValue(got)}`];
    return compareValues(what, [got], [want as Num], dtype, kind, false);
  }
  const Want = dtype === 'float32' ? Float32Array : Float64Array;
  if (!(got instanceof Want)) return [`${what}: expected a ${Want.name}, got ${describeValue(got)}`];
  if (got.length !== want.length) return [`${what}: expected length ${want.length}, got ${got.length}`];
  return compareValues(what, got, want, dtype, kind, true);
}

function compareValues(what: string, got: ArrayLike<number>, want: readonly Num[], dtype: Dtype, kind: Kind, indexed: boolean): string[] {
  const problems: string[] = [];
  let count = 0;
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const w = decode(want[i]);
    const g = got[i];
    let bad: boolean;
    let excess = 0;
    if (Number.isNaN(w)) bad = !Number.isNaN(g);
    else if (!Number.isFinite(w)) bad = g !== w;
    else {
      const tol = tolerance(dtype, kind, w);
      const err = Math.abs(g - w);
      bad = !(err <= tol);
      excess = err / tol;
    }
    if (!bad) continue;
    count++;
    worst = Math.max(worst, excess);
    if (problems.length < MAX_REPORTED) {
      const at = indexed ? `[${i}]` : '';
      problems.push(`${what}${at}: got ${g}, want ${w} (|Δ| = ${Math.abs(g - w)}, tolerance ${Number.isFinite(w) ? tolerance(dtype, kind, w) : 'exact'})`);
    }
  }
  if (count > MAX_REPORTED) problems.push(`${what}: ${count} values out of tolerance in all (worst ${worst.toPrecision(3)}× the tolerance)`);
  return problems;
}

function describeValue(v: unknown): string {
  if (v === null || typeof v !== 'object') return `${typeof v} ${String(v)}`;
  return `${v.constructor.name}${'length' in v ? ` of length ${(v as { length: number }).length}` : ''}`;
}
