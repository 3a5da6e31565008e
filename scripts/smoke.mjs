// The smoke run of the packed package in one JavaScript runtime (Node, Deno, Bun, or a
// Chromium page): imports 'xent' as a user's app does and checks the contract values on every
// backend the runtime has, and on a two-thread engine of each WebAssembly build. Plain
// JavaScript with no Node API, so every runtime runs the same file; scripts/smoke-runtimes.ts
// copies it next to an install of the `npm pack`ed package and runs it there. One line per
// check; the exit code is 1 if any fails (in a page: the last line says).
//
//   node smoke.mjs [--speed]      (deno run -A smoke.mjs, bun smoke.mjs; a page: smoke.html#--speed)
//
// --speed also times the relaxed-SIMD and SIMD builds back to back (4096x1000, 100 calls each,
// alternating) and prints their ratio, to see whether 'auto' picked the faster one.

import * as xent from 'xent';

const page = typeof globalThis.document === 'object';
const runtime = globalThis.Bun
  ? `Bun ${globalThis.Bun.version} (JavaScriptCore)`
  : globalThis.Deno
    ? `Deno ${globalThis.Deno.version.deno} (V8 ${globalThis.Deno.version.v8})`
    : page
      ? (globalThis.navigator.userAgent.match(/\b(HeadlessChrome|Chrome|Firefox)\/[\d.]+/)?.[0] ?? globalThis.navigator.userAgent)
      : `Node ${globalThis.process.version} (V8 ${globalThis.process.versions.v8})`;
const args = globalThis.Deno ? globalThis.Deno.args : page ? globalThis.location.hash.slice(1).split(',') : globalThis.process.argv.slice(2);

let failures = 0;
function report(ok, what, detail = '') {
  if (!ok) failures++;
  console.log(`${ok ? 'ok  ' : 'FAIL'}  ${what}${detail ? `: ${detail}` : ''}`);
}
function check(what, fn) {
  try {
    const detail = fn();
    report(true, what, detail);
  } catch (e) {
    report(false, what, e instanceof Error ? e.message : String(e));
  }
}
function close(got, want, tol, name) {
  if (!(Math.abs(got - want) <= tol)) throw new Error(`${name}: got ${got}, want ${want} (±${tol})`);
}

/**
 * A fixed batch: logits spread over [-8, 8) by a sine hash, labels by a multiplicative step. No
 * generator is needed to be reproducible here, and this file has to stand alone in the app.
 */
function batch(n, c, seed) {
  const logits = new Float32Array(n * c).map((_, i) => {
    const h = Math.sin((i + 1) * 12.9898 + seed * 78.233) * 43758.5453;
    return 16 * (h - Math.floor(h)) - 8;
  });
  const labels = new Int32Array(n).map((_, r) => (r * 7919 + seed) % c);
  return { n, c, logits, labels };
}

/** The float64 reference: mean softmax cross-entropy and its gradient, softmax − onehot over n. */
function reference({ n, c, logits, labels }) {
  let loss = 0;
  const grad = new Float64Array(n * c);
  for (let r = 0; r < n; r++) {
    const row = logits.subarray(r * c, (r + 1) * c);
    let max = -Infinity;
    for (const x of row) max = Math.max(max, x);
    let sum = 0;
    for (const x of row) sum += Math.exp(x - max);
    const lse = max + Math.log(sum);
    loss += lse - row[labels[r]];
    for (let k = 0; k < c; k++) grad[r * c + k] = (Math.exp(row[k] - lse) - (k === labels[r] ? 1 : 0)) / n;
  }
  return { loss: loss / n, grad };
}

