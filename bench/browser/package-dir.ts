/**
 * bench/package-dir.ts for the browser benchmark: its server exposes the repository's
 * node_modules at /node_modules/, and both peers with .wasm files (onnxruntime-web,
 * @tensorflow/tfjs-backend-wasm) keep them beside their entry, in dist/.
 */

/** The directory of `pkg`'s entry file, as a URL ending in '/'. */
export function packageDirUrl(pkg: string): string {
  return new URL(`/node_modules/${pkg}/dist/`, location.href).href;
}
