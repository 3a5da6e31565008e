// What V8 makes of the kernels: TurboFan's x64 code for named kernel functions, per runtime and
// build, with each loop's instructions sorted by kind (arithmetic, loads, stores, spills and
// reloads, constants rematerialised from immediates, lane shuffles, moves, integer and branch);
// and with --count, the instructions each function executes per element (logit) on a kernel
// call, by kind, counted exactly under valgrind.
//
//   npm run build:wasm && npx tsx scripts/wasm-code.ts [options] [function ...]
//     --runtime name=path   a Node binary to read (repeatable; default node20 and the
//                           official Node 22/24/26 binaries under /opt/runtimes, where present)
//     --variant v           relaxed-simd | simd | wasm (repeatable; default all three)
//     --list                print each selected function's loops, instruction by instruction
//     --count [NxC]         executed instructions per element under valgrind (default 64x1000)
//     --workload w          with --count: what to run (repeatable; default sparse and sparse+grad;
//                           'all' for every kernel: see WORKLOADS)
//     --mnemonics           with --count: the most executed mnemonics
//   function: a substring of a function's name (default: the sparse loss and its row passes)
//
// The copies read here are built with names (asc --debug): the script checks that their code
// section is byte for byte the one in build/, so what it counts is what ships. Code is
// compiled with --no-liftoff (TurboFan only, as after tier-up) and eagerly.

import asc from 'assemblyscript/asc';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MADD_MODULE, MADD_PROBE } from '../src/backends/choose.js';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The builds: asconfig.json's targets (the variant table of build-wasm.mjs and the loader). */
const VARIANTS = Object.keys(JSON.parse(readFileSync(path.join(ROOT, 'asconfig.json'), 'utf8')).targets);
type Variant = string;
const DEFAULT_FUNCTIONS = [
  'f32_sparse_xent',
  'f32_rmax_u16_acc4',
  'f32_raddexpminusmax_u16_acc4',
  'f32_raddstoreexpminusmax_u16_acc4',
  'f32_vscalesub',
];

/** One machine instruction: its offset in the function and its text (mnemonic and operands). */
interface Instr {
  offset: number;
  address: bigint;
  text: string;
}

/** A function's TurboFan code. */
interface Code {
  name: string;
  instrs: Instr[];
}

// ---------------------------------------------------------------------------------------------
// Builds with names

/** The payload of every section with id `id` in a wasm binary. */
function sections(bytes: Uint8Array, id: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let i = 8;
  while (i < bytes.length) {
    const sid = bytes[i++];
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[i++];
      size |= (b & 0x7f) << shift;
      if (b < 0x80) break;
    }
    if (sid === id) out.push(bytes.subarray(i, i + size));
    i += size;
  }
  return out;
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

