/**
 * Simulcast in Chromium: Alice publishes her 1280×720 camera in three layers; Bob shows it in a
 * small tile and Carol in a large one. Each decodes one layer on one SSRC — Bob the quarter, Carol
 * the full resolution (`frameWidth` in getStats) — and when Bob's tile grows he moves to the full
 * layer and keeps decoding (sequence numbers, timestamps and picture ids continue). A layer nobody
 * receives is paused at Alice's browser (`encodings[i].active`), and resumed when one is needed.
 * A subscriber whose downlink is capped at 500 kbit/s (htb on the namespace's loopback, matched
 * on its ports) falls to a lower layer while the other keeps the full one. With 10% of all UDP
 * dropped, both keep decoding (NACKs, keyframe requests per layer), and decode at full rate again
 * once the loss stops.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, afterEach, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { Room } from '../packages/sdk/src/index.js';
import { bundleSdk, launchChromium, newEndpointPage } from './helpers/browser.js';
import { startTestServer, waitFor, type TestServer } from './helpers/server.js';
import { capUdpPorts, localCandidatePorts } from './helpers/shaping.js';

let t: TestServer;
let browser: Browser;
let bundle = '';
before(async () => {
  t = await startTestServer();
  browser = await launchChromium();
  bundle = await bundleSdk();
});
/** Pages of the running test, closed after it (each publishes or decodes 720p video). */
const openPages: Page[] = [];
afterEach(async () => {
  await Promise.all(openPages.splice(0).map((page) => page.close().catch(() => undefined)));
});
after(async () => {
  await browser?.close();
  await t?.close();
});

interface PageGlobals {
  AtriumSdk: typeof import('../packages/sdk/src/index.js');
  room: Room;
}

/** Alice publishes her 1280×720 camera in three simulcast layers. */
async function publishSimulcastCamera(alice: Page): Promise<void> {
  await alice.evaluate(async () => {
    const { room } = window as unknown as PageGlobals;
    const camera = await navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720, frameRate: 30 } });
    await room.publish('camera', camera, { simulcast: true });
  });
}

/** `page` subscribes to Alice's camera and says it shows it at `width`×`height`. */
async function subscribeToAlice(page: Page, width: number, height: number): Promise<void> {
  await waitFor('alice camera announced', () =>
    page.evaluate(() => (window as unknown as PageGlobals).room.getEndpoint('alice')?.streamsByTag.has('camera') ?? false),
  );
  await page.evaluate(
    async (size) => {
      const { room } = window as unknown as PageGlobals;
      const subscription = await room.localEndpoint.subscribe('alice', 'camera');
      await subscription.setVideoSize(size.width, size.height);
    },
    { width, height },
  );
}

/**
 * A room where Alice publishes her simulcast camera and Bob and Carol subscribe to it, each saying
 * how large they show it.
 */
async function aliceBobCarol(bobSize: [number, number], carolSize: [number, number]): Promise<{ alice: Page; bob: Page; carol: Page }> {
  const roomId = (await t.createRoom()).id;
  const alice = await joinPage(roomId, 'alice');
  await publishSimulcastCamera(alice);
  const bob = await joinPage(roomId, 'bob');
  const carol = await joinPage(roomId, 'carol');
  await subscribeToAlice(bob, ...bobSize);
  await subscribeToAlice(carol, ...carolSize);
  return { alice, bob, carol };
}

/** A page joined as `endpointId`; with `stage`, the room's layout is drawn into a div of that size. */
async function joinPage(roomId: string, endpointId: string, stage?: { width: number; height: number }): Promise<Page> {
  const page = await newEndpointPage(browser);
  openPages.push(page);
  await page.goto(`${t.url}/api/v1/openapi.json`);
  await page.setContent('<!doctype html><html><body style="margin:0"><div id="stage"></div></body></html>');
  await page.addScriptTag({ content: bundle });
  const token = await t.token(endpointId, roomId, { name: endpointId });
  await page.evaluate(
    async ({ roomId, token, url, stage }) => {
      const w = window as unknown as PageGlobals;
      const element = document.getElementById('stage')!;
      if (stage) Object.assign(element.style, { width: `${stage.width}px`, height: `${stage.height}px` });
      w.room = (await w.AtriumSdk.join(roomId, token, { url, ...(stage ? { rootElement: element } : {}) })).room;
    },
    { roomId, token, url: t.url, stage },
  );
  return page;
}

/** What `page` decodes of `endpointId`'s camera: frames so far and the current frame size. */
function decoded(page: Page, endpointId: string): Promise<{ framesDecoded: number; frameWidth: number; frameHeight: number }> {
  return page.evaluate(async (endpointId) => {
    const { room } = window as unknown as PageGlobals;
    const result = { framesDecoded: 0, frameWidth: 0, frameHeight: 0 };
    const subscription = room.activeSubscriptions.find((s) => s.endpoint.id === endpointId);
    if (!subscription) return result;
    (await subscription.getStats()).forEach((s: Record<string, unknown>) => {
      if (s['type'] !== 'inbound-rtp' || s['kind'] !== 'video') return;
      result.framesDecoded = typeof s['framesDecoded'] === 'number' ? s['framesDecoded'] : 0;
      result.frameWidth = typeof s['frameWidth'] === 'number' ? s['frameWidth'] : 0;
      result.frameHeight = typeof s['frameHeight'] === 'number' ? s['frameHeight'] : 0;
    });
    return result;
  }, endpointId);
}

