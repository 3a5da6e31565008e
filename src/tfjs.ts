/**
 * `xent/tfjs`: TensorFlow.js losses with the signatures, defaults and numbers of `tf.losses`,
 * whose value and gradient w.r.t. the logits come from one fused xent call.
 *
 * TensorFlow.js is passed in (`createTfLosses(tf)`), never imported: importing `xent` or
 * `xent/tfjs` loads no TensorFlow.js, and the losses run on whichever tfjs instance and backend
 * the caller uses. Only types come from @tensorflow/tfjs-core, an optional peer dependency.
 *
 * The bridge per call: one read of the logits and one of the labels (dataSync), the xent kernel,
 * and, when a gradient is recorded, one upload of the gradient. The gradient is computed with the
 * loss (fused) while tf is recording a tape, and not at all otherwise.
 */
import type * as tfc from '@tensorflow/tfjs-core';
import { getDefaultEngine } from './index.js';
import type { Engine } from './losses/index.js';
import type { FloatOutput, Loss } from './types.js';

/** A tensor, or what `tf.tensor` accepts. */
export type TensorInput = tfc.Tensor | tfc.TensorLike;

/** The values of tfjs-core's `Reduction` enum (`tf.Reduction`), so that either may be passed. */
export const Reduction = { NONE: 0, MEAN: 1, SUM: 2, SUM_BY_NONZERO_WEIGHTS: 3 } as const;

/** A reduction: one of {@link Reduction}'s values, or tfjs-core's own enum. */
export type ReductionValue = (typeof Reduction)[keyof typeof Reduction] | tfc.Reduction;

/** What the losses use of TensorFlow.js: pass the `@tensorflow/tfjs` (or `-core`) namespace. */
export type TfNamespace = Pick<typeof tfc, 'Tensor' | 'customGrad' | 'engine' | 'getBackend' | 'mul' | 'reshape' | 'tensor'>;

/** The losses, bound to one TensorFlow.js namespace and one xent engine. */
export interface TfLosses {
  /** The engine whose kernels compute the losses. */
  readonly engine: Engine;
  /**
   * `tf.losses.softmaxCrossEntropy`: one-hot (or probability) labels shaped like the logits, the
   * softmax over the last axis; smoothing `labels·(1-ε) + ε/C`; `weights` broadcast to the
   * per-row losses (shape = logits' shape without the last axis).
   */
  softmaxCrossEntropy(onehotLabels: TensorInput, logits: TensorInput, weights?: TensorInput | null, labelSmoothing?: number, reduction?: ReductionValue): tfc.Tensor;
  /**
   * `softmaxCrossEntropy(oneHot(labels, C), logits, weights, 0, reduction)` without the one-hot:
   * integer labels in [0, C), shaped like the per-row losses (or with a trailing axis of 1).
   */
  sparseSoftmaxCrossEntropy(labels: TensorInput, logits: TensorInput, weights?: TensorInput | null, reduction?: ReductionValue): tfc.Tensor;
  /**
   * `tf.losses.sigmoidCrossEntropy`: elementwise binary cross-entropy with logits; smoothing
   * `labels·(1-ε) + ε/2`; `weights` broadcast to the logits' shape.
   */
  sigmoidCrossEntropy(multiClassLabels: TensorInput, logits: TensorInput, weights?: TensorInput | null, labelSmoothing?: number, reduction?: ReductionValue): tfc.Tensor;
}

/** A tensor's values and shape, read once. */
interface Read {
  values: ArrayLike<number> & { length: number };
  shape: number[];
}

