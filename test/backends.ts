/** The engines this runtime runs, for suites written once and run against each. */
import { availableBackends, createEngine, type BackendName, type Engine } from '../src/index.js';
import { XentEngine } from '../src/engine.js';
import LOSSES from '../src/losses/index.js';
import { createWasmKernels } from '../src/backends/wasm.js';
import { threadsUnavailable } from '../src/threads/pool.js';

/**
 * A threaded engine for the contract suites: the SIMD build on two threads, cutting every call
 * into blocks of 256 elements (at least a row each), so that the suites' small batches run on
 * the worker and the calling thread with many blocks in flight. Listed where threads run here
 * (Node; a cross-origin isolated page).
 */
export const THREADED = 'simd x2 threads';

const canThread = availableBackends().includes('simd') && threadsUnavailable() === null;
/** A page served cross-origin isolated: the 'browser-isolated' project, there for the threaded engine. */
const isolatedPage = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true && typeof document === 'object';

/**
 * Every backend available here, best first ('js' last), then the threaded engine where threads
 * run; on an isolated page the threaded engine alone (the 'browser' project runs the others).
 */
export const BACKENDS: string[] = isolatedPage && canThread ? [THREADED] : [...availableBackends(), ...(canThread ? [THREADED] : [])];

/** The backend an engine of BACKENDS runs. */
export function backendOf(name: string): BackendName {
  return name === THREADED ? 'simd' : (name as BackendName);
}

/** One engine per name in BACKENDS (a backend name, or THREADED), created once per file. */
export async function engineFor(name: string): Promise<Engine> {
  if (name !== THREADED) return createEngine({ backend: name as BackendName });
  const engine = new XentEngine(createWasmKernels('simd', { threads: 2, tuning: { minElements: 0, blockElements: 256 } }));
  await engine.ready();
  return engine;
}

/** Every method of the engine (the registry's list), by name. */
export const METHODS: readonly string[] = LOSSES.flatMap((loss) => Object.keys(loss.methods));

/** A method with its arguments and result untyped: for calls whose arguments are deliberately wrong, or whose method is data. */
export type Untyped = (...args: unknown[]) => any;

const untypedOf = new WeakMap<Engine, Record<string, Untyped>>();

/** The engine's methods (METHODS), untyped (see Untyped), bound to it. */
export function untyped(engine: Engine): Record<string, Untyped> {
  const known = untypedOf.get(engine);
  if (known) return known;
  const methods: Record<string, Untyped> = {};
  untypedOf.set(engine, methods);
  for (const name of METHODS) {
    const f: unknown = Reflect.get(engine, name);
    if (typeof f !== 'function') throw new Error(`the engine has no method ${name}`);
    methods[name] = (...args) => Reflect.apply(f, engine, args);
  }
  return methods;
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
