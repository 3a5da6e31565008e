/** The backends this runtime runs, for suites written once and run against each. */
import { availableBackends, createEngine, type BackendName, type Engine } from '../src/index.js';

/** Every backend available here, best first ('js' last). */
export const BACKENDS: BackendName[] = availableBackends();

/** One engine per backend, created once per file. */
export async function engineFor(backend: BackendName): Promise<Engine> {
  return createEngine({ backend });
}

/** |got - want| ≤ abs + rel·|want|, elementwise, with the first failing index in the message. */
export function expectClose(got: ArrayLike<number> | number, want: ArrayLike<number> | number, rel: number, abs = 0): void {
  const g = typeof got === 'number' ? [got] : got;
  const w = typeof want === 'number' ? [want] : want;
  if (g.length !== w.length) throw new Error(`length ${g.length} != ${w.length}`);
  for (let i = 0; i < g.length; i++) {
    const a = g[i];
    const b = w[i];
    if (Number.isNaN(b) ? Number.isNaN(a) : a === b || Math.abs(a - b) <= abs + rel * Math.abs(b)) continue;
    throw new Error(`index ${i}: got ${a}, want ${b} (|diff| ${Math.abs(a - b)})`);
  }
}