/** Loss and gradient of `engine` on `b` against the float64 reference `want`. */
function checkBatch(engine, b, want) {
  const loss = engine.softmaxCrossEntropy(b.logits, b.labels, { classes: b.c });
  close(loss, want.loss, 1e-5 * want.loss, 'loss');
  const withGrad = engine.softmaxCrossEntropyWithGrad(b.logits, b.labels, { classes: b.c });
  close(withGrad.loss, want.loss, 1e-5 * want.loss, 'loss with gradient');
  let worst = 0;
  for (let i = 0; i < want.grad.length; i++) worst = Math.max(worst, Math.abs(withGrad.grad[i] - want.grad[i]) * b.n);
  if (!(worst <= 1e-5)) throw new Error(`gradient: largest |error|·N ${worst}, want ≤ 1e-5`);
  return `${b.n}x${b.c}, loss ${loss.toFixed(6)}, gradient error·N ${worst.toExponential(1)}`;
}

/** The worked examples of the README and DESIGN.md, and the quick start's numbers. */
function workedExamples(e) {
  close(e.crossEntropy([0, 1, 0], [0.1, 0.8, 0.1]), -Math.log(0.8), 1e-6, 'crossEntropy, good prediction');
  close(e.crossEntropy([0, 1, 0], [0.7, 0.2, 0.1]), -Math.log(0.2), 1e-6, 'crossEntropy, bad prediction');
  close(e.entropy([0.75, 0.25], { base: 2 }), -(0.75 * Math.log2(0.75) + 0.25 * Math.log2(0.25)), 1e-6, 'entropy in bits');
  close(e.entropy([0.5, 0.5], { base: 2 }), 1, 1e-6, 'entropy of 50/50');
  close(e.entropy([1, 0], { base: 2 }), 0, 1e-6, 'entropy of 100/0');
  close(e.crossEntropy([1, 0, 0, 0], [0.4, 0.3, 0.1, 0.1], { base: 2 }), -Math.log2(0.4), 1e-6, 'the cat');
  close(e.klDivergence([0.75, 0.25], [0.5, 0.5], { base: 2 }), 1 + 0.75 * Math.log2(0.75) + 0.25 * Math.log2(0.25), 1e-6, 'KL in bits');
  const quick = e.softmaxCrossEntropy(new Float32Array([2.0, 0.5, -1.0, 0.1, 0.2, 3.0]), new Int32Array([0, 2]), { classes: 3 });
  close(quick, 0.1755, 5e-5, 'quick start');
  const x = [Math.log(0.1), Math.log(0.8), Math.log(0.1)];
  close(e.softmaxCrossEntropy(x, [1], { classes: 3 }), -Math.log(0.8), 1e-6, 'logits of [0.1, 0.8, 0.1]');
  const { loss, grad } = e.softmaxCrossEntropyWithGrad(x, [1], { classes: 3 });
  close(loss, -Math.log(0.8), 1e-6, 'loss with gradient');
  [0.1, -0.2, 0.1].forEach((g, i) => close(grad[i], g, 1e-6, `grad[${i}]`));
  return 'H, entropy, cat, KL, quick start 0.1755, gradient [0.1, -0.2, 0.1]';
}

/** Bad input is a RangeError naming the method and the argument, and the engine goes on working. */
function badInput(e) {
  let error;
  try {
    e.softmaxCrossEntropy(new Float32Array(6), new Int32Array([0, 3]), { classes: 3 });
  } catch (caught) {
    error = caught;
  }
  if (!(error instanceof RangeError) || !/softmaxCrossEntropy: labels\[1\] = 3/.test(error.message)) {
    throw new Error(`want a RangeError naming labels[1], got ${error}`);
  }
  close(e.softmaxCrossEntropy([0, 0, 0], [1], { classes: 3 }), Math.log(3), 1e-6, 'after the error');
  return error.message;
}

console.log(`xent smoke run on ${runtime}`);
const available = xent.availableBackends();
const auto = await xent.createEngine();
report(auto.backend === available[0], `'auto' runs ${auto.backend}`, `available here, fastest first: ${available.join(', ')}`);

