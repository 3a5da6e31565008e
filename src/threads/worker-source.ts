/**
 * The code a kernel worker runs, as source text: a Node worker_threads worker runs it with
 * `eval: true`, a browser runs it as a classic Web Worker from a Blob URL, so it needs no file
 * of its own, no bundler support for workers and no fetch. It is plain JavaScript with no
 * imports, kept small; the protocol is documented in pool.ts, whose constants it receives.
 *
 * The worker instantiates the kernels on the shared memory, marks itself running, then loops:
 * claim the next published block (compare-exchange on CLAIMED while CLAIMED < STAGED), call the
 * export its slot names with the arguments the slot holds, store the result in the slot, mark
 * the slot done and notify; with nothing to claim it spins for SPIN_MS, then sleeps in
 * Atomics.wait on STAGED.
 */
import { CONTROL } from './protocol.js';

/** The worker's source; `init` is the message (or workerData) it starts from. */
export const WORKER_SOURCE = `'use strict';
(function () {
  var C = ${JSON.stringify(CONTROL)};
  function start(d) {
    var exportsOf = new WebAssembly.Instance(d.module, { env: { memory: d.memory } }).exports;
    d.setup.forEach(function (c) { exportsOf[c[0]].apply(null, c[1]); });
    var fns = d.names.map(function (n) { return exportsOf[n]; });
    var ctl = new Int32Array(d.control);
    var slots = new Float64Array(d.slots);
    var mask = d.slotCount - 1;
    var W = d.width;
    var state = C.DONE + d.slotCount + d.index;
    var idle = 0;
    var idleSince = 0;
    /** The block this worker holds (claimed, not yet done), or -1. */
    var held = -1;
    Atomics.store(ctl, state, C.RUNNING);
    try {
      for (;;) {
        if (Atomics.load(ctl, C.STOP) !== 0) return;
        var staged = Atomics.load(ctl, C.STAGED);
        var claimed = Atomics.load(ctl, C.CLAIMED);
        if (((staged - claimed) | 0) <= 0) {
          // Spin a while before sleeping: a sleeping worker takes 40-300 us to wake here (a
          // futex wake of an idle vCPU), more than a block's work.
          if ((++idle & 63) !== 0) continue;
          if (idleSince === 0) idleSince = performance.now();
          if (performance.now() - idleSince < C.SPIN_MS) continue;
          Atomics.wait(ctl, C.STAGED, staged);
          idleSince = 0;
          continue;
        }
        idleSince = 0;
        if (Atomics.compareExchange(ctl, C.CLAIMED, claimed, (claimed + 1) | 0) !== claimed) continue;
        held = claimed;
        var slot = claimed & mask;
        var o = slot * W;
        var r;
        try {
          var fn = fns[slots[o]];
          r = fn.apply(null, slots.subarray(o + 1, o + 1 + fn.length));
        } catch (e) {
          r = NaN;
          Atomics.store(ctl, C.FAILED, 1);
        }
        slots[o + W - 1] = r === undefined ? 0 : r;
        held = -1;
        Atomics.store(ctl, C.DONE + slot, (claimed + 1) | 0);
        Atomics.notify(ctl, C.DONE + slot);
      }
    } catch (e) {
      // Anything that throws outside a kernel call ends this worker: it says so, and hands back
      // the block it held as done (and failed), so that the calling thread never waits for it.
      Atomics.store(ctl, C.FAILED, 2);
      Atomics.store(ctl, state, C.GONE);
      if (held >= 0) {
        Atomics.store(ctl, C.DONE + (held & mask), (held + 1) | 0);
        Atomics.notify(ctl, C.DONE + (held & mask));
      }
      throw e;
    }
  }
  // In Node the source runs as a script or, when the process was started with
  // --input-type=module (which workers inherit), as a module: reach worker_threads either way.
  if (typeof process === 'object' && process !== null && process.versions && process.versions.node) {
    if (process.getBuiltinModule) start(process.getBuiltinModule('node:worker_threads').workerData);
    else import('node:worker_threads').then(function (m) { start(m.workerData); });
  } else {
    self.onmessage = function (e) { self.onmessage = null; start(e.data); };
  }
})();
`;
