/**
 * scoreTokens: per-token scores of a causal language model's logits [B, T, V] for its tokens
 * [B, T], for evaluation and visualisation. The log-probability and the prediction of every
 * token come from the sparse kernel's one pass over the rows (its per-row loss, lse and argmax,
 * the shift an offset as in causal-lm.ts); the entropy, the rank and the top k, and any
 * temperature other than 1, from a scoring pass over the scored rows (src/lm/score-rows.ts).
 * Scores sit at the token they score: position t holds log p(token t | tokens < t).
 */
import type { Call } from '../front/call.js';
import { DEFAULT_FRONT } from '../front/default.js';
import { describe } from '../front/describe.js';
import type { Front } from '../front/front.js';
import { mainFloat, newFloat } from '../front/operands.js';
import { CLASSES, IGNORE_INDEX, flag, option, options } from '../front/options.js';
import type { FloatArray } from '../kernels/kernel.js';
import { scoreRow } from '../lm/score-rows.js';
import {
  ATTENTION_MASK, BATCH_SIZE, LABELS, type MaskInput, PROMPT_LENGTH, TEMPERATURE, type TokenIds, int32Ignore, lmShape, readIds, readMask,
  readPromptLength, scoredTargets,
} from '../lm/tokens.js';
import type { FloatInput, FloatOutput } from '../types.js';
import { BASE } from './probabilities.js';
import { SPARSE_XENT } from './softmax-cross-entropy.js';

/** Options of `scoreTokens`. `classes` is the vocabulary size V. */
export interface ScoreOptions {
  classes?: number;
  /** B, the number of sequences in the flat [B, T] inputs. Default 1. */
  batchSize?: number;
  /** Which tokens to score, as Hugging Face's `labels` [B, T] (-100 = not scored); the scored token is still the input id. */
  labels?: TokenIds;
  /** [B, T], 0 = padding: a padded token, and the token right after padding, are not scored. */
  attentionMask?: MaskInput;
  /** Default -100. */
  ignoreIndex?: number;
  /** Positions before it are context, not scored: one number, or one per sequence. Default 0. */
  promptLength?: number | readonly number[] | Int32Array;
  /** Scores of the distribution softmax(logits / T), T > 0. Default 1. */
  temperature?: number;
  /** 'e' (nats, the default) or 2 (bits) for logProbs, entropy and perSequence. */
  base?: 'e' | 2;
  /** Also return each scored token's predictive entropy. */
  entropy?: boolean;
  /** Also return each scored token's rank (1 = the model's top choice). */
  rank?: boolean;
  /** Also return the k most likely tokens at every scored position. */
  topK?: number;
}

/** Per-sequence totals of scoreTokens (one entry per sequence). */
export interface SequenceScores {
  /** Σ logProbs over the sequence's scored tokens (its log-likelihood, in the call's base). */
  sum: Float64Array;
  /** The number of scored tokens. */
  count: Int32Array;
  /** sum / count (NaN when nothing is scored). */
  mean: Float64Array;
  /** exp(−mean in nats): the sequence's perplexity (1 when nothing is scored). */
  perplexity: Float64Array;
}

/** What scoreTokens returns; arrays [B, T] are indexed by the token scored (t = 0 is never scored). */
export interface TokenScores {
  /** log p(token t | tokens < t); NaN where not scored. */
  logProbs: FloatOutput;
  /** The model's most likely token at t (torch.argmax of the logits at t − 1); -1 where not scored. */
  predicted: Int32Array;
  /** With `entropy: true`: the entropy of the distribution token t was drawn against; NaN where not scored. */
  entropy?: FloatOutput;
  /** With `rank: true`: 1 + the number of tokens ranked above the true one (ties: lower id first); 0 where not scored. */
  rank?: Int32Array;
  /** With `topK: k`: [B, T, k] ids and log-probabilities, most likely first (ties: lower id first); -1 / NaN where not scored. */
  topK?: { ids: Int32Array; logProbs: FloatOutput };
  perSequence: SequenceScores;
  /** exp(Σ −log p / Σ count) over every scored token of the batch (1 when nothing is scored). */
  perplexity: number;
}

