/**
 * In Chromium: `setInputVolume` is applied by the target's SDK through a Web Audio gain on its
 * microphone, so what the other side receives gets quieter (audio energy measured from the
 * receiver's inbound-rtp statistics), and louder again when the volume is reset.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openDemoPage } from './helpers/browser.js';
import { startTestServer, waitFor, type TestServer } from './helpers/server.js';

let t: TestServer;
let browser: Browser;
before(async () => {
  t = await startTestServer({ ATRIUM_DEMO: '1' });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await t?.close();
});

function openDemo(name: string, room: string): Promise<Page> {
  return openDemoPage(browser, t.url, name, room);
}

/** totalAudioEnergy and totalSamplesDuration of the audio received on `page`. */
function audioEnergy(page: Page): Promise<{ energy: number; duration: number }> {
  return page.evaluate(async () => {
    const demo = (window as unknown as { atriumDemo: { subscriptions: Array<{ getStats(): Promise<RTCStatsReport> }> } }).atriumDemo;
    let energy = 0;
    let duration = 0;
    for (const subscription of demo.subscriptions) {
      (await subscription.getStats()).forEach((s: Record<string, unknown>) => {
        if (s['type'] !== 'inbound-rtp' || s['kind'] !== 'audio') return;
        energy += typeof s['totalAudioEnergy'] === 'number' ? s['totalAudioEnergy'] : 0;
        duration += typeof s['totalSamplesDuration'] === 'number' ? s['totalSamplesDuration'] : 0;
      });
    }
    return { energy, duration };
  });
}

/** Mean audio power received over the next `ms` milliseconds. */
async function meanPower(page: Page, ms: number): Promise<number> {
  const a = await audioEnergy(page);
  await new Promise((r) => setTimeout(r, ms));
  const b = await audioEnergy(page);
  assert.ok(b.duration > a.duration, 'audio samples were received');
  return (b.energy - a.energy) / (b.duration - a.duration);
}

function setInputVolume(page: Page, volume: number): Promise<void> {
  return page.evaluate(async (v) => {
    const demo = (window as unknown as { atriumDemo: { room: { setInputVolume(p: { volume: number }): Promise<void> } } }).atriumDemo;
    await demo.room.setInputVolume({ volume: v });
  }, volume);
}

test('setInputVolume turns the microphone down (and up) as heard by the other endpoint', async (ctx) => {
  const room = `volume-${Date.now()}`;
  const speaker = await openDemo('Speaker', room);
  const listener = await openDemo('Listener', room);
  try {
    await waitFor('listener receives audio', async () => (await audioEnergy(listener)).duration > 1, 30_000);
    // The fake microphone beeps about once a second: average over several seconds.
    const loud = await meanPower(listener, 4000);
    assert.ok(loud > 0, 'the fake microphone is heard');

    await setInputVolume(speaker, -50);
    await new Promise((r) => setTimeout(r, 1000));
    const quiet = await meanPower(listener, 4000);
    assert.ok(quiet < loud / 10, `input volume -50 should be far quieter: ${quiet} vs ${loud}`);

    await setInputVolume(speaker, 0);
    await new Promise((r) => setTimeout(r, 1000));
    const back = await meanPower(listener, 4000);
    assert.ok(back > quiet * 10, `input volume 0 restores the level: ${back} vs ${quiet}`);
    ctx.diagnostic(`mean received audio power: volume 0 ${loud.toExponential(2)}, -50 ${quiet.toExponential(2)}, back to 0 ${back.toExponential(2)}`);
  } finally {
    await speaker.context().close();
    await listener.context().close();
  }
});
