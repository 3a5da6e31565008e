/**
 * How every browser test and the browser benchmark launch Chromium: Debian's package at
 * /usr/bin/chromium (CI installs it with apt; Playwright downloads nothing), headless, with
 * the network services a test run has no use for turned off. XENT_CHROMIUM overrides the path.
 */
import type { LaunchOptions } from 'playwright';

/** The Chromium executable. */
export const CHROMIUM_PATH = process.env.XENT_CHROMIUM ?? '/usr/bin/chromium';

/** Options for `chromium.launch` (Playwright) and the Vitest browser provider. */
export const CHROMIUM_LAUNCH: LaunchOptions = {
  executablePath: CHROMIUM_PATH,
  headless: true,
  args: [
    // Containers and CI machines run as root without user namespaces: no sandbox there.
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};
