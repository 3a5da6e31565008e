/** For the worker-fault tests (test/worker-faults.test.ts, test/node/worker-faults.test.ts). */

/** The LEB128 of a length, and a section of a module. */
const leb = (n: number): number[] => (n < 128 ? [n] : [(n & 127) | 128, ...leb(n >> 7)]);
const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
const name = (s: string) => [s.length, ...Array.from(s, (ch) => ch.charCodeAt(0))];
const F64_ONE = [0x44, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f];

/**
 * A module on a shared memory of one page: `mark()` sets a global of its instance; `spin()` and
 * `trap()` return 1 in a marked instance (the calling thread's), and in a worker's instance set
 * memory[0] = 1 and then loop forever or trap; `twice(x)` is 2x.
 */
export function faultModule(): WebAssembly.Module {
  const inWorker = (then: number[]) => [0x23, 0, 0x45, 0x04, 0x40, 0x41, 0, 0x41, 1, 0xfe, 0x17, 2, 0, ...then, 0x0b, ...F64_ONE, 0x0b];
  const body = (code: number[]) => [...leb(code.length + 1), 0, ...code];
  return new WebAssembly.Module(Uint8Array.from([
    0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, [3, 0x60, 0, 0, 0x60, 0, 1, 0x7c, 0x60, 1, 0x7c, 1, 0x7c]),
    ...section(2, [1, ...name('env'), ...name('memory'), 2, 3, 1, 1]),
    ...section(3, [4, 0, 1, 1, 2]),
    ...section(6, [1, 0x7f, 1, 0x41, 0, 0x0b]),
    ...section(7, [4, ...name('mark'), 0, 0, ...name('spin'), 0, 1, ...name('trap'), 0, 2, ...name('twice'), 0, 3]),
    ...section(10, [
      4,
      ...body([0x41, 1, 0x24, 0, 0x0b]),
      ...body(inWorker([0x03, 0x40, 0x0c, 0, 0x0b])),
      ...body(inWorker([0x00])),
      ...body([0x20, 0, 0x44, 0, 0, 0, 0, 0, 0, 0, 0x40, 0xa2, 0x0b]),
    ]),
  ]));
}

/** Spins until `done()` (10 s at most: then the test fails rather than hangs). */
export function until(done: () => boolean, what: string): void {
  const end = performance.now() + 10_000;
  while (!done()) if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
}
