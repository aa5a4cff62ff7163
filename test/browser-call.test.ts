/**
 * End-to-end in real browsers: two headless Chromium pages (fake camera and microphone) join one
 * room through the demo page and our SDK; each decodes the other's video and receives its audio,
 * forwarded by our SFU (the demo publishes simulcast; each side receives the layer its tile
 * needs). Leaving removes the tile on the other side.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openDemoPage, pageVideoStats } from './helpers/browser.js';
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

/** Waits until `page` decodes video frames and receives audio packets from `fromName`'s endpoint. */
async function waitForMediaFrom(page: Page, endpointId: string): Promise<{ framesDecoded: number; audioPacketsReceived: number; videoWidth?: number }> {
  return waitFor(
    `media from ${endpointId}`,
    async () => {
      const stats = (await pageVideoStats(page)).find((s) => s.endpointId === endpointId);
      return stats && stats.framesDecoded > 30 && stats.audioPacketsReceived > 50 ? stats : null;
    },
    30_000,
    250,
  );
}

test('two Chromium pages see and hear each other through the demo page', async () => {
  const roomName = `e2e-${Date.now()}`;
  const alice = await openDemo('Alice', roomName);
  const bob = await openDemo('Bob', roomName);
  const endpointIdOf = (page: Page): Promise<string> =>
    page.evaluate(() => (window as unknown as { atriumDemo: { room: { localEndpoint: { id: string } } } }).atriumDemo.room.localEndpoint.id);
  const aliceId = await endpointIdOf(alice);
  const bobId = await endpointIdOf(bob);

  const atBob = await waitForMediaFrom(bob, aliceId);
  const atAlice = await waitForMediaFrom(alice, bobId);
  assert.ok(atBob.framesDecoded > 30 && atAlice.framesDecoded > 30);
  // Frames keep coming: decoding is live, not a single keyframe.
  const later = await waitFor('frames keep rising', async () => {
    const s = (await pageVideoStats(bob)).find((x) => x.endpointId === aliceId);
    return s && s.framesDecoded > atBob.framesDecoded + 30 ? s : null;
  }, 20_000, 250);
  assert.ok(later.videoWidth && later.videoWidth > 0, 'a decoded picture has a size');
  // The demo publishes its camera in three simulcast layers; each page receives one of them.
  const videoLayers = t.server.sfu.detailedStats().publishers.map((p) => p.tracks.find((track) => track.kind === 'video')?.layers.map((l) => l.rid));
  assert.deepEqual(videoLayers, [['q', 'h', 'f'], ['q', 'h', 'f']]);
  const forwarded = t.server.sfu.detailedStats().subscribers.map((s) => s.tracks.find((track) => track.kind === 'video')?.layer);
  assert.ok(forwarded.every((rid) => rid === 'q' || rid === 'h' || rid === 'f'), `one layer each (${forwarded.join(', ')})`);

  // Each page shows one remote tile, labelled with the other's name.
  assert.equal(await alice.locator('[data-endpoint-id]').count(), 1);
  assert.match((await alice.locator(`[data-endpoint-id="${bobId}"]`).textContent()) ?? '', /Bob/);

  // Bob mutes his microphone: Alice's tile shows it.
  await bob.click('#toggle-mic');
  await waitFor('alice sees bob muted', () => alice.locator(`[data-endpoint-id="${bobId}"][data-audio-muted="true"]`).count());

  // Bob leaves: his tile disappears at Alice's and the server holds only Alice's peer connections.
  await bob.click('#leave');
  await waitFor('bob tile removed', async () => (await alice.locator('[data-endpoint-id]').count()) === 0);
  await waitFor('only alice publishes', () => t.server.sfu.stats().peerConnections === 1, 10_000);
});
