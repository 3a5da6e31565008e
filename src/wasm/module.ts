/**
 * The kernel builds: the embedded bytes of each variant, checked against what this runtime
 * runs, compiled once per variant (and once more per variant in its shared-memory form, for
 * threads) and cached.
 *
 * Instantiation is plain `new WebAssembly.Module` / `new WebAssembly.Instance`. The kernels take
 * raw byte offsets and lengths, and return numbers, so there is nothing for
 * @assemblyscript/loader or asc's generated bindings to do (no strings, no managed objects).
 */
import { wasmBinaries } from './binaries.js';
import { relaxedSimdSupported, simdSupported, wasmSupported } from '../backends/features.js';

/** A build of the kernels: relaxed SIMD (FMA), SIMD, or scalar WebAssembly. */
export type WasmVariant = 'relaxed-simd' | 'simd' | 'wasm';

/** The variants, best first. */
const VARIANTS: readonly WasmVariant[] = ['relaxed-simd', 'simd', 'wasm'];

/** Which runtime feature each variant needs (one table: feature → build). */
const VARIANT_SUPPORTED: Record<WasmVariant, () => boolean> = {
  'relaxed-simd': () => simdSupported() && relaxedSimdSupported(),
  simd: simdSupported,
  wasm: wasmSupported,
};

/** Variants this runtime can run, best first, decided by WebAssembly.validate probes (never by version). */
export function supportedWasmVariants(): WasmVariant[] {
  return VARIANTS.filter((v) => VARIANT_SUPPORTED[v]());
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const bin = atob(text);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

function unsupported(variant: WasmVariant): Error {
  return new Error(
    `xent: this runtime cannot run the '${variant}' WebAssembly build ` +
      `(supported here: ${supportedWasmVariants().join(', ') || 'none'})` +
      (variant === 'relaxed-simd' ? '; Node 20 needs --experimental-wasm-relaxed-simd' : ''),
  );
}

/** The variant's embedded bytes, after checking that this runtime can run it. */
export function bytesFor(variant: WasmVariant): Uint8Array<ArrayBuffer> {
  if (!VARIANTS.includes(variant)) throw new Error(`xent: unknown WebAssembly variant '${String(variant)}'`);
  if (!VARIANT_SUPPORTED[variant]()) throw unsupported(variant);
  return decodeBase64(wasmBinaries[variant]);
}

const modules = new Map<WasmVariant, WebAssembly.Module>();

/** The variant's module, compiled synchronously on first use. */
export function moduleFor(variant: WasmVariant): WebAssembly.Module {
  let mod = modules.get(variant);
  if (!mod) {
    mod = new WebAssembly.Module(bytesFor(variant));
    modules.set(variant, mod);
  }
  return mod;
}

/**
 * Compiles a variant asynchronously and caches it, so that a following createWasmKernels does
 * not compile synchronously (browsers refuse synchronous compilation of large modules on the
 * main thread).
 */
export async function compileWasmVariant(variant: WasmVariant): Promise<void> {
  if (modules.has(variant)) return;
  const mod = await WebAssembly.compile(bytesFor(variant));
  if (!modules.has(variant)) modules.set(variant, mod);
}
