/**
 * How the browser tests and the browser benchmark launch Chromium: Debian's package at
 * /usr/bin/chromium (CI installs it with apt; Playwright downloads no browser), headless, with
 * the network services a test run has no use for turned off. XENT_CHROMIUM overrides the path.
 */
import { chromium, type Browser, type LaunchOptions, type Page } from 'playwright';

/** The Chromium executable. */
export const CHROMIUM_PATH = process.env.XENT_CHROMIUM ?? '/usr/bin/chromium';

/** Options for Playwright's `chromium.launch`, and for the Vitest browser provider. */
export const CHROMIUM_LAUNCH: LaunchOptions = {
  executablePath: CHROMIUM_PATH,
  headless: true,
  args: [
    // CI machines and containers run as root without user namespaces: no sandbox there.
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};

/** A launched Chromium with one page whose uncaught errors and console errors are collected. */
export interface ChromiumPage {
  browser: Browser;
  page: Page;
  /** Uncaught exceptions, console.error lines and failed requests, in order. */
  errors: string[];
  close(): Promise<void>;
}

/** Launches Chromium (throwing if it cannot) and opens a blank page. */
export async function openChromium(): Promise<ChromiumPage> {
  const browser = await chromium.launch(CHROMIUM_LAUNCH);
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
  });
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  return { browser, page, errors, close: () => browser.close() };
}
