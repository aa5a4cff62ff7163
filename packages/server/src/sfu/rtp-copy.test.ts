/**
 * @module Tests for per-subscriber RTP rewriting: VP8 keyframe detection, continuous sequence
 * numbers, header-extension id remapping and the per-subscriber packet copy.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RtpHeader, RtpPacket, type RTCRtpHeaderExtensionParameters } from 'werift';
import { RtpExtensionUri } from './peer-config.js';
import { SequenceRewriter, copyForSubscriber, extensionIdMap } from './rtp-copy.js';
import { isVp8KeyframeStart } from './vp8.js';

/** The first bytes of a VP8 keyframe: frame tag with P (bit 0) clear, then the start code. */
const KEYFRAME = [0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a];
/** The first bytes of a VP8 interframe: frame tag with P (bit 0) set. */
const INTERFRAME = [0x31, 0x05, 0x00];

function vp8(descriptor: number[], frame: number[]): Buffer {
  return Buffer.from([...descriptor, ...frame]);
}

// RFC 7741 payload descriptor, first octet: X R N S R PID(3).
const S = 0x10;
const X = 0x80;
// Extension octet: I L T K RSV(4).
const I = 0x80;
const L = 0x40;
const T = 0x20;
const K = 0x10;

describe('isVp8KeyframeStart', () => {
  test('a keyframe start without the extension octet', () => {
    assert.equal(isVp8KeyframeStart(vp8([S], KEYFRAME)), true);
    assert.equal(isVp8KeyframeStart(vp8([S], INTERFRAME)), false);
  });

  test('a keyframe start with an empty extension octet', () => {
    assert.equal(isVp8KeyframeStart(vp8([X | S, 0x00], KEYFRAME)), true);
    assert.equal(isVp8KeyframeStart(vp8([X | S, 0x00], INTERFRAME)), false);
  });

  // The optional octets below all have their lowest bit set, so reading one of them as the VP8
  // frame tag would call a keyframe an interframe.
  test('skips a 7-bit picture id', () => {
    assert.equal(isVp8KeyframeStart(vp8([X | S, I, 0x15], KEYFRAME)), true);
    assert.equal(isVp8KeyframeStart(vp8([X | S, I, 0x14], INTERFRAME)), false);
  });

  test('skips a 15-bit picture id', () => {
    assert.equal(isVp8KeyframeStart(vp8([X | S, I, 0x81, 0x23], KEYFRAME)), true);
    assert.equal(isVp8KeyframeStart(vp8([X | S, I, 0x80, 0x22], INTERFRAME)), false);
  });

  test('skips TL0PICIDX (L)', () => {
    assert.equal(isVp8KeyframeStart(vp8([X | S, L, 0x01], KEYFRAME)), true);
    assert.equal(isVp8KeyframeStart(vp8([X | S, L, 0x00], INTERFRAME)), false);
  });

  test('skips the TID/KEYIDX octet when T or K or both are set', () => {
    for (const bits of [T, K, T | K]) {
      assert.equal(isVp8KeyframeStart(vp8([X | S, bits, 0xe1], KEYFRAME)), true, `bits ${bits}`);
      assert.equal(isVp8KeyframeStart(vp8([X | S, bits, 0xe0], INTERFRAME)), false, `bits ${bits}`);
    }
  });

  test('skips every optional field at once (15-bit I, L, T, K), as Chrome sends them', () => {
    assert.equal(isVp8KeyframeStart(vp8([X | S, I | L | T | K, 0x85, 0x21, 0x07, 0x41], KEYFRAME)), true);
    assert.equal(isVp8KeyframeStart(vp8([X | S, I | L | T | K, 0x85, 0x21, 0x07, 0x41], INTERFRAME)), false);
    assert.equal(isVp8KeyframeStart(vp8([X | S, I | L | T, 0x15, 0x07, 0x41], KEYFRAME)), true);
  });

  test('a packet that does not start a frame is not a keyframe start', () => {
    assert.equal(isVp8KeyframeStart(vp8([0x00], KEYFRAME)), false);
    assert.equal(isVp8KeyframeStart(vp8([X, I, 0x15], KEYFRAME)), false);
  });

  test('the start of a partition other than 0 is not a keyframe start', () => {
    assert.equal(isVp8KeyframeStart(vp8([S | 0x01], KEYFRAME)), false);
    assert.equal(isVp8KeyframeStart(vp8([X | S | 0x07, 0x00], KEYFRAME)), false);
  });

  test('the non-reference (N) bit does not change the answer', () => {
    assert.equal(isVp8KeyframeStart(vp8([0x20 | S], KEYFRAME)), true);
  });

  test('a truncated payload is not a keyframe start', () => {
    assert.equal(isVp8KeyframeStart(Buffer.alloc(0)), false);
    assert.equal(isVp8KeyframeStart(Buffer.from([S])), false);
    assert.equal(isVp8KeyframeStart(Buffer.from([X | S])), false);
    assert.equal(isVp8KeyframeStart(Buffer.from([X | S, 0x00])), false);
    assert.equal(isVp8KeyframeStart(Buffer.from([X | S, I])), false);
    assert.equal(isVp8KeyframeStart(Buffer.from([X | S, I, 0x81, 0x23])), false);
    assert.equal(isVp8KeyframeStart(Buffer.from([X | S, L | T, 0x00])), false);
  });
});

