/**
 * Bad options of the training extras (zLoss, softcap, returnZLoss, stats, the focal losses)
 * throw the same TypeError or RangeError, naming the method and the option, on every backend;
 * typos of their names (PyTorch / Liger / Gemma spellings) are caught with a suggestion.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, engineFor, untyped } from './backends.js';
import type { Engine } from '../src/index.js';

const x6 = new Float32Array([1, 2, 3, 4, 5, 6]);
const y2 = new Int32Array([0, 2]);

type Case = [name: string, call: (e: Engine) => unknown, type: typeof TypeError | typeof RangeError, message: RegExp];

/** The engine with its methods untyped: these calls are deliberately wrong. */
const bad = untyped;

const CASES: Case[] = [
  ['zLoss negative', (e) => e.softmaxCrossEntropy(x6, y2, { classes: 3, zLoss: -1e-4 }), RangeError, /softmaxCrossEntropy: zLoss must be a finite number >= 0, got -0.0001/],
  ['zLoss NaN', (e) => e.softmaxCrossEntropyWithGrad(x6, y2, { classes: 3, zLoss: NaN }), RangeError, /softmaxCrossEntropyWithGrad: zLoss must be a finite number >= 0, got NaN/],
  ['zLoss Infinity', (e) => e.softmaxCrossEntropyDense(x6, x6, { classes: 3, zLoss: Infinity }), RangeError, /softmaxCrossEntropyDense: zLoss must be a finite number >= 0, got Infinity/],
  ['zLoss a string', (e) => bad(e).softmaxCrossEntropy(x6, y2, { classes: 3, zLoss: '1e-4' }), TypeError, /zLoss must be a number, got '1e-4'/],
  ['softcap 0', (e) => e.softmaxCrossEntropy(x6, y2, { classes: 3, softcap: 0 }), RangeError, /softmaxCrossEntropy: softcap must be a finite number > 0, got 0/],
  ['softcap negative', (e) => e.softmaxCrossEntropyDenseWithGrad(x6, x6, { classes: 3, softcap: -30 }), RangeError, /softcap must be a finite number > 0, got -30/],
  ['softcap Infinity', (e) => e.softmaxCrossEntropy(x6, y2, { classes: 3, softcap: Infinity }), RangeError, /softcap must be a finite number > 0, got Infinity/],
  ['softcap NaN', (e) => e.softmaxCrossEntropy(x6, y2, { classes: 3, softcap: NaN }), RangeError, /softcap must be a finite number > 0, got NaN/],
  ['softcap null', (e) => bad(e).softmaxCrossEntropy(x6, y2, { classes: 3, softcap: null }), TypeError, /softcap must be a number, got null/],
  ['returnZLoss not a boolean', (e) => bad(e).softmaxCrossEntropy(x6, y2, { classes: 3, returnZLoss: 1 }), TypeError, /returnZLoss must be true or false, got 1/],
  ['stats not a boolean', (e) => bad(e).softmaxCrossEntropy(x6, y2, { classes: 3, stats: 'yes' }), TypeError, /stats must be true or false, got 'yes'/],
  ['stats on the dense loss', (e) => bad(e).softmaxCrossEntropyDense(x6, x6, { classes: 3, stats: true }), TypeError, /softmaxCrossEntropyDense: option 'stats' does not apply here/],
  ['zLoss on the sigmoid loss', (e) => bad(e).sigmoidCrossEntropy(x6, x6, { zLoss: 1e-4 }), TypeError, /sigmoidCrossEntropy: option 'zLoss' does not apply here/],
  ['gamma on cross-entropy', (e) => bad(e).softmaxCrossEntropy(x6, y2, { classes: 3, gamma: 2 }), TypeError, /softmaxCrossEntropy: option 'gamma' does not apply here/],
  ['Liger spelling lse_square_scale', (e) => bad(e).softmaxCrossEntropy(x6, y2, { classes: 3, lse_square_scale: 1e-4 }), TypeError, /unknown option 'lse_square_scale' \(did you mean 'zLoss'\?\)/],
  ['z_loss spelling', (e) => bad(e).softmaxCrossEntropyWithGrad(x6, y2, { classes: 3, z_loss: 1e-4 }), TypeError, /unknown option 'z_loss' \(did you mean 'zLoss'\?\)/],
  ['Gemma spelling final_logit_softcapping', (e) => bad(e).softmaxCrossEntropy(x6, y2, { classes: 3, final_logit_softcapping: 30 }), TypeError, /unknown option 'final_logit_softcapping' \(did you mean 'softcap'\?\)/],
  ['return_z_loss spelling', (e) => bad(e).softmaxCrossEntropy(x6, y2, { classes: 3, return_z_loss: true }), TypeError, /unknown option 'return_z_loss' \(did you mean 'returnZLoss'\?\)/],
  ['focal gamma negative', (e) => e.softmaxFocalLoss(x6, y2, { classes: 3, gamma: -1 }), RangeError, /softmaxFocalLoss: gamma must be a finite number >= 0, got -1/],
  ['focal gamma NaN', (e) => e.sigmoidFocalLossWithGrad(x6, x6, { gamma: NaN }), RangeError, /sigmoidFocalLossWithGrad: gamma must be a finite number >= 0, got NaN/],
  ['focal gamma a string', (e) => bad(e).sigmoidFocalLoss(x6, x6, { gamma: '2' }), TypeError, /sigmoidFocalLoss: gamma must be a number, got '2'/],
  ['softmax focal alpha of the wrong length', (e) => e.softmaxFocalLoss(x6, y2, { classes: 3, alpha: [0.25, 0.75] }), RangeError, /softmaxFocalLoss: alpha has length 2, expected 3/],
  ['softmax focal alpha not finite', (e) => e.softmaxFocalLossWithGrad(x6, y2, { classes: 3, alpha: [0.25, Infinity, 1] }), RangeError, /alpha\[1\] = Infinity is not finite/],
  ['softmax focal alpha a NaN number', (e) => e.softmaxFocalLoss(x6, y2, { classes: 3, alpha: NaN }), RangeError, /softmaxFocalLoss: alpha must be finite, got NaN/],
  ['sigmoid focal alpha an array', (e) => bad(e).sigmoidFocalLoss(x6, x6, { alpha: [0.25] }), TypeError, /sigmoidFocalLoss: alpha must be a number, got an array of length 1/],
  ['sigmoid focal alpha Infinity', (e) => e.sigmoidFocalLoss(x6, x6, { alpha: Infinity }), RangeError, /sigmoidFocalLoss: alpha must be finite, got Infinity/],
  ['labelSmoothing on the focal loss', (e) => bad(e).softmaxFocalLoss(x6, y2, { classes: 3, labelSmoothing: 0.1 }), TypeError, /softmaxFocalLoss: option 'labelSmoothing' does not apply here/],
  ['posWeight on the sigmoid focal loss', (e) => bad(e).sigmoidFocalLoss(x6, x6, { posWeight: 2 }), TypeError, /sigmoidFocalLoss: option 'posWeight' does not apply here/],
  ['focal_gamma spelling', (e) => bad(e).softmaxFocalLoss(x6, y2, { classes: 3, focal_gamma: 2 }), TypeError, /unknown option 'focal_gamma' \(did you mean 'gamma'\?\)/],
  ['focal label out of range', (e) => e.softmaxFocalLoss(x6, [0, 3], { classes: 3 }), RangeError, /softmaxFocalLoss: labels\[1\] = 3 is outside \[0, 3\)/],
  ['focal targets of the wrong length', (e) => e.sigmoidFocalLoss(x6, [1, 0], { classes: 3 }), RangeError, /sigmoidFocalLoss: targets has length 2, expected 6/],
  ['focal gradOutput array with a mean', (e) => bad(e).sigmoidFocalLossWithGrad(x6, x6, { gradOutput: [1, 2] }), TypeError, /gradOutput must be a number for reduction 'mean'/],
  ['a gradient option on the loss-only focal loss', (e) => bad(e).softmaxFocalLoss(x6, y2, { classes: 3, gradOut: x6 }), TypeError, /option 'gradOut' does not apply here/],
];

describe.each(BACKENDS)('training extras validation on %s', (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await engineFor(backend);
  });

  it.each(CASES)('%s', (_name, call, type, message) => {
    let thrown: unknown;
    try {
      call(engine);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(type);
    expect((thrown as Error).message).toMatch(message);
  });

  it('options whose value is undefined are ignored, as everywhere', () => {
    const base = engine.softmaxCrossEntropy(x6, y2, { classes: 3 });
    expect(engine.softmaxCrossEntropy(x6, y2, { classes: 3, zLoss: undefined, softcap: undefined, stats: undefined, returnZLoss: undefined })).toBe(base);
  });
});
