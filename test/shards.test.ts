/**
 * Shards that combine exactly, on every backend: a batch split by rows (partial sums with their
 * denominators) and a vocabulary split by columns (row states, mergeRowStates, gradient slices)
 * give the loss and gradient of the whole batch, with weights, ignoreIndex and label smoothing.
 */
import { describe, expect, it } from 'vitest';
import { BACKENDS, engineFor, expectClose } from './backends.js';
import { mergeRowStates, type Engine, type RowStates } from '../src/index.js';
import { rng } from './random.js';


interface Batch {
  n: number;
  c: number;
  logits: Float32Array | Float64Array;
  labels: Int32Array;
  weight: Float32Array | Float64Array;
}

/** Logits ~ 3·U(-1, 1) (some -inf masks off the target), labels with a few ignored (-100), weights in [0.5, 2). */
function batch(n: number, c: number, seed: number, f64 = false, masks = false): Batch {
  const r = rng(seed);
  const labels = Int32Array.from({ length: n }, () => (r() < 0.15 ? -100 : Math.floor(r() * c)));
  const values = Array.from({ length: n * c }, (_, i) => {
    const masked = masks && labels[Math.floor(i / c)] !== i % c && r() < 0.3;
    return masked ? -Infinity : 3 * (2 * r() - 1);
  });
  const logits = f64 ? Float64Array.from(values) : Float32Array.from(values);
  const w = Array.from({ length: c }, () => 0.5 + 1.5 * r());
  return { n, c, logits, labels, weight: f64 ? Float64Array.from(w) : Float32Array.from(w) };
}

/** Columns [c0, c1) of every row. */
function columns<T extends Float32Array | Float64Array>(x: T, n: number, c: number, c0: number, c1: number): T {
  const Ctor = x.constructor as new (len: number) => T;
  const out = new Ctor(n * (c1 - c0));
  for (let r = 0; r < n; r++) out.set(x.subarray(r * c + c0, r * c + c1), r * (c1 - c0));
  return out;
}

/** Cut points splitting [0, len) into `parts` uneven pieces. */
function cuts(len: number, parts: number): number[] {
  const at = [0];
  for (let i = 1; i < parts; i++) at.push(Math.round((len * i * i) / (parts * parts)) || i);
  at.push(len);
  return at;
}

const OPTION_SETS = [
  {},
  { weight: true },
  { labelSmoothing: 0.1 },
  { weight: true, labelSmoothing: 0.2, ignoreIndex: -100 },
] as const;

