/** The pure-TS kernels' exp against Math.exp: relative error ≤ 1e-13 wherever the result is normal. */
import { describe, expect, it } from 'vitest';
import { expNonPositive } from '../src/backends/js.js';

describe('expNonPositive (js backend)', () => {
  it('is within 1e-13 relative of Math.exp over [-708, 0]', () => {
    let worst = 0;
    for (let i = 0; i <= 1_000_000; i++) {
      const x = (-708 * i) / 1_000_000;
      const want = Math.exp(x);
      worst = Math.max(worst, Math.abs(expNonPositive(x) - want) / want);
    }
    expect(worst).toBeLessThan(1e-13);
  });

  it('gives exact 1 at 0, 0 at -inf and far below, NaN for NaN', () => {
    expect(expNonPositive(0)).toBe(1);
    expect(expNonPositive(-0)).toBe(1);
    expect(expNonPositive(-Infinity)).toBe(0);
    expect(expNonPositive(-1e4)).toBe(0);
    expect(expNonPositive(NaN)).toBeNaN();
  });
});
