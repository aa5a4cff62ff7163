/**
 * @module One subscriber's numbering of the video it receives. A subscriber gets one layer of a
 * simulcast track at a time on one SSRC; when it moves to another layer (at that layer's
 * keyframe), sequence numbers, RTP timestamps, the VP8 picture id and TL0PICIDX continue from the
 * last packet sent, so the receiver sees one unbroken stream. Without a layer switch every
 * number passes through unchanged (plus the sequence gap closing of `SequenceRewriter`).
 */
import type { RtpPacket } from 'werift';
import { SequenceRewriter } from './rtp-copy.js';
import { parseVp8Descriptor, renumberVp8 } from './vp8.js';

/** 90 kHz RTP clock ticks per millisecond (video). */
const TICKS_PER_MS = 90;

export interface RewrittenPacket {
  sequenceNumber: number;
  timestamp: number;
  payload: Buffer;
}

/** True when `a` is after `b` in a wrapping sequence of `modulus` values. */
function isNewer(a: number, b: number, modulus: number): boolean {
  const diff = (a - b + modulus) % modulus;
  return diff !== 0 && diff < modulus / 2;
}

export class LayerRewriter {
  private readonly sequence = new SequenceRewriter();
  /** A simulcast track: layers switch, so timestamps and VP8 descriptors are renumbered. */
  private readonly vp8: boolean;
  private switching = false;
  private timestampOffset = 0;
  private pictureIdDelta = 0;
  private tl0Delta = 0;
  private lastTimestamp: number | undefined;
  private lastTimestampAt = 0;
  private lastPictureId: number | undefined;
  private lastTl0: number | undefined;
  private readonly result: RewrittenPacket = { sequenceNumber: 0, timestamp: 0, payload: Buffer.alloc(0) };

  constructor(options: { vp8: boolean }) {
    this.vp8 = options.vp8;
  }

  /** The next packet follows a gap in the same stream (a pause): sequence numbers close the gap. */
  skipGap(): void {
    this.sequence.skipGap();
  }

  /** The next packet starts another layer (at its keyframe): every number continues from the last sent. */
  switchLayer(): void {
    this.sequence.skipGap();
    this.switching = true;
  }

  /** The numbers to send `packet` with; the returned object is reused by the next call. */
  rewrite(packet: RtpPacket, nowMs: number): RewrittenPacket {
    const result = this.result;
    if (!this.vp8) {
      // A single-layer track never switches: only the sequence gap closing applies.
      result.sequenceNumber = this.sequence.rewrite(packet.header.sequenceNumber);
      result.timestamp = packet.header.timestamp;
      result.payload = packet.payload;
      return result;
    }
    const inTimestamp = packet.header.timestamp;
    const descriptor = parseVp8Descriptor(packet.payload);
    if (this.switching) {
      this.switching = false;
      if (this.lastTimestamp !== undefined) {
        const elapsed = Math.max(1, Math.round((nowMs - this.lastTimestampAt) * TICKS_PER_MS));
        this.timestampOffset = (this.lastTimestamp + elapsed - inTimestamp) >>> 0;
      }
      if (descriptor && descriptor.pictureIdOffset >= 0 && this.lastPictureId !== undefined) {
        this.pictureIdDelta = this.lastPictureId + 1 - descriptor.pictureId;
      }
      if (descriptor && descriptor.tl0PicIdxOffset >= 0 && this.lastTl0 !== undefined) {
        this.tl0Delta = this.lastTl0 + 1 - descriptor.tl0PicIdx;
      }
    }
    result.sequenceNumber = this.sequence.rewrite(packet.header.sequenceNumber);
    result.timestamp = (inTimestamp + this.timestampOffset) >>> 0;
    if (this.lastTimestamp === undefined || isNewer(result.timestamp, this.lastTimestamp, 0x1_0000_0000)) {
      this.lastTimestamp = result.timestamp;
      this.lastTimestampAt = nowMs;
    }
    result.payload = packet.payload;
    if (descriptor) {
      result.payload = renumberVp8(packet.payload, descriptor, this.pictureIdDelta, this.tl0Delta);
      if (descriptor.pictureIdOffset >= 0) {
        const modulus = descriptor.pictureIdBits === 15 ? 0x8000 : 0x80;
        const id = (((descriptor.pictureId + this.pictureIdDelta) % modulus) + modulus) % modulus;
        if (this.lastPictureId === undefined || isNewer(id, this.lastPictureId, modulus)) this.lastPictureId = id;
      }
      if (descriptor.tl0PicIdxOffset >= 0) {
        const tl0 = (descriptor.tl0PicIdx + this.tl0Delta) & 0xff;
        if (this.lastTl0 === undefined || isNewer(tl0, this.lastTl0, 0x100)) this.lastTl0 = tl0;
      }
    }
    return result;
  }
}