/** Builds `variant` with a name section into dir and checks its code against build/. */
async function namedBuild(variant: Variant, dir: string): Promise<string> {
  const out = path.join(dir, `${variant}.wasm`);
  const { error, stderr } = await asc.main(['--config', 'asconfig.json', '--target', variant, '--debug', '-o', out, '--baseDir', ROOT], {});
  if (error) throw new Error(`asc failed for ${variant}: ${stderr.toString()}`);
  const shipped = path.join(ROOT, `build/xent-${variant}.wasm`);
  if (!existsSync(shipped)) throw new Error(`${shipped} is missing: run npm run build:wasm first`);
  if (!sameBytes(sections(readFileSync(out), 10)[0], sections(readFileSync(shipped), 10)[0])) {
    throw new Error(`the named ${variant} build differs from ${shipped}: rebuild (npm run build:wasm)`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reading V8's code

/** The flags a runtime needs for `variant` (Node 20 runs relaxed SIMD only behind a flag). */
function runtimeFlags(runtime: string, variant: Variant): string[] {
  const major = Number(execFileSync(runtime, ['-p', 'process.versions.node.split(".")[0]']).toString().trim());
  return variant === 'relaxed-simd' && major < 22 ? ['--experimental-wasm-relaxed-simd'] : [];
}

/**
 * Workloads for --count: each calls one kernel export on n rows of c (f32), with pointers into
 * a memory laid out as x (logits or p), t (targets or q), g (gradient or output), labels and
 * per-row f64 arrays, and fr, the frame of the exports that take one (assembly/frame.ts). The
 * arguments follow the exports' signatures in assembly/.
 */
const WORKLOADS: Record<string, string> = {
  sparse: 'k.f32_sparse_xent(x, labels, n, c, 0, -100, 0, 0, 0, 1 / n, 0, 0, 0, 0, -1, 0, 0, fr)',
  'sparse+grad': 'k.f32_sparse_xent(x, labels, n, c, 0, -100, 0, 0, g, 1 / n, 0, 0, 0, 0, -1, 0, 0, fr)',
  'sparse-smooth+grad': 'k.f32_sparse_xent(x, labels, n, c, 0, -100, 0.1, 0, g, 1 / n, 0, 0, 0, 0, -1, 0, 0, fr)',
  'sparse-argmax': 'k.f32_sparse_xent(x, labels, n, c, 0, -100, 0, 0, 0, 1 / n, 0, 0, 0, 0, -1, 0, r2, fr)',
  'sparse-softcap': 'k.f32_sparse_xent(x, labels, n, c, 0, -100, 0, 0, 0, 1 / n, 0, 30, 0, 0, -1, 0, 0, fr)',
  'sparse-softcap+grad': 'k.f32_sparse_xent(x, labels, n, c, 0, -100, 0, 0, g, 1 / n, 0, 30, 0, 0, -1, 0, 0, fr)',
  dense: 'k.f32_dense_xent(x, t, n, c, 0, 0, 0, 0, 1 / n, 0, 0, 0, 0, 0, fr)',
  'dense+grad': 'k.f32_dense_xent(x, t, n, c, 0, 0, 0, g, 1 / n, 0, 0, 0, 0, 0, fr)',
  sigmoid: 'k.f32_sigmoid_xent(x, t, n, c, 0, false, 0, 0, 0, 1, 0)',
  'sigmoid+grad': 'k.f32_sigmoid_xent(x, t, n, c, 0, false, 0, 0, g, 1, 0)',
  focal: 'k.f32_sigmoid_focal(x, t, n, c, 2, 0.25, 0, 0, 1, 0)',
  'focal+grad': 'k.f32_sigmoid_focal(x, t, n, c, 2, 0.25, 0, g, 1, 0)',
  'cross-entropy': 'k.f32_cross_entropy(t, p, n, c, 0)',
  entropy: 'k.f32_entropy(p, n, c, 0)',
  kl: 'k.f32_kl_div(t, p, n, c, 0)',
  softmax: 'k.f32_softmax(x, n, c, g, fr)',
  'log-softmax': 'k.f32_log_softmax(x, n, c, g, fr)',
  'row-states': 'k.f32_row_states(x, n, c, 0, r0, r1, r2, fr)',
  'row-expscale': 'k.f32_row_expscale(x, n, c, r0, r1, r2, 0, g, fr)',
};

/**
 * A driver (plain ESM, so every runtime runs it without tsx): compiles, or runs a workload. Like
 * the adapter, it tells the kernels whether relaxed_madd fuses on this runtime, asking the
 * adapter's probe (src/backends/choose.ts), which it gets in XENT_MADD_PROBE.
 */
const DRIVER = `
import { readFileSync } from 'node:fs';
const [file, shape, call] = process.argv.slice(2);
const module = new WebAssembly.Module(readFileSync(file));
if (shape) {
  const [n, c] = shape.split('x').map(Number);
  const bytes = 65536 + n * c * 16 + n * 28 + 64;
  const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536) + 1 });
  const k = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const probe = JSON.parse(process.env.XENT_MADD_PROBE);
  let fused = 0;
  try {
    const { f } = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(probe.module, 'base64'))).exports;
    fused = f(probe.a, probe.a, probe.c) === probe.fused ? 1 : 0;
  } catch {}
  k.set_fused_madd(fused);
  const x = 65536, t = x + n * c * 4, g = t + n * c * 4, p = g + n * c * 4, labels = p + n * c * 4;
  const r0 = labels + n * 4, r1 = r0 + n * 8, r2 = r1 + n * 8, fr = r2 + n * 8;
  let seed = 1;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const f = new Float32Array(memory.buffer);
  for (let i = 0; i < n * c; i++) {
    f[x / 4 + i] = (rand() + rand() + rand() - 1.5) * 6;
    f[t / 4 + i] = rand() < 0.5 ? 0 : rand();
  }
  // p: each row a probability distribution with no zero; t rows get the same normalisation.
  for (let r = 0; r < n; r++) {
    let sp = 0, st = 0;
    for (let k = 0; k < c; k++) { f[p / 4 + r * c + k] = 0.01 + rand(); sp += f[p / 4 + r * c + k]; st += f[t / 4 + r * c + k]; }
    for (let k = 0; k < c; k++) { f[p / 4 + r * c + k] /= sp; f[t / 4 + r * c + k] /= st; }
  }
  const y = new Int32Array(memory.buffer, labels, n);
  for (let r = 0; r < n; r++) y[r] = Math.floor(rand() * c);
  const d = new Float64Array(memory.buffer);
  for (let r = 0; r < n; r++) { d[r0 / 8 + r] = 10; d[r1 / 8 + r] = 1e-3; d[r2 / 8 + r] = 0; }
  const run = new Function('k', 'x', 't', 'g', 'p', 'labels', 'r0', 'r1', 'r2', 'n', 'c', call);
  for (let rep = 0; rep < 3; rep++) run(k, x, t, g, p, labels, r0, r1, r2, n, c);
} else {
  new WebAssembly.Instance(module, { env: { memory: new WebAssembly.Memory({ initial: 1 }) } });
}
`;
/** Calls the driver makes of the kernel when given a shape. */
const DRIVER_CALLS = 3;

const V8_FLAGS = ['--print-wasm-code', '--code-comments', '--no-liftoff', '--no-wasm-lazy-compilation'];

/** Parses --print-wasm-code output into functions. */
function parseCode(text: string): Code[] {
  const out: Code[] = [];
  let cur: Code | null = null;
  let inInstrs = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('name: ')) {
      cur = { name: line.slice(6).trim(), instrs: [] };
      out.push(cur);
      inInstrs = false;
    } else if (line.startsWith('Instructions (size')) {
      inInstrs = true;
    } else if (inInstrs && cur) {
      const m = /^0x([0-9a-f]+)\s+([0-9a-f]+)\s+[0-9a-f]+\s+(.*)$/.exec(line);
      if (m) cur.instrs.push({ address: BigInt(`0x${m[1]}`), offset: parseInt(m[2], 16), text: m[3].trim() });
      else if (line.trim() === '' || /^(Source positions|Safepoints|RelocInfo|Protected)/.test(line)) inInstrs = false;
    }
  }
  return out;
}

/** The short name: asc --debug names functions by file path, e.g. assembly/reduce/f32_rmax_u16_acc4. */
const shortName = (name: string) => name.slice(name.lastIndexOf('/') + 1);

// ---------------------------------------------------------------------------------------------
// Instruction kinds

const KINDS = ['arith', 'load', 'store', 'reload', 'spill', 'const', 'shuffle', 'move', 'int', 'branch', 'nop'] as const;
type Kind = (typeof KINDS)[number];

const isXmm = (op: string) => /^[xy]mm\d+$/.test(op);
const isGpr = (op: string) => /^r\w+$/.test(op);
const isMem = (op: string) => op.includes('[');
const isFrame = (op: string) => /\[(rbp|rsp)[+-\]]/.test(op);

/**
 * The kind of each instruction of a sequence. A constant rematerialised from an immediate is
 * the three of `movq r10, imm64` (or a rip-relative load), `vmovq xmm, r10` and the broadcast
 * shuffle of that register (`vpunpcklqdq`, `vpshufd`, `vbroadcastss`) that follows it (for a
 * scalar f32, the two of `movl r10, imm32` and `vmovd xmm, r10`); zeroing and all-ones idioms
 * are constants too.
 */
function kinds(instrs: Instr[]): Kind[] {
  const fromGpr = new Set<string>();
  return instrs.map(({ text }) => {
    const t = text.replace(/^REX\.W\s+/, '');
    const sp = t.indexOf(' ');
    const mn = sp < 0 ? t : t.slice(0, sp);
    const ops = sp < 0 ? [] : t.slice(sp + 1).split(/,(?![^[]*\])/).map((s) => s.trim());
    if (mn === 'nop' || mn.startsWith('nop')) return 'nop';
    if (mn.startsWith('j') || mn === 'call' || mn === 'ret') return 'branch';
    // V8 builds constants in r10, its scratch register: an immediate (64-bit for f32x4, 32-bit
    // for f32) or a rip-relative load.
    if (/^mov[lq]?$/.test(mn) && ops[0] === 'r10' && (/^0x[0-9a-f]+$/.test(ops[1]) || ops[1].includes('[rip'))) return 'const';
    if (/^v?mov[dq]$/.test(mn) && isXmm(ops[0]) && isGpr(ops[1])) {
      fromGpr.add(ops[0]);
      return 'const';
    }
    if (/^(vpunpcklqdq|vpshufd|vbroadcastss|vpbroadcastd|vshufps)$/.test(mn) && fromGpr.has(ops[0]) && ops.slice(1).every((o) => o === ops[0] || !isXmm(o))) {
      fromGpr.delete(ops[0]);
      return 'const';
    }
    if (isXmm(ops[0] ?? '')) fromGpr.delete(ops[0]);
    if (/^v?(xorps|xorpd|pxor)$/.test(mn) && ops.length >= 2 && ops.every((o) => o === ops[0])) return 'const';
    if (/^v?pcmpeq[bdq]$/.test(mn) && ops.every((o) => o === ops[0])) return 'const';
    const dst = ops[0] ?? '';
    const srcs = ops.slice(1);
    if (isMem(dst)) return isFrame(dst) ? 'spill' : mn.startsWith('push') ? 'spill' : 'store';
    if (mn === 'push') return 'spill';
    if (mn === 'pop') return 'reload';
    if (/^(v?(mov\w*|lddqu)|vbroadcast\w+|vpbroadcast\w+)$/.test(mn) && srcs.some(isMem)) {
      return srcs.some(isFrame) ? 'reload' : 'load';
    }
    if (/^v?(mov(aps|apd|dqa|dqu|ups|upd|ss|sd|d|q|l)?)$/.test(mn) && !srcs.some(isMem)) return 'move';
    if (/^v?(p?shuf\w*|punpck\w+|unpck\w+|permil\w+|perm\w*|insertps|extractps|pextr\w|pinsr\w|movshdup|movsldup|movhlps|movlhps|palignr|pblend\w*|blendv?\w*|pmovmskb|movmskp[sd]|broadcast\w*|pbroadcast\w*)$/.test(mn)) {
      return 'shuffle';
    }
    if (mn.startsWith('v') || /^(add|sub|mul|div|max|min|sqrt|cvt|and|or|xor|round|cmp|ucomis|comis)(s|p)[sd]/.test(mn)) {
      return srcs.some(isFrame) ? 'reload' : srcs.some(isMem) ? 'load' : 'arith';
    }
    return 'int';
  });
}

/** Loops of a function: [start, end] offsets of each backward branch, innermost first. */
function loops(code: Code): [number, number][] {
  const out: [number, number][] = [];
  for (const { offset, text } of code.instrs) {
    const m = /^j\w+ .*<\+0x([0-9a-f]+)>/.exec(text);
    if (m && parseInt(m[1], 16) <= offset) out.push([parseInt(m[1], 16), offset]);
  }
  // Innermost: no other loop strictly inside.
  return out.filter(([s, e]) => !out.some(([s2, e2]) => (s2 !== s || e2 !== e) && s <= s2 && e2 <= e));
}

function histogram(ks: Kind[], weights?: number[]): Record<Kind, number> {
  const h = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>;
  ks.forEach((k, i) => (h[k] += weights ? weights[i] : 1));
  return h;
}

const fmtHist = (h: Record<Kind, number>, digits = 0) =>
  KINDS.filter((k) => h[k] > 0).map((k) => `${k} ${h[k].toFixed(digits)}`).join(', ');

// ---------------------------------------------------------------------------------------------
// Executed instructions (valgrind)

/** Self cost (instructions executed) by instruction address, from a callgrind file with --dump-instr=yes. */
function callgrindCosts(file: string): Map<bigint, number> {
  const costs = new Map<bigint, number>();
  let last = 0n;
  let skipNext = false;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('calls=')) {
      skipNext = true;
      continue;
    }
    const m = /^(0x[0-9a-f]+|[+-]\d+|\*)\s+\S+\s+(\d+)/.exec(line);
    if (!m) continue;
    const pos = m[1];
    last = pos === '*' ? last : pos.startsWith('0x') ? BigInt(pos) : last + BigInt(pos);
    if (skipNext) {
      skipNext = false;
      continue;
    }
    costs.set(last, (costs.get(last) ?? 0) + Number(m[2]));
  }
  return costs;
}

