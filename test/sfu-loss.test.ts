/**
 * Packet loss (5% of UDP dropped by iptables inside the test's network namespace): the SFU NACKs
 * what the publisher lost on its way in and forwards the retransmissions, answers subscribers'
 * NACKs from its own per-subscriber history, both legs retransmit as RTX (RFC 4588), and video
 * keeps decoding.
 *
 * libwebrtc in @roamhq/wrtc reports no `retransmittedPacketsReceived` (nor an RTX SSRC), so RTX on
 * the wire is counted by iptables itself: RTP packets (version 2) of the RTX payload type towards
 * each receiver's port (u32 match on the UDP payload).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { join } from '../packages/sdk/src/index.js';
import { PayloadType } from '../packages/server/src/sfu/peer-config.js';
import { startTestServer, waitFor, type TestServer } from './helpers/server.js';
import { countFrames, syntheticCamera, wrtcImpl } from './helpers/wrtc-media.js';

const LOSS = ['-m', 'statistic', '--mode', 'random', '--probability', '0.05', '-j', 'DROP'];

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => {
  await t.close();
});

type Stat = Record<string, unknown>;

function stats(report: RTCStatsReport): Stat[] {
  const all: Stat[] = [];
  report.forEach((s: Stat) => all.push(s));
  return all;
}

function videoRtp(report: RTCStatsReport, type: 'inbound-rtp' | 'outbound-rtp'): { nacks: number; retransmitted: number; lost: number } {
  const s = stats(report).find((x) => x.type === type && x.kind === 'video') ?? {};
  return {
    nacks: Number(s.nackCount ?? 0),
    retransmitted: Number(s.retransmittedPacketsSent ?? 0),
    lost: Number(s.packetsLost ?? 0),
  };
}

/** The negotiated RTX payload type for the video codec in use, and the ports of the selected candidate pair. */
function rtpSetup(report: RTCStatsReport, type: 'inbound-rtp' | 'outbound-rtp'): { rtxPayloadType: number | undefined; localPort: number; remotePort: number } {
  const all = stats(report);
  const rtp = all.find((s) => s.type === type && s.kind === 'video');
  const codec = all.find((s) => s.id === rtp?.codecId);
  const rtx = all.find((s) => s.type === 'codec' && s.mimeType === 'video/rtx' && s.sdpFmtpLine === `apt=${String(codec?.payloadType)}`);
  const transport = all.find((s) => s.type === 'transport');
  const pair = all.find((s) => s.id === transport?.selectedCandidatePairId);
  const local = all.find((s) => s.id === pair?.localCandidateId);
  const remote = all.find((s) => s.id === pair?.remoteCandidateId);
  return { rtxPayloadType: rtx?.payloadType as number | undefined, localPort: Number(local?.port), remotePort: Number(remote?.port) };
}

/** An iptables rule counting RTP packets of `payloadType` sent to UDP port `port` (it accepts nothing, drops nothing). */
function rtpCounter(name: string, port: number, payloadType: number): string[] {
  const firstWord = ((0x80000000 | (payloadType << 16)) >>> 0).toString(16);
  // The UDP payload starts 8 bytes after the IP header (IHL words): V=2, then M|PT.
  return ['INPUT', '-p', 'udp', '--dport', String(port), '-m', 'u32', '--u32', `0>>22&0x3C@8&0xC07F0000=0x${firstWord}`, '-m', 'comment', '--comment', name];
}

function counted(name: string): number {
  const listing = execFileSync('iptables', ['-L', 'INPUT', '-v', '-x', '-n'], { encoding: 'utf8' });
  const line = listing.split('\n').find((l) => l.includes(`/* ${name} */`));
  assert.ok(line, `iptables counter ${name}`);
  return Number(line.trim().split(/\s+/)[0]);
}

