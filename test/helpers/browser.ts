import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import puppeteer, { type Browser, type Page, TimeoutError } from 'puppeteer-core';
import { tempDir } from './git.js';

/** Debian's Chromium (package `chromium`; .ci/run installs it). */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * One headless Chromium for a test file, with a fresh profile and nothing that reaches the network
 * by itself. On a loaded 2-core machine a start once went past puppeteer's 30 s without printing its
 * endpoint (several test files start one at once): each try waits 60 s, and a second try follows a
 * first that timed out.
 */
export async function launchBrowser(): Promise<Browser> {
  try {
    return await startChromium();
  } catch (err) {
    if (!(err instanceof TimeoutError)) throw err;
    return await startChromium();
  }
}

function startChromium(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60_000,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${tempDir('driftless-chromium-')}`,
    ],
  });
}

/** Every console error, page error and failed request of a page (CSP violations are console errors). */
export function problems(page: Page): string[] {
  const out: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') out.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => out.push(`page error: ${(e as Error).message}`));
  page.on('requestfailed', (r) => {
    // A stream the test cuts on purpose is not a problem of the page.
    if (!r.url().endsWith('/events')) out.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  return out;
}

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical violations on the page, as `rule: target` lines. */
export async function axeViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol: the page's CSP (no inline script) does not apply to it.
  await page.evaluate(AXE);
  const result = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] })`)) as {
    violations: { id: string; impact: string | null; nodes: { target: string[] }[] }[];
  };
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')}`));
}
