/** @module Tests for one layer's bookkeeping: repeats dropped, keyframe sizes, flowing and bitrate. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RtpHeader, RtpPacket } from 'werift';
import { TrackLayer } from './track-layer.js';
import type { TrackSource } from './track-source.js';

const source: TrackSource = { ssrc: 1, onRtp: () => () => undefined, requestKeyframe: () => undefined };

test('a sequence number is forwarded once: late retransmissions and RTX probes are repeats', () => {
  const layer = new TrackLayer(0, undefined, source);
  assert.equal(layer.firstArrival(10), true);
  assert.equal(layer.firstArrival(12), true);
  assert.equal(layer.firstArrival(11), true, 'reordered, but new');
  assert.equal(layer.firstArrival(10), false, 'a repeat');
  assert.equal(layer.firstArrival(65535), true);
  assert.equal(layer.firstArrival(65535), false);
  assert.equal(layer.firstArrival(10 + 1024), true, 'the same slot, a later packet');
});

test('keyframe size, flowing and bitrate from the packets', () => {
  const layer = new TrackLayer(0, 'f', source);
  const keyframe = Buffer.from([0x10, 0x50, 0x2d, 0x01, 0x9d, 0x01, 0x2a, 0x00, 0x05, 0xd0, 0x02, ...new Array(1000).fill(7)]);
  layer.tick(10_000);
  layer.onPacket(new RtpPacket(new RtpHeader({ sequenceNumber: 1 }), keyframe), 10_100);
  assert.deepEqual([layer.width, layer.height], [1280, 720]);
  assert.equal(layer.flowing(10_500), true);
  layer.tick(10_500);
  assert.equal(layer.bitrate, (keyframe.length * 8 * 1000) / 500);
  assert.equal(layer.flowing(11_200), false, 'a second without packets');
});
