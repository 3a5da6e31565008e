import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import { relaxedSimdSupported } from './src/backends/features.js';
import { CHROMIUM_LAUNCH } from './scripts/chromium.js';

/**
 * Two projects, both run by `npm test`:
 * - node: every test file except the in-browser ones; test/e2e/ drives Chromium from Node
 *   (the built package on a static page, under Vite, the example page).
 * - browser: the environment-agnostic contract suites (test/*.test.ts) plus test/browser/,
 *   inside headless Chromium (Debian's /usr/bin/chromium through Playwright; nothing is
 *   downloaded). If Chromium cannot launch, this project fails the run.
 */
export default defineConfig({
  test: {
    testTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/browser/**'],
          // Node 20 runs relaxed SIMD only behind a flag; turn it on for the test workers so the
          // relaxed-simd build runs the same contract suites as the others. Newer runtimes need nothing.
          execArgv: relaxedSimdSupported() ? [] : ['--experimental-wasm-relaxed-simd'],
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
