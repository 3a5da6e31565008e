/**
 * Shared by the property tests of the training extras (zLoss, softcap, focal losses, stats):
 * seeded random inputs whose draw parameters fast-check picks and shrinks, and comparison with
 * the float64 reference (test/reference.ts) at the tolerances of test/property.test.ts.
 */
import fc from 'fast-check';

import { rng } from './random.js';

export { rng };

export function normal(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

export type Precision = 'f32' | 'f64' | 'number[]';
export type Reduction = 'mean' | 'sum' | 'none';
export type Float = Float32Array | Float64Array;

export const precisionArb = fc.constantFrom<Precision>('f32', 'f64', 'number[]');
export const reductionArb = fc.constantFrom<Reduction>('mean', 'sum', 'none');

/** n × c: mostly small; sometimes wide rows, many rows (more than one wasm staging block), or one very wide row. */
export const shapeArb = fc.oneof(
  { weight: 30, arbitrary: fc.record({ n: fc.integer({ min: 0, max: 30 }), c: fc.integer({ min: 1, max: 60 }) }) },
  { weight: 3, arbitrary: fc.record({ n: fc.integer({ min: 1, max: 4 }), c: fc.integer({ min: 61, max: 3000 }) }) },
  { weight: 2, arbitrary: fc.record({ n: fc.integer({ min: 300, max: 700 }), c: fc.integer({ min: 100, max: 200 }) }) },
  { weight: 1, arbitrary: fc.record({ n: fc.integer({ min: 1, max: 2 }), c: fc.integer({ min: 16000, max: 40000 }) }) },
);

/** How logits are drawn: a normal scale, large magnitudes, -inf masks, small-integer ties. */
export interface LogitParams {
  seed: number;
  scale: number;
  pBig: number;
  pNegInf: number;
  ties: boolean;
}

export const logitParamsArb: fc.Arbitrary<LogitParams> = fc.record({
  seed: fc.nat(),
  scale: fc.constantFrom(1, 0.1, 3, 10, 30),
  pBig: fc.constantFrom(0, 0, 0.03, 0.3),
  pNegInf: fc.constantFrom(0, 0, 0.05, 0.5),
  ties: fc.boolean(),
});

/** Logits [n, c], -inf only where allowInf(i, k), rounded to float32 unless f64. */
export function makeLogits(p: LogitParams, n: number, c: number, prec: Precision, allowInf: (i: number, k: number) => boolean): number[] {
  const r = rng(p.seed);
  const out: number[] = [];
  for (let i = 0; i < n; i++)
    for (let k = 0; k < c; k++) {
      let v: number;
      if (p.pNegInf > 0 && allowInf(i, k) && r() < p.pNegInf) v = -Infinity;
      else if (r() < p.pBig) v = (r() < 0.5 ? -1 : 1) * (40 + 60 * r());
      else if (p.ties) v = Math.round(2 * normal(r));
      else v = p.scale * normal(r);
      out.push(prec === 'f64' ? v : Math.fround(v));
    }
  return out;
}

/** The values as the engine gets them: a typed array of the precision, or number[] (read as float32). */
export function asInput(values: number[], prec: Precision): Float | number[] {
  if (prec === 'number[]') return values.slice();
  return prec === 'f64' ? Float64Array.from(values) : Float32Array.from(values);
}

/** A value as the engine reads it (float32 unless the computation is f64). */
export function asRead(v: number, prec: Precision): number {
  return prec === 'f64' ? v : Math.fround(v);
}

/** gradOutput: absent, a number, or (for 'none') one per row / element. */
export function makeGradOutput(kind: 'default' | 'scalar' | 'array', reduction: Reduction, count: number, seed: number): number | number[] | undefined {
  if (kind === 'default') return undefined;
  if (kind === 'scalar' || reduction !== 'none') return -1.75;
  const r = rng(seed ^ 0x5bd1e995);
  return Array.from({ length: count }, () => (r() < 0.1 ? 0 : 4 * r() - 2));
}

export const gradKindArb = fc.constantFrom<'default' | 'scalar' | 'array'>('default', 'scalar', 'array');

export class Mismatch extends Error {}

/**
 * f32: losses 2e-5·max(1, |want|) (times `lossScale` for inputs that pass through a float32
 * function of their own, such as the cap's tanh), gradients 1e-6·max(1, amp) + 2e-5·|want|;
 * f64: 1e-12 + 1e-10·|want| (gradients 1e-12·max(1, amp) + 1e-10·|want|).
 */
export function tolerance(prec: Precision, kind: 'loss' | 'grad', want: number, amp = 0, lossScale = 1): number {
  const a = Math.abs(want);
  if (prec === 'f64') return kind === 'loss' ? 1e-12 + 1e-10 * a : 1e-12 * Math.max(1, amp) + 1e-10 * a;
  return kind === 'loss' ? 2e-5 * lossScale * Math.max(1, a) : 1e-6 * Math.max(1, amp) + 2e-5 * a;
}

function close(got: number, want: number, tol: number): boolean {
  if (Number.isNaN(want)) return Number.isNaN(got);
  if (!Number.isFinite(want)) return got === want;
  return Math.abs(got - want) <= tol;
}

/** A number, or an array of the computation's type, equal to `want` within tolerance. */
export function expectValues(
  what: string,
  got: unknown,
  want: number | ArrayLike<number>,
  prec: Precision,
  kind: 'loss' | 'grad',
  amp?: ArrayLike<number>,
  lossScale = 1,
): void {
  if (typeof want === 'number') {
    if (typeof got !== 'number') throw new Mismatch(`${what}: expected a number, got ${String(got)}`);
    const tol = tolerance(prec, kind, want, 0, lossScale);
    if (!close(got, want, tol)) throw new Mismatch(`${what}: got ${got}, want ${want} (|Δ| ${Math.abs(got - want)}, tolerance ${tol})`);
    return;
  }
  const Type = prec === 'f64' ? Float64Array : Float32Array;
  if (!(got instanceof Type)) throw new Mismatch(`${what}: expected a ${Type.name}, got ${String(got)}`);
  if (got.length !== want.length) throw new Mismatch(`${what}: length ${got.length}, expected ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    const tol = tolerance(prec, kind, want[i], amp ? amp[i] : 0, lossScale);
    if (!close(got[i], want[i], tol)) {
      throw new Mismatch(`${what}[${i}]: got ${got[i]}, want ${want[i]} (|Δ| ${Math.abs(got[i] - want[i])}, tolerance ${tol})`);
    }
  }
}

/** Runs a property with a seed fixed by its name, so runs are reproducible. */
export function assertProperty<T>(name: string, arb: fc.Arbitrary<T>, check: (v: T) => void, numRuns = 100): void {
  let seed = 2166136261;
  for (let i = 0; i < name.length; i++) seed = Math.imul(seed ^ name.charCodeAt(i), 16777619);
  fc.assert(fc.property(arb, (v) => check(v)), { seed: seed | 0, numRuns });
}

/** Exactly the same numbers (NaN equals NaN), for in-place and repeat calls. */
export function expectIdentical(what: string, got: ArrayLike<number> | number, want: ArrayLike<number> | number): void {
  const g = typeof got === 'number' ? [got] : got;
  const w = typeof want === 'number' ? [want] : want;
  if (g.length !== w.length) throw new Mismatch(`${what}: length ${g.length}, want ${w.length}`);
  for (let i = 0; i < w.length; i++) {
    if (g[i] === w[i] || (Number.isNaN(g[i]) && Number.isNaN(w[i]))) continue;
    throw new Mismatch(`${what}[${i}]: got ${g[i]}, want ${w[i]} (must be identical)`);
  }
}
