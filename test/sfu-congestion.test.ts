/**
 * Congestion feedback through the SFU: a libwebrtc publisher with several subscribers is told
 * (REMB, the lowest of its subscribers' own estimates, capped by the room's maximum) that it may
 * send at its target, and does — werift's stock feedback used to collapse it to ~0.1 Mbps. A
 * subscriber whose downlink is capped (htb, 500 kbit/s) sees congestion and its falling
 * estimate brings the publisher down to what it can take.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { join } from '../packages/sdk/src/index.js';
import { startTestServer, waitFor, type TestServer } from './helpers/server.js';
import { countFrames, syntheticCamera, wrtcImpl } from './helpers/wrtc-media.js';
import { capUdpPorts, localCandidatePorts } from './helpers/shaping.js';

const TARGET = 1_000_000;
const SUBSCRIBERS = 6;

let t: TestServer;
before(async () => {
  t = await startTestServer({ ATRIUM_VIDEO_BITRATE_MAX: String(TARGET), ATRIUM_VIDEO_BITRATE_INITIAL: String(TARGET) });
});
after(async () => {
  await t.close();
});

function videoBytesSent(report: RTCStatsReport): number {
  let bytes = 0;
  report.forEach((s: { type?: string; kind?: string; bytesSent?: number }) => {
    if (s.type === 'outbound-rtp' && s.kind === 'video') bytes += s.bytesSent ?? 0;
  });
  return bytes;
}

async function bitrateOver(stream: { getStats(): Promise<RTCStatsReport> }, ms: number): Promise<number> {
  const start = videoBytesSent(await stream.getStats());
  const startedAt = Date.now();
  await new Promise((r) => setTimeout(r, ms));
  return ((videoBytesSent(await stream.getStats()) - start) * 8 * 1000) / (Date.now() - startedAt);
}

test(`a publisher with ${SUBSCRIBERS} subscribers keeps sending near its target bitrate`, async () => {
  const room = await t.createRoom();
  const publisher = await join(room.id, await t.token('publisher', room.id), { url: t.url, wrtc: wrtcImpl });
  const subscribers = await Promise.all(
    Array.from({ length: SUBSCRIBERS }, async (_, i) =>
      join(room.id, await t.token(`viewer-${i}`, room.id), { url: t.url, wrtc: wrtcImpl }),
    ),
  );
  const media = syntheticCamera();
  try {
    const local = await publisher.room.publish('camera', media.stream);
    const subscriptions = await Promise.all(subscribers.map((s) => s.endpoint.subscribe('publisher', 'camera')));
    const counters = await Promise.all(
      subscriptions.map(async (sub) => countFrames(await waitFor('video track', () => sub.track('video')))),
    );
    // Measured over two-second windows: the encoder's rate, not how fast it got there.
    const bitrate = await waitFor(
      'the publisher sends above 40% of its target',
      async () => {
        const bps = await bitrateOver(local, 2000);
        return bps > 0.4 * TARGET ? bps : null;
      },
      60_000,
    );
    assert.ok(bitrate > 0.4 * TARGET, `publisher at ${Math.round(bitrate / 1000)} kbps`);
    await waitFor('every subscriber decodes', () => counters.every((c) => c.frames > 30), 30_000);
    const sfu = t.server.sfu.mediaStats();
    assert.ok(sfu.packetsForwarded > 0);
    for (const c of counters) c.stop();
  } finally {
    media.stop();
    await publisher.room.leave();
    await Promise.all(subscribers.map((s) => s.room.leave()));
  }
});

test('the publisher follows the budget the SFU sends it (a low room maximum caps it)', async () => {
  const cap = 250_000;
  const capped = await startTestServer({ ATRIUM_VIDEO_BITRATE_MAX: String(cap), ATRIUM_VIDEO_BITRATE_INITIAL: String(cap) });
  const room = await capped.createRoom();
  const publisher = await join(room.id, await capped.token('publisher', room.id), { url: capped.url, wrtc: wrtcImpl });
  const viewer = await join(room.id, await capped.token('viewer', room.id), { url: capped.url, wrtc: wrtcImpl });
  const media = syntheticCamera();
  try {
    const local = await publisher.room.publish('camera', media.stream);
    const subscription = await viewer.endpoint.subscribe('publisher', 'camera');
    const counter = countFrames(await waitFor('video track', () => subscription.track('video')));
    await waitFor('the viewer decodes', () => counter.frames > 10, 30_000);
    // Without the SFU's REMB libwebrtc starts at 300 kbps and climbs towards its 2.5 Mbps default.
    const bps = await bitrateOver(local, 3000);
    assert.ok(bps < 1.4 * cap, `publisher at ${Math.round(bps / 1000)} kbps with a ${cap / 1000} kbps budget`);
    counter.stop();
  } finally {
    media.stop();
    await publisher.room.leave();
    await viewer.room.leave();
    await capped.close();
  }
});

test('a subscriber capped at 500 kbit/s brings its publisher down to what it can take', async () => {
  const room = await t.createRoom();
  const publisher = await join(room.id, await t.token('publisher', room.id), { url: t.url, wrtc: wrtcImpl });
  const viewers = await Promise.all(['a', 'b'].map(async (id) => join(room.id, await t.token(`viewer-${id}`, room.id), { url: t.url, wrtc: wrtcImpl })));
  const media = syntheticCamera();
  let lift: (() => void) | undefined;
  try {
    const local = await publisher.room.publish('camera', media.stream);
    const subscriptions = await Promise.all(viewers.map((v) => v.endpoint.subscribe('publisher', 'camera')));
    const counters = await Promise.all(subscriptions.map(async (sub) => countFrames(await waitFor('video track', () => sub.track('video')))));
    await waitFor('the publisher near its target', async () => (await bitrateOver(local, 2000)) > 0.6 * TARGET, 60_000);

    const ports = await waitFor('viewer-a ports', async () => {
      const found = localCandidatePorts(await subscriptions[0]!.getStats());
      return found.length > 0 ? found : undefined;
    });
    lift = capUdpPorts(ports, '500kbit');
    // The capped viewer's estimate falls; the SFU's budget for the publisher follows it down.
    const budget = await waitFor(
      'the SFU lowers the publisher budget',
      () => {
        const video = t.server.sfu.detailedStats().publishers[0]?.tracks.find((track) => track.kind === 'video');
        return video && video.targetBitrate > 0 && video.targetBitrate < 600_000 ? video.targetBitrate : undefined;
      },
      30_000,
      250,
    );
    const bps = await waitFor('the publisher sends within the cap', async () => {
      const rate = await bitrateOver(local, 2000);
      return rate < 600_000 ? rate : undefined;
    }, 30_000);
    assert.ok(bps < 600_000, `publisher at ${Math.round(bps / 1000)} kbps (budget ${Math.round(budget / 1000)} kbps)`);
    // Both viewers keep decoding, the capped one too.
    const framesNow = counters.map((c) => c.frames);
    await waitFor('both viewers keep decoding', () => counters.every((c, i) => c.frames > (framesNow[i] ?? 0) + 30), 30_000);
    for (const c of counters) c.stop();
  } finally {
    lift?.();
    media.stop();
    await publisher.room.leave();
    await Promise.all(viewers.map((v) => v.room.leave()));
  }
});
