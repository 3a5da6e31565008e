/**
 * One row of `sample`: Hugging Face's logits processors in its order (repetition penalty,
 * temperature, top-k, top-p, min-p; transformers/generation/logits_process.py), then one draw.
 * No sort of the vocabulary: top-k keeps a list of k during the scan that finds the max, top-p
 * selects the nucleus by partitioning (quickselect), min-p is a threshold on exp(z − z_max).
 */
import type { FloatArray } from '../kernels/kernel.js';

/** The processors' settings of a call (the front checked them). */
export interface SampleSettings {
  /** 0: greedy (the argmax after the repetition penalty). */
  temperature: number;
  /** 0: off. */
  topK: number;
  /** 1: off. */
  topP: number;
  /** 0: off. */
  minP: number;
  /** 1: off. */
  penalty: number;
}

/** Arrays reused by every row and call (sampling is synchronous), grown to the largest V seen. */
class Scratch {
  idx = new Int32Array(0);
  w = new Float64Array(0);
  idx2 = new Int32Array(0);
  w2 = new Float64Array(0);
  row = new Float64Array(0);
  top = new Float64Array(0);

  fit(v: number, k: number): this {
    if (this.idx.length < v) {
      this.idx = new Int32Array(v);
      this.w = new Float64Array(v);
      this.idx2 = new Int32Array(v);
      this.w2 = new Float64Array(v);
      this.row = new Float64Array(v);
    }
    if (this.top.length < k) this.top = new Float64Array(k);
    return this;
  }
}

const SCRATCH = new Scratch();

/** What a row gives: the id drawn and its log-probability under the processed distribution. */
export interface RowSample {
  id: number;
  logProb: number;
}

/**
 * Samples one row of logits x[off, off + v) with uniform draw u in [0, 1). `prev`: the row's
 * previous tokens (for the repetition penalty), each penalised once however often it occurs.
 * Throws a RangeError (naming `method`) at a NaN or +Infinity logit, or a row without a finite one.
 */
export function sampleRow(method: string, x: FloatArray, off: number, v: number, s: SampleSettings, prev: ArrayLike<number> | null, u: number): RowSample {
  const scr = SCRATCH.fit(v, Math.min(s.topK, v));
  if (s.penalty !== 1 && prev !== null && prev.length > 0) {
    // The penalised row is a copy: the caller's logits are never written.
    const row = scr.row;
    for (let j = 0; j < v; j++) row[j] = x[off + j];
    for (let i = 0; i < prev.length; i++) {
      const j = prev[i];
      const a = x[off + j];
      // HF: a negative score is multiplied by the penalty, a positive one divided (so it always loses).
      row[j] = a < 0 ? a * s.penalty : a / s.penalty;
    }
    return draw(method, row, 0, v, s, u, scr, off);
  }
  return draw(method, x, off, v, s, u, scr, off);
}

