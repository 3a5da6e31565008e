/**
 * causalLmLoss and scoreTokens on every engine: bad input is a TypeError or RangeError naming
 * the method and the argument, before any work, and the engine stays usable; the decisions
 * where Hugging Face is silent (a batch with nothing to count, 'none' at the last position,
 * left padding in scoreTokens) hold; the logits are read in place (an in-place gradient, an
 * engine array).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../src/index.js';
import { BACKENDS, engineFor, expectClose, untyped } from './backends.js';

const B = 2;
const T = 4;
const V = 6;
const logits = Float32Array.from({ length: B * T * V }, (_, i) => Math.sin(i * 0.91) * 2);
const ids = Int32Array.from([1, 5, 0, 2, 3, 3, 4, 1]);
const base = { classes: V, batchSize: B };

/** −log softmax(row)[y] in float64. */
function nll(x: ArrayLike<number>, off: number, v: number, y: number): number {
  let m = -Infinity;
  for (let k = 0; k < v; k++) m = Math.max(m, x[off + k]);
  let s = 0;
  for (let k = 0; k < v; k++) s += Math.exp(x[off + k] - m);
  return m + Math.log(s) - x[off + y];
}

describe.each(BACKENDS)('language-model functions on %s: input checks and decisions', (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await engineFor(backend);
  });

  it('causalLmLoss refuses bad input, naming the argument', () => {
    const e = untyped(engine);
    const cases: [unknown[], RegExp][] = [
      [[logits, 'ids', base], /^causalLmLoss: inputIds must be an integer typed array, BigInt64Array or number\[\], got /],
      [[logits, ids, { ...base, batchSize: 3 }], /^causalLmLoss: inputIds has length 8, not a positive multiple of batchSize \(3\)$/],
      [[logits, ids, { ...base, classes: 5 }], /^causalLmLoss: logits length 48 is not a multiple of classes \(5\)$/],
      [[logits, ids, { ...base, classes: 3 }], /^causalLmLoss: logits has length 48, expected 24 \(inputIds length 8 x classes 3\)$/],
      [[logits, Int32Array.from([1, 5, 0, 6, 3, 3, 4, 1]), base], /^causalLmLoss: inputIds\[3\] = 6 is outside \[0, 6\)/],
      [[logits, [1, 5, 0, 2.5, 3, 3, 4, 1], base], /^causalLmLoss: inputIds\[3\] = 2\.5 is not an integer$/],
      [[logits, new BigInt64Array(8).fill(-1n), base], /^causalLmLoss: inputIds\[0\] = -1 is outside/],
      [[logits, ids, { ...base, labels: [1, 2] }], /^causalLmLoss: labels has length 2, expected 8/],
      [[logits, ids, { ...base, labels: [1, 2, 3, 4, 5, 6, 7, 0] }], /^causalLmLoss: labels\[5\] = 6 is outside \[0, 6\) .* and is not ignoreIndex \(-100\)$/],
      [[logits, ids, { ...base, attentionMask: [1, 1, 1] }], /^causalLmLoss: attentionMask has length 3, expected 8/],
      [[logits, ids, { ...base, attentionMask: [1, 1, 1, 2, 1, 1, 1, 1] }], /^causalLmLoss: attentionMask\[3\] = 2 is not 0 or 1$/],
      [[logits, ids, { ...base, numItemsInBatch: 0 }], /^causalLmLoss: numItemsInBatch must be a finite number > 0, got 0$/],
      [[logits, ids, { ...base, numItemsInBatch: 4, reduction: 'sum' }], /^causalLmLoss: numItemsInBatch applies to reduction 'mean'/],
      [[logits, ids, { ...base, ignoreIndex: 2 ** 40 }], /^causalLmLoss: ignoreIndex must fit in an int32 here/],
      [[logits, ids, { ...base, attention_mask: [1] }], /^causalLmLoss: unknown option 'attention_mask' \(did you mean 'attentionMask'\?\)/],
      [[logits, ids, { ...base, num_items_in_batch: 3 }], /did you mean 'numItemsInBatch'/],
      [[logits, ids, { ...base, batchSize: 0 }], /^causalLmLoss: batchSize must be a positive integer, got 0$/],
    ];
    for (const [args, message] of cases) {
      expect(() => e.causalLmLoss(...args), String(message)).toThrow(message);
      expect(() => e.causalLmLossWithGrad(...args), String(message)).toThrow(new RegExp(message.source.replace('causalLmLoss', 'causalLmLossWithGrad')));
    }
    expect(engine.causalLmLoss(logits, ids, base)).toBeGreaterThan(0);
  });

  it("counts nothing when every target is masked: 'mean' 0 and a zero gradient; 'none' 0 at each last position", () => {
    const r = engine.causalLmLossWithGrad(logits, ids, { ...base, attentionMask: [1, 0, 0, 0, 1, 0, 0, 0] });
    expect(r.loss).toBe(0);
    expect(r.grad.every((g) => g === 0)).toBe(true);
    expect(engine.causalLmLoss(new Float32Array(V), [3], { classes: V })).toBe(0);
    const none = engine.causalLmLoss(logits, ids, { ...base, reduction: 'none' });
    const want = Array.from({ length: B * T }, (_, i) => ((i + 1) % T === 0 ? 0 : nll(logits, i * V, V, ids[i + 1])));
    expectClose(none, want, 1e-5, 1e-6);
  });

  it('reads the logits in place: an in-place gradient equals the plain one, and engine arrays are accepted', () => {
    const plain = engine.causalLmLossWithGrad(logits, ids, base);
    const x = engine.alloc(logits.length);
    x.set(logits);
    const r = engine.causalLmLossWithGrad(x, ids, { ...base, gradOut: x });
    expect(r.grad).toBe(x);
    expectClose(r.loss, plain.loss, 1e-6);
    expectClose(engine.view(x), plain.grad, 1e-6, 1e-7);
    engine.free(x);
  });

  it('scoreTokens refuses bad input, naming the argument', () => {
    const e = untyped(engine);
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ temperature: 0 }, /^scoreTokens: temperature must be > 0/],
      [{ temperature: -1 }, /^scoreTokens: temperature must be a finite number >= 0, got -1$/],
      [{ topK: 7 }, /^scoreTokens: topK must be at most the vocabulary size 6, got 7$/],
      [{ topK: 0 }, /^scoreTokens: topK must be an integer >= 1, got 0$/],
      [{ promptLength: -1 }, /^scoreTokens: promptLength must be an integer >= 0, got -1$/],
      [{ promptLength: [1, 2, 3] }, /^scoreTokens: promptLength has length 3, expected 2 \(one per sequence\)$/],
      [{ base: 10 }, /^scoreTokens: base must be 'e' or 2, got 10$/],
      [{ top_k: 3 }, /^scoreTokens: unknown option 'top_k' \(did you mean 'topK'\?\)/],
      [{ prompt_length: 3 }, /did you mean 'promptLength'/],
      [{ entropy: 1 }, /^scoreTokens: entropy must be true or false, got 1$/],
    ];
    for (const [o, message] of cases) expect(() => e.scoreTokens(logits, ids, { ...base, ...o }), String(message)).toThrow(message);
    expect(() => e.scoreTokens(logits, Int32Array.from([1, 5, 0, 9, 3, 3, 4, 1]), base)).toThrow(/^scoreTokens: inputIds\[3\] = 9 is outside \[0, 6\)/);
    expect(engine.scoreTokens(logits, ids, base).logProbs[1]).toBeLessThan(0);
  });

  it('scores a left-padded sequence as the same sequence unpadded', () => {
    // Sequence 1 unpadded (T = 3), and left-padded by one (T = 4) next to sequence 0.
    const seq = ids.subarray(5, 8);
    const rows = logits.subarray(5 * V, 8 * V);
    const alone = engine.scoreTokens(rows, seq, { classes: V, entropy: true, rank: true });
    const padded = engine.scoreTokens(logits, ids, { ...base, entropy: true, rank: true, attentionMask: [1, 1, 1, 1, 0, 1, 1, 1] });
    expectClose(padded.logProbs.subarray(5), alone.logProbs, 1e-6, 1e-7);
    expectClose(padded.entropy!.subarray(5), alone.entropy!, 1e-6, 1e-7);
    expect(Array.from(padded.rank!.subarray(5))).toEqual(Array.from(alone.rank!));
    expect(padded.perSequence.count[1]).toBe(2);
    expectClose(padded.perSequence.perplexity[1], alone.perplexity, 1e-6);
  });

  it('distillationLoss refuses bad input, naming the argument', () => {
    const e = untyped(engine);
    const s = logits.subarray(0, 4 * V);
    const t = logits.subarray(4 * V, 8 * V);
    const cases: [unknown[], RegExp][] = [
      [[s, t, { classes: V, kind: 'kl' }], /^distillationLoss: kind must be 'forward-kl', 'reverse-kl' or 'jsd', got 'kl'$/],
      [[s, t, { classes: V, beta: 0.3 }], /^distillationLoss: beta applies to kind 'jsd', not 'forward-kl'$/],
      [[s, t, { classes: V, kind: 'jsd', beta: 1.5 }], /^distillationLoss: beta must be in \[0, 1\], got 1.5$/],
      [[s, t, { classes: V, temperature: 0 }], /^distillationLoss: temperature must be > 0, got 0$/],
      [[s, t.subarray(1), { classes: V }], /^distillationLoss: teacherLogits has length 23, expected 24$/],
      [[s, t, {}], /^distillationLoss: options.classes is required$/],
      [[s, t, { classes: V, labels: [1, 2] }], /^distillationLoss: labels has length 2, expected 4/],
      [[Float32Array.from(s).fill(NaN, 3, 4), t, { classes: V }], /^distillationLoss: studentLogits\[3\] = NaN is not finite/],
      [[s, t, { classes: V, reduction: 'batchmean' }], /^distillationLoss: reduction must be 'mean', 'sum' or 'none'/],
    ];
    for (const [args, message] of cases) expect(() => e.distillationLoss(...args), String(message)).toThrow(message);
    // In place: the gradient over the student's own array equals the plain one, for every kind.
    for (const kind of ['forward-kl', 'reverse-kl', 'jsd'] as const) {
      const plain = engine.distillationLossWithGrad(s, t, { classes: V, kind, temperature: 1.5 });
      const own = Float32Array.from(s);
      const r = engine.distillationLossWithGrad(own, t, { classes: V, kind, temperature: 1.5, gradOut: own });
      expect(r.grad).toBe(own);
      expectClose(r.loss, plain.loss, 1e-6);
      expectClose(own, plain.grad, 1e-6, 1e-7);
    }
    // Identical distributions cost nothing, and have a zero gradient.
    const same = engine.distillationLossWithGrad(s, s, { classes: V, kind: 'jsd' });
    expectClose(same.loss, 0, 0, 1e-7);
    expectClose(same.grad, new Float32Array(s.length), 0, 1e-7);
  });

  it('gives bits with base 2 and the same perplexity', () => {
    const e = engine.scoreTokens(logits, ids, base);
    const bits = engine.scoreTokens(logits, ids, { ...base, base: 2 });
    expectClose(bits.logProbs, Float32Array.from(e.logProbs, (v) => v / Math.LN2), 1e-6, 1e-7);
    expectClose(bits.perplexity, e.perplexity, 1e-12);
  });
});
