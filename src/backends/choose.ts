/**
 * Which WebAssembly build 'auto' runs: the fastest one here, which is not always the newest one
 * the runtime validates.
 *
 * The relaxed-SIMD build differs from the SIMD build in one instruction, `f32x4.relaxed_madd`
 * for a·b + c (assembly/simd.ts). It pays where the engine lowers it to a fused multiply-add.
 * Where it does not (JavaScriptCore on x64, as in Bun 1.4; V8 on a CPU without FMA), it is a
 * multiply and an add like the SIMD build's, so the relaxed build buys nothing; in Bun it ran
 * slower than the SIMD build. So the SIMD build goes first unless relaxed_madd fuses.
 *
 * Whether it fuses is asked of the engine itself, not of a version or user-agent string: a
 * module of one function computes relaxed_madd on inputs whose fused and unfused results
 * differ. Unlike the validate-only probes in features.ts this one has to run, so it is
 * instantiated: once, on first use, and only where relaxed SIMD validates at all.
 */
import type { WasmVariant } from '../wasm/variants.js';

/** (a, b, c: f32) -> f32: lane 0 of f32x4.relaxed_madd(splat a, splat b, splat c), exported as "f". */
export const MADD_MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7d, 0x7d, 0x7d, 0x01, 0x7d, // type section: [f32 f32 f32] -> [f32]
  0x03, 0x02, 0x01, 0x00, //                                     function section: one function, type 0
  0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00, //                   export section: "f", function 0
  0x0a, 0x16, 0x01, 0x14, 0x00, //                               code section: one body of 20 bytes, no locals
  0x20, 0x00, 0xfd, 0x13, //                                     local.get 0; f32x4.splat
  0x20, 0x01, 0xfd, 0x13, //                                     local.get 1; f32x4.splat
  0x20, 0x02, 0xfd, 0x13, //                                     local.get 2; f32x4.splat
  0xfd, 0x85, 0x02, //                                           f32x4.relaxed_madd
  0xfd, 0x1f, 0x00, //                                           f32x4.extract_lane 0
  0x0b, //                                                       end
]);

/**
 * The probe's inputs: a·a + c with a = 1 + 2^-12 and c = -(1 + 2^-11). The exact product is
 * 1 + 2^-11 + 2^-24, so a fused multiply-add gives 2^-24; rounded to f32 first (a tie, to even)
 * the product is 1 + 2^-11 and the sum 0.
 */
export const MADD_PROBE = { a: 1 + 2 ** -12, c: -(1 + 2 ** -11), fused: 2 ** -24, unfused: 0 } as const;

let fuses: boolean | undefined;

/** Whether `f32x4.relaxed_madd` rounds once here (a fused multiply-add); false where it does not validate. */
export function relaxedMaddFuses(): boolean {
  if (fuses === undefined) {
    try {
      const { f } = new WebAssembly.Instance(new WebAssembly.Module(MADD_MODULE)).exports as { f: (a: number, b: number, c: number) => number };
      fuses = f(MADD_PROBE.a, MADD_PROBE.a, MADD_PROBE.c) === MADD_PROBE.fused;
    } catch {
      fuses = false;
    }
  }
  return fuses;
}

/**
 * The variants this runtime runs (best first by features), fastest first: relaxed-simd stays
 * ahead of simd only where relaxed_madd fuses. `fused` is asked only when both builds run.
 */
export function rankVariants(supported: readonly WasmVariant[], fused: () => boolean = relaxedMaddFuses): WasmVariant[] {
  if (!supported.includes('relaxed-simd') || !supported.includes('simd') || fused()) return [...supported];
  return ['simd', 'relaxed-simd', ...supported.filter((v) => v !== 'simd' && v !== 'relaxed-simd')];
}
