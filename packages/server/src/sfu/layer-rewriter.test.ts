/**
 * @module Tests for simulcast forwarding's pure parts: the VP8 descriptor (picture id, TL0PICIDX,
 * keyframe size), one subscriber's renumbering across a layer switch, and the layer choice.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RtpHeader, RtpPacket } from 'werift';
import { LayerRewriter } from './layer-rewriter.js';
import { BandwidthLimit, layerForSize, layerToForward, type LayerView } from './layer-selection.js';
import { parseVp8Descriptor, renumberVp8, vp8KeyframeSize } from './vp8.js';

/** A VP8 payload: descriptor with a 15-bit picture id and TL0PICIDX (+ TID), then the frame bytes. */
function vp8(pictureId: number, tl0: number, frame: number[], start = true): Buffer {
  return Buffer.from([0x80 | (start ? 0x10 : 0), 0x80 | 0x40 | 0x20, 0x80 | (pictureId >> 8), pictureId & 0xff, tl0, 0x40, ...frame]);
}

/** A keyframe's first bytes: frame tag (P clear), start code, 14-bit width and height (little endian). */
function keyframe(width: number, height: number): number[] {
  return [0x50, 0x2d, 0x01, 0x9d, 0x01, 0x2a, width & 0xff, width >> 8, height & 0xff, height >> 8];
}
const INTERFRAME = [0x31, 0x05, 0x00];

function packet(sequenceNumber: number, timestamp: number, payload: Buffer): RtpPacket {
  return new RtpPacket(new RtpHeader({ sequenceNumber, timestamp, payloadType: 96, ssrc: 1 }), payload);
}

describe('VP8 descriptor', () => {
  test('finds the picture id and TL0PICIDX and renumbers a copy', () => {
    const payload = vp8(0x7ffe, 250, INTERFRAME);
    const d = parseVp8Descriptor(payload);
    assert.ok(d);
    assert.deepEqual([d.pictureId, d.pictureIdBits, d.tl0PicIdx, d.payloadOffset], [0x7ffe, 15, 250, 6]);
    const moved = renumberVp8(payload, d, 3, 10);
    assert.notEqual(moved, payload, 'a copy');
    const m = parseVp8Descriptor(moved);
    assert.deepEqual([m?.pictureId, m?.tl0PicIdx], [1, 4], 'both wrap');
    assert.deepEqual([...moved.subarray(6)], INTERFRAME, 'frame bytes untouched');
    assert.equal(parseVp8Descriptor(payload)?.pictureId, 0x7ffe, 'the original is unchanged');
    assert.equal(renumberVp8(payload, d, 0, 0), payload, 'nothing to move: the same buffer');
  });

  test('a 7-bit picture id wraps at 128', () => {
    const payload = Buffer.from([0x90, 0x80, 0x7f, ...INTERFRAME]);
    const d = parseVp8Descriptor(payload);
    assert.equal(d?.pictureIdBits, 7);
    assert.equal(parseVp8Descriptor(renumberVp8(payload, d!, 2, 0))?.pictureId, 1);
  });

  test('keyframe size from the first packet of a keyframe only', () => {
    assert.deepEqual(vp8KeyframeSize(vp8(1, 1, keyframe(1280, 720))), { width: 1280, height: 720 });
    assert.equal(vp8KeyframeSize(vp8(1, 1, INTERFRAME)), undefined);
    assert.equal(vp8KeyframeSize(vp8(1, 1, keyframe(1280, 720), false)), undefined, 'not a partition start');
    assert.equal(vp8KeyframeSize(Buffer.from([0x90, 0x80])), undefined, 'truncated');
  });
});

describe('LayerRewriter', () => {
  test('numbers pass through until a layer switch, then continue from the last packet sent', () => {
    const r = new LayerRewriter({ vp8: true });
    const a = r.rewrite(packet(100, 9000, vp8(500, 20, keyframe(320, 180))), 1000);
    assert.deepEqual([a.sequenceNumber, a.timestamp], [100, 9000]);
    const b = r.rewrite(packet(101, 12000, vp8(501, 21, INTERFRAME)), 1033);
    assert.deepEqual([b.sequenceNumber, b.timestamp, parseVp8Descriptor(b.payload)?.pictureId], [101, 12000, 501]);

    // Another layer: its own numbers, far away. 40 ms later on the wall clock.
    r.switchLayer();
    const c = r.rewrite(packet(7000, 4_000_000_000, vp8(9000, 3, keyframe(1280, 720))), 1073);
    assert.equal(c.sequenceNumber, 102);
    assert.equal(c.timestamp, 12000 + 40 * 90);
    const cd = parseVp8Descriptor(c.payload);
    assert.deepEqual([cd?.pictureId, cd?.tl0PicIdx], [502, 22]);
    assert.deepEqual(vp8KeyframeSize(c.payload), { width: 1280, height: 720 }, 'the frame itself untouched');
    const d = r.rewrite(packet(7001, 4_000_003_000, vp8(9001, 3, INTERFRAME)), 1106);
    assert.deepEqual([d.sequenceNumber, d.timestamp, parseVp8Descriptor(d.payload)?.pictureId], [103, 12000 + 40 * 90 + 3000, 503]);
  });
});