describe('SequenceRewriter', () => {
  test('passes numbers through unchanged until a gap is skipped', () => {
    const rewriter = new SequenceRewriter();
    assert.deepEqual([1000, 1001, 1002].map((n) => rewriter.rewrite(n)), [1000, 1001, 1002]);
  });

  test('skipGap before the first packet changes nothing', () => {
    const rewriter = new SequenceRewriter();
    rewriter.skipGap();
    assert.equal(rewriter.rewrite(4242), 4242);
    assert.equal(rewriter.rewrite(4243), 4243);
  });

  test('after skipGap the output continues right after the last number sent', () => {
    const rewriter = new SequenceRewriter();
    rewriter.rewrite(1000);
    rewriter.rewrite(1001);
    rewriter.skipGap();
    assert.deepEqual([1500, 1501, 1502].map((n) => rewriter.rewrite(n)), [1002, 1003, 1004]);
    rewriter.skipGap();
    assert.deepEqual([1200, 1201].map((n) => rewriter.rewrite(n)), [1005, 1006]);
  });

  test('a missing input packet without skipGap stays a gap the receiver can NACK', () => {
    const rewriter = new SequenceRewriter();
    rewriter.rewrite(10);
    rewriter.skipGap();
    rewriter.rewrite(500);
    assert.equal(rewriter.rewrite(502), 13);
  });

  test('wraps around at 65535, in the input and across a skipped gap', () => {
    const rewriter = new SequenceRewriter();
    assert.deepEqual([65534, 65535, 0, 1].map((n) => rewriter.rewrite(n)), [65534, 65535, 0, 1]);

    const acrossGap = new SequenceRewriter();
    acrossGap.rewrite(65534);
    acrossGap.rewrite(65535);
    acrossGap.skipGap();
    assert.deepEqual([300, 301].map((n) => acrossGap.rewrite(n)), [0, 1]);

    const offsetWrap = new SequenceRewriter();
    offsetWrap.rewrite(100);
    offsetWrap.skipGap();
    assert.deepEqual([65535, 0, 1].map((n) => offsetWrap.rewrite(n)), [101, 102, 103]);
  });
});

