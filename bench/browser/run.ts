/**
 * `npm run bench:browser`: the benchmark of `npm run bench` (bench/suite.ts: the same contenders,
 * checks and timing) in headless Chromium. Bundles bench/browser/page.ts with Vite, serves it
 * and the repository's node_modules (the peers' .wasm files) from a local, cross-origin isolated
 * server, runs it with Playwright, and writes bench/results/browser-<date>.json,
 * browser-latest.md and browser-latest.svg (partial runs: bench/results/partial/).
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'vite';
import { openChromium } from '../../scripts/chromium.js';
import { CROSS_ORIGIN_ISOLATED, serveStatic } from '../../scripts/static-server.js';
import { USAGE, parseArgs, type RunOptions } from '../args.js';
import { markdown, terminalTable, type RunReport } from '../report.js';
import { chart } from '../svg.js';
import type { BrowserRun } from './page.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');

/** The page gets bench/browser/package-dir.ts wherever the suite imports bench/package-dir.ts. */
function browserPackageDir(): Plugin {
  const nodeVersion = path.join(ROOT, 'bench/package-dir.ts');
  return {
    name: 'xent-bench-browser-package-dir',
    enforce: 'pre',
    async resolveId(source, importer, options) {
      const resolved = await this.resolve(source, importer, { ...options, skipSelf: true });
      return resolved?.id === nodeVersion ? path.join(HERE, 'package-dir.ts') : null;
    },
  };
}

/** Bundles the page into `outDir` (a production build: what a user's bundler would ship). */
async function bundle(outDir: string): Promise<void> {
  await build({
    root: HERE,
    configFile: false,
    logLevel: 'warn',
    plugins: [browserPackageDir()],
    build: { outDir, emptyOutDir: true, target: 'esnext', chunkSizeWarningLimit: 16_384, reportCompressedSize: false },
  });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let options: RunOptions;
  try {
    const parsed = parseArgs(argv);
    if (parsed === 'help') return console.log(`npm run bench:browser -- [options] takes the options of npm run bench:\n\n${USAGE}`);
    options = parsed;
  } catch (e) {
    console.error(`${e instanceof Error ? e.message : String(e)}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }

  const started = performance.now();
  const site = path.join(mkdtempSync(path.join(os.tmpdir(), 'xent-bench-browser-')), 'site');
  await bundle(site);
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(site, 'node_modules'), 'dir');
  const server = await serveStatic(site, CROSS_ORIGIN_ISOLATED);
  const chrome = await openChromium();
  let result: BrowserRun;
  let report: RunReport;
  try {
    const { jsVersion } = (await (await chrome.browser.newBrowserCDPSession()).send('Browser.getVersion')) as { jsVersion: string };
    chrome.page.on('console', (m) => {
      if (m.type() !== 'error') console.log(m.text());
    });
    const loadStart = os.loadavg()[0];
    await chrome.page.goto(`${server.url}?args=${encodeURIComponent(JSON.stringify(argv))}`);
    result = await chrome.page.evaluate(() => window.benchmark);
    for (const e of chrome.errors) console.log(`page: ${e}`);
    report = {
      date: new Date().toISOString().slice(0, 10),
      command: `npm run bench:browser${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
      machine: {
        cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
        cores: os.cpus().length,
        memoryGB: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
        v8: jsVersion,
        platform: process.platform,
        arch: process.arch,
        browser: `Chromium ${chrome.browser.version()} headless${result.crossOriginIsolated ? ', cross-origin isolated' : ''}`,
      },
      loadAverage: { start: loadStart, end: os.loadavg()[0] },
      budget: options.budget,
      contenders: result.contenders,
      loadFailures: result.loadFailures,
      tasks: result.tasks,
    };
  } finally {
    await chrome.close();
    await server.close();
    rmSync(path.dirname(site), { recursive: true, force: true });
  }
  console.log(`${result.userAgent}\n${terminalTable(report)}`);

  const dir = path.join(HERE, '..', 'results', options.complete ? '' : 'partial');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `browser-${report.date}.json`), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(path.join(dir, 'browser-latest.md'), markdown(report));
  writeFileSync(path.join(dir, 'browser-latest.svg'), chart(report));
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  console.log(
    `\n${report.tasks.length} tasks in ${seconds} s; wrote ${path.relative(process.cwd(), dir) || '.'}/{browser-${report.date}.json,browser-latest.md,browser-latest.svg}`,
  );
}

await main();
