/**
 * @module The VP8 RTP payload descriptor (RFC 7741 §4.2) as simulcast forwarding needs it: where
 * the picture id and TL0PICIDX are, a keyframe's resolution, and a copy of a payload with both
 * renumbered. One subscriber receives one layer at a time on one SSRC; when it moves to another
 * layer, these numbers must continue where the last layer's stopped.
 */

/** Where the renumbered fields sit in one packet's payload (offsets; -1 when absent). */
export interface Vp8Descriptor {
  /** Offset of the picture id, and its width in bits (7 or 15). */
  pictureIdOffset: number;
  pictureIdBits: 7 | 15;
  pictureId: number;
  tl0PicIdxOffset: number;
  tl0PicIdx: number;
  /** Offset of the VP8 payload after the descriptor. */
  payloadOffset: number;
}

/**
 * Where the VP8 payload starts after the descriptor (no allocation: the per-packet checks use
 * it); -1 when the payload is too short to hold the descriptor it announces.
 */
export function vp8PayloadOffset(payload: Buffer): number {
  if (payload.length < 1) return -1;
  if ((payload[0]! & 0x80) === 0) return 1;
  if (payload.length < 2) return -1;
  const x = payload[1]!;
  let offset = 2;
  if (x & 0x80) {
    // I: picture id, 7 or 15 bits
    if (payload.length <= offset) return -1;
    offset += payload[offset]! & 0x80 ? 2 : 1;
  }
  if (x & 0x40) offset += 1; // L: TL0PICIDX
  if (x & 0x30) offset += 1; // T or K: TID/KEYIDX
  return payload.length < offset ? -1 : offset;
}

/**
 * True when this VP8 RTP payload starts a keyframe (RFC 7741): the start of partition 0 of a
 * frame whose payload header has the P (inverse keyframe) bit clear.
 */
export function isVp8KeyframeStart(payload: Buffer): boolean {
  if (payload.length < 1) return false;
  const first = payload[0]!;
  // S (start of partition) and partition index 0: the frame header is here.
  if ((first & 0x10) === 0 || (first & 0x07) !== 0) return false;
  const offset = vp8PayloadOffset(payload);
  if (offset < 0 || payload.length <= offset) return false;
  return (payload[offset]! & 0x01) === 0;
}

/** Parses the descriptor; undefined when the payload is too short to hold what it announces. */
export function parseVp8Descriptor(payload: Buffer): Vp8Descriptor | undefined {
  if (payload.length < 1) return undefined;
  const descriptor: Vp8Descriptor = {
    pictureIdOffset: -1,
    pictureIdBits: 7,
    pictureId: 0,
    tl0PicIdxOffset: -1,
    tl0PicIdx: 0,
    payloadOffset: 1,
  };
  if ((payload[0]! & 0x80) === 0) return descriptor;
  if (payload.length < 2) return undefined;
  const x = payload[1]!;
  let offset = 2;
  if (x & 0x80) {
    if (payload.length <= offset) return undefined;
    descriptor.pictureIdOffset = offset;
    if (payload[offset]! & 0x80) {
      if (payload.length <= offset + 1) return undefined;
      descriptor.pictureIdBits = 15;
      descriptor.pictureId = ((payload[offset]! & 0x7f) << 8) | payload[offset + 1]!;
      offset += 2;
    } else {
      descriptor.pictureId = payload[offset]! & 0x7f;
      offset += 1;
    }
  }
  if (x & 0x40) {
    if (payload.length <= offset) return undefined;
    descriptor.tl0PicIdxOffset = offset;
    descriptor.tl0PicIdx = payload[offset]!;
    offset += 1;
  }
  if (x & 0x30) offset += 1;
  if (payload.length < offset) return undefined;
  descriptor.payloadOffset = offset;
  return descriptor;
}

/**
 * The resolution of a keyframe, from its first packet (the 10-byte keyframe header after the
 * descriptor: frame tag, start code 9d 01 2a, 14-bit width and height). Undefined for anything else.
 */
export function vp8KeyframeSize(payload: Buffer): { width: number; height: number } | undefined {
  if (!isVp8KeyframeStart(payload)) return undefined;
  const o = vp8PayloadOffset(payload);
  if (payload.length < o + 10) return undefined;
  if (payload[o + 3] !== 0x9d || payload[o + 4] !== 0x01 || payload[o + 5] !== 0x2a) return undefined;
  const width = payload.readUInt16LE(o + 6) & 0x3fff;
  const height = payload.readUInt16LE(o + 8) & 0x3fff;
  return width > 0 && height > 0 ? { width, height } : undefined;
}

/**
 * A copy of `payload` with the picture id moved by `pictureIdDelta` and TL0PICIDX by
 * `tl0Delta` (both modulo their width); the payload itself when there is nothing to change.
 */
export function renumberVp8(payload: Buffer, descriptor: Vp8Descriptor, pictureIdDelta: number, tl0Delta: number): Buffer {
  const movePictureId = descriptor.pictureIdOffset >= 0 && pictureIdDelta !== 0;
  const moveTl0 = descriptor.tl0PicIdxOffset >= 0 && tl0Delta !== 0;
  if (!movePictureId && !moveTl0) return payload;
  const out = Buffer.allocUnsafe(payload.length);
  payload.copy(out);
  if (movePictureId) {
    const o = descriptor.pictureIdOffset;
    if (descriptor.pictureIdBits === 15) {
      const id = (descriptor.pictureId + pictureIdDelta) & 0x7fff;
      out[o] = 0x80 | (id >> 8);
      out[o + 1] = id & 0xff;
    } else {
      out[o] = (descriptor.pictureId + pictureIdDelta) & 0x7f;
    }
  }
  if (moveTl0) out[descriptor.tl0PicIdxOffset] = (descriptor.tl0PicIdx + tl0Delta) & 0xff;
  return out;
}