/** The local UDP candidate ports of `page`'s subscription to `endpointId`. */
async function subscriptionPorts(page: Page, endpointId: string): Promise<number[]> {
  const stats = await page.evaluate(async (endpointId) => {
    const { room } = window as unknown as PageGlobals;
    const entries: Record<string, unknown>[] = [];
    (await room.activeSubscriptions.find((s) => s.endpoint.id === endpointId)?.getStats())?.forEach((s: Record<string, unknown>) => entries.push(s));
    return entries;
  }, endpointId);
  return localCandidatePorts(stats);
}

/** Waits until `page` decodes 30 more frames of `endpointId`'s camera at exactly `width`. */
async function decodesAtWidth(page: Page, endpointId: string, width: number, what: string): Promise<{ framesDecoded: number; frameHeight: number }> {
  const start = await decoded(page, endpointId);
  let atWidth: number | undefined;
  return waitFor(
    what,
    async () => {
      const now = await decoded(page, endpointId);
      if (now.frameWidth !== width) return undefined;
      atWidth ??= now.framesDecoded;
      return now.framesDecoded > Math.max(start.framesDecoded, atWidth) + 30 ? now : undefined;
    },
    40_000,
    250,
  );
}

/** Alice's simulcast encodings: which rids her browser sends now. */
function activeLayers(page: Page): Promise<Record<string, boolean>> {
  return page.evaluate(() => {
    const { room } = window as unknown as PageGlobals;
    const stream = room.localStreams.find((s) => s.tag === 'camera');
    const pc = (stream as unknown as { pc: RTCPeerConnection }).pc;
    const sender = pc.getSenders().find((s) => s.track?.kind === 'video');
    const result: Record<string, boolean> = {};
    for (const e of sender?.getParameters().encodings ?? []) if (e.rid) result[e.rid] = e.active ?? true;
    return result;
  });
}

test('simulcast: a small tile gets the low layer, a large one the high layer; layers switch and pause', async () => {
  const { alice, bob, carol } = await aliceBobCarol([160, 90], [1280, 720]);

  // The SFU learned three layers from Alice's keyframes: 320, 640 and 1280 wide.
  const layers = () => t.server.sfu.detailedStats().publishers[0]?.tracks.find((track) => track.kind === 'video')?.layers ?? [];
  await waitFor('three layers with their sizes', () => layers().filter((l) => l.width !== undefined).length === 3, 30_000);
  assert.deepEqual(layers().map((l) => [l.rid, l.width]), [['q', 320], ['h', 640], ['f', 1280]]);

  const small = await decodesAtWidth(bob, 'alice', 320, 'bob decodes the quarter layer');
  assert.equal(small.frameHeight, 180);
  const large = await decodesAtWidth(carol, 'alice', 1280, 'carol decodes the full layer');
  assert.equal(large.frameHeight, 720);

  // Nobody receives the half layer: Alice's browser pauses it; the others keep going.
  await waitFor('half layer paused at alice', async () => {
    const layers = await activeLayers(alice);
    return layers['h'] === false && layers['q'] === true && layers['f'] === true;
  }, 20_000);

  // Bob's tile grows to 640×360: the half layer resumes and Bob moves to it, still decoding.
  await bob.evaluate(async () => {
    const { room } = window as unknown as PageGlobals;
    await room.activeSubscriptions.find((s) => s.endpoint.id === 'alice')?.setVideoSize(640, 360);
  });
  await waitFor('half layer active again', async () => (await activeLayers(alice))['h'] === true, 20_000);
  const mid = await decodesAtWidth(bob, 'alice', 640, 'bob decodes the half layer');
  assert.equal(mid.frameHeight, 360);
  // Carol never moved.
  await decodesAtWidth(carol, 'alice', 1280, 'carol still decodes the full layer');

  // Bob full screen: the full layer, and the quarter one (nobody's now) pauses.
  await bob.evaluate(async () => {
    const { room } = window as unknown as PageGlobals;
    await room.activeSubscriptions.find((s) => s.endpoint.id === 'alice')?.setVideoSize(1920, 1080);
  });
  await decodesAtWidth(bob, 'alice', 1280, 'bob decodes the full layer');
  await waitFor('quarter and half layers paused', async () => {
    const layers = await activeLayers(alice);
    return layers['q'] === false && layers['h'] === false && layers['f'] === true;
  }, 20_000);
  // The SFU's view: both subscribers on the full layer now; Bob switched layers twice.
  const forwarded = t.server.sfu.detailedStats().subscribers.map((s) => s.tracks.find((track) => track.kind === 'video'));
  assert.deepEqual(forwarded.map((v) => v?.layer), ['f', 'f']);
  assert.deepEqual(forwarded.map((v) => v?.layerSwitches).sort(), [0, 2]);
});

