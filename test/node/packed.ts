/** The package as npm would publish it: `npm pack` of the built repository, unpacked. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Packs the repository (dist/ must be built) and unpacks it into `dir`/xent; returns that directory. */
export async function unpackPackage(dir: string): Promise<string> {
  if (!existsSync(path.join(ROOT, 'dist/index.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  const [{ filename }] = JSON.parse(
    execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
  ) as { filename: string }[];
  const pkg = path.join(dir, 'xent');
  await mkdir(pkg);
  execFileSync('tar', ['xzf', path.join(dir, filename), '-C', pkg, '--strip-components=1']);
  return pkg;
}
