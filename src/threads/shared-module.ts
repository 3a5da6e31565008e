/**
 * The shared-memory form of a kernel build, derived from its bytes at load time rather than
 * built and shipped a second time: the builds import their memory (`env.memory`, no maximum),
 * and a module that imports a shared memory differs only in that import's limits (flags 3:
 * shared, with a maximum). The code is the same, so one-thread engines keep the unshared builds
 * and their speed, and the package carries each build once.
 *
 * The builds' active data segments (the math tables) are written again by every instance; the
 * bytes are the same, so a worker that instantiates while the calling thread computes changes
 * nothing it reads.
 */
import { type WasmVariant, bytesFor } from '../wasm/module.js';

/** Reads an unsigned LEB128 at `p`; returns the value and the next position. */
function readLeb(bytes: Uint8Array, p: number): [number, number] {
  let value = 0;
  let shift = 0;
  let b: number;
  do {
    b = bytes[p++];
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
  } while (b & 0x80);
  return [value, p];
}

function leb(value: number): number[] {
  const out: number[] = [];
  do {
    let b = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) b |= 0x80;
    out.push(b);
  } while (value > 0);
  return out;
}

/** The length in bytes of an import's description (after its kind byte) at `p`. */
function importDescLength(bytes: Uint8Array, kind: number, p: number): number {
  const start = p;
  if (kind === 0) return readLeb(bytes, p)[1] - start; // function: type index
  if (kind === 1) p++; // table: element type, then limits
  if (kind === 1 || kind === 2) {
    const flags = bytes[p++];
    p = readLeb(bytes, p)[1];
    if (flags & 1) p = readLeb(bytes, p)[1];
    return p - start;
  }
  if (kind === 3) return 2; // global: value type, mutability
  throw new Error(`xent: unexpected import kind ${kind} in a kernel build`);
}

/**
 * `bytes` with its imported memory made shared, with `maxPages` as the maximum (64 KiB pages).
 * Throws if the module imports no memory.
 */
export function withSharedMemory(bytes: Uint8Array, maxPages: number): Uint8Array<ArrayBuffer> {
  const out: number[] = Array.from(bytes.subarray(0, 8));
  let p = 8;
  let patched = false;
  while (p < bytes.length) {
    const id = bytes[p];
    const [size, start] = readLeb(bytes, p + 1);
    const end = start + size;
    if (id !== 2) {
      for (let i = p; i < end; i++) out.push(bytes[i]);
      p = end;
      continue;
    }
    const body: number[] = [];
    let [count, q] = readLeb(bytes, start);
    body.push(...leb(count));
    for (; count > 0; count--) {
      const entry = q;
      const [moduleLen, m] = readLeb(bytes, q);
      const [fieldLen, f] = readLeb(bytes, m + moduleLen);
      const kind = bytes[f + fieldLen];
      const desc = f + fieldLen + 1;
      const descLen = importDescLength(bytes, kind, desc);
      if (kind === 2) {
        for (let i = entry; i < desc; i++) body.push(bytes[i]);
        const flags = bytes[desc];
        const [min] = readLeb(bytes, desc + 1);
        if (flags & 2) throw new Error('xent: the kernel build already imports a shared memory');
        body.push(3, ...leb(min), ...leb(maxPages));
        patched = true;
      } else {
        for (let i = entry; i < desc + descLen; i++) body.push(bytes[i]);
      }
      q = desc + descLen;
    }
    out.push(2, ...leb(body.length), ...body);
    p = end;
  }
  if (!patched) throw new Error('xent: the kernel build imports no memory to share');
  return new Uint8Array(out);
}

/** The maximum the shared builds declare: 4 GiB, all a wasm32 memory can address. */
export const MAX_PAGES = 65536;

/**
 * A shared memory for a threaded engine. A shared memory needs a maximum and some runtimes
 * reserve it up front, so the largest of 4 GiB, 2 GiB and 1 GiB that the runtime grants is used.
 */
export function createSharedMemory(): WebAssembly.Memory {
  let error: unknown;
  for (const maximum of [MAX_PAGES, MAX_PAGES / 2, MAX_PAGES / 4]) {
    try {
      return new WebAssembly.Memory({ initial: 1, maximum, shared: true });
    } catch (e) {
      error = e;
    }
  }
  throw new RangeError(`xent: cannot create a shared WebAssembly memory of up to 1 GiB for threads: ${String(error)}`);
}

const sharedModules = new Map<WasmVariant, WebAssembly.Module>();

/** The variant with its memory import made shared, compiled once. */
export function sharedModuleFor(variant: WasmVariant): WebAssembly.Module {
  let mod = sharedModules.get(variant);
  if (!mod) {
    mod = new WebAssembly.Module(withSharedMemory(bytesFor(variant), MAX_PAGES));
    sharedModules.set(variant, mod);
  }
  return mod;
}
