/**
 * @module What a subscriber's sender keeps to answer NACKs: the last packets sent (the protected
 * bytes, for a resend on the media SSRC, and header length + payload, to rebuild the packet as
 * RTX), and the RTX packet itself (RFC 4588 §4: the original header on the RTX SSRC with the RTX
 * payload type and sequence number; payload = original sequence number + original payload).
 * A packet is resent at most once per round trip, as libwebrtc's sender does: a receiver behind a
 * queueing link NACKs again before the first repair arrives, and answering every NACK would fill
 * that queue further.
 */

/** Packets kept for retransmission (video): ~3 s at 1 Mbps. Power of two. */
export const NACK_HISTORY = 256;

/**
 * A ring of the last {@link NACK_HISTORY} packets sent, by sequence number. Storing a packet
 * allocates nothing: the slots hold references (the payload is the publisher's Buffer, which
 * nothing modifies afterwards).
 */
export class RetransmissionHistory {
  private readonly packets = new Array<Buffer | undefined>(NACK_HISTORY);
  private readonly payloads = new Array<Buffer | undefined>(NACK_HISTORY);
  private readonly sequenceNumbers = new Int32Array(NACK_HISTORY).fill(-1);
  private readonly headerLengths = new Uint16Array(NACK_HISTORY);
  /** When each packet was last resent (ms; 0: never). */
  private readonly resentAt = new Float64Array(NACK_HISTORY);

  /** `packet` is the protected packet as sent: `headerLength` bytes of (clear) header, then `payload` encrypted. */
  store(sequenceNumber: number, packet: Buffer, headerLength: number, payload: Buffer): void {
    const slot = sequenceNumber & (NACK_HISTORY - 1);
    this.packets[slot] = packet;
    this.payloads[slot] = payload;
    this.sequenceNumbers[slot] = sequenceNumber;
    this.headerLengths[slot] = headerLength;
    this.resentAt[slot] = 0;
  }

  /** The slot holding `sequenceNumber`, or -1 when it was not sent or is too old. */
  find(sequenceNumber: number): number {
    const slot = sequenceNumber & (NACK_HISTORY - 1);
    return this.sequenceNumbers[slot] === sequenceNumber && this.packets[slot] ? slot : -1;
  }

  /**
   * True (and noted) when the packet in `slot` may be resent now: never resent yet, or last resent
   * at least `minIntervalMs` ago (a round trip: the earlier repair may still be on its way).
   */
  claimResend(slot: number, nowMs: number, minIntervalMs: number): boolean {
    const last = this.resentAt[slot]!;
    if (last !== 0 && nowMs - last < minIntervalMs) return false;
    this.resentAt[slot] = nowMs;
    return true;
  }

  packet(slot: number): Buffer {
    return this.packets[slot]!;
  }

  payload(slot: number): Buffer {
    return this.payloads[slot]!;
  }

  headerLength(slot: number): number {
    return this.headerLengths[slot]!;
  }

  clear(): void {
    this.packets.fill(undefined);
    this.payloads.fill(undefined);
    this.sequenceNumbers.fill(-1);
  }
}

export interface RtxStreamFields {
  payloadType: number;
  ssrc: number;
  sequenceNumber: number;
}

/**
 * The RTX packet (unprotected) repairing the packet whose header is `original[0, headerLength)`
 * and whose payload is `payload`: same marker, timestamp and header extensions, RTX payload type,
 * SSRC and sequence number, then the original sequence number and payload. Leaves `tagLength`
 * bytes at the end for SRTP; the RTX payload to protect is `[headerLength, length - tagLength)`.
 */
export function buildRtxPacket(
  original: Buffer,
  headerLength: number,
  payload: Buffer,
  rtx: RtxStreamFields,
  tagLength: number,
): Buffer {
  const out = Buffer.allocUnsafe(headerLength + 2 + payload.length + tagLength);
  original.copy(out, 0, 0, headerLength);
  out[1] = (original[1]! & 0x80) | (rtx.payloadType & 0x7f);
  out.writeUInt16BE(rtx.sequenceNumber & 0xffff, 2);
  out.writeUInt32BE(rtx.ssrc >>> 0, 8);
  // Original sequence number (RFC 4588 §4).
  out[headerLength] = original[2]!;
  out[headerLength + 1] = original[3]!;
  payload.copy(out, headerLength + 2);
  return out;
}