const view = (index: number, height: number | undefined, bitrate: number, flowing = true): LayerView => ({ index, height, bitrate, flowing });
const LAYERS = [view(0, 180, 150_000), view(1, 360, 500_000), view(2, 720, 1_700_000)];

describe('layer choice', () => {
  test('by size: the smallest layer that fills the tile; the best without a size', () => {
    assert.equal(layerForSize(LAYERS, undefined), 2);
    assert.equal(layerForSize(LAYERS, 90), 0);
    assert.equal(layerForSize(LAYERS, 170), 0, 'a little smaller than the tile is fine');
    assert.equal(layerForSize(LAYERS, 300), 1);
    assert.equal(layerForSize(LAYERS, 1080), 2);
  });

  test('what to forward when the wanted layer does not flow', () => {
    const topPaused = [LAYERS[0]!, LAYERS[1]!, view(2, 720, 0, false)];
    assert.equal(layerToForward(topPaused, 2, 1), 1, 'stay on the current layer');
    assert.equal(layerToForward(topPaused, 2, undefined), 1, 'the best flowing below');
    assert.equal(layerToForward([view(0, 180, 0, false), LAYERS[1]!, LAYERS[2]!], 0, undefined), 1, 'the lowest flowing above');
    assert.equal(layerToForward(LAYERS.map((l) => ({ ...l, flowing: false })), 1, 0), undefined);
  });

  test('bandwidth: steps down on a falling estimate below the layer, tries again after a back-off', () => {
    const limit = new BandwidthLimit();
    let now = 0;
    assert.equal(limit.update(LAYERS, 2_500_000, 2, now), Number.POSITIVE_INFINITY);
    // A rising estimate below the layer's bitrate (a fresh receiver catching up) changes nothing.
    assert.equal(limit.update(LAYERS, 900_000, 2, (now += 500)), Number.POSITIVE_INFINITY);
    assert.equal(limit.update(LAYERS, 1_000_000, 2, (now += 500)), Number.POSITIVE_INFINITY);
    // It falls: after two ticks, down to the highest layer the estimate covers.
    limit.update(LAYERS, 420_000, 2, (now += 500));
    assert.equal(limit.update(LAYERS, 420_000, 2, (now += 500)), 0);
    // No estimate covering the layer above: it is tried after 10 s.
    assert.equal(limit.update(LAYERS, 300_000, 0, (now += 9000)), 0);
    assert.equal(limit.update(LAYERS, 300_000, 0, (now += 1000)), 1);
    // The try fails at once: the next one waits twice as long.
    limit.update(LAYERS, 280_000, 1, (now += 500));
    assert.equal(limit.update(LAYERS, 280_000, 1, (now += 500)), 0);
    assert.equal(limit.update(LAYERS, 300_000, 0, (now += 19000)), 0);
    assert.equal(limit.update(LAYERS, 300_000, 0, (now += 1100)), 1);
    // An estimate covering the layer above steps up at once.
    assert.equal(limit.update(LAYERS, 2_000_000, 1, (now += 500)), 2);
  });

  test('bandwidth: an estimate that stays below the layer without rising steps down; one still rising does not', () => {
    const rate = LAYERS[2]!.bitrate;
    const limit = new BandwidthLimit();
    let now = 0;
    // A first estimate already below the layer (the receiver's queue filled before it reported), then flat.
    assert.equal(limit.update(LAYERS, rate / 2, 2, now), Number.POSITIVE_INFINITY);
    for (let t = 0; t < 5; t++) assert.equal(limit.update(LAYERS, rate / 2, 2, (now += 500)), Number.POSITIVE_INFINITY, 'given time to climb');
    limit.update(LAYERS, rate / 2, 2, (now += 500));
    assert.ok(limit.update(LAYERS, rate / 2, 2, (now += 500)) < 2, 'stalled for 3 s: down');

    // Climbing a little every second (a fresh receiver catching up) keeps the layer.
    const climbing = new BandwidthLimit();
    let estimate = rate / 2;
    for (let t = 0; t < 20; t++) {
      if (t % 2 === 0) estimate *= 1.05;
      assert.equal(climbing.update(LAYERS, estimate, 2, t * 500), Number.POSITIVE_INFINITY);
    }
    // A layer change (a larger tile) gives a flat estimate time again.
    const moved = new BandwidthLimit();
    for (let t = 0; t < 10; t++) moved.update(LAYERS, rate / 2, 1, t * 500);
    assert.equal(moved.update(LAYERS, rate / 2, 2, 5000), Number.POSITIVE_INFINITY);
    assert.equal(moved.update(LAYERS, rate / 2, 2, 5500), Number.POSITIVE_INFINITY);
  });
});
