/**
 * @module Headless Chromium (Debian's /usr/bin/chromium) for end-to-end tests, with a fake camera and
 * microphone, plus a reader of the demo page's inbound media statistics.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { build } from 'esbuild';
import { waitFor } from './server.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Flags for a real WebRTC client that stays on the test machine and never asks for permission. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  // The demo autojoins without a click; let remote audio+video elements play unmuted.
  '--autoplay-policy=no-user-gesture-required',
];

export interface LaunchChromiumOptions {
  /** Extra Chromium command-line flags. */
  args?: readonly string[];
  /** Launch timeout in milliseconds (default 30 000). */
  timeout?: number;
}

/**
 * Launches headless Chromium with a fresh profile in a temporary directory.
 *
 * Use it like any Playwright `Browser` (`newContext()` per endpoint, `newPage()`); `close()` closes
 * the browser and removes the profile directory. The directory is also removed if Chromium dies or
 * the test process exits without closing it.
 */
export async function launchChromium(options: LaunchChromiumOptions = {}): Promise<Browser> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'atrium-chromium-'));
  const removeProfileAtExit = (): void => {
    try {
      rmSync(userDataDir, { recursive: true, force: true });
    } catch {
      // Chromium may still be writing into it while the process exits; nothing more to do then.
    }
  };
  // Chromium keeps writing into the profile until its process is gone: retry instead of racing it.
  const removeProfile = async (): Promise<void> => {
    process.removeListener('exit', removeProfileAtExit);
    await rm(userDataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  };
  process.once('exit', removeProfileAtExit);

  let browser: Browser | null;
  try {
    // `launch()` refuses a --user-data-dir flag; a persistent context is how Playwright takes one,
    // and its browser() still gives a full Browser (newContext works).
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
      timeout: options.timeout ?? 30_000,
    });
    browser = context.browser();
    if (!browser) {
      await context.close();
      throw new Error('Playwright returned a persistent context without a browser');
    }
  } catch (err) {
    await removeProfile();
    throw err;
  }

  const launched = browser;
  let closing = false;
  launched.once('disconnected', () => {
    // Chromium crashed or was killed: clean up without waiting for a close() that may never come.
    if (!closing) void removeProfile().catch(() => undefined);
  });
  const closeBrowser = launched.close.bind(launched);
  launched.close = async (closeOptions?: { reason?: string }): Promise<void> => {
    closing = true;
    try {
      await closeBrowser(closeOptions);
    } finally {
      await removeProfile();
    }
  };
  return launched;
}

/**
 * Opens a page in a new browser context (own storage, so one endpoint per page). The context defines
 * esbuild's `__name` helper, which tsx inserts into functions handed to `page.evaluate` when they
 * contain named inner functions; without it such functions fail with "__name is not defined".
 */
export async function newEndpointPage(browser: Browser, options: BrowserContextOptions = {}): Promise<Page> {
  const context = await browser.newContext(options);
  await context.addInitScript({ content: 'globalThis.__name = globalThis.__name || ((target) => target);' });
  const page = await context.newPage();
  page.once('close', () => void context.close().catch(() => undefined));
  return page;
}

/** Opens the demo page at `baseUrl` as `name`, auto-joining `room`; resolves once it has joined. */
export async function openDemoPage(browser: Browser, baseUrl: string, name: string, room: string): Promise<Page> {
  const page = await newEndpointPage(browser);
  await page.goto(`${baseUrl}/?room=${room}&name=${encodeURIComponent(name)}&autojoin=1`);
  await waitFor(`${name} joined`, () =>
    page.evaluate(() => (window as unknown as { atriumDemo?: { state: string } }).atriumDemo?.state === 'joined'),
  );
  return page;
}

/** Inbound media of one subscription on the demo page, read from its `inbound-rtp` statistics. */
export interface SubscriptionMediaStats {
  endpointId: string;
  tag: string;
  /** Video frames decoded so far (0 when the stream has no video). */
  framesDecoded: number;
  /** Audio RTP packets received so far (0 when the stream has no audio). */
  audioPacketsReceived: number;
  videoWidth?: number;
  videoHeight?: number;
}

/**
 * Reads `getStats()` of every current subscription in `window.atriumDemo` on a demo page.
 * Returns an empty list when the page has not joined.
 */
export async function pageVideoStats(page: Page): Promise<SubscriptionMediaStats[]> {
  // Runs in the page: no imports, no named inner functions (tsx's keepNames would inject `__name`).
  return page.evaluate(async (): Promise<SubscriptionMediaStats[]> => {
    interface DemoSubscription {
      endpoint: { id: string };
      tag: string;
      getStats(): Promise<RTCStatsReport>;
    }
    const demo = (window as unknown as { atriumDemo?: { subscriptions: DemoSubscription[] } }).atriumDemo;
    const results: SubscriptionMediaStats[] = [];
    for (const subscription of demo?.subscriptions ?? []) {
      const report = await subscription.getStats();
      const result: SubscriptionMediaStats = {
        endpointId: subscription.endpoint.id,
        tag: subscription.tag,
        framesDecoded: 0,
        audioPacketsReceived: 0,
      };
      report.forEach((entry: Record<string, unknown>) => {
        if (entry['type'] !== 'inbound-rtp') return;
        if (entry['kind'] === 'video') {
          result.framesDecoded += typeof entry['framesDecoded'] === 'number' ? entry['framesDecoded'] : 0;
          if (typeof entry['frameWidth'] === 'number') result.videoWidth = entry['frameWidth'];
          if (typeof entry['frameHeight'] === 'number') result.videoHeight = entry['frameHeight'];
        } else if (entry['kind'] === 'audio') {
          result.audioPacketsReceived += typeof entry['packetsReceived'] === 'number' ? entry['packetsReceived'] : 0;
        }
      });
      if (result.videoWidth === undefined) {
        const selector = `[data-endpoint-id="${CSS.escape(result.endpointId)}"][data-tag="${CSS.escape(result.tag)}"] video`;
        const video = document.querySelector<HTMLVideoElement>(selector);
        if (video && video.videoWidth > 0) {
          result.videoWidth = video.videoWidth;
          result.videoHeight = video.videoHeight;
        }
      }
      results.push(result);
    }
    return results;
  });
}

/** The SDK bundled for a page (`window.AtriumSdk`), for tests that load it with `addScriptTag`. */
export async function bundleSdk(): Promise<string> {
  const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const built = await build({
    absWorkingDir: repoRoot,
    entryPoints: [join(repoRoot, 'packages/sdk/src/index.ts')],
    bundle: true,
    format: 'iife',
    globalName: 'AtriumSdk',
    platform: 'browser',
    target: 'es2022',
    external: ['ws'],
    write: false,
    logLevel: 'warning',
  });
  return built.outputFiles[0]?.text ?? '';
}
