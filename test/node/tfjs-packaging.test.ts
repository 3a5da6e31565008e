/**
 * Importing `xent` loads no TensorFlow.js, and `xent/tfjs` imports it only as types: followed
 * through the modules TypeScript emits from src/ (type-only imports are gone there).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');

/** The modules a source file imports once TypeScript has emitted it. */
function emittedImports(file: string): string[] {
  const js = ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  return ts.preProcessFile(js, true, true).importedFiles.map((f) => f.fileName);
}

/** The src/ files reachable from `entry` at run time, and the packages they import. */
function reachable(entry: string): { files: string[]; packages: string[] } {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of emittedImports(file)) {
      if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')));
      else packages.add(spec);
    }
  };
  visit(path.join(SRC, entry));
  return { files: [...seen].map((f) => path.relative(SRC, f)), packages: [...packages] };
}

it('importing xent loads no TensorFlow.js', () => {
  const main = reachable('index.ts');
  expect(main.files).toContain('engine.ts');
  expect(main.files).not.toContain('tfjs.ts');
  expect(main.packages.filter((p) => p.startsWith('@tensorflow'))).toEqual([]);
});

it('xent/tfjs imports TensorFlow.js only as types (the caller passes it in)', () => {
  const adapter = reachable('tfjs.ts');
  expect(adapter.files).toContain('index.ts');
  expect(adapter.packages.filter((p) => p.startsWith('@tensorflow'))).toEqual([]);
});
