/**
 * xent/ort end to end with onnxruntime-web: a small causal language model built in code
 * (bench/onnx-model.ts: embedding, a linear layer, logits [B, T, V], float32 and float16
 * outputs) generates a few tokens with `sample` and scores them with `scoreTokens`, read from
 * the ONNX Runtime tensors as they come out; every number is compared with the float64
 * reference computed from the model's weights.
 */
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { causalLmModel } from '../../bench/onnx-model.js';
import { packageDirUrl } from '../../bench/package-dir.js';
import { createEngine, type Engine } from '../../src/index.js';
import { ortFunctions } from '../../src/ort.js';
import { expectClose } from '../backends.js';

const B = 2;
const V = 13;
const H = 4;
const PROMPT = 3;
const STEPS = 3;

let s = 5;
const u = () => (s = (s * 16807) % 2147483647) / 2147483647;
const embedding = Float32Array.from({ length: V * H }, () => (u() - 0.5) * 2);
const w = Float32Array.from({ length: H * V }, () => (u() - 0.5) * 3);
const bias = Float32Array.from({ length: V }, () => u() - 0.5);

/** The model's logits for token id `id`, in float64 (a bigram model: one row per token). */
function referenceRow(id: number): Float64Array {
  const row = new Float64Array(V);
  for (let k = 0; k < V; k++) {
    let z = bias[k];
    for (let j = 0; j < H; j++) z += embedding[id * H + j] * w[j * V + k];
    row[k] = z;
  }
  return row;
}

function logSoftmax(row: Float64Array): Float64Array {
  const m = Math.max(...row);
  const lse = m + Math.log(row.reduce((a, z) => a + Math.exp(z - m), 0));
  return row.map((z) => z - lse);
}

async function run(ids: BigInt64Array, t: number, half: boolean): Promise<ort.Tensor> {
  const session = await ort.InferenceSession.create(causalLmModel(B, t, V, H, embedding, w, bias, half));
  try {
    const out = await session.run({ input_ids: new ort.Tensor('int64', ids, [B, t]) });
    return out.logits;
  } finally {
    await session.release();
  }
}

describe('xent/ort with onnxruntime-web: generate, then score', () => {
  let engine: Engine;
  beforeAll(async () => {
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.wasmPaths = packageDirUrl('onnxruntime-web');
    ort.env.logLevel = 'error';
    engine = await createEngine();
  });

  it.each([false, true])('float16 output: %s', async (half) => {
    const x = ortFunctions(engine);
    const prompt = [
      [1, 7, 3],
      [12, 0, 5],
    ];
    let seqs = prompt.map((p) => p.slice());
    // Generate: run the model on the sequences so far and sample the next token of each from its last position.
    for (let step = 0; step < STEPS; step++) {
      const t = PROMPT + step;
      const logits = await run(BigInt64Array.from(seqs.flat(), BigInt), t, half);
      expect(logits.type).toBe(half ? 'float16' : 'float32');
      const r = x.sample(logits, { temperature: 0.8, topK: 6, topP: 0.95, seed: 100 + step });
      expect(r.ids.length).toBe(B);
      // The same draw as the engine's sample on the last rows (in place, the data as ORT gave it).
      const last = seqs.map((q) => referenceRow(q[t - 1]));
      const greedy = x.sample(logits, { temperature: 0 });
      for (let b = 0; b < B; b++) {
        expect(greedy.ids[b]).toBe(last[b].indexOf(Math.max(...last[b])));
        expectClose(r.rawLogProbs[b], logSoftmax(last[b])[r.ids[b]], half ? 0 : 1e-5, half ? 2e-2 : 1e-6);
      }
      seqs = seqs.map((q, b) => [...q, r.ids[b]]);
    }
    // Score the generated sequences from one more forward pass, the ids as an int64 tensor.
    const t = PROMPT + STEPS;
    const idsData = BigInt64Array.from(seqs.flat(), BigInt);
    const logits = await run(idsData, t, half);
    const ids = new ort.Tensor('int64', idsData, [B, t]);
    const scores = x.scoreTokens(logits, ids, { promptLength: PROMPT, base: 2, entropy: true, rank: true });
    const tol = half ? 3e-2 : 1e-5;
    let nll = 0;
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < t; i++) {
        const at = b * t + i;
        if (i < PROMPT) {
          expect(Number.isNaN(scores.logProbs[at])).toBe(true);
          continue;
        }
        const lp = logSoftmax(referenceRow(seqs[b][i - 1]));
        expectClose(scores.logProbs[at], lp[seqs[b][i]] / Math.LN2, 0, tol);
        const entropy = -lp.reduce((a, l) => a + Math.exp(l) * l, 0) / Math.LN2;
        expectClose(scores.entropy![at], entropy, 0, tol);
        nll -= lp[seqs[b][i]];
      }
    }
    expectClose(scores.perplexity, Math.exp(nll / (B * STEPS)), half ? 3e-2 : 1e-5);
    // The loss of the same tensors: Hugging Face's shift over every position.
    let sum = 0;
    for (let b = 0; b < B; b++) for (let i = 1; i < t; i++) sum -= logSoftmax(referenceRow(seqs[b][i - 1]))[seqs[b][i]];
    expectClose(x.causalLmLoss(logits, ids) as number, sum / (B * (t - 1)), half ? 1e-2 : 1e-6);
    expect(x.causalLmLossWithGrad(logits, ids).grad.length).toBe(B * t * V);
  });

  it('refuses a tensor whose dims do not fit, naming the argument', () => {
    const x = ortFunctions(engine);
    const logits = new ort.Tensor('float32', new Float32Array(2 * 3 * V), [2, 3, V]);
    expect(() => x.scoreTokens(logits, new ort.Tensor('int64', new BigInt64Array(6), [3, 2]))).toThrow(
      /^scoreTokens: inputIds has dims \[3, 2\], expected \[2, 3\]/,
    );
    expect(() => x.causalLmLoss(new ort.Tensor('int32', new Int32Array(6), [2, 3]), [0])).toThrow(/^causalLmLoss: logits has dims \[2, 3\], expected 3 dimensions/);
    expect(() => x.causalLmLoss(new Float32Array(6) as never, [0])).toThrow(/^causalLmLoss: logits must be an ONNX Runtime tensor/);
    expect(() => x.sample(new ort.Tensor('int32', new Int32Array(V), [1, V]))).toThrow(/^sample: logits must be a float32, float16 or float64 tensor/);
  });
});
