/**
 * xent on every backend this runtime runs (`availableBackends()`), called as its docs show:
 * `softmaxCrossEntropy` for the loss, `softmaxCrossEntropyWithGrad` with a reused `gradOut` for
 * loss and gradient. Where the engine hands out arrays in its own memory (`engine.alloc`), one
 * more row keeps logits and gradient there: the zero-copy path.
 */
import type { Contender, Family } from './types.js';

type Xent = typeof import('../../src/index.js');
type Engine = Awaited<ReturnType<Xent['createEngine']>>;
/** The optional zero-copy allocator: a Float32Array living in the engine's wasm memory. */
type Alloc = (length: number) => Float32Array;

function allocOf(engine: Engine): Alloc | undefined {
  const alloc = (engine as unknown as { alloc?: unknown }).alloc;
  return typeof alloc === 'function' ? (alloc.bind(engine) as Alloc) : undefined;
}

function contender(engine: Engine, zeroCopy: boolean, createEngine: () => Promise<Engine>): Contender {
  return {
    id: `xent-${engine.backend}${zeroCopy ? '-zero-copy' : ''}`,
    kind: 'xent',
    note: zeroCopy
      ? `backend '${engine.backend}', logits and gradient in arrays from engine.alloc (no staging copy)`
      : `backend '${engine.backend}', Float32Array in, gradOut reused across calls`,
    modes: ['loss', 'grad'],
    async prepare(p, mode) {
      const opts = { classes: p.c };
      const length = p.logits.length;
      if (!zeroCopy) {
        if (mode === 'loss') return { call: () => ({ loss: engine.softmaxCrossEntropy(p.logits, p.labels, opts) }) };
        const gradOpts = { classes: p.c, gradOut: new Float32Array(length) };
        return { call: () => engine.softmaxCrossEntropyWithGrad(p.logits, p.labels, gradOpts) };
      }
      // A fresh engine per input, so earlier inputs' arrays go with the old one; logits and
      // gradient in one allocation, since a later allocation may grow the memory and detach them.
      const e = await createEngine();
      const alloc = allocOf(e);
      if (!alloc) throw new Error('engine.alloc went missing');
      const block = alloc(mode === 'grad' ? 2 * length : length);
      const logits = block.subarray(0, length);
      logits.set(p.logits);
      if (mode === 'loss') return { call: () => ({ loss: e.softmaxCrossEntropy(logits, p.labels, opts) }) };
      const gradOpts = { classes: p.c, gradOut: block.subarray(length) };
      return { call: () => e.softmaxCrossEntropyWithGrad(logits, p.labels, gradOpts) };
    },
  };
}

/** xent on each available backend, best first, plus the zero-copy row when the engine offers it. */
export const xentFamily: Family = {
  name: 'xent',
  async load() {
    const xent: Xent = await import('../../src/index.js');
    const rows: Contender[] = [];
    for (const backend of xent.availableBackends()) {
      const create = () => xent.createEngine({ backend });
      const engine = await create();
      rows.push(contender(engine, false, create));
      // One zero-copy row, on the best wasm backend.
      if (backend !== 'js' && rows.length === 1 && allocOf(engine)) rows.push(contender(engine, true, create));
    }
    return rows;
  },
};