describe('extensionIdMap', () => {
  const ext = (id: number, uri: string): RTCRtpHeaderExtensionParameters => ({ id, uri });

  test('maps forwarded extensions from the publisher id to the subscriber id', () => {
    const publisher = [ext(1, RtpExtensionUri.audioLevel), ext(2, RtpExtensionUri.absSendTime), ext(4, RtpExtensionUri.mid)];
    const subscriber = [ext(1, RtpExtensionUri.mid), ext(2, RtpExtensionUri.absSendTime), ext(3, RtpExtensionUri.audioLevel)];
    assert.deepEqual([...extensionIdMap(publisher, subscriber)], [[1, 3]]);
  });

  test('maps video orientation too', () => {
    const map = extensionIdMap([ext(13, RtpExtensionUri.videoOrientation)], [ext(4, RtpExtensionUri.videoOrientation)]);
    assert.deepEqual([...map], [[13, 4]]);
  });

  test('leaves out a forwarded extension the subscriber did not negotiate', () => {
    const map = extensionIdMap([ext(1, RtpExtensionUri.audioLevel)], [ext(1, RtpExtensionUri.mid)]);
    assert.equal(map.size, 0);
  });
});

describe('copyForSubscriber', () => {
  const audioLevel = Buffer.from([0x85]);
  const mid = Buffer.from('0');
  const absSendTime = Buffer.from([0x01, 0x02, 0x03]);

  function publisherPacket(): RtpPacket {
    const header = new RtpHeader({
      marker: true,
      payloadType: 111,
      sequenceNumber: 5000,
      timestamp: 123_456_789,
      ssrc: 0x11223344,
      extension: true,
      extensions: [
        { id: 1, payload: audioLevel },
        { id: 4, payload: mid },
        { id: 2, payload: absSendTime },
      ],
    });
    return new RtpPacket(header, Buffer.from([0xde, 0xad, 0xbe, 0xef]));
  }

  test('gives the subscriber its own header with the new sequence number and the same media fields', () => {
    const packet = publisherPacket();
    const copy = copyForSubscriber(packet, 77, new Map([[1, 3]]));
    assert.notEqual(copy, packet);
    assert.notEqual(copy.header, packet.header);
    assert.equal(copy.header.sequenceNumber, 77);
    assert.equal(copy.header.marker, true);
    assert.equal(copy.header.payloadType, 111);
    assert.equal(copy.header.timestamp, 123_456_789);
    assert.equal(copy.header.ssrc, 0x11223344);
  });

  test('keeps only forwarded extensions, under the subscriber ids', () => {
    const copy = copyForSubscriber(publisherPacket(), 77, new Map([[1, 3]]));
    assert.equal(copy.header.extension, true);
    assert.deepEqual(copy.header.extensions, [{ id: 3, payload: audioLevel }]);
  });

  test('shares the payload bytes instead of copying them', () => {
    const packet = publisherPacket();
    const copy = copyForSubscriber(packet, 77, new Map([[1, 3]]));
    assert.equal(copy.payload, packet.payload);
  });

  test('leaves the publisher packet unchanged', () => {
    const packet = publisherPacket();
    const before = packet.serialize();
    const copy = copyForSubscriber(packet, 77, new Map([[1, 3]]));
    copy.header.sequenceNumber = 99;
    copy.serialize();
    assert.equal(packet.header.sequenceNumber, 5000);
    assert.deepEqual(packet.header.extensions.map((e) => e.id), [1, 4, 2]);
    assert.deepEqual(packet.serialize(), before);
  });

  test('serializes to a packet a subscriber reads back with the remapped extension', () => {
    const copy = copyForSubscriber(publisherPacket(), 77, new Map([[1, 3]]));
    const received = RtpPacket.deSerialize(copy.serialize());
    assert.equal(received.header.sequenceNumber, 77);
    assert.equal(received.header.ssrc, 0x11223344);
    assert.deepEqual(
      received.header.extensions.map((e) => ({ id: e.id, payload: [...e.payload] })),
      [{ id: 3, payload: [0x85] }],
    );
    assert.deepEqual([...received.payload], [0xde, 0xad, 0xbe, 0xef]);
  });

  test('with no forwarded extension the copy carries no extension block', () => {
    const copy = copyForSubscriber(publisherPacket(), 12, new Map());
    assert.equal(copy.header.extension, false);
    assert.deepEqual(copy.header.extensions, []);
    const received = RtpPacket.deSerialize(copy.serialize());
    assert.equal(received.header.extension, false);
    assert.deepEqual([...received.payload], [0xde, 0xad, 0xbe, 0xef]);
  });
});