/** Reads `x` (a tensor, or anything `tf.tensor` takes) once; a tensor made here is disposed. */
function read(tf: TfNamespace, x: TensorInput): Read {
  if (x instanceof tf.Tensor) return { values: x.dataSync() as Read['values'], shape: x.shape };
  const t = tf.tensor(x);
  try {
    return { values: t.dataSync() as Read['values'], shape: t.shape };
  } finally {
    t.dispose();
  }
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const shapeText = (shape: readonly number[]) => `[${shape.join(',')}]`;

function reductionOf(method: string, r: unknown): ReductionValue {
  if (r === undefined) return Reduction.SUM_BY_NONZERO_WEIGHTS;
  if (r === 0 || r === 1 || r === 2 || r === 3) return r;
  // tf.losses' own message for the same mistake.
  throw new Error(`${method}: Unknown reduction: ${String(r)}`);
}

function smoothingOf(method: string, e: unknown): number {
  if (e === undefined) return 0;
  if (typeof e !== 'number' || !(e >= 0 && e < 1)) throw new RangeError(`${method}: labelSmoothing must be a number in [0, 1), got ${String(e)}`);
  return e;
}

function float32(values: ArrayLike<number>): Float32Array {
  return values instanceof Float32Array ? values : Float32Array.from(values);
}

/**
 * Weights broadcast to `shape` by NumPy's rules, as tf.mul broadcasts them in tf.losses; weights
 * that would change the losses' shape (more axes, or a mismatched one) are rejected.
 */
function broadcast(method: string, w: Read, shape: readonly number[]): Float32Array {
  const rank = shape.length;
  const ws = w.shape;
  const fits = ws.length <= rank && ws.every((d, i) => d === 1 || d === shape[rank - ws.length + i]);
  if (!fits) throw new RangeError(`${method}: weights of shape ${shapeText(ws)} do not broadcast to the losses' shape ${shapeText(shape)}`);
  for (let i = 0; i < w.values.length; i++) {
    if (!Number.isFinite(w.values[i])) throw new RangeError(`${method}: weights[${i}] = ${w.values[i]} is not finite`);
  }
  const size = sizeOf(shape);
  if (w.values.length === size) return float32(w.values);
  if (w.values.length === 1) return new Float32Array(size).fill(w.values[0]);
  // Strides of the weights over the output's axes; 0 where the weights repeat.
  const strides = new Array<number>(rank).fill(0);
  for (let i = ws.length - 1, s = 1; i >= 0; s *= ws[i], i--) strides[rank - ws.length + i] = ws[i] === 1 ? 0 : s;
  const out = new Float32Array(size);
  const index = new Array<number>(rank).fill(0);
  for (let o = 0; o < size; o++) {
    let src = 0;
    for (let a = 0; a < rank; a++) src += index[a] * strides[a];
    out[o] = w.values[src];
    for (let a = rank - 1; a >= 0 && ++index[a] === shape[a]; a--) index[a] = 0;
  }
  return out;
}

/** Σ w and the count of nonzero w, the two denominators tf.losses divides weighted sums by. */
function weightStats(w: ArrayLike<number>, repeat = 1): { sum: number; nonzero: number } {
  let sum = 0;
  let nonzero = 0;
  for (let i = 0; i < w.length; i++) {
    sum += w[i];
    if (w[i] !== 0) nonzero++;
  }
  return { sum: sum * repeat, nonzero: nonzero * repeat };
}

/**
 * What the weighted sum is divided by: tf.losses' rule for each reduction. MEAN divides by Σ of
 * the broadcast weights (tf: Σ weights times the broadcast factor, the same number), and
 * SUM_BY_NONZERO_WEIGHTS by their nonzero count; without weights both divide by the loss count.
 */
function denominatorOf(reduction: ReductionValue, count: number, stats: { sum: number; nonzero: number } | null): number {
  if (reduction === Reduction.NONE || reduction === Reduction.SUM) return 1;
  if (!stats) return count;
  return reduction === Reduction.MEAN ? stats.sum : stats.nonzero;
}

/** 1 / denominator; a zero denominator gives a zero loss and gradient (tf.losses: NaN or ±Infinity). */
const inverse = (d: number) => (d === 0 ? 0 : 1 / d);

/**
 * One loss on the engine: the scalar loss, or the per-row / per-element losses for NONE; with
 * `grad` given, the gradient w.r.t. the logits is written into it in the same call.
 */
type Compute = (x: Float32Array, grad: Float32Array | null) => number | FloatOutput;

/** The options every engine call here gets; the loss adds its own (smoothing, weights). */
interface CallOptions {
  classes: number;
  reduction: 'none' | 'sum';
  gradOut?: Float32Array;
  gradOutput?: number | Float32Array;
}

/** One engine call: the loss, and the gradient into `opts.gradOut` when it is given. */
type EngineCall = (x: Float32Array, opts: CallOptions) => Loss;

/** Gradient arrays kept for reuse, at most this many. */
const SPARE_LIMIT = 4;

/** xent's ignoreIndex is disabled here: tf has none, and every label must be a class. */
const NO_IGNORE = Number.MAX_SAFE_INTEGER;

/** Creates the losses on a TensorFlow.js namespace and an xent engine (default: xent's default engine). */
export function createTfLosses(tf: TfNamespace, engine: Engine = getDefaultEngine()): TfLosses {
  if (typeof tf?.customGrad !== 'function' || typeof tf.Tensor !== 'function') {
    throw new TypeError('createTfLosses: pass the TensorFlow.js namespace, e.g. createTfLosses(await import("@tensorflow/tfjs"))');
  }

  /**
   * Gradient arrays whose upload has been copied, free for the next step. Only tfjs-backend-wasm
   * copies on upload (into its heap); other backends keep the array itself (cpu stores it as the
   * tensor's data, webgl until it uploads), so there each step's gradient is a fresh array.
   */
  const spare: Float32Array[] = [];
  const gradArray = (size: number, reuse: boolean) => {
    const i = reuse ? spare.findIndex((a) => a.length === size) : -1;
    return i < 0 ? new Float32Array(size) : spare.splice(i, 1)[0];
  };

  /**
   * Has `compute` run the engine on the logits (with the gradient only while tf records a tape)
   * and returns the loss tensor; the gradient goes to tf through tf.customGrad.
   */
  function run(logitsIn: TensorInput, lossShape: number[], logits: Read, compute: Compute, reduction: ReductionValue): tfc.Tensor {
    const x = float32(logits.values);
    const valueTensor = (v: number | FloatOutput) => (typeof v === 'number' ? tf.tensor(v, [], 'float32') : tf.tensor(v, lossShape, 'float32'));
    if (!(logitsIn instanceof tf.Tensor) || !tf.engine().isTapeOn()) return valueTensor(compute(x, null));
    const reuse = tf.getBackend() === 'wasm';
    // Taken until this loss's gradient is uploaded, so that two losses on one tape never share it.
    let grad: Float32Array | null = gradArray(x.length, reuse);
    const value = compute(x, grad);
    const op = tf.customGrad(() => ({
      value: valueTensor(value),
      gradFunc: (dy: tfc.Tensor) => {
        const out = grad!;
        grad = null;
        let result: tfc.Tensor;
        if (reduction === Reduction.NONE) {
          // Per-row (or per-element) losses: the upstream gradient scales each row on the device.
          const rows = logits.shape.length === lossShape.length ? dy : tf.reshape(dy, [...lossShape, 1]);
          result = tf.mul(tf.tensor(out, logits.shape, 'float32'), rows);
        } else {
          // A scalar loss: dy is one number, usually 1; scale in place before the one upload.
          const s = dy.dataSync()[0];
          if (s !== 1) for (let i = 0; i < out.length; i++) out[i] *= s;
          result = tf.tensor(out, logits.shape, 'float32');
        }
        if (reuse && spare.length < SPARE_LIMIT) spare.push(out);
        return result;
      },
    }));
    return op(logitsIn);
  }

  /**
   * Softmax cross-entropy over the last axis, weighted per row as tf.losses weights it: the
   * engine gets the per-row weight (over the denominator) as its upstream gradient.
   */
  function softmaxLoss(
    method: string,
    logitsIn: TensorInput,
    weightsIn: TensorInput | null | undefined,
    reduction: ReductionValue,
    labelsFor: (logits: Read, lossShape: number[]) => EngineCall,
  ): tfc.Tensor {
    const logits = read(tf, logitsIn);
    if (logits.shape.length < 1) throw new RangeError(`${method}: logits must have at least one axis (the classes), got a scalar`);
    const classes = logits.shape[logits.shape.length - 1];
    const lossShape = logits.shape.slice(0, -1);
    const rows = sizeOf(lossShape);
    const call = labelsFor(logits, lossShape);
    const rowWeight = weightsIn == null ? null : broadcast(method, read(tf, weightsIn), lossShape);
    const scale = inverse(denominatorOf(reduction, rows, rowWeight && weightStats(rowWeight)));
    const compute: Compute = (x, grad) => {
      if (rowWeight || reduction === Reduction.NONE) {
        const opts: CallOptions = { classes, reduction: 'none' };
        if (grad) {
          opts.gradOut = grad;
          if (rowWeight) opts.gradOutput = rowWeight.map((w) => w * (reduction === Reduction.NONE ? 1 : scale));
        }
        const perRow = call(x, opts) as FloatOutput;
        if (!rowWeight) return perRow;
        if (reduction === Reduction.NONE) {
          for (let i = 0; i < rows; i++) perRow[i] *= rowWeight[i];
          return perRow;
        }
        let total = 0;
        for (let i = 0; i < rows; i++) total += rowWeight[i] * perRow[i];
        return scale === 0 ? 0 : total * scale;
      }
      const opts: CallOptions = { classes, reduction: 'sum' };
      if (grad) Object.assign(opts, { gradOut: grad, gradOutput: scale });
      return scale === 0 ? 0 : (call(x, opts) as number) * scale;
    };
    return run(logitsIn, lossShape, logits, compute, reduction);
  }

  const softmaxCrossEntropy: TfLosses['softmaxCrossEntropy'] = (onehotLabels, logitsIn, weights, labelSmoothing, reductionIn) => {
    const method = 'softmaxCrossEntropy';
    const reduction = reductionOf(method, reductionIn);
    const eps = smoothingOf(method, labelSmoothing);
    return softmaxLoss(method, logitsIn, weights, reduction, (logits) => {
      const labels = read(tf, onehotLabels);
      if (shapeText(labels.shape) !== shapeText(logits.shape)) {
        throw new RangeError(`${method}: onehotLabels shape ${shapeText(labels.shape)} and logits shape ${shapeText(logits.shape)} must match`);
      }
      const targets = float32(labels.values);
      return (x, opts) => {
        const o = { ...opts, labelSmoothing: eps };
        return opts.gradOut ? engine.softmaxCrossEntropyDenseWithGrad(x, targets, o).loss : engine.softmaxCrossEntropyDense(x, targets, o);
      };
    });
  };

  const sparseSoftmaxCrossEntropy: TfLosses['sparseSoftmaxCrossEntropy'] = (labelsIn, logitsIn, weights, reductionIn) => {
    const method = 'sparseSoftmaxCrossEntropy';
    const reduction = reductionOf(method, reductionIn);
    return softmaxLoss(method, logitsIn, weights, reduction, (logits, lossShape) => {
      const classes = logits.shape[logits.shape.length - 1];
      const labels = read(tf, labelsIn);
      const s = shapeText(labels.shape);
      if (s !== shapeText(lossShape) && s !== shapeText([...lossShape, 1])) {
        throw new RangeError(`${method}: labels shape ${s} must be the logits' shape without the class axis, ${shapeText(lossShape)} (or ${shapeText([...lossShape, 1])})`);
      }
      // Int32Array (an int32 tensor) goes to the kernels as it is; float labels must hold integers.
      const ids = labels.values as Int32Array | Float32Array;
      for (let i = 0; i < ids.length; i++) {
        const v = ids[i];
        if (!(Number.isInteger(v) && v >= 0 && v < classes)) throw new RangeError(`${method}: labels[${i}] = ${v} is not a class in [0, ${classes})`);
      }
      return (x, opts) => {
        const o = { ...opts, ignoreIndex: NO_IGNORE };
        return opts.gradOut ? engine.softmaxCrossEntropyWithGrad(x, ids, o).loss : engine.softmaxCrossEntropy(x, ids, o);
      };
    });
  };

  const sigmoidCrossEntropy: TfLosses['sigmoidCrossEntropy'] = (multiClassLabels, logitsIn, weightsIn, labelSmoothing, reductionIn) => {
    const method = 'sigmoidCrossEntropy';
    const reduction = reductionOf(method, reductionIn);
    const eps = smoothingOf(method, labelSmoothing);
    const logits = read(tf, logitsIn);
    const labels = read(tf, multiClassLabels);
    if (shapeText(labels.shape) !== shapeText(logits.shape)) {
      throw new RangeError(`${method}: multiClassLabels shape ${shapeText(labels.shape)} and logits shape ${shapeText(logits.shape)} must match`);
    }
    const shape = logits.shape;
    const size = sizeOf(shape);
    const classes = shape.length === 0 ? 1 : shape[shape.length - 1];
    let targets = float32(labels.values);
    if (eps > 0) targets = targets.map((t) => t * (1 - eps) + 0.5 * eps);
    // Weights that vary along the class axis only go to the engine per class (length C), others per element.
    let weight: Float32Array | null = null;
    let stats: { sum: number; nonzero: number } | null = null;
    if (weightsIn != null) {
      const w = read(tf, weightsIn);
      const perClass =
        w.shape.length <= shape.length && w.shape.slice(0, -1).every((d) => d === 1) && (w.values.length === 1 || w.shape[w.shape.length - 1] === classes);
      if (perClass && size > 0) {
        weight = broadcast(method, { values: w.values, shape: [w.values.length] }, [classes]);
        stats = weightStats(weight, size / classes);
      } else {
        weight = broadcast(method, w, shape);
        stats = weightStats(weight);
      }
    }
    const scale = inverse(denominatorOf(reduction, size, stats));
    const compute: Compute = (x, grad) => {
      const opts = { classes, reduction: reduction === Reduction.NONE ? ('none' as const) : ('sum' as const), ...(weight && { weight }) };
      const loss = grad
        ? engine.sigmoidCrossEntropyWithGrad(x, targets, { ...opts, gradOut: grad, gradOutput: reduction === Reduction.NONE ? 1 : scale }).loss
        : engine.sigmoidCrossEntropy(x, targets, opts);
      return typeof loss === 'number' ? (scale === 0 ? 0 : loss * scale) : loss;
    };
    return run(logitsIn, shape, logits, compute, reduction);
  };

  return { engine, softmaxCrossEntropy, sparseSoftmaxCrossEntropy, sigmoidCrossEntropy };
}
