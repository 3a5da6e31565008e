/**
 * The source has no import cycles (type-only imports included) and keeps its layers: the
 * kernels and the WebAssembly staging know nothing of the front or the losses, and the staging
 * nothing of the threads above it. Read from the files' import statements, as
 * `npx madge --circular --extensions ts src` reads them.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Each file (relative to src/) with the files it imports, type-only imports and re-exports included. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sources(SRC)) {
    const text = readFileSync(file, 'utf8');
    const deps = [...text.matchAll(/\bfrom\s+['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) =>
      relative(SRC, resolve(dirname(file), m[1].replace(/\.js$/, '.ts'))),
    );
    graph.set(relative(SRC, file), deps);
  }
  return graph;
}

/** Every cycle found by a depth-first walk, as the list of files around it. */
function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    path.push(file);
    for (const dep of graph.get(file) ?? []) {
      if (state.get(dep) === 'open') found.push([...path.slice(path.indexOf(dep)), dep]);
      else if (!state.has(dep)) visit(dep);
    }
    path.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return found;
}

describe('imports in src/', () => {
  const graph = importGraph();

  it('are read (the walk sees the registry and the engine)', () => {
    expect(graph.get('engine.ts')).toContain('losses/index.ts');
    expect(graph.get('losses/index.ts')?.length).toBeGreaterThan(5);
  });

  it('form no cycle', () => {
    expect(cycles(graph).map((c) => c.join(' > '))).toEqual([]);
  });

  it('keep the layers: kernels and wasm staging below the front and the losses, threads above the staging', () => {
    const below: Record<string, RegExp> = {
      'kernels/': /^(front|losses|threads)\/|^engine\.ts$/,
      'wasm/': /^(front|losses|threads)\/|^engine\.ts$/,
      'front/': /^(losses|threads|wasm)\/|^engine\.ts$/,
    };
    const crossings: string[] = [];
    for (const [file, deps] of graph) {
      for (const [layer, forbidden] of Object.entries(below)) {
        if (!file.startsWith(layer)) continue;
        for (const dep of deps) if (forbidden.test(dep)) crossings.push(`${file} imports ${dep}`);
      }
    }
    expect(crossings).toEqual([]);
  });
});
