/**
 * @module Per-subscriber RTP rewriting. werift's sender rewrites a packet in place and keeps it for
 * retransmission, so every subscriber gets its own header; header-extension ids are remapped from
 * the publisher's negotiated ids to the subscriber's (copying ids blindly corrupts MID), and
 * sequence numbers stay continuous across pauses.
 */
import { RtpHeader, RtpPacket, type RTCRtpHeaderExtensionParameters } from 'werift';
import { FORWARDED_EXTENSIONS } from './peer-config.js';

/** Publisher extension id → subscriber extension id, for the extensions we forward. */
export function extensionIdMap(
  publisher: RTCRtpHeaderExtensionParameters[],
  subscriber: RTCRtpHeaderExtensionParameters[],
): Map<number, number> {
  const map = new Map<number, number>();
  for (const pub of publisher) {
    if (!FORWARDED_EXTENSIONS.has(pub.uri)) continue;
    const sub = subscriber.find((s) => s.uri === pub.uri);
    if (sub) map.set(pub.id, sub.id);
  }
  return map;
}

/** Keeps one subscriber's outgoing sequence numbers continuous when packets are skipped. */
export class SequenceRewriter {
  private offset = 0;
  private lastOut: number | undefined;
  private resync = true;

  /** The next forwarded packet starts right after the last one sent, whatever its number. */
  skipGap(): void {
    this.resync = true;
  }

  rewrite(inSeq: number): number {
    if (this.resync) {
      this.resync = false;
      if (this.lastOut !== undefined) this.offset = (this.lastOut + 1 - inSeq) & 0xffff;
    }
    const out = (inSeq + this.offset) & 0xffff;
    // A retransmission the publisher answered late is older than what was sent: keep the newest.
    if (this.lastOut === undefined || ((out - this.lastOut) & 0xffff) < 0x8000) this.lastOut = out;
    return out;
  }
}

/**
 * A fresh packet for one subscriber: own header, remapped extensions, shared payload bytes — what
 * werift's `sendRtp` needs, since it rewrites the packet it is given. The SFU now writes bytes
 * directly (`RtpStreamSender`); this stays as the baseline `scripts/perf/send-path.ts` measures.
 */
export function copyForSubscriber(
  packet: RtpPacket,
  sequenceNumber: number,
  extensionIds: Map<number, number>,
): RtpPacket {
  const source = packet.header;
  const extensions: RtpHeader['extensions'] = [];
  for (const ext of source.extensions) {
    const id = extensionIds.get(ext.id);
    if (id !== undefined) extensions.push({ id, payload: ext.payload });
  }
  const header = new RtpHeader({
    marker: source.marker,
    payloadType: source.payloadType,
    sequenceNumber,
    timestamp: source.timestamp,
    ssrc: source.ssrc,
    extensionProfile: source.extensionProfile,
    extension: extensions.length > 0,
    extensions,
  });
  return new RtpPacket(header, packet.payload);
}

/**
 * True when this VP8 RTP payload starts a keyframe (RFC 7741): the start of partition 0 of a
 * frame whose payload header has the P (inverse keyframe) bit clear.
 */
export function isVp8KeyframeStart(payload: Buffer): boolean {
  if (payload.length < 1) return false;
  const first = payload[0]!;
  const extended = (first & 0x80) !== 0;
  const start = (first & 0x10) !== 0;
  const partition = first & 0x07;
  if (!start || partition !== 0) return false;
  let offset = 1;
  if (extended) {
    if (payload.length < 2) return false;
    const x = payload[1]!;
    offset = 2;
    if (x & 0x80) {
      // I: picture id, 7 or 15 bits
      if (payload.length <= offset) return false;
      offset += payload[offset]! & 0x80 ? 2 : 1;
    }
    if (x & 0x40) offset += 1; // L: TL0PICIDX
    if (x & 0x30) offset += 1; // T or K: TID/KEYIDX
  }
  if (payload.length <= offset) return false;
  return (payload[offset]! & 0x01) === 0;
}
