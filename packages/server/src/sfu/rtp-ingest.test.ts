/**
 * @module The RTP ingest: packets from loopback with the expected SSRC reach its track source,
 * others (wrong SSRC, RTCP) do not; after `restart()` a new sender run's sequence numbers and
 * timestamps continue the previous run's, so subscribers see one stream.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { test } from 'node:test';
import type { RtpPacket } from 'werift';
import { RtpIngest } from './rtp-ingest.js';

function rtp(ssrc: number, sequence: number, timestamp: number): Buffer {
  const packet = Buffer.alloc(12 + 4);
  packet[0] = 0x80;
  packet[1] = 96;
  packet.writeUInt16BE(sequence, 2);
  packet.writeUInt32BE(timestamp >>> 0, 4);
  packet.writeUInt32BE(ssrc, 8);
  packet.writeUInt32BE(0x10203040, 12);
  return packet;
}

test('takes the expected SSRC only, drops RTCP, keeps the stream continuous across restarts', async () => {
  const ingest = await RtpIngest.open(['video']);
  const sender = dgram.createSocket('udp4');
  const received: Array<{ sequence: number; timestamp: number }> = [];
  const [endpoint] = ingest.endpoints;
  assert.ok(endpoint && endpoint.port > 0 && endpoint.ssrc > 0 && endpoint.ssrc < 2 ** 31);
  let media = 0;
  ingest.on('media', () => media++);
  ingest.source('video')?.onRtp((packet: RtpPacket) => received.push({ sequence: packet.header.sequenceNumber, timestamp: packet.header.timestamp }));
  const send = (data: Buffer): Promise<void> => new Promise((resolve) => sender.send(data, endpoint.port, '127.0.0.1', () => resolve()));
  const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 50));
  try {
    await send(rtp(endpoint.ssrc, 65_534, 1000));
    await send(rtp(endpoint.ssrc, 65_535, 4000));
    await send(rtp(endpoint.ssrc + 1, 0, 7000)); // another sender's SSRC
    const rtcp = rtp(endpoint.ssrc, 0, 0);
    rtcp[1] = 200; // a sender report
    await send(rtcp);
    await settle();
    assert.deepEqual(received, [{ sequence: 65_534, timestamp: 1000 }, { sequence: 65_535, timestamp: 4000 }]);

    // A new run starts from unrelated numbers; 200 ms later on the wall clock.
    ingest.restart();
    await new Promise((resolve) => setTimeout(resolve, 200));
    await send(rtp(endpoint.ssrc, 500, 123_456));
    await send(rtp(endpoint.ssrc, 501, 126_456));
    await settle();
    const [first, second] = received.slice(2);
    assert.equal(first?.sequence, 0, 'sequence numbers go on (wrapping)');
    assert.equal(second?.sequence, 1);
    const gapTicks = (first?.timestamp ?? 0) - 4000;
    assert.ok(gapTicks >= 0.19 * 90_000, `timestamps go on by (at least) the wall-clock gap: ${gapTicks} ticks`);
    assert.equal((second?.timestamp ?? 0) - (first?.timestamp ?? 0), 3000, 'spacing inside a run is kept');
    assert.equal(media, 2, 'one media event per run');
  } finally {
    sender.close();
    ingest.close();
  }
  assert.equal(ingest.closed, true);
});
