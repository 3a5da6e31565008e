// Every WebAssembly build's Kernels against a plain float64 reference written here: random
// shapes, weights, smoothing, ignoreIndex, -inf masks, NaN rows, in-place gradients, arrays
// living in wasm memory, memory growth, and the 512 x 50257 loss to 1e-6 relative.
import { describe, expect, it, vi } from 'vitest';
import type { FloatArray, Kernels } from '../src/kernels/kernel.js';
import { EXP_F32, SUM_F32 } from '../src/kernels/diagnostics.js';
import { SPARSE_XENT } from '../src/losses/softmax-cross-entropy.js';
import { DENSE_XENT } from '../src/losses/softmax-cross-entropy-dense.js';
import { SIGMOID_XENT } from '../src/losses/sigmoid-cross-entropy.js';
import { CROSS_ENTROPY, ENTROPY, KL_DIVERGENCE } from '../src/losses/probabilities.js';
import { LOG_SOFTMAX, SOFTMAX } from '../src/losses/softmax.js';
import {
  WASM_VARIANTS, compileWasmVariant, createWasmKernels, supportedWasmVariants, type WasmKernels, type WasmVariant,
} from '../src/backends/wasm.js';
import { rng } from './random.js';

// ---- float64 reference ----------------------------------------------------------------------

interface Ref {
  rows: number[];
  grad: number[];
}

function rowMaxSumExp(x: ArrayLike<number>, o: number, c: number): { m: number; s: number } {
  let m = -Infinity;
  for (let k = 0; k < c; k++) m = Math.max(m, x[o + k]);
  let s = 0;
  for (let k = 0; k < c; k++) s += Math.exp(x[o + k] - m);
  return { m, s };
}

function sparseRef(
  x: ArrayLike<number>, labels: ArrayLike<number>, n: number, c: number, w: ArrayLike<number> | null,
  ignore: number, eps: number, scale: number, rowScale: ArrayLike<number> | null,
): Ref {
  const rows: number[] = [];
  const grad = new Array<number>(n * c).fill(0);
  const wk = (k: number) => (w ? w[k] : 1);
  let wsum = 0;
  for (let k = 0; k < c; k++) wsum += wk(k);
  for (let r = 0; r < n; r++) {
    const y = labels[r];
    if (y === ignore) {
      rows.push(0);
      continue;
    }
    const o = r * c;
    const { m, s } = rowMaxSumExp(x, o, c);
    const lse = m + Math.log(s);
    let loss = (1 - eps) * wk(y) * (lse - x[o + y]);
    if (eps > 0) {
      let t = 0;
      for (let k = 0; k < c; k++) t += wk(k) * (lse - x[o + k]);
      loss += (eps / c) * t;
    }
    rows.push(loss);
    const sc = rowScale ? rowScale[r] : scale;
    const a = (1 - eps) * wk(y) + (eps / c) * wsum;
    for (let k = 0; k < c; k++) {
      const p = Math.exp(x[o + k] - m) / s;
      grad[o + k] = sc * (a * p - (k === y ? (1 - eps) * wk(y) : 0) - (eps / c) * wk(k));
    }
  }
  return { rows, grad };
}

function denseRef(
  x: ArrayLike<number>, t: ArrayLike<number>, n: number, c: number, w: ArrayLike<number> | null,
  eps: number, scale: number, rowScale: ArrayLike<number> | null,
): Ref {
  const rows: number[] = [];
  const grad = new Array<number>(n * c).fill(0);
  for (let r = 0; r < n; r++) {
    const o = r * c;
    const { m, s } = rowMaxSumExp(x, o, c);
    const lse = m + Math.log(s);
    let loss = 0;
    let wt = 0;
    const wts: number[] = [];
    for (let k = 0; k < c; k++) {
      const v = (w ? w[k] : 1) * ((1 - eps) * t[o + k] + eps / c);
      wts.push(v);
      wt += v;
      if (v !== 0) loss += v * (lse - x[o + k]);
    }
    rows.push(loss);
    const sc = rowScale ? rowScale[r] : scale;
    for (let k = 0; k < c; k++) grad[o + k] = sc * ((Math.exp(x[o + k] - m) / s) * wt - wts[k]);
  }
  return { rows, grad };
}

