/**
 * The example page's module: the loss and its gradient on generated logits with the best
 * backend this browser runs, then the time of each backend on the same batch.
 */
import { availableBackends, createEngine } from 'xent';
import { makeProblem } from './problem.js';

const ROWS = 512;
const CLASSES = 1000;
const SEED = 1;
const REPEATS = 15;
const SAMPLE_MS = 5;

const $ = (id) => document.getElementById(id);

/**
 * Median time of one call of `fn`, in milliseconds, over REPEATS samples. Browsers round
 * performance.now() (to 0.1 ms unless the page is cross-origin isolated), so each sample
 * times a batch of calls lasting at least SAMPLE_MS.
 */
function medianMs(fn) {
  let batch = 0;
  const start = performance.now();
  do {
    fn();
    batch++;
  } while (performance.now() - start < SAMPLE_MS);
  const times = [];
  for (let i = 0; i < REPEATS; i++) {
    const t0 = performance.now();
    for (let j = 0; j < batch; j++) fn();
    times.push((performance.now() - t0) / batch);
  }
  times.sort((a, b) => a - b);
  return times[REPEATS >> 1];
}

async function main() {
  const { logits, labels } = makeProblem(ROWS, CLASSES, SEED);
  $('shape').textContent = `${ROWS} rows × ${CLASSES} classes (seed ${SEED})`;
  $('available').textContent = availableBackends().join(', ');

  // The best backend here ('auto'): loss and gradient in one fused pass.
  const engine = await createEngine();
  const opts = { classes: CLASSES };
  const { loss, grad } = engine.softmaxCrossEntropyWithGrad(logits, labels, opts);
  $('backend').textContent = engine.backend;
  $('loss').textContent = loss.toFixed(6);
  $('loss').dataset.value = String(loss);
  // Each row of the gradient is (softmax − one-hot) / rows, so it sums to 0.
  let worstRowSum = 0;
  for (let r = 0; r < ROWS; r++) {
    let s = 0;
    for (let k = 0; k < CLASSES; k++) s += grad[r * CLASSES + k];
    worstRowSum = Math.max(worstRowSum, Math.abs(s));
  }
  $('grad').textContent = `[${Array.from(grad.subarray(0, 4), (g) => g.toExponential(3)).join(', ')}, …]; largest |row sum| ${worstRowSum.toExponential(1)}`;

  // Every backend on the same batch: loss only, and loss with the gradient into a reused array.
  const body = $('timings');
  for (const backend of availableBackends()) {
    const e = await createEngine({ backend });
    const gradOpts = { classes: CLASSES, gradOut: new Float32Array(logits.length) };
    const lossMs = medianMs(() => e.softmaxCrossEntropy(logits, labels, opts));
    const gradMs = medianMs(() => e.softmaxCrossEntropyWithGrad(logits, labels, gradOpts));
    const row = body.insertRow();
    row.dataset.backend = backend;
    row.dataset.lossMs = String(lossMs);
    row.dataset.gradMs = String(gradMs);
    for (const text of [backend, lossMs.toPrecision(3), gradMs.toPrecision(3), ((ROWS * CLASSES) / gradMs / 1e3).toFixed(0)]) {
      row.insertCell().textContent = text;
    }
  }
  $('status').textContent = 'done';
}

main().catch((e) => {
  $('status').textContent = `error: ${e instanceof Error ? e.message : String(e)}`;
  throw e;
});