const WANT_ENTROPY = flag('entropy', ['returnentropy']);
const WANT_RANK = flag('rank', ['returnrank']);
/** options.topK: an integer ≥ 1 (at most V), 0 when absent. */
const TOP_K = option('topK', ['topk', 'k', 'toplogprobs', 'logprobs'], (method, v) => {
  if (v === undefined) return 0;
  if (typeof v !== 'number') throw new TypeError(`${method}: topK must be a number, got ${describe(v)}`);
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${method}: topK must be an integer >= 1, got ${v}`);
  return v;
});

const SCORE_OPTIONS = options(
  CLASSES, BATCH_SIZE, LABELS, ATTENTION_MASK, IGNORE_INDEX, PROMPT_LENGTH, TEMPERATURE, BASE, WANT_ENTROPY, WANT_RANK, TOP_K,
);

function score(call: Call, logits: unknown, inputIds: unknown): TokenScores {
  const { method } = call;
  const x = mainFloat(method, 'logits', call.live('logits', logits));
  const f64 = x instanceof Float64Array;
  const shape = lmShape(call, x, inputIds);
  const { b, t, v } = shape;
  const n = b * t;
  const ignore = int32Ignore(method, call.get(IGNORE_INDEX));
  const ids = readIds(method, 'inputIds', inputIds, n, v, null);
  // labels choose the scored tokens (-100: not scored); the token scored is the input id.
  const rawLabels = call.o[LABELS.name];
  let src = ids;
  if (rawLabels !== undefined) {
    const labels = readIds(method, 'labels', rawLabels, n, v, ignore);
    src = Int32Array.from(ids, (id, i) => (labels[i] === ignore ? ignore : id));
  }
  const targets = scoredTargets(src, readMask(call, n), readPromptLength(call, b), shape, ignore);
  const temperature = call.get(TEMPERATURE);
  if (temperature === 0) throw new RangeError(`${method}: temperature must be > 0 (scores of a distribution), got 0`);
  const unit = call.get(BASE);
  const k = call.get(TOP_K);
  if (k > v) throw new RangeError(`${method}: topK must be at most the vocabulary size ${v}, got ${k}`);
  const want = { entropy: call.get(WANT_ENTROPY), rank: call.get(WANT_RANK), k };

  // Per row r (the logits of position r): the kernel's −log p, lse and argmax at T = 1.
  const rowNll = newFloat(f64, n);
  const rowLse = newFloat(f64, n).fill(NaN);
  const rowPred = new Int32Array(n).fill(-1);
  const invT = 1 / temperature;
  if (temperature === 1) {
    call.run(SPARSE_XENT, {
      logits: x, labels: targets, n, c: v, weight: null, ignoreIndex: ignore, smoothing: 0, rowLoss: rowNll, grad: null, gradScale: 0,
      rowScale: null, rowLse, rowArgmax: rowPred,
    });
  }
  const pass = temperature !== 1 || want.entropy || want.rank || k > 0;

  const logProbs = newFloat(f64, n).fill(NaN);
  const predicted = new Int32Array(n).fill(-1);
  const entropy = want.entropy ? newFloat(f64, n).fill(NaN) : null;
  const rank = want.rank ? new Int32Array(n) : null;
  const topIds = k > 0 ? new Int32Array(n * k).fill(-1) : null;
  const topZ = k > 0 ? new Float64Array(n * k).fill(NaN) : null;
  const sum = new Float64Array(b);
  const count = new Int32Array(b);
  let nllTotal = 0;
  let counted = 0;
  for (let s = 0; s < b; s++) {
    for (let i = 0; i < t - 1; i++) {
      const r = s * t + i;
      const y = targets[r];
      if (y === ignore) continue;
      // The token scored sits one position after the logits that score it.
      const at = r + 1;
      let nll = rowNll[r];
      let pred = rowPred[r];
      if (pass) {
        const row = scoreRow(x, r * v, v, invT, y, temperature === 1 ? rowLse[r] : NaN, want, topIds, topZ, at * k);
        if (temperature !== 1) {
          nll = row.lse - x[r * v + y] * invT;
          pred = row.predicted;
        }
        if (entropy) entropy[at] = row.entropy / unit;
        if (rank) rank[at] = row.rank;
      }
      logProbs[at] = -nll / unit;
      predicted[at] = pred;
      sum[s] -= nll;
      count[s]++;
      nllTotal += nll;
      counted++;
    }
  }
  const mean = new Float64Array(b);
  const perplexity = new Float64Array(b);
  for (let s = 0; s < b; s++) {
    mean[s] = count[s] === 0 ? NaN : sum[s] / count[s] / unit;
    perplexity[s] = count[s] === 0 ? 1 : Math.exp(-sum[s] / count[s]);
    sum[s] /= unit;
  }
  const out: TokenScores = {
    logProbs,
    predicted,
    perSequence: { sum, count, mean, perplexity },
    perplexity: counted === 0 ? 1 : Math.exp(nllTotal / counted),
  };
  if (entropy) out.entropy = entropy;
  if (rank) out.rank = rank;
  if (topIds) out.topK = { ids: topIds, logProbs: toFloat(topZ!, f64, unit) };
  return out;
}

/** log-probabilities kept in float64 during the pass, in the call's precision and base. */
function toFloat(z: Float64Array, f64: boolean, unit: number): FloatArray {
  const out = newFloat(f64, z.length);
  for (let i = 0; i < z.length; i++) out[i] = z[i] / unit;
  return out;
}

/**
 * Per-token scores of a causal language model: logits [B, T, V] flat, inputIds [B, T]. Position
 * t holds the score of token t given the tokens before it (t = 0 is never scored).
 */
export function scoreMethod(logits: FloatInput, inputIds: TokenIds, opts?: ScoreOptions): TokenScores;
export function scoreMethod(this: Front, logits: unknown, inputIds: unknown, opts?: unknown): TokenScores {
  return score(this.begin('scoreTokens', SCORE_OPTIONS, opts, false), logits, inputIds);
}

export default {
  methods: { scoreTokens: scoreMethod },
};

/** `engine.scoreTokens` on the default engine. */
export const scoreTokens = scoreMethod.bind(DEFAULT_FRONT);
