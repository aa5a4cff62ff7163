/**
 * @module Per-subscriber RTP rewriting. werift's sender rewrites a packet in place and keeps it for
 * retransmission, so every subscriber gets its own header; header-extension ids are remapped from
 * the publisher's negotiated ids to the subscriber's (copying ids blindly corrupts MID), and
 * sequence numbers stay continuous across pauses. (VP8 keyframe detection is in `vp8.ts`.)
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
