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
import { WASM_FEATURES, WASM_VARIANTS, type WasmVariant } from './variants.js';
import { featureSupported, wasmSupported } from '../backends/features.js';

export { WASM_VARIANTS, type WasmVariant } from './variants.js';

/** Whether this runtime runs a variant: WebAssembly, and every feature its build enables (asconfig.json). */
function runs(variant: WasmVariant): boolean {
  return wasmSupported() && WASM_FEATURES[variant].every(featureSupported);
}

/** Variants this runtime can run, best first, decided by WebAssembly.validate probes (never by version). */
export function supportedWasmVariants(): WasmVariant[] {
  return WASM_VARIANTS.filter(runs);
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
  if (!(WASM_VARIANTS as readonly string[]).includes(variant)) throw new Error(`xent: unknown WebAssembly variant '${String(variant)}'`);
  if (!runs(variant)) throw unsupported(variant);
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