/** Runs the driver under callgrind; returns the functions' code and the executed count per instruction. */
function countRun(runtime: string, variant: Variant, wasm: string, driver: string, shape: string, call: string) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xent-cg-'));
  const out = path.join(dir, 'callgrind.out');
  try {
    const r = spawnSync(
      'valgrind',
      ['--tool=callgrind', '--smc-check=all', '--dump-instr=yes', `--callgrind-out-file=${out}`, runtime, ...runtimeFlags(runtime, variant), ...V8_FLAGS, driver, wasm, shape, call],
      { maxBuffer: 1 << 30, env: { ...process.env, XENT_MADD_PROBE: JSON.stringify({ ...MADD_PROBE, module: Buffer.from(MADD_MODULE).toString('base64') }) } },
    );
    if (r.status !== 0) throw new Error(`valgrind failed: ${r.stderr.toString().slice(-2000)}`);
    return { code: parseCode(r.stdout.toString()), costs: callgrindCosts(out) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Main

function defaultRuntimes(): [string, string][] {
  const out: [string, string][] = [['node20', 'node']];
  for (const v of [22, 24, 26]) {
    const p = `/opt/runtimes/node${v}/bin/node`;
    if (existsSync(p)) out.push([`node${v}`, p]);
  }
  return out;
}

async function main() {
  const args = process.argv.slice(2);
  const runtimes: [string, string][] = [];
  const variants: Variant[] = [];
  const wanted: string[] = [];
  let list = false;
  let count: string | null = null;
  let mnemonics = false;
  const workloads: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--runtime') {
      const [name, p] = args[++i].split('=');
      runtimes.push([name, p]);
    } else if (a === '--variant') variants.push(args[++i] as Variant);
    else if (a === '--list') list = true;
    else if (a === '--mnemonics') mnemonics = true;
    else if (a === '--workload') workloads.push(...(args[++i] === 'all' ? Object.keys(WORKLOADS) : [args[i]]));
    else if (a === '--count') count = args[i + 1] && /^\d+x\d+$/.test(args[i + 1]) ? args[++i] : '64x1000';
    else wanted.push(a);
  }
  if (!runtimes.length) runtimes.push(...defaultRuntimes());
  if (!variants.length) variants.push(...VARIANTS);
  if (!workloads.length) workloads.push('sparse', 'sparse+grad');
  const unknown = workloads.find((w) => !(w in WORKLOADS));
  if (unknown) throw new Error(`unknown workload ${unknown}; known: ${Object.keys(WORKLOADS).join(', ')}`);
  const names = wanted.length ? wanted : DEFAULT_FUNCTIONS;
  const pick = (fns: Code[]) => fns.filter((f) => names.some((n) => shortName(f.name) === n || (wanted.length > 0 && f.name.includes(n))));

  const dir = mkdtempSync(path.join(os.tmpdir(), 'xent-code-'));
  try {
    const driver = path.join(dir, 'driver.mjs');
    writeFileSync(driver, DRIVER);
    for (const variant of variants) {
      const wasm = await namedBuild(variant, dir);
      for (const [rname, runtime] of runtimes) {
        const v8 = execFileSync(runtime, ['-p', 'process.versions.v8']).toString().trim();
        console.log(`\n== ${variant} on ${rname} (V8 ${v8})`);
        if (count) {
          const [n, c] = count.split('x').map(Number);
          const logits = n * c * DRIVER_CALLS;
          for (const workload of workloads) {
            const { code, costs } = countRun(runtime, variant, wasm, driver, count, WORKLOADS[workload]);
            let total = 0;
            const rows: string[] = [];
            const hot: Map<string, number> = new Map();
            for (const fn of code) {
              const counts = fn.instrs.map((ins) => costs.get(ins.address) ?? 0);
              const sum = counts.reduce((a, b) => a + b, 0);
              total += sum;
              if (sum / logits < 0.01) continue;
              rows.push(`  ${shortName(fn.name).padEnd(40)} ${(sum / logits).toFixed(2).padStart(7)}  (${fmtHist(histogram(kinds(fn.instrs), counts.map((x) => x / logits)), 2)})`);
              if (mnemonics) {
                fn.instrs.forEach((ins, i) => {
                  const mn = ins.text.replace(/^REX\.W\s+/, '').split(' ')[0];
                  hot.set(mn, (hot.get(mn) ?? 0) + counts[i] / logits);
                });
              }
            }
            console.log(`${workload} ${count}: ${(total / logits).toFixed(2)} instructions per element in wasm code`);
            rows.forEach((r) => console.log(r));
            if (mnemonics) {
              const top = [...hot].sort((a, b) => b[1] - a[1]).slice(0, 24);
              console.log(`  mnemonics: ${top.map(([m, v]) => `${m} ${v.toFixed(2)}`).join(', ')}`);
            }
          }
          continue;
        }
        const r = spawnSync(runtime, [...runtimeFlags(runtime, variant), ...V8_FLAGS, driver, wasm], { maxBuffer: 1 << 30 });
        if (r.status !== 0) throw new Error(`${rname} failed: ${r.stderr.toString().slice(-2000)}`);
        for (const fn of pick(parseCode(r.stdout.toString()))) {
          const ks = kinds(fn.instrs);
          console.log(`${shortName(fn.name)}: ${fn.instrs.length} instructions (${fmtHist(histogram(ks))})`);
          for (const [s, e] of loops(fn)) {
            const idx = fn.instrs.flatMap((ins, i) => (ins.offset >= s && ins.offset <= e ? [i] : []));
            const h = histogram(idx.map((i) => ks[i]));
            console.log(`  loop +0x${s.toString(16)}..+0x${e.toString(16)}: ${idx.length} (${fmtHist(h)})`);
            if (list) for (const i of idx) console.log(`    ${fn.instrs[i].offset.toString(16).padStart(5)}  ${ks[i].padEnd(7)} ${fn.instrs[i].text}`);
          }
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
