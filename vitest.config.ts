import { defineConfig } from 'vitest/config';
import { relaxedSimdSupported } from './src/backends/features.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    // Node 20 runs relaxed SIMD only behind a flag; turn it on for the test workers so the
    // relaxed-simd build runs the same contract suites as the others. Newer runtimes need nothing.
    execArgv: relaxedSimdSupported() ? [] : ['--experimental-wasm-relaxed-simd'],
  },
});
