/**
 * Where a peer library keeps its own files (its .wasm): the directory of the package's entry
 * in node_modules, as a URL ending in '/'. In Node it is a file: URL; the browser benchmark
 * replaces this module with bench/browser/package-dir.ts, which points at the page's server.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** The directory of `pkg`'s entry file, as a URL ending in '/'. */
export function packageDirUrl(pkg: string): string {
  return new URL('./', pathToFileURL(createRequire(import.meta.url).resolve(pkg))).href;
}