const small = batch(64, 1000, 1);
const smallWant = reference(small);
// 512x1000 logits are past the size (2^18) from which a threaded engine runs on its workers.
const large = batch(512, 1000, 2);
const largeWant = reference(large);
const engines = {};
for (const backend of available) {
  const e = (engines[backend] = await xent.createEngine({ backend }));
  check(`${backend}: worked examples`, () => workedExamples(e));
  check(`${backend}: softmax cross-entropy and gradient vs float64`, () => checkBatch(e, small, smallWant));
  check(`${backend}: bad input`, () => badInput(e));
}
for (const backend of available.filter((b) => b !== 'js')) {
  const e = await xent.createEngine({ backend, threads: 2 });
  if (e.threads !== 2) {
    report(false, `${backend} x2 threads`, `asked for 2 threads, the engine runs ${e.threads}: no workers in this runtime`);
    continue;
  }
  check(`${backend} x2 threads: softmax cross-entropy and gradient vs float64`, () => checkBatch(e, large, largeWant));
  check(`${backend} x2 threads: worked examples`, () => workedExamples(e));
  e.dispose();
}

// The relaxed build differs from the SIMD build only in f32x4.relaxed_madd: the two agree bit
// for bit where it does not fuse, and then 'auto' must not pick the relaxed build.
if (engines['relaxed-simd'] && engines.simd) {
  const [r, s] = [engines['relaxed-simd'], engines.simd].map((e) => e.softmaxCrossEntropyWithGrad(small.logits, small.labels, { classes: small.c }).grad);
  const fused = r.some((v, i) => v !== s[i]);
  const want = fused ? 'relaxed-simd' : 'simd';
  report(auto.backend === want, `'auto' is ${want}`, `the relaxed and SIMD builds ${fused ? 'differ (relaxed_madd fuses)' : 'agree bit for bit (relaxed_madd does not fuse)'}`);
} else {
  console.log(`note  relaxed SIMD does not run here: 'auto' is ${auto.backend}`);
}

if (args.includes('--speed')) {
  // Calls alternate between the builds, so that the machine's drift falls on both alike.
  const ROUNDS = 100;
  const b = batch(4096, 1000, 3);
  const grad = new Float32Array(b.logits.length);
  const timed = Object.keys(engines).filter((k) => k === 'relaxed-simd' || k === 'simd');
  const times = Object.fromEntries(timed.flatMap((k) => [[`${k} loss`, []], [`${k} grad`, []]]));
  for (let round = 0; round < ROUNDS + 3; round++) {
    for (const k of timed) {
      let t = performance.now();
      engines[k].softmaxCrossEntropy(b.logits, b.labels, { classes: b.c });
      if (round > 2) times[`${k} loss`].push(performance.now() - t);
      t = performance.now();
      engines[k].softmaxCrossEntropyWithGrad(b.logits, b.labels, { classes: b.c, gradOut: grad });
      if (round > 2) times[`${k} grad`].push(performance.now() - t);
    }
  }
  const rate = (k) => {
    const sorted = times[k].sort((x, y) => x - y);
    return (b.n * b.c) / sorted[sorted.length >> 1] / 1e3;
  };
  const cells = Object.keys(times).map((k) => `${k} ${rate(k).toFixed(0)}`);
  const ratios = timed.length === 2 ? `; relaxed-simd / simd: loss ${(rate('relaxed-simd loss') / rate('simd loss')).toFixed(2)}, grad ${(rate('relaxed-simd grad') / rate('simd grad')).toFixed(2)}` : '';
  console.log(`speed ${b.n}x${b.c}, medians of ${ROUNDS} alternating calls, M logits/s: ${cells.join(', ')}${ratios}`);
}

console.log(failures === 0 ? `smoke run on ${runtime}: all passed` : `smoke run on ${runtime}: ${failures} FAILED`);
if (failures > 0 && !page) {
  if (globalThis.Deno) globalThis.Deno.exit(1);
  globalThis.process.exit(1);
}