function sigmoidRef(
  x: ArrayLike<number>, t: ArrayLike<number>, n: number, c: number, w: ArrayLike<number> | null,
  perElement: boolean, pw: ArrayLike<number> | null, scale: number, elemScale: ArrayLike<number> | null,
): Ref {
  const rows: number[] = [];
  const grad: number[] = [];
  for (let i = 0; i < n * c; i++) {
    const k = i % c;
    const xi = x[i];
    const ti = t[i];
    const wi = w ? w[perElement ? i : k] : 1;
    const pwk = pw ? pw[k] : 1;
    const lw = 1 + (pwk - 1) * ti;
    // (1−t)·x + lw·softplus(−x), with the x·(...) terms combined so nothing cancels.
    rows.push(wi * ((xi >= 0 ? (1 - ti) * xi : -pwk * ti * xi) + lw * Math.log1p(Math.exp(-Math.abs(xi)))));
    const sig = 1 / (1 + Math.exp(xi));
    grad.push((elemScale ? elemScale[i] : scale) * wi * (1 - ti - lw * sig));
  }
  return { rows, grad };
}

function probRef(kind: 'ce' | 'h' | 'kl', p: ArrayLike<number>, q: ArrayLike<number> | null, n: number, c: number): number[] {
  const rows: number[] = [];
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let k = 0; k < c; k++) {
      const pv = p[r * c + k];
      if (pv === 0) continue;
      if (kind === 'ce') s -= pv * Math.log(q![r * c + k]);
      else if (kind === 'h') s -= pv * Math.log(pv);
      else s += pv * (Math.log(pv) - Math.log(q![r * c + k]));
    }
    rows.push(s);
  }
  return rows;
}

function softmaxRef(x: ArrayLike<number>, n: number, c: number, log: boolean): number[] {
  const out: number[] = [];
  for (let r = 0; r < n; r++) {
    const { m, s } = rowMaxSumExp(x, r * c, c);
    for (let k = 0; k < c; k++) {
      const d = x[r * c + k] - m;
      out.push(log ? d - Math.log(s) : Math.exp(d) / s);
    }
  }
  return out;
}

// ---- helpers --------------------------------------------------------------------------------


type Ctor = Float32ArrayConstructor | Float64ArrayConstructor;

function filled(T: Ctor, len: number, f: (i: number) => number): FloatArray {
  const a = new T(len);
  for (let i = 0; i < len; i++) a[i] = f(i);
  return a;
}

/** |a − e| ≤ atol + rtol·|e| elementwise; NaN must meet NaN, ±inf must match exactly. */
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e) || !Number.isFinite(e)) {
      if (!Object.is(a, e) && !(Number.isNaN(a) && Number.isNaN(e))) {
        throw new Error(`${what}[${i}]: got ${a}, want ${e}`);
      }
      continue;
    }
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      throw new Error(`${what}[${i}]: got ${a}, want ${e} (diff ${Math.abs(a - e)})`);
    }
  }
}

const sum = (v: number[]): number => v.reduce((s, x) => s + x, 0);

/** Tolerances by precision: f32 kernels against float64 math on the same (f32) inputs. */
const TOL = {
  f32: { rtol: 2e-6, atol: 2e-6 },
  f64: { rtol: 1e-12, atol: 1e-13 },
};

const variants = WASM_VARIANTS;
const supported = supportedWasmVariants();
const SHAPES: [number, number][] = [[1, 1], [7, 1], [5, 3], [9, 5], [13, 17], [6, 1000], [3, 4099], [2, 33]];

