import { playwright } from '@vitest/browser-playwright';
import { configDefaults, defineConfig } from 'vitest/config';
import { relaxedSimdSupported } from './src/backends/features.js';
import { CHROMIUM_LAUNCH } from './scripts/chromium.js';

/**
 * Three projects, all run by `npm test`:
 * - node: test/*.test.ts and test/node/ (tests that need Node; most drive Chromium from Node:
 *   the packed package on a static page and under Vite, the example page).
 * - browser: test/*.test.ts and test/browser/ (tests only a browser can run), inside headless
 *   Chromium (Debian's /usr/bin/chromium through Playwright; nothing is downloaded). If
 *   Chromium cannot launch, this project fails the run.
 * - browser-isolated: the threads tests, and every contract suite (each suite of test/ that runs
 *   on the engines of test/backends.ts) on the threaded engine alone, in Chromium on pages served
 *   cross-origin isolated (COOP + COEP), where SharedArrayBuffer exists and threaded engines run
 *   on Web Workers; in 'browser' they fall back to one thread.
 * So a suite in test/ itself must run in both: no node: modules, and process only as
 * globalThis.process?. (see golden-helpers.ts and property.test.ts).
 */
/**
 * The differential fuzz's run (test/fuzz.test.ts), the same in every project: XENT_FUZZ_SEED
 * replays one, XENT_FUZZ_SEED=random draws a fresh one; XENT_FUZZ_RUNS cases per engine (0: its
 * default). Without it the seed is fixed, so that `npm test` (and CI) is the same run every
 * time; new cases come from runs with a fresh seed. The seed goes into the environment, as
 * vitest evaluates this file once per project.
 */
const DEFAULT_FUZZ_SEED = 20261201;
if (process.env.XENT_FUZZ_SEED === 'random') process.env.XENT_FUZZ_SEED = String(Math.floor(Math.random() * 2 ** 31));
process.env.XENT_FUZZ_SEED ??= String(DEFAULT_FUZZ_SEED);
const fuzz = {
  seed: Number(process.env.XENT_FUZZ_SEED),
  runs: Number(process.env.XENT_FUZZ_RUNS ?? 0),
};

export default defineConfig({
  test: {
    testTimeout: 60_000,
    provide: { fuzz },
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['test/*.test.ts', 'test/node/**/*.test.ts'],
          // Node 20 runs relaxed SIMD only behind a flag; turn it on for the test workers so the
          // relaxed-simd build runs the same contract suites as the others. Newer runtimes need nothing.
          execArgv: relaxedSimdSupported() ? [] : ['--experimental-wasm-relaxed-simd'],
        },
      },
      {
        extends: true,
        // Served cross-origin isolated, so that SharedArrayBuffer exists and threaded engines run
        // on Web Workers; the contract suites run the threaded engine alone here (test/backends.ts).
        server: { headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } },
        test: {
          name: 'browser-isolated',
          include: ['test/*.test.ts', 'test/browser/threads-in-worker.test.ts'],
          // Not contract suites: the builds' own math (no engine), and the TensorFlow.js adapter.
          exclude: [...configDefaults.exclude, 'test/wasm-*.test.ts', 'test/softcap-tanh.test.ts', 'test/js-exp.test.ts', 'test/tfjs-*.test.ts'],
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({ launchOptions: CHROMIUM_LAUNCH }),
            instances: [{ browser: 'chromium' }],
            screenshotFailures: false,
          },
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['test/*.test.ts', 'test/browser/**/*.test.ts'],
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({ launchOptions: CHROMIUM_LAUNCH }),
            instances: [{ browser: 'chromium' }],
            screenshotFailures: false,
          },
        },
      },
    ],
  },
});
