/**
 * The generator behind `sample`'s seed: xoshiro128** (Blackman and Vigna), its state filled by
 * splitmix32 from the seed, in the front so that every backend and every run draws the same
 * numbers. Each draw is a float64 in [0, 1) from 53 random bits (two 32-bit outputs).
 */

function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** A seeded generator of uniform [0, 1) doubles. */
export function seededRandom(seed: number): () => number {
  // Both 32-bit halves of the seed (a safe integer) feed the state.
  const mix = { s: (seed | 0) ^ Math.imul(Math.floor(seed / 4294967296) | 0, 0x27d4eb2d) };
  let a = splitmix32(mix);
  let b = splitmix32(mix);
  let c = splitmix32(mix);
  let d = splitmix32(mix);
  const next = (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
  return () => ((next() >>> 5) * 67108864 + (next() >>> 6)) / 9007199254740992;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
