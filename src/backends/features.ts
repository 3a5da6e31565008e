/**
 * WebAssembly feature probes: each validates a tiny module (`WebAssembly.validate`, never
 * instantiated), so the answer comes from what the engine accepts, not from version sniffing.
 */

/** Module header, then one function type `() -> v128`, one function of that type. */
const PREFIX = [
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, //       type section: [] -> [v128]
  0x03, 0x02, 0x01, 0x00, //                         function section: one function, type 0
];

/** A module whose only function has `body` (instructions, without the locals and `end`). */
function probe(body: number[]): Uint8Array<ArrayBuffer> {
  const code = [0x00, ...body, 0x0b]; // no locals, body, end
  return new Uint8Array([...PREFIX, 0x0a, code.length + 2, 0x01, code.length, ...code]);
}

/** i32.const 0; i32x4.splat — a v128 on the stack. */
const SPLAT = [0x41, 0x00, 0xfd, 0x11];

/**
 * Final (128-bit) SIMD: `i8x16.popcnt` was added late in the proposal, so engines that shipped
 * an early SIMD draft reject it (the probe wasm-feature-detect uses).
 */
const SIMD_PROBE = probe([0x41, 0x00, 0xfd, 0x0f, 0xfd, 0x62]); // i32.const 0; i8x16.splat; i8x16.popcnt

/** Relaxed SIMD: `f32x4.relaxed_madd` (opcode 0xfd 0x105), the instruction the kernels use. */
const RELAXED_SIMD_PROBE = probe([...SPLAT, ...SPLAT, ...SPLAT, 0xfd, 0x85, 0x02]);

function validates(bytes: Uint8Array<ArrayBuffer>): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(bytes);
  } catch {
    return false;
  }
}

/** Whether this runtime has WebAssembly at all (the scalar build needs nothing more). */
export function wasmSupported(): boolean {
  return typeof WebAssembly === 'object' && typeof WebAssembly.Module === 'function';
}

/** Whether this runtime validates final 128-bit SIMD. */
export function simdSupported(): boolean {
  return validates(SIMD_PROBE);
}

/** Whether this runtime validates relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd). */
export function relaxedSimdSupported(): boolean {
  return validates(RELAXED_SIMD_PROBE);
}

/** The probe of each WebAssembly feature a build may enable (asconfig.json's `enable` lists). */
const PROBES: Record<string, () => boolean> = { simd: simdSupported, 'relaxed-simd': relaxedSimdSupported };

/** Whether this runtime validates a feature (one with no probe here counts as missing). */
export function featureSupported(feature: string): boolean {
  return PROBES[feature]?.() ?? false;
}