test('simulcast: a subscriber capped at 500 kbit/s gets a lower layer while the other keeps the full one', async () => {
  const { bob, carol } = await aliceBobCarol([1280, 720], [1280, 720]);
  await decodesAtWidth(bob, 'alice', 1280, 'bob decodes the full layer');
  await decodesAtWidth(carol, 'alice', 1280, 'carol decodes the full layer');

  // Everything the SFU sends to Bob's subscription (any of its ports) goes through a 500 kbit/s class.
  const ports = await subscriptionPorts(bob, 'alice');
  assert.ok(ports.length > 0, 'bob subscription ports');
  const lift = capUdpPorts(ports, '500kbit');
  try {
    const lower = await waitFor(
      'bob falls to a lower layer',
      async () => {
        const now = await decoded(bob, 'alice');
        return now.frameWidth > 0 && now.frameWidth < 1280 ? now : undefined;
      },
      40_000,
      250,
    );
    assert.ok(lower.frameWidth === 320 || lower.frameWidth === 640, `a simulcast layer (${lower.frameWidth})`);
    // Bob keeps decoding within his cap; Carol keeps the full layer throughout.
    const bobAfter = await waitFor('bob keeps decoding', async () => {
      const now = await decoded(bob, 'alice');
      return now.framesDecoded > lower.framesDecoded + 30 ? now : undefined;
    }, 30_000, 250);
    assert.ok(bobAfter.frameWidth < 1280, 'bob stays below the full layer');
    await decodesAtWidth(carol, 'alice', 1280, 'carol keeps the full layer');
    // Bob's subscription tries the full layer again now and then (a probe after a back-off), so
    // the SFU's view is polled: Carol on the full layer while Bob is on a lower one.
    await waitFor('one subscriber on the full layer, one on a lower layer', () => {
      const subscribers = t.server.sfu.detailedStats().subscribers.map((s) => s.tracks.find((track) => track.kind === 'video')?.layer);
      return subscribers.includes('f') && subscribers.some((layer) => layer === 'q' || layer === 'h');
    });
  } finally {
    lift();
  }
});

test('simulcast: the stage reports its tile sizes, so a tile that grows gets a larger layer', async () => {
  const roomId = (await t.createRoom()).id;
  const alice = await joinPage(roomId, 'alice');
  await publishSimulcastCamera(alice);
  // Bob's stage is small: Alice's tile in it is at most 320×180.
  const bob = await joinPage(roomId, 'bob', { width: 320, height: 180 });
  await waitFor('three layers with their sizes', () =>
    (t.server.sfu.detailedStats().publishers[0]?.tracks.find((track) => track.kind === 'video')?.layers ?? []).every((l) => l.width !== undefined),
  30_000);
  await decodesAtWidth(bob, 'alice', 320, 'bob decodes the quarter layer in his small stage');
  // The page makes the stage large: the renderer reports the new tile size, the SFU moves Bob up.
  await bob.evaluate(() => Object.assign(document.getElementById('stage')!.style, { width: '2560px', height: '1440px' }));
  await decodesAtWidth(bob, 'alice', 1280, 'bob decodes the full layer in his large stage');
});

test('simulcast: with 10% UDP loss both subscribers keep decoding, and recover when it stops', async () => {
  assert.equal(process.env.ATRIUM_ISOLATED, '1', 'run through npm test (isolated network namespace)');
  const { bob, carol } = await aliceBobCarol([320, 180], [1280, 720]);
  await decodesAtWidth(bob, 'alice', 320, 'bob decodes the quarter layer');
  await decodesAtWidth(carol, 'alice', 1280, 'carol decodes the full layer');

  const rule = ['INPUT', '-p', 'udp', '-m', 'statistic', '--mode', 'random', '--probability', '0.1', '-j', 'DROP'];
  execFileSync('iptables', ['-A', ...rule]);
  let dropping = true;
  try {
    const atLoss = await Promise.all([bob, carol].map((page) => decoded(page, 'alice')));
    // Every leg loses a tenth of its packets: the picture still moves for both (2 s of frames and more).
    await waitFor('both keep decoding under loss', async () => {
      const now = await Promise.all([bob, carol].map((page) => decoded(page, 'alice')));
      return now.every((n, i) => n.framesDecoded > (atLoss[i]?.framesDecoded ?? 0) + 60);
    }, 60_000, 500);
    const nacks = t.server.sfu.mediaStats();
    assert.ok(nacks.nacksReceived > 0 && nacks.retransmitted > 0, 'subscribers NACKed and the SFU resent');
    execFileSync('iptables', ['-D', ...rule]);
    dropping = false;
    // Loss over: both decode their layer at the camera's rate again (over 20 frames a second).
    for (const [page, width] of [[bob, 320], [carol, 1280]] as const) {
      await waitFor(`${width} wide at full rate again`, async () => {
        const before = await decoded(page, 'alice');
        await new Promise((resolve) => setTimeout(resolve, 2000));
        const after = await decoded(page, 'alice');
        return after.frameWidth === width && after.framesDecoded - before.framesDecoded > 40;
      }, 40_000, 0);
    }
  } finally {
    if (dropping) execFileSync('iptables', ['-D', ...rule]);
  }
});
