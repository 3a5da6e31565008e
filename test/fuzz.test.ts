/**
 * Differential fuzz: random calls of every public method (test/fuzz/cases.ts: shapes from N = 0
 * and C = 1 to rows wider than a staging block, every option and their combinations, float32,
 * float64 and number[] inputs, NaN, ±Infinity, ±1e30, ties, masks and all-ignored batches) on
 * every engine of test/backends.ts, staged and with engine.alloc arrays. Each result must match
 * the float64 reference (test/reference.ts) within the tolerances stated in cases.ts, and the js
 * backend's result in its types, shapes and every NaN and ±Infinity (README "Semantics"), and
 * write nothing but its outputs (not the guards around views, not the module's static data). About
 * one case in eight is made invalid (test/fuzz/invalid.ts): every engine must throw the js
 * backend's TypeError or RangeError, word for word, and then run the valid case right.
 *
 * Seeded: case i of a run is drawn from seed + i alone, and a failure prints the line that
 * draws it again (XENT_FUZZ_SEED=<seed> XENT_FUZZ_RUNS=1 npx vitest run test/fuzz.test.ts). Without XENT_FUZZ_SEED
 * `npm test` runs a fixed seed (vitest.config.ts passes it to every project, the browser ones
 * included); XENT_FUZZ_SEED=random draws a fresh one; XENT_FUZZ_RUNS=<n> runs n cases per engine
 * (default 144, a few seconds per engine).
 */
import { beforeAll, describe, inject, it } from 'vitest';
import { createEngine, type Engine } from '../src/index.js';
import { BACKENDS, engineFor } from './backends.js';
import { drawCase, type Expected, type FuzzCase } from './fuzz/cases.js';
import { compareWithPeer, compareWithReference, describe as show, errorText, run, type Outcome } from './fuzz/check.js';
import { Draw } from './fuzz/draw.js';
import { mutate } from './fuzz/invalid.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The fuzz's seed and runs per engine (0: the default), from vitest.config.ts. */
    fuzz: { seed: number; runs: number };
  }
}

const settings = inject('fuzz');
const SEED = settings.seed >>> 0;
const RUNS = settings.runs > 0 ? settings.runs : 144;

/** The reference's answer and the js backend's outcome per seed, shared by the engines (up to a budget of entries). */
const memo = new Map<number, { expected?: Expected; peer?: Outcome }>();
let memoEntries = 0;
const MEMO_BUDGET = 5e6;

function remember(seed: number, k: FuzzCase): { expected?: Expected; peer?: Outcome } {
  let m = memo.get(seed);
  if (!m) {
    m = {};
    // The entries a case's answers hold: about its logits' size per array.
    const size = 4 * (k.n * k.c + k.n + 1);
    if (memoEntries + size <= MEMO_BUDGET) {
      memo.set(seed, m);
      memoEntries += size;
    }
  }
  return m;
}

/** The methods an error of this case may name (the shards case calls three). */
function namesOf(k: FuzzCase): string[] {
  return k.method === 'shards' ? ['softmaxCrossEntropyRowStates', 'mergeRowStates', 'softmaxCrossEntropyShardGrad'] : [k.method];
}

function fmtArg(v: unknown): string {
  if (Array.isArray(v) && v.some((x) => typeof x === 'object' && x !== null)) return `[${v.map(fmtArg).join(', ')}]`;
  if ((Array.isArray(v) || ArrayBuffer.isView(v)) && (v as ArrayLike<unknown>).length <= 24) {
    const items = Array.from(v as ArrayLike<unknown>, (x) => String(x));
    return `${Array.isArray(v) ? '' : v.constructor.name}[${items.join(', ')}]`;
  }
  if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v) && !Array.isArray(v)) {
    return `{ ${Object.entries(v).map(([key, x]) => `${key}: ${fmtArg(x)}`).join(', ')} }`;
  }
  return show(v);
}

function describeCase(k: FuzzCase, zeroCopy: boolean): string {
  const what = `${k.method} ${k.prec} n=${k.n} c=${k.c}, ${k.values}, ${zeroCopy ? 'engine.alloc arrays' : 'staged'}`;
  return `${what}${k.invalid ? `, invalid: ${k.invalid}` : ''}\n  args: ${k.args.map(fmtArg).join(', ')}`;
}

