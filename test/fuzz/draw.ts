/** The fuzz's random choices: one seeded stream per case (test/random.ts), so a case is drawn again from its seed. */
import { rng } from '../random.js';

export class Draw {
  private readonly r: () => number;

  constructor(seed: number) {
    // Consecutive case seeds are consecutive integers; scramble them before mulberry32 sees them.
    this.r = rng(Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ (seed >>> 13));
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.r();
  }

  chance(p: number): boolean {
    return this.r() < p;
  }

  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.r() * (hi - lo + 1));
  }

  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.r() * xs.length)];
  }

  /** One of the choices, with probability proportional to its weight; the value is made only if chosen. */
  weighted<T>(choices: readonly (readonly [number, () => T])[]): T {
    let total = 0;
    for (const [w] of choices) total += w;
    let u = this.r() * total;
    for (const [w, make] of choices) {
      if (u < w) return make();
      u -= w;
    }
    return choices[choices.length - 1][1]();
  }

  /** A standard normal deviate (Box–Muller). */
  normal(): number {
    return Math.sqrt(-2 * Math.log(1 - this.r())) * Math.cos(2 * Math.PI * this.r());
  }
}