describe.each(variants)('%s kernels', (variant) => {
  const run = supported.includes(variant) ? it : it.skip;
  const k = () => createWasmKernels(variant);

  describe.each([['f32', Float32Array], ['f64', Float64Array]] as const)('%s', (prec, T) => {
    const { rtol, atol } = TOL[prec];

    run('sparse: loss and gradient with weights, smoothing, ignoreIndex, row scales', () => {
      const kern = k();
      const rand = rng(1);
      for (const [n, c] of SHAPES) {
        for (const weighted of [false, true]) {
          for (const eps of [0, 0.1]) {
            for (const perRow of [false, true]) {
              const x = filled(T, n * c, () => (rand() - 0.5) * 20);
              const labels = new Int32Array(n).map(() => Math.floor(rand() * c));
              if (n > 2) labels[1] = -100;
              const w = weighted ? filled(T, c, () => 0.2 + rand() * 2) : null;
              const rowScale = perRow ? filled(T, n, () => rand() * 3) : null;
              const rowLoss = new T(n);
              const grad = new T(n * c);
              const total = kern.run(SPARSE_XENT, {
                logits: x, labels, n, c, weight: w, ignoreIndex: -100, smoothing: eps,
                rowLoss, grad, gradScale: 0.7, rowScale,
              });
              const ref = sparseRef(x, labels, n, c, w, -100, eps, 0.7, rowScale);
              const what = `sparse ${n}x${c} w=${weighted} eps=${eps}`;
              expectClose(rowLoss, ref.rows, rtol, atol, `${what} rowLoss`);
              expectClose([total], [sum(ref.rows)], rtol, atol, `${what} total`);
              expectClose(grad, ref.grad, rtol * 5, atol, `${what} grad`);
              const lossOnly = kern.run(SPARSE_XENT, {
                logits: x, labels, n, c, weight: w, ignoreIndex: -100, smoothing: eps,
                rowLoss: null, grad: null, gradScale: 1, rowScale: null,
              });
              expect(lossOnly).toBe(total);
            }
          }
        }
      }
    });

    run('dense: loss and gradient with weights and smoothing', () => {
      const kern = k();
      const rand = rng(2);
      for (const [n, c] of SHAPES) {
        for (const weighted of [false, true]) {
          for (const eps of [0, 0.2]) {
            const x = filled(T, n * c, () => (rand() - 0.5) * 16);
            const t = filled(T, n * c, () => rand());
            for (let r = 0; r < n; r++) {
              let s = 0;
              for (let j = 0; j < c; j++) s += t[r * c + j];
              for (let j = 0; j < c; j++) t[r * c + j] /= s;
            }
            const w = weighted ? filled(T, c, () => 0.2 + rand() * 2) : null;
            const rowLoss = new T(n);
            const grad = new T(n * c);
            const total = kern.run(DENSE_XENT, { logits: x, targets: t, n, c, weight: w, smoothing: eps, rowLoss, grad, gradScale: 1.5, rowScale: null });
            const ref = denseRef(x, t, n, c, w, eps, 1.5, null);
            const what = `dense ${n}x${c} w=${weighted} eps=${eps}`;
            expectClose(rowLoss, ref.rows, rtol, atol, `${what} rowLoss`);
            expectClose([total], [sum(ref.rows)], rtol, atol, `${what} total`);
            expectClose(grad, ref.grad, rtol * 5, atol, `${what} grad`);
          }
        }
      }
    });

    run('sigmoid: loss and gradient with class / element weights, posWeight, element scales', () => {
      const kern = k();
      const rand = rng(3);
      for (const [n, c] of SHAPES) {
        for (const mode of ['none', 'class', 'element'] as const) {
          const x = filled(T, n * c, () => (rand() - 0.5) * 30);
          const t = filled(T, n * c, () => (rand() < 0.3 ? rand() : Math.round(rand())));
          const w = mode === 'none' ? null : filled(T, mode === 'class' ? c : n * c, () => rand() * 2);
          const pw = mode === 'none' ? null : filled(T, c, () => 0.5 + rand() * 3);
          const elemScale = mode === 'element' ? filled(T, n * c, () => rand()) : null;
          const elemLoss = new T(n * c);
          const grad = new T(n * c);
          const total = kern.run(SIGMOID_XENT, {
            logits: x, targets: t, n, c, weight: w, weightPerElement: mode === 'element', posWeight: pw,
            elemLoss, grad, gradScale: 0.25, elemScale,
          });
          const ref = sigmoidRef(x, t, n, c, w, mode === 'element', pw, 0.25, elemScale);
          const what = `sigmoid ${n}x${c} ${mode}`;
          expectClose(elemLoss, ref.rows, rtol * 2, atol, `${what} elemLoss`);
          expectClose([total], [sum(ref.rows)], rtol, atol * n * c, `${what} total`);
          expectClose(grad, ref.grad, rtol * 2, atol, `${what} grad`);
        }
      }
    });

    run('sigmoid: extreme logits keep tiny nonzero losses; no cancellation; ±inf as PyTorch', () => {
      const x = filled(T, 9, (i) => [100, -100, 40, -40, 0, 17, -91.5, -Infinity, Infinity][i]);
      const t = filled(T, 9, (i) => [1, 0, 1, 0, 0.5, 1, 0.002, 0.5, 0][i]);
      const elemLoss = new T(9);
      k().run(SIGMOID_XENT, { logits: x, targets: t, n: 1, c: 9, weight: null, weightPerElement: false, posWeight: null, elemLoss, grad: null, gradScale: 1, elemScale: null });
      // f32 results this small are subnormal: allow two steps of 2^-149.
      const ref = sigmoidRef(x, t, 1, 9, null, false, null, 1, null).rows;
      expectClose(elemLoss.subarray(0, 7), ref.slice(0, 7), rtol * 2, prec === 'f32' ? 2 ** -148 : 0, 'elemLoss');
      // PyTorch, (1−t)·x − lw·log_sigmoid(x): NaN at x = -inf, +inf at x = +inf with t < 1.
      expect(elemLoss[7]).toBeNaN();
      expect(elemLoss[8]).toBe(Infinity);
    });

    run('crossEntropy, entropy, klDivergence on probabilities, with zeros', () => {
      const kern = k();
      const rand = rng(4);
      for (const [n, c] of SHAPES) {
        const p = filled(T, n * c, () => (rand() < 0.2 ? 0 : rand()));
        const q = filled(T, n * c, () => rand() + 1e-3);
        if (n * c > 3) {
          q[2] = 0;
          p[2] = 0;
        }
        for (const kind of ['ce', 'h', 'kl'] as const) {
          const rowLoss = new T(n);
          const args = { p, q: kind === 'h' ? null : q, n, c, rowLoss };
          const total = kern.run(kind === 'ce' ? CROSS_ENTROPY : kind === 'h' ? ENTROPY : KL_DIVERGENCE, args);
          const ref = probRef(kind, p, q, n, c);
          expectClose(rowLoss, ref, rtol * 2, atol * c, `${kind} ${n}x${c} rowLoss`);
          expectClose([total], [sum(ref)], rtol * 2, atol * n * c, `${kind} ${n}x${c} total`);
        }
      }
      const p = filled(T, 4, (i) => [0.5, 0.5, 0, 1e-30][i]);
      const q = filled(T, 4, (i) => [0, 1, 0, 0.5][i]);
      const rowLoss = new T(2);
      kern.run(CROSS_ENTROPY, { p, q, n: 2, c: 2, rowLoss });
      expect(rowLoss[0]).toBe(Infinity);
      expect(rowLoss[1]).toBeGreaterThan(0);
    });

    run('softmax and logSoftmax, into a separate array and in place', () => {
      const kern = k();
      const rand = rng(5);
      for (const [n, c] of SHAPES) {
        const x = filled(T, n * c, () => (rand() - 0.5) * 40);
        x[0] = -Infinity;
        if (c > 1) x[1] = 50;
        for (const log of [false, true]) {
          const ref = softmaxRef(x, n, c, log);
          const out = new T(n * c);
          kern.run(log ? LOG_SOFTMAX : SOFTMAX, { x, n, c, out });
          expectClose(out, ref, rtol * 2, log ? atol * 10 : atol, `${log ? 'log' : ''}softmax ${n}x${c}`);
          const inPlace = x.slice();
          kern.run(log ? LOG_SOFTMAX : SOFTMAX, { x: inPlace, n, c, out: inPlace });
          expect(Array.from(inPlace)).toEqual(Array.from(out));
        }
      }
    });

    run('in-place gradient (grad is the logits array) gives the same numbers', () => {
      const kern = k();
      const rand = rng(6);
      for (const [n, c] of SHAPES) {
        const x = filled(T, n * c, () => (rand() - 0.5) * 10);
        const labels = new Int32Array(n).map(() => Math.floor(rand() * c));
        const t = filled(T, n * c, () => rand() / c);
        for (const eps of [0, 0.1]) {
          const grad = new T(n * c);
          const base = { labels, n, c, weight: null, ignoreIndex: -100, smoothing: eps, gradScale: 1, rowScale: null };
          const l1 = kern.run(SPARSE_XENT, { ...base, logits: x, rowLoss: null, grad });
          const same = x.slice();
          const l2 = kern.run(SPARSE_XENT, { ...base, logits: same, rowLoss: null, grad: same });
          expect(l2).toBe(l1);
          expect(Array.from(same)).toEqual(Array.from(grad));
          // The same array through a second view object (same buffer, offset, length).
          const again = x.slice();
          const alias = new T(again.buffer, again.byteOffset, again.length);
          kern.run(SPARSE_XENT, { ...base, logits: again, rowLoss: null, grad: alias });
          expect(Array.from(again)).toEqual(Array.from(grad));

          const dgrad = new T(n * c);
          const dbase = { targets: t, n, c, weight: null, smoothing: eps, gradScale: 1, rowScale: null, rowLoss: null };
          const d1 = kern.run(DENSE_XENT, { ...dbase, logits: x, grad: dgrad });
          const dsame = x.slice();
          expect(kern.run(DENSE_XENT, { ...dbase, logits: dsame, grad: dsame })).toBe(d1);
          expect(Array.from(dsame)).toEqual(Array.from(dgrad));

          const sgrad = new T(n * c);
          const sbase = { targets: t, n, c, weight: null, weightPerElement: false, posWeight: null, elemLoss: null, gradScale: 1, elemScale: null };
          const s1 = kern.run(SIGMOID_XENT, { ...sbase, logits: x, grad: sgrad });
          const ssame = x.slice();
          expect(kern.run(SIGMOID_XENT, { ...sbase, logits: ssame, grad: ssame })).toBe(s1);
          expect(Array.from(ssame)).toEqual(Array.from(sgrad));
        }
      }
    });

    run('-inf logits are masks: finite loss, exactly 0 gradient (ε = 0); ε > 0 gives +inf loss, finite gradient', () => {
      const kern = k();
      const rand = rng(7);
      for (const c of [5, 17, 1000]) {
        const n = 4;
        const x = filled(T, n * c, () => (rand() - 0.5) * 10);
        const labels = new Int32Array(n).map((_, r) => r % c);
        for (let r = 0; r < n; r++) for (let j = 0; j < c; j++) if (j !== labels[r] && (j + r) % 3 === 0) x[r * c + j] = -Infinity;
        const rowLoss = new T(n);
        const grad = new T(n * c);
        kern.run(SPARSE_XENT, { logits: x, labels, n, c, weight: null, ignoreIndex: -100, smoothing: 0, rowLoss, grad, gradScale: 1, rowScale: null });
        const ref = sparseRef(x, labels, n, c, null, -100, 0, 1, null);
        expectClose(rowLoss, ref.rows, rtol, atol, 'masked rowLoss');
        for (let i = 0; i < n * c; i++) {
          if (x[i] === -Infinity) expect(Object.is(grad[i], 0), `grad[${i}] = ${grad[i]}`).toBe(true);
          else expect(Number.isFinite(grad[i])).toBe(true);
        }
        const sm = new T(n);
        const sg = new T(n * c);
        kern.run(SPARSE_XENT, { logits: x, labels, n, c, weight: null, ignoreIndex: -100, smoothing: 0.1, rowLoss: sm, grad: sg, gradScale: 1, rowScale: null });
        for (let r = 0; r < n; r++) expect(sm[r]).toBe(Infinity);
        expectClose(sg, sparseRef(x, labels, n, c, null, -100, 0.1, 1, null).grad, rtol * 5, atol, 'smoothed masked grad');

        // Dense: a -inf logit with zero target adds 0, not 0·inf.
        const t = filled(T, n * c, (i) => (x[i] === -Infinity ? 0 : 1 / c));
        const dl = new T(n);
        const dg = new T(n * c);
        kern.run(DENSE_XENT, { logits: x, targets: t, n, c, weight: null, smoothing: 0, rowLoss: dl, grad: dg, gradScale: 1, rowScale: null });
        const dref = denseRef(x, t, n, c, null, 0, 1, null);
        expectClose(dl, dref.rows, rtol, atol, 'masked dense rowLoss');
        for (let i = 0; i < n * c; i++) if (x[i] === -Infinity) expect(Object.is(dg[i], 0)).toBe(true);
      }
    });

    run('NaN logits poison their own row only; ignored rows are 0 even with NaN logits', () => {
      const kern = k();
      const rand = rng(8);
      for (const c of [3, 17, 1000]) {
        const n = 4;
        const x = filled(T, n * c, () => rand() * 4);
        x[1 * c + (c - 1)] = NaN; // row 1: NaN, labelled
        x[2 * c] = NaN; // row 2: NaN, ignored
        x[2 * c + 1] = -Infinity;
        const labels = new Int32Array([0, 0, -100, c - 1]);
        const rowLoss = new T(n);
        const grad = new T(n * c).fill(7);
        const total = kern.run(SPARSE_XENT, { logits: x, labels, n, c, weight: null, ignoreIndex: -100, smoothing: 0, rowLoss, grad, gradScale: 1, rowScale: null });
        expect(total).toBeNaN();
        expect(Number.isFinite(rowLoss[0]) && Number.isFinite(rowLoss[3])).toBe(true);
        expect(rowLoss[1]).toBeNaN();
        expect(Object.is(rowLoss[2], 0)).toBe(true);
        for (let j = 0; j < c; j++) {
          expect(grad[1 * c + j]).toBeNaN();
          expect(Object.is(grad[2 * c + j], 0)).toBe(true);
          expect(Number.isFinite(grad[j]) && Number.isFinite(grad[3 * c + j])).toBe(true);
        }
        const t = filled(T, n * c, () => 1 / c);
        const dl = new T(n);
        kern.run(DENSE_XENT, { logits: x, targets: t, n, c, weight: null, smoothing: 0, rowLoss: dl, grad: null, gradScale: 1, rowScale: null });
        expect(dl[1]).toBeNaN();
        expect(Number.isFinite(dl[0]) && Number.isFinite(dl[3])).toBe(true);
        const sm = new T(n * c);
        kern.run(SOFTMAX, { x, n, c, out: sm });
        for (let j = 0; j < c; j++) expect(sm[c + j]).toBeNaN();
        expect(Number.isFinite(sm[0])).toBe(true);
      }
    });

    run('ignoreIndex may be a valid class index', () => {
      const x = filled(T, 6, (i) => i);
      const rowLoss = new T(2);
      const grad = new T(6);
      k().run(SPARSE_XENT, { logits: x, labels: new Int32Array([1, 2]), n: 2, c: 3, weight: null, ignoreIndex: 1, smoothing: 0, rowLoss, grad, gradScale: 1, rowScale: null });
      expect(rowLoss[0]).toBe(0);
      expect(Array.from(grad.subarray(0, 3))).toEqual([0, 0, 0]);
      expectClose([rowLoss[1]], sparseRef(x, [1, 2], 2, 3, null, 1, 0, 1, null).rows.slice(1), rtol, atol, 'row 1');
    });
  });

  run('arrays living in wasm memory are used in place (inputs and outputs, in-place grad)', () => {
    const kern = k();
    const rand = rng(9);
    const n = 300;
    const c = 1000;
    // An allocation may grow the memory and detach earlier views: allocate, then take views.
    const [rowLoss, grad, x] = [kern.allocF32(n), kern.allocF32(n * c), kern.allocF32(n * c)].map((a) => kern.view(a));
    for (let i = 0; i < x.length; i++) x[i] = (rand() - 0.5) * 10;
    const labels = new Int32Array(n).map(() => Math.floor(rand() * c));
    const total = kern.run(SPARSE_XENT, { logits: x, labels, n, c, weight: null, ignoreIndex: -100, smoothing: 0, rowLoss, grad, gradScale: 1, rowScale: null });
    const ref = sparseRef(x, labels, n, c, null, -100, 0, 1, null);
    expectClose([total], [sum(ref.rows)], 2e-6, 0, 'total');
    expectClose(kern.view(rowLoss), ref.rows, 2e-6, 2e-6, 'rowLoss in memory');
    expectClose(kern.view(grad), ref.grad, 1e-5, 2e-6, 'grad in memory');
    // Mixed: input in memory, output outside; then the in-place gradient in memory.
    const outside = new Float32Array(n * c);
    kern.run(SPARSE_XENT, { logits: kern.view(x), labels, n, c, weight: null, ignoreIndex: -100, smoothing: 0, rowLoss: null, grad: outside, gradScale: 1, rowScale: null });
    expect(Array.from(outside)).toEqual(Array.from(kern.view(grad)));
    const xs = kern.view(x);
    kern.run(SPARSE_XENT, { logits: xs, labels, n, c, weight: null, ignoreIndex: -100, smoothing: 0, rowLoss: null, grad: xs, gradScale: 1, rowScale: null });
    expect(Array.from(kern.view(x))).toEqual(Array.from(outside));
    for (const a of [x, rowLoss, grad]) kern.free(a);
  });

  run('memory growth: old views detach, view() restores them, later calls still correct', () => {
    const kern = k();
    const rand = rng(10);
    const small = kern.allocF32(64);
    small.fill(3);
    const before = kern.memory.buffer.byteLength;
    const big = kern.allocF32(4 << 20); // 16 MiB: forces growth
    expect(kern.memory.buffer.byteLength).toBeGreaterThan(before);
    expect(small.length).toBe(0); // detached by growth
    const again = kern.view(small);
    expect(again.length).toBe(64);
    expect(again.every((v) => v === 3)).toBe(true);
    // A call whose rows are wider than any before grows the scratch, with staged arrays.
    const c = 300_000;
    const x = filled(Float32Array, 2 * c, () => rand() * 5);
    const labels = new Int32Array([5, 7]);
    const grad = new Float32Array(2 * c);
    const total = kern.run(SPARSE_XENT, { logits: x, labels, n: 2, c, weight: null, ignoreIndex: -100, smoothing: 0, rowLoss: null, grad, gradScale: 1, rowScale: null });
    const ref = sparseRef(x, labels, 2, c, null, -100, 0, 1, null);
    expectClose([total], [sum(ref.rows)], 2e-6, 0, 'wide total');
    expectClose(grad, ref.grad, 1e-5, 1e-9, 'wide grad');
    kern.free(big);
    kern.free(kern.view(small));
    expect(() => kern.free(again)).toThrow();
  });

  run('100,000 calls of mixed shapes leave memory bounded by the largest call', () => {
    const kern = k();
    const rand = rng(11);
    const bigC = 50_000;
    const bx = filled(Float32Array, 4 * bigC, () => rand());
    kern.run(SPARSE_XENT, { logits: bx, labels: new Int32Array(4), n: 4, c: bigC, weight: null, ignoreIndex: -100, smoothing: 0, rowLoss: null, grad: new Float32Array(4 * bigC), gradScale: 1, rowScale: null });
    const high = kern.memory.buffer.byteLength;
    const pool = Array.from({ length: 16 }, (_, i) => {
      const n = 1 + (i % 5);
      const c = 1 + ((i * 37) % 300);
      return { n, c, x: filled(Float32Array, n * c, () => rand()), labels: new Int32Array(n).map(() => Math.floor(rand() * c)), grad: new Float32Array(n * c) };
    });
    for (let i = 0; i < 100_000; i++) {
      const s = pool[i % pool.length];
      kern.run(SPARSE_XENT, { logits: s.x, labels: s.labels, n: s.n, c: s.c, weight: null, ignoreIndex: -100, smoothing: 0, rowLoss: null, grad: i % 2 ? s.grad : null, gradScale: 1, rowScale: null });
    }
    expect(kern.memory.buffer.byteLength).toBe(high);
  });

  run('512 x 50257 (GPT-2 vocabulary): loss within 1e-6 relative of float64, gradient within 1e-6', () => {
    const kern = k();
    const rand = rng(12);
    const n = 512;
    const c = 50257;
    const x = new Float32Array(n * c);
    for (let i = 0; i < x.length; i++) x[i] = (rand() - 0.5) * 8 + (i % 97 === 0 ? 6 : 0);
    // Every third row has one dominant logit (probability near 1/2 to 1): its exp-sum is 1 plus
    // many small terms, the case where f32 partial sums lose the most (unflushed: 8e-6).
    for (let r = 0; r < n; r += 3) x[r * c + Math.floor(rand() * c)] = 14 + rand() * 4;
    const labels = new Int32Array(n).map(() => Math.floor(rand() * c));
    const ref = sparseRef(x, labels, n, c, null, -100, 0, 1, null);
    const want = sum(ref.rows);
    const got = kern.run(SPARSE_XENT, { logits: x, labels, n, c, weight: null, ignoreIndex: -100, smoothing: 0, rowLoss: null, grad: null, gradScale: 1, rowScale: null });
    expect(Math.abs(got - want) / want).toBeLessThanOrEqual(1e-6);
    const grad = new Float32Array(n * c);
    const withGrad = kern.run(SPARSE_XENT, { logits: x, labels, n, c, weight: null, ignoreIndex: -100, smoothing: 0, rowLoss: null, grad, gradScale: 1, rowScale: null });
    expect(withGrad).toBe(got);
    let worst = 0;
    for (let i = 0; i < grad.length; i++) worst = Math.max(worst, Math.abs(grad[i] - ref.grad[i]));
    expect(worst).toBeLessThanOrEqual(1e-6);
  });

  run('sumF32 and expF32 work on staged and in-memory arrays', () => {
    const kern = k();
    const x = filled(Float32Array, 100_003, (i) => (i % 7) - 3) as Float32Array;
    let want = 0;
    for (const v of x) want += v;
    expect(kern.run(SUM_F32, { x, n: x.length, c: 1 })).toBe(want);
    const [out, m] = [kern.allocF32(x.length), kern.allocF32(x.length)].map((a) => kern.view(a));
    m.set(x);
    expect(kern.run(SUM_F32, { x: m, n: m.length, c: 1 })).toBe(want);
    kern.run(EXP_F32, { x: m, out, n: m.length, c: 1 });
    expect(out[3]).toBe(1);
    expect(out[0]).toBe(Math.fround(Math.exp(-3)));
  });

  run('the backend is named after its variant', () => {
    expect((k() as Kernels).name).toBe(variant);
  });
});