/** The problems of one valid case's outcome on an engine. */
function checkValid(k: FuzzCase, ran: ReturnType<typeof run>, m: { expected?: Expected }, peer: Outcome | null): string[] {
  if (!ran.outcome.ok) return [`threw ${errorText(ran.outcome.error)}`];
  const expected = (m.expected ??= k.expected());
  const problems = compareWithReference(k, ran.outcome.value, expected, ran);
  if (peer && !peer.ok) problems.push(`the js backend threw ${errorText(peer.error)}`);
  const d = peer?.ok ? compareWithPeer(ran.outcome.value, peer.value) : null;
  if (d) problems.push(`differs from the js backend: ${d}`);
  return problems;
}

/**
 * The case of a seed: valid, or made invalid (about one in eight), run staged or zero-copy.
 * Drawn afresh for every run, as an in-place call overwrites its inputs.
 */
function caseOf(seed: number): { valid: FuzzCase; invalid: FuzzCase | null; zeroCopy: Draw | null } {
  const valid = drawCase(seed);
  const d = new Draw(seed ^ 0x2545f491);
  const invalid = d.chance(0.12) ? mutate(valid, d) : null;
  return { valid, invalid, zeroCopy: !invalid && d.chance(0.35) ? new Draw(seed ^ 0x68e31da4) : null };
}

/** Runs the case of `seed` on `engine` (and the js backend, once); returns what went wrong. */
function checkSeed(engine: Engine, peerEngine: Engine, seed: number): { k: FuzzCase; zeroCopy: boolean; problems: string[] } {
  const { valid, invalid, zeroCopy } = caseOf(seed);
  const k = invalid ?? valid;
  const m = remember(seed, k);
  if (engine !== peerEngine && !m.peer) {
    const p = caseOf(seed);
    m.peer = run(peerEngine, p.invalid ?? p.valid, null).outcome;
  }
  const peer = engine === peerEngine ? null : m.peer!;
  const ran = run(engine, k, zeroCopy);
  const problems = ran.sideEffect ? [ran.sideEffect] : [];
  if (!invalid) return { k, zeroCopy: zeroCopy !== null, problems: [...problems, ...checkValid(k, ran, m, peer)] };
  if (ran.outcome.ok) {
    problems.push('returned a result; expected a TypeError or RangeError');
  } else {
    const e = ran.outcome.error;
    if (!(e instanceof TypeError || e instanceof RangeError)) problems.push(`threw ${errorText(e)}; expected a TypeError or RangeError`);
    else if (!namesOf(k).some((name) => e.message.startsWith(`${name}: `))) problems.push(`the message does not start with the method's name: ${e.message}`);
    if (peer && (peer.ok || errorText(peer.error) !== errorText(e))) {
      problems.push(`threw ${errorText(e)}; the js backend ${peer.ok ? 'returned a result' : `threw ${errorText(peer.error)}`}`);
    }
  }
  // The engine keeps working after the error.
  const fresh = drawCase(seed);
  const again = run(engine, fresh, null);
  for (const p of [...(again.sideEffect ? [again.sideEffect] : []), ...checkValid(fresh, again, remember(seed, fresh), null)]) {
    problems.push(`the valid case after the error: ${p}`);
  }
  return { k, zeroCopy: zeroCopy !== null, problems };
}

console.log(`xent fuzz: seed ${SEED}, ${RUNS} cases per engine (XENT_FUZZ_SEED=${SEED} XENT_FUZZ_RUNS=${RUNS} npx vitest run test/fuzz.test.ts replays this run)`);

describe.each(BACKENDS)('differential fuzz on %s', (name) => {
  let engine: Engine;
  let peer: Engine;
  beforeAll(async () => {
    engine = await engineFor(name);
    peer = name === 'js' ? engine : await createEngine({ backend: 'js' });
  });

  it(`${RUNS} random calls agree with the float64 reference and the js backend`, { timeout: Math.max(60_000, RUNS * 200) }, () => {
    const failures: string[] = [];
    for (let i = 0; i < RUNS && failures.length < 8; i++) {
      const seed = (SEED + i) >>> 0;
      const { k, zeroCopy, problems } = checkSeed(engine, peer, seed);
      if (problems.length === 0) continue;
      failures.push(`${describeCase(k, zeroCopy)}\n  ${problems.join('\n  ')}\n  replay: XENT_FUZZ_SEED=${seed} XENT_FUZZ_RUNS=1 npx vitest run test/fuzz.test.ts`);
    }
    if (failures.length > 0) throw new Error(`${failures.length} failing case(s) on ${name}:\n\n${failures.join('\n\n')}`);
  });
});