function draw(method: string, x: FloatArray, off: number, v: number, s: SampleSettings, u: number, scr: Scratch, at0: number): RowSample {
  const k = s.topK > 0 && s.topK < v ? s.topK : 0;
  const top = scr.top;
  let m = -Infinity;
  let at = -1;
  let filled = 0;
  // A value enters the top k when it beats this (the k-th so far once k are in).
  let enter = k > 0 ? -Infinity : Infinity;
  for (let j = 0; j < v; j++) {
    const a = x[off + j];
    if (!(a < Infinity)) throw new RangeError(`${method}: logits[${at0 + j}] = ${a}; sampling needs finite logits (or -Infinity for a banned token)`);
    if (a > m) {
      m = a;
      at = j;
    }
    if (a > enter) {
      let i = filled < k ? filled++ : k - 1;
      while (i > 0 && a > top[i - 1]) {
        top[i] = top[i - 1];
        i--;
      }
      top[i] = a;
      if (filled === k) enter = top[k - 1];
    }
  }
  if (at < 0) throw new RangeError(`${method}: row ${at0 / v} has no finite logit to sample from`);
  if (s.temperature === 0) return { id: at, logProb: 0 };
  const invT = 1 / s.temperature;
  // Top-k: every value at least the k-th largest (HF keeps ties with the k-th).
  const floor = k > 0 && filled === k ? top[k - 1] : -Infinity;
  const { idx, w } = scr;
  let cnt = 0;
  let total = 0;
  for (let j = 0; j < v; j++) {
    const a = x[off + j];
    if (a >= floor && a > -Infinity) {
      const wj = Math.exp((a - m) * invT);
      idx[cnt] = j;
      w[cnt++] = wj;
      total += wj;
    }
  }
  // The candidates stay in id order, so that the draw does not depend on how they were filtered.
  if (s.topP < 1) {
    const { idx2, w2 } = scr;
    idx2.set(idx.subarray(0, cnt));
    w2.set(w.subarray(0, cnt));
    const kept = nucleus(idx2, w2, cnt, s.topP * total);
    // The last token of the nucleus in its order; keep everything up to it.
    let last = 0;
    for (let i = 1; i < kept; i++) if (before(idx2, w2, last, i)) last = i;
    const wb = w2[last];
    const ib = idx2[last];
    cnt = filter(idx, w, cnt, (j, wj) => wj > wb || (wj === wb && j >= ib));
  }
  // Min-p: p_j ≥ minP·p_max ⟺ exp(z_j − z_max) ≥ minP, whatever the normalisation; the max stays.
  if (s.minP > 0) cnt = filter(idx, w, cnt, (_j, wj) => wj >= s.minP);
  total = 0;
  for (let i = 0; i < cnt; i++) total += w[i];
  const target = u * total;
  let acc = 0;
  let i = 0;
  for (; i < cnt - 1; i++) {
    acc += w[i];
    if (acc > target) break;
  }
  return { id: idx[i], logProb: Math.log(w[i] / total) };
}

/** Keeps the candidates for which `keep` holds, in order; returns their number. */
function filter(idx: Int32Array, w: Float64Array, cnt: number, keep: (j: number, w: number) => boolean): number {
  let n = 0;
  for (let i = 0; i < cnt; i++) {
    if (!keep(idx[i], w[i])) continue;
    idx[n] = idx[i];
    w[n++] = w[i];
  }
  return n;
}

/** Whether element a comes before b in the nucleus order: larger weight first; equal weights, higher id first (torch.sort's stable ascending order, reversed). */
function before(idx: Int32Array, w: Float64Array, a: number, b: number): boolean {
  return w[a] > w[b] || (w[a] === w[b] && idx[a] > idx[b]);
}

function swap(idx: Int32Array, w: Float64Array, a: number, b: number): void {
  const i = idx[a];
  idx[a] = idx[b];
  idx[b] = i;
  const t = w[a];
  w[a] = w[b];
  w[b] = t;
}

/**
 * Top-p (HF's TopPLogitsWarper): moves the nucleus to the front of idx/w and returns its size.
 * In descending order a token stays while the mass before it is < need (= p·total): HF's
 * "remove where the ascending cumulative probability ≤ 1 − p"; the top token always stays.
 * Quickselect on the order of `before`, O(cnt) expected.
 */
function nucleus(idx: Int32Array, w: Float64Array, cnt: number, need: number): number {
  let lo = 0;
  let hi = cnt;
  let rem = need;
  for (;;) {
    if (hi - lo <= 16) {
      for (let i = lo + 1; i < hi; i++) for (let j = i; j > lo && before(idx, w, j, j - 1); j--) swap(idx, w, j, j - 1);
      let i = lo;
      while (i < hi && (rem > 0 || i === 0)) rem -= w[i++];
      return i;
    }
    // Median of three as the pivot, moved to hi − 1.
    const mid = (lo + hi) >> 1;
    if (before(idx, w, mid, lo)) swap(idx, w, mid, lo);
    if (before(idx, w, hi - 1, lo)) swap(idx, w, hi - 1, lo);
    if (before(idx, w, mid, hi - 1)) swap(idx, w, mid, hi - 1);
    let p = lo;
    let mass = 0;
    for (let j = lo; j < hi - 1; j++) {
      if (before(idx, w, j, hi - 1)) {
        mass += w[j];
        swap(idx, w, p++, j);
      }
    }
    swap(idx, w, p, hi - 1);
    if (mass >= rem) {
      hi = p;
      if (p === 0) return 1;
    } else {
      rem -= mass + w[p];
      lo = p + 1;
      if (rem <= 0) return lo;
    }
  }
}
