/** Types of scripts/runtimes.mjs, for the TypeScript that imports it (bench/runtimes.ts). */

/** A runtime pinned in scripts/runtimes.json: the npm package carrying its binary. */
export interface Pin {
  package: string;
  version: string;
  /** The binary's path inside the package. */
  bin: string;
  /** sha512 of the package tarball, as npm writes it. */
  integrity: string;
}

/** The pinned runtimes by name (node22, node24, node26, deno, bun). */
export const RUNTIMES: Record<string, Pin>;

/** Where fetched runtimes live. */
export function cacheDir(): string;

/** The path of a pinned runtime's binary, fetched into the cache first if it is not there. */
export function runtimePath(name: string, log?: (line: string) => void): string;