for (const backend of BACKENDS) {
  describe(`shards on ${backend}`, () => {
    let engine: Engine;
    const get = async () => (engine ??= await engineFor(backend));

    for (const f64 of [false, true]) {
      const rel = f64 ? 1e-12 : 2e-6;
      const prec = f64 ? 'f64' : 'f32';
      for (const o of OPTION_SETS) {
        const label = `${prec} ${JSON.stringify(o)}`;
        for (const parts of [2, 3]) {
          it(`batch split in ${parts} by rows: Σ sum / Σ denominator is the mean, and the gradients concatenate (${label})`, async () => {
            const e = await get();
            const b = batch(57, 23, 7 + parts, f64);
            const opts = { classes: b.c, weight: 'weight' in o ? b.weight : undefined, labelSmoothing: 'labelSmoothing' in o ? o.labelSmoothing : undefined };
            const whole = e.softmaxCrossEntropyWithGrad(b.logits, b.labels, opts);
            const at = cuts(b.n, parts);
            const partials = at.slice(0, -1).map((r0, i) =>
              e.softmaxCrossEntropyPartial(b.logits.subarray(r0 * b.c, at[i + 1] * b.c), b.labels.subarray(r0, at[i + 1]), opts),
            );
            const sum = partials.reduce((s, p) => s + p.sum, 0);
            const denominator = partials.reduce((s, p) => s + p.denominator, 0);
            expectClose(sum / denominator, whole.loss as number, rel);
            expectClose(sum, e.softmaxCrossEntropy(b.logits, b.labels, { ...opts, reduction: 'sum' }) as number, rel);
            const grad = new (f64 ? Float64Array : Float32Array)(b.n * b.c);
            at.slice(0, -1).forEach((r0, i) => {
              const p = e.softmaxCrossEntropyPartialWithGrad(b.logits.subarray(r0 * b.c, at[i + 1] * b.c), b.labels.subarray(r0, at[i + 1]), {
                ...opts,
                gradOutput: 1 / denominator,
              });
              expectClose(p.sum, partials[i].sum, 0);
              expect(p.denominator).toBe(partials[i].denominator);
              grad.set(p.grad, r0 * b.c);
            });
            expectClose(grad, whole.grad, rel, f64 ? 1e-15 : 1e-9);
          });

          it(`vocabulary split in ${parts} by columns: merged states give the loss, lse and gradient (${label})`, async () => {
            const e = await get();
            const b = batch(41, 37, 11 + parts, f64, true);
            const base = { labelSmoothing: 'labelSmoothing' in o ? o.labelSmoothing : undefined, ignoreIndex: -100 };
            const weighted = 'weight' in o;
            const at = cuts(b.c, parts);
            const slices = at.slice(0, -1).map((c0, i) => ({ c0, c1: at[i + 1], x: columns(b.logits, b.n, b.c, c0, at[i + 1]) }));
            // States in shuffled order: the merge sorts them by classOffset.
            const states: RowStates[] = slices
              .map((s) =>
                e.softmaxCrossEntropyRowStates(s.x, b.labels, {
                  ...base, classes: s.c1 - s.c0, classOffset: s.c0, weight: weighted ? b.weight.subarray(s.c0, s.c1) : undefined,
                }),
              )
              .reverse();
            const full = { ...base, classes: b.c, weight: weighted ? b.weight : undefined };
            for (const reduction of ['mean', 'sum', 'none'] as const) {
              const merged = mergeRowStates(states, { reduction });
              const want = e.softmaxCrossEntropy(b.logits, b.labels, { ...full, reduction });
              expectClose(merged.loss as number | Float64Array, want as number | Float32Array, rel, f64 ? 0 : 1e-6);
              const gradOutput = reduction === 'none' ? Float64Array.from({ length: b.n }, (_, r) => 1 + (r % 3)) : 0.5;
              const wantGrad = e.softmaxCrossEntropyWithGrad(b.logits, b.labels, {
                ...full, reduction, gradOutput: f64 ? gradOutput : typeof gradOutput === 'number' ? gradOutput : Float32Array.from(gradOutput),
              }).grad;
              const grad = new (f64 ? Float64Array : Float32Array)(b.n * b.c);
              for (const [i, s] of slices.entries()) {
                const g = e.softmaxCrossEntropyShardGrad(s.x, states[slices.length - 1 - i], merged, { gradOutput });
                for (let r = 0; r < b.n; r++) grad.set(g.subarray(r * (s.c1 - s.c0), (r + 1) * (s.c1 - s.c0)), r * b.c + s.c0);
              }
              expectClose(grad, wantGrad, rel, f64 ? 1e-14 : 1e-7);
            }
            // lse per row against a float64 log-sum-exp of the row.
            const { lse } = mergeRowStates(states);
            for (let r = 0; r < b.n; r++) {
              const row = Array.from(b.logits.subarray(r * b.c, (r + 1) * b.c));
              const m = Math.max(...row);
              expectClose(lse[r], m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0)), f64 ? 1e-14 : 1e-6);
            }
          });
        }
      }
    }

    it('a shard masked (-inf) on a whole row, rows wider than a staging block, in-place shard gradients', async () => {
      const e = await get();
      const n = 3;
      const c = 70_001;
      const b = batch(n, c, 5);
      b.labels.set([5, -100, 69_000]);
      // Row 0: every class of the second shard is masked.
      b.logits.fill(-Infinity, 40_000, c);
      const at = [0, 40_000, c];
      const xs = [columns(b.logits, n, c, 0, 40_000), columns(b.logits, n, c, 40_000, c)];
      const opts = { weight: b.weight, labelSmoothing: 0.05 };
      const states = xs.map((x, i) =>
        e.softmaxCrossEntropyRowStates(x, b.labels, { classes: at[i + 1] - at[i], classOffset: at[i], weight: b.weight.subarray(at[i], at[i + 1]), labelSmoothing: 0.05 }),
      );
      expect(states[1].max[0]).toBe(-Infinity);
      expect(states[1].sumExp[0]).toBe(0);
      const merged = mergeRowStates(states, { reduction: 'sum' });
      const whole = e.softmaxCrossEntropyWithGrad(b.logits, b.labels, { ...opts, classes: c, reduction: 'sum' });
      // Label smoothing over masked classes: an infinite loss, as PyTorch gives.
      expect(merged.loss).toBe(Infinity);
      expect(whole.loss).toBe(Infinity);
      const without = mergeRowStates(
        xs.map((x, i) => e.softmaxCrossEntropyRowStates(x, b.labels, { classes: at[i + 1] - at[i], classOffset: at[i], weight: b.weight.subarray(at[i], at[i + 1]) })),
        { reduction: 'sum' },
      );
      expectClose(without.loss as number, e.softmaxCrossEntropy(b.logits, b.labels, { classes: c, weight: b.weight, reduction: 'sum' }) as number, 2e-6);
      for (const [i, x] of xs.entries()) {
        const g = e.softmaxCrossEntropyShardGrad(x, states[i], merged, { gradOut: x });
        expect(g).toBe(x);
        const want = columns(whole.grad as Float32Array, n, c, at[i], at[i + 1]);
        expectClose(g, want, 2e-6, 1e-9);
      }
    });

    it('edge cases: ignored rows, NaN rows, every row ignored', async () => {
      const e = await get();
      const x = Float32Array.from([1, 2, NaN, 4, 0, 0, 5, 6, 7, 8, 9, 10]); // 3 rows x 4
      const labels = Int32Array.from([3, 0, -100]);
      const a = e.softmaxCrossEntropyRowStates(x.subarray(0, 0), new Int32Array(0), { classes: 1, classOffset: 0 });
      expect(a.rows).toBe(0);
      expect(mergeRowStates([a]).loss).toBe(0);
      const s = [0, 2].map((c0) => e.softmaxCrossEntropyRowStates(columns(x, 3, 4, c0, c0 + 2), labels, { classes: 2, classOffset: c0 }));
      const m = mergeRowStates(s, { reduction: 'none' });
      const want = e.softmaxCrossEntropy(x, labels, { classes: 4, reduction: 'none' }) as Float32Array;
      expect(Number.isNaN((m.loss as Float64Array)[0])).toBe(true);
      expectClose((m.loss as Float64Array).subarray(1), want.subarray(1), 1e-6);
      expect((m.loss as Float64Array)[2]).toBe(0);
      const g = e.softmaxCrossEntropyShardGrad(columns(x, 3, 4, 0, 2), s[0], m);
      expect(Array.from(g.subarray(4))).toEqual([0, 0]);
      const allIgnored = Int32Array.from([-100, -100, -100]);
      const z = mergeRowStates([0, 2].map((c0) => e.softmaxCrossEntropyRowStates(columns(x, 3, 4, c0, c0 + 2), allIgnored, { classes: 2, classOffset: c0 })));
      expect(z.loss).toBe(0);
      expect(z.denominator).toBe(0);
    });

    it('errors: shards that do not tile the classes, labels outside them, mismatched states, reduction on a partial', async () => {
      const e = await get();
      const x = new Float32Array(12);
      const labels = Int32Array.from([0, 5, 1]);
      const s0 = e.softmaxCrossEntropyRowStates(x.subarray(0, 6), labels, { classes: 2, classOffset: 0 });
      const s2 = e.softmaxCrossEntropyRowStates(x.subarray(0, 6), labels, { classes: 2, classOffset: 3 });
      expect(() => mergeRowStates([s0, s2])).toThrow(/tile the classes/);
      const s1 = e.softmaxCrossEntropyRowStates(x.subarray(0, 3), labels, { classes: 1, classOffset: 2 });
      expect(() => mergeRowStates([s0, s1, s2])).toThrow(/labels\[1\] = 5 is outside \[0, 5\)/);
      expect(() => mergeRowStates([])).toThrow(TypeError);
      const other = e.softmaxCrossEntropyRowStates(x.subarray(0, 6), Int32Array.from([0, 1, 1]), { classes: 2, classOffset: 2 });
      expect(() => mergeRowStates([s0, other])).toThrow(/different labels/);
      const ok = mergeRowStates([s0, e.softmaxCrossEntropyRowStates(x.subarray(0, 12), labels, { classes: 4, classOffset: 2 })]);
      expect(() => e.softmaxCrossEntropyShardGrad(x.subarray(0, 6), other, ok)).toThrow(/not those of a shard of this merge/);
      expect(() => e.softmaxCrossEntropyShardGrad(x.subarray(0, 4), s0, ok)).toThrow(/logits has length 4, expected 6/);
      expect(() => e.softmaxCrossEntropyRowStates(x, labels, { classes: 4, classOffset: -1 })).toThrow(/classOffset must be a non-negative integer/);
      expect(() => e.softmaxCrossEntropyRowStates(x, Int32Array.from([0, -3, 1]), { classes: 4 })).toThrow(/labels\[1\] = -3/);
      expect(() => e.softmaxCrossEntropyPartial(x, labels, { classes: 4, reduction: 'mean' } as object)).toThrow(/'reduction' does not apply/);
      expect(() => e.softmaxCrossEntropyRowStates(x, labels, { classes: 4, class_offset: 1 } as object)).toThrow(/did you mean 'classOffset'/);
    });
  });
}
