/**
 * Packet loss on every leg (5% of all UDP dropped by iptables inside the test's network
 * namespace): the SFU NACKs lost packets from the publisher, answers subscribers' NACKs from its
 * own per-subscriber history, and video keeps decoding.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { join } from '../packages/sdk/src/index.js';
import { startTestServer, waitFor, type TestServer } from './helpers/server.js';
import { countFrames, syntheticCamera, wrtcImpl } from './helpers/wrtc-media.js';

const DROP_RULE = ['INPUT', '-p', 'udp', '-m', 'statistic', '--mode', 'random', '--probability', '0.05', '-j', 'DROP'];

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => {
  await t.close();
});

function videoCounters(report: RTCStatsReport, type: 'inbound-rtp' | 'outbound-rtp'): { nacks: number; retransmitted: number; lost: number } {
  const c = { nacks: 0, retransmitted: 0, lost: 0 };
  report.forEach((s: { type?: string; kind?: string; nackCount?: number; retransmittedPacketsSent?: number; packetsLost?: number }) => {
    if (s.type !== type || s.kind !== 'video') return;
    c.nacks += s.nackCount ?? 0;
    c.retransmitted += s.retransmittedPacketsSent ?? 0;
    c.lost += s.packetsLost ?? 0;
  });
  return c;
}

test('with 5% UDP loss video keeps decoding and lost packets are NACKed and resent on both legs', async () => {
  // Needs the isolated namespace `npm test` runs in (as root): the rule must not touch the host.
  assert.equal(process.env.ATRIUM_ISOLATED, '1', 'run through npm test (isolated network namespace)');
  const room = await t.createRoom();
  const publisher = await join(room.id, await t.token('publisher', room.id), { url: t.url, wrtc: wrtcImpl });
  const viewers = await Promise.all(
    ['a', 'b'].map(async (id) => join(room.id, await t.token(`viewer-${id}`, room.id), { url: t.url, wrtc: wrtcImpl })),
  );
  const media = syntheticCamera();
  let ruleAdded = false;
  try {
    const local = await publisher.room.publish('camera', media.stream);
    const subscriptions = await Promise.all(viewers.map((v) => v.endpoint.subscribe('publisher', 'camera')));
    const counters = await Promise.all(
      subscriptions.map(async (sub) => countFrames(await waitFor('video track', () => sub.track('video')))),
    );
    await waitFor('decoding before loss', () => counters.every((c) => c.frames > 30), 20_000);

    execFileSync('iptables', ['-A', ...DROP_RULE]);
    ruleAdded = true;
    const framesAtLoss = counters.map((c) => c.frames);
    const sfuAtLoss = t.server.sfu.mediaStats();
    const publisherAtLoss = videoCounters(await local.getStats(), 'outbound-rtp');

    // Subscribers NACK what they miss and the SFU resends it from its history.
    await waitFor('subscribers NACK and the SFU retransmits', async () => {
      const sfu = t.server.sfu.mediaStats();
      const reports = await Promise.all(subscriptions.map((s) => s.getStats()));
      const nacks = reports.map((r) => videoCounters(r, 'inbound-rtp').nacks);
      return nacks.every((n) => n > 0) && sfu.nacksReceived > sfuAtLoss.nacksReceived && sfu.retransmitted > sfuAtLoss.retransmitted;
    }, 30_000);
    // The SFU NACKs the publisher for what it lost on the way in.
    await waitFor('the publisher is NACKed and retransmits', async () => {
      const now = videoCounters(await local.getStats(), 'outbound-rtp');
      return now.nacks > publisherAtLoss.nacks && now.retransmitted > publisherAtLoss.retransmitted;
    }, 30_000);
    // And the picture keeps moving for everyone (one second and more of new frames each).
    await waitFor('video keeps decoding under loss', () => counters.every((c, i) => c.frames > framesAtLoss[i]! + 60), 30_000);
    assert.ok(counters.every((c) => c.width === 640), 'full-size frames');
    for (const c of counters) c.stop();
  } finally {
    if (ruleAdded) execFileSync('iptables', ['-D', ...DROP_RULE]);
    media.stop();
    await publisher.room.leave();
    await Promise.all(viewers.map((v) => v.room.leave()));
  }
});
