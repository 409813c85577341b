// Headless Chromium (Debian's) for the portal's browser tests and its README picture.
import { chromium, type Browser } from 'playwright-core';

/** `args`: more command-line switches, e.g. `--host-resolver-rules=…` for the DNS-rebinding test. */
export function launchChromium(args: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', ...args],
  });
}
