/**
 * In Chromium: `join(…, { rootElement })` shows the room by itself. Two pages join with the SDK
 * bundle, publish the fake camera and microphone, and each renders both members where the
 * server's `layout.changed` layers say: one tile per member at the layer's pixel rectangle, the
 * remote tile decoding the other's video, the remote audio playing from an element under the root.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { layerToPixels, type VideoLayoutLayer } from '../packages/protocol/src/index.js';
import { bundleSdk, launchChromium, newEndpointPage } from './helpers/browser.js';
import { startTestServer, waitFor, type TestServer } from './helpers/server.js';

const STAGE = { width: 640, height: 360 };

let t: TestServer;
let browser: Browser;
let bundle = '';
before(async () => {
  t = await startTestServer();
  browser = await launchChromium();
  bundle = await bundleSdk();
});
after(async () => {
  await browser?.close();
  await t?.close();
});

interface StageState {
  layers: VideoLayoutLayer[];
  tiles: Array<{ memberId: string; x: number; y: number; width: number; height: number; videoWidth: number; currentTime: number }>;
  audioElements: number;
  audioPlaying: boolean;
}

/** A page on the server's origin (a secure context for getUserMedia) that joins with rootElement. */
async function joinWithStage(roomId: string, endpointId: string): Promise<Page> {
  const page = await newEndpointPage(browser, { viewport: { width: 800, height: 600 } });
  await page.goto(`${t.url}/api/v1/openapi.json`);
  await page.setContent(
    `<!doctype html><html><body style="margin:0"><div id="stage" style="width:${STAGE.width}px;height:${STAGE.height}px"></div></body></html>`,
  );
  await page.addScriptTag({ content: bundle });
  const token = await t.token(endpointId, roomId, { name: endpointId });
  await page.evaluate(
    async ({ roomId, token, url }) => {
      const w = window as unknown as { AtriumSdk: typeof import('../packages/sdk/src/index.js'); layers: unknown[] };
      const rootElement = document.getElementById('stage') ?? undefined;
      const { room } = await w.AtriumSdk.join(roomId, token, { url, ...(rootElement ? { rootElement } : {}) });
      w.layers = [];
      room.on('layout.changed', (event) => {
        w.layers = event.layout.layers;
      });
      await room.publish('camera', await navigator.mediaDevices.getUserMedia({ audio: true, video: true }));
    },
    { roomId, token, url: t.url },
  );
  return page;
}

function stageState(page: Page): Promise<StageState> {
  return page.evaluate(() => {
    const stage = document.getElementById('stage');
    if (!stage) throw new Error('no stage');
    const origin = stage.getBoundingClientRect();
    const tiles = [...stage.querySelectorAll<HTMLElement>('[data-member-id]')].map((tile) => {
      const rect = tile.getBoundingClientRect();
      const video = tile.querySelector('video');
      return {
        memberId: tile.dataset['memberId'] ?? '',
        x: rect.left - origin.left,
        y: rect.top - origin.top,
        width: rect.width,
        height: rect.height,
        videoWidth: video?.videoWidth ?? 0,
        currentTime: video?.currentTime ?? 0,
      };
    });
    const audio = [...stage.querySelectorAll('audio')];
    return {
      layers: (window as unknown as { layers: VideoLayoutLayer[] }).layers,
      tiles,
      audioElements: audio.length,
      audioPlaying: audio.some((element) => !element.paused && element.srcObject instanceof MediaStream && element.srcObject.getAudioTracks().length > 0),
    };
  });
}

test('with rootElement the SDK renders the live layout: tiles where the layers say, remote video decoding, remote audio playing', async () => {
  const room = await t.createRoom({ layout: 'grid-responsive' });
  const alice = await joinWithStage(room.id, 'alice');
  const bob = await joinWithStage(room.id, 'bob');

  for (const [page, other] of [
    [alice, 'bob'],
    [bob, 'alice'],
  ] as const) {
    const state = await waitFor(`${other}'s video decodes in a tile`, async () => {
      const s = await stageState(page);
      const remote = s.tiles.find((tile) => tile.memberId === other);
      return s.tiles.length === 2 && remote && remote.videoWidth > 0 && s.audioPlaying ? s : undefined;
    }, 30_000);
    const placedLayers = state.layers.filter((layer) => layer.memberId && layer.visible);
    assert.deepEqual(placedLayers.map((layer) => layer.memberId).sort(), ['alice', 'bob']);
    for (const layer of placedLayers) {
      const tile = state.tiles.find((x) => x.memberId === layer.memberId);
      assert.ok(tile, `a tile for ${layer.memberId}`);
      const expected = layerToPixels(layer, STAGE);
      for (const key of ['x', 'y', 'width', 'height'] as const) {
        assert.ok(Math.abs(tile[key] - expected[key]) <= 1, `${layer.memberId} ${key}: tile ${tile[key]}, layer ${expected[key]}`);
      }
    }
    assert.equal(state.audioElements, 1, 'one audio element: the other member’s');

    // The remote video keeps playing.
    const remoteBefore = state.tiles.find((tile) => tile.memberId === other)?.currentTime ?? 0;
    await waitFor(`${other}'s video advances`, async () => {
      const s = await stageState(page);
      return (s.tiles.find((tile) => tile.memberId === other)?.currentTime ?? 0) > remoteBefore + 0.5;
    }, 15_000);
  }

  // Bob leaves: alice's stage drops his tile and his audio.
  await bob.close();
  await waitFor('bob’s tile removed', async () => {
    const s = await stageState(alice);
    return s.tiles.length === 1 && s.tiles[0]?.memberId === 'alice' && s.audioElements === 0;
  }, 30_000);
  await alice.close();
});