test('with 5% UDP loss both legs retransmit as RTX, the SFU forwards the publisher\'s repairs, and video keeps decoding', async () => {
  // Needs the isolated namespace `npm test` runs in (as root): the rules must not touch the host.
  assert.equal(process.env.ATRIUM_ISOLATED, '1', 'run through npm test (isolated network namespace)');
  const room = await t.createRoom();
  const publisher = await join(room.id, await t.token('publisher', room.id), { url: t.url, wrtc: wrtcImpl });
  const viewers = await Promise.all(
    ['a', 'b'].map(async (id) => join(room.id, await t.token(`viewer-${id}`, room.id), { url: t.url, wrtc: wrtcImpl })),
  );
  const media = syntheticCamera();
  const rules: string[][] = [];
  const addRule = (rule: string[]): void => {
    execFileSync('iptables', ['-A', ...rule]);
    rules.push(rule);
  };
  const removeRule = (rule: string[]): void => {
    execFileSync('iptables', ['-D', ...rule]);
    rules.splice(rules.indexOf(rule), 1);
  };
  try {
    const local = await publisher.room.publish('camera', media.stream);
    const subscriptions = await Promise.all(viewers.map((v) => v.endpoint.subscribe('publisher', 'camera')));
    const counters = await Promise.all(
      subscriptions.map(async (sub) => countFrames(await waitFor('video track', () => sub.track('video')))),
    );
    await waitFor('decoding before loss', () => counters.every((c) => c.frames > 30), 20_000);

    // Both legs negotiated RTX for VP8: the publisher's offer had it, the SFU's offers have it.
    const publisherLeg = rtpSetup(await local.getStats(), 'outbound-rtp');
    assert.ok(publisherLeg.rtxPayloadType !== undefined, 'the publisher sends RTX for its video codec');
    const subscriberLegs = await Promise.all(subscriptions.map(async (s) => rtpSetup(await s.getStats(), 'inbound-rtp')));
    for (const leg of subscriberLegs) assert.equal(leg.rtxPayloadType, PayloadType.vp8Rtx, 'the subscriber receives RTX for VP8');
    addRule(rtpCounter('rtx-from-publisher', publisherLeg.remotePort, publisherLeg.rtxPayloadType));
    subscriberLegs.forEach((leg, i) => addRule(rtpCounter(`rtx-to-viewer-${i}`, leg.localPort, PayloadType.vp8Rtx)));

    // 1. Loss on the publisher's leg only (what it sends to the SFU's port).
    const publisherAtLoss = videoRtp(await local.getStats(), 'outbound-rtp');
    const viewersAtLoss = (await Promise.all(subscriptions.map((s) => s.getStats()))).map((r) => videoRtp(r, 'inbound-rtp'));
    const sfuAtLoss = t.server.sfu.mediaStats();
    const publisherLoss = ['INPUT', '-p', 'udp', '--dport', String(publisherLeg.remotePort), ...LOSS];
    addRule(publisherLoss);
    const repaired = await waitFor('the SFU NACKs the publisher, which retransmits as RTX', async () => {
      const now = videoRtp(await local.getStats(), 'outbound-rtp');
      const retransmitted = now.retransmitted - publisherAtLoss.retransmitted;
      const ok = t.server.sfu.mediaStats().nacksSent > sfuAtLoss.nacksSent && now.nacks > publisherAtLoss.nacks && retransmitted >= 20;
      return ok && counted('rtx-from-publisher') > 0 ? retransmitted : undefined;
    }, 30_000);
    removeRule(publisherLoss);
    // The repairs reach the subscribers: they lost (almost) none of what the publisher lost on the way in.
    await waitFor('subscribers got the publisher\'s repaired packets', async () => {
      const reports = await Promise.all(subscriptions.map((s) => s.getStats()));
      return reports.every((r, i) => videoRtp(r, 'inbound-rtp').lost - viewersAtLoss[i]!.lost < repaired / 2);
    });

    // 2. Loss everywhere: subscribers NACK what they miss and the SFU resends it as RTX.
    const framesAtLoss = counters.map((c) => c.frames);
    const sfuAtSecondLoss = t.server.sfu.mediaStats();
    const viewersAtSecondLoss = (await Promise.all(subscriptions.map((s) => s.getStats()))).map((r) => videoRtp(r, 'inbound-rtp'));
    const rtxOnWireAtSecondLoss = subscriberLegs.map((_, i) => counted(`rtx-to-viewer-${i}`));
    addRule(['INPUT', '-p', 'udp', ...LOSS]);
    await waitFor('subscribers NACK and the SFU retransmits as RTX', async () => {
      const sfu = t.server.sfu.mediaStats();
      const reports = await Promise.all(subscriptions.map((s) => s.getStats()));
      const nacked = reports.every((r, i) => videoRtp(r, 'inbound-rtp').nacks > viewersAtSecondLoss[i]!.nacks);
      const rtxSent = sfu.retransmittedRtx - sfuAtSecondLoss.retransmittedRtx;
      return nacked && rtxSent > 0 && rtxSent === sfu.retransmitted - sfuAtSecondLoss.retransmitted && rtxOnWireAtSecondLoss.every((n, i) => counted(`rtx-to-viewer-${i}`) > n);
    }, 30_000);
    const detailed = t.server.sfu.detailedStats();
    const videoTracks = detailed.subscribers.flatMap((s) => s.tracks.filter((tr) => tr.kind === 'video'));
    assert.equal(videoTracks.length, 2);
    assert.ok(videoTracks.every((tr) => tr.rtx), 'both subscribers accepted RTX');
    // And the picture keeps moving for everyone (one second and more of new frames each).
    await waitFor('video keeps decoding under loss', () => counters.every((c, i) => c.frames > framesAtLoss[i]! + 60), 30_000);
    assert.ok(counters.every((c) => c.width === 640), 'full-size frames');
    const rtxCounts = subscriberLegs.map((_, i) => counted(`rtx-to-viewer-${i}`));
    console.log(`RTX packets on the wire: ${counted('rtx-from-publisher')} from the publisher, ${rtxCounts.join(' and ')} to the subscribers`);
    for (const c of counters) c.stop();
  } finally {
    for (const rule of [...rules].reverse()) execFileSync('iptables', ['-D', ...rule]);
    media.stop();
    await publisher.room.leave();
    await Promise.all(viewers.map((v) => v.room.leave()));
  }
});