describe('variant selection', () => {
  it('lists runnable variants best first, always including the scalar build', () => {
    const order = ['relaxed-simd', 'simd', 'wasm'];
    const s = supportedWasmVariants();
    expect(s).toContain('wasm');
    expect([...s].sort((a, b) => order.indexOf(a) - order.indexOf(b))).toEqual(s);
  });

  it('refuses a variant this runtime cannot run with a clear error', () => {
    for (const v of variants) {
      if (!supported.includes(v)) expect(() => createWasmKernels(v)).toThrow(/cannot run/);
    }
    expect(() => createWasmKernels('sse' as WasmVariant)).toThrow(/unknown/);
  });

  it('loads without Node globals (the browser path: no Buffer, no process, no fs)', async () => {
    vi.resetModules();
    const saved = { Buffer: globalThis.Buffer, process: globalThis.process };
    const g = globalThis as Record<string, unknown>;
    try {
      delete g.Buffer;
      g.process = undefined;
      const fresh = await import('../src/backends/wasm.js');
      const kern = fresh.createWasmKernels(fresh.supportedWasmVariants()[0]);
      const rowLoss = new Float32Array(1);
      kern.run(SPARSE_XENT, { logits: new Float32Array([0.1, 0.8, 0.1].map(Math.log)), labels: new Int32Array([1]), n: 1, c: 3, weight: null, ignoreIndex: -100, smoothing: 0, rowLoss, grad: null, gradScale: 1, rowScale: null });
      // The seed example: -log(0.8) = 0.22.
      expect(rowLoss[0]).toBeCloseTo(-Math.log(0.8), 6);
    } finally {
      g.Buffer = saved.Buffer;
      g.process = saved.process;
    }
  });

  it('compiles asynchronously ahead of the synchronous createWasmKernels', async () => {
    vi.resetModules();
    const fresh = await import('../src/backends/wasm.js');
    for (const v of supported) await fresh.compileWasmVariant(v);
    await expect(compileWasmVariant('sse' as WasmVariant)).rejects.toThrow(/unknown/);
    expect(fresh.createWasmKernels(supported[0]).run(SUM_F32, { x: new Float32Array([1, 2, 3]), n: 3, c: 1 })).toBe(6);
  });

  it('instances are independent (own memory), modules are shared', () => {
    const a: WasmKernels = createWasmKernels('wasm');
    const b: WasmKernels = createWasmKernels('wasm');
    expect(a.memory).not.toBe(b.memory);
  });
});
