/**
 * @module The sending side of one subscribed track, bypassing werift's `RTCRtpSender.sendRtp` on
 * the forwarding hot path. werift's send path costs ~30 µs per packet here: it rewrites the
 * packet object in place, rebuilds the header-extension list with closures and a sort, computes
 * NTP time with string maths, feeds a send-side estimator we do not use, encrypts through a
 * serialised `RtpHeader` and goes through three nested async functions to the socket. This
 * writes each packet once as bytes (our header, the publisher's payload), protects it with the
 * SRTP keys werift negotiated ({@link SrtpWriter}) and hands it to the ICE pair's UDP socket.
 *
 * What werift still does for this sender (we keep its counters up to date for it): RTCP sender
 * reports, receiving RTCP (NACK, PLI, REMB), stats. NACKs are answered here from our own history
 * (werift's stays empty, since its `sendRtp` is not called): as RTX packets on werift's RTX SSRC
 * (`a=ssrc-group:FID`) when the endpoint accepted `video/rtx`, else by resending the protected
 * bytes on the media SSRC. A resend waits a round trip after the previous one. werift gives a REMB
 * only to the sender of its first listed SSRC; every REMB listing ours is taken here. Video is paced
 * ({@link Pacer}) at 2.5× the rate the subscription set: bursts (keyframes) are spread out.
 *
 * Relies on werift 0.24 internals (sender counters, RTX payload type and round trip, the ICE
 * pair's UDP socket, the SRTP local context); `sfu-fast-path.test.ts` breaks loudly if an upgrade moves them.
 */
import type { Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { randomInt } from 'node:crypto';
import { ReceiverEstimatedMaxBitrate, RtcpPayloadSpecificFeedback, type RTCRtpTransceiver, type RtcpPacket, type RtpPacket } from 'werift';
import { RtpExtensionUri } from './peer-config.js';
import { Pacer } from './pacer.js';
import { buildRtxPacket, RetransmissionHistory } from './retransmission.js';
import { SrtpWriter, type SrtpSessionKeys } from './srtp-writer.js';

/** werift sender fields that its RTCP sender reports read (private in its typings). */
interface SenderCounters {
  ntpTimestamp: bigint;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  retransmittedPacketsSent: number;
  retransmittedBytesSent: number;
  rtcpRunning: boolean;
  runRtcp(): Promise<void>;
  /** Set when the answer accepted RTX for the sender's codec. */
  rtxPayloadType?: number;
  /** Smoothed round-trip time (s) from the receiver's reports, once measured. */
  rtt?: number;
}

/** The concrete werift ICE protocol of a candidate pair: a UDP transport with its socket. */
interface UdpProtocol {
  transport?: { socket?: Socket; closed?: boolean };
}

/** What the ICE pair is, resolved once per nominated pair. */
interface Route {
  pair: object;
  socket: Socket | undefined;
  host: string;
  port: number;
  fallback: (data: Buffer) => void;
}

/** The least time between two resends of one packet, whatever the measured round trip. */
const MIN_RESEND_INTERVAL_MS = 10;
/** A paced packet would wait longer than this: the oldest is dropped (the link is far behind anyway). */
const PACER_MAX_QUEUE_MS = 2_000;
/** Seconds between 1900 (NTP epoch) and 1970. */
const NTP_EPOCH_OFFSET_MS = Date.UTC(1900, 0, 1);
/** How often the (ntp, rtp) timestamp pair for sender reports is refreshed. */
const SR_SAMPLE_INTERVAL_MS = 20;

export interface RtpStreamSenderStats {
  packetsSent: number;
  bytesSent: number;
  nacksReceived: number;
  retransmitted: number;
  /** Of `retransmitted`, those sent as RTX packets. */
  retransmittedRtx: number;
  /** Packets that waited in the pacer, and packets it dropped for waiting too long. */
  paced: number;
  pacerDropped: number;
}

export class RtpStreamSender {
  private readonly transceiver: RTCRtpTransceiver;
  private readonly keepHistory: boolean;
  /** Publisher extension id → our id (0: not forwarded). */
  private readonly extensionMap = new Uint8Array(16);
  private payloadType = 0;
  private ssrc = 0;
  private midId = 0;
  private midBytes: Buffer = Buffer.alloc(0);
  private absSendTimeId = 0;
  /** Where abs-send-time's 3 bytes are in our header (0: not sent); refreshed in RTX packets. */
  private absSendTimeOffset = 0;
  /** The RTX stream (0: the endpoint did not accept RTX): its payload type, SSRC, numbering, rollover counter. */
  private rtxPayloadType = 0;
  private rtxSsrc = 0;
  private rtxSequence = randomInt(0x10000);
  private rtxRoc = 0;
  private writer: SrtpWriter | undefined;
  private route: Route | undefined;
  private roc = 0;
  private lastSequence = -1;
  private lastSrSampleAt = 0;
  private readonly history: RetransmissionHistory | undefined;
  private readonly counters: SenderCounters;
  private readonly stats_: RtpStreamSenderStats = { packetsSent: 0, bytesSent: 0, nacksReceived: 0, retransmitted: 0, retransmittedRtx: 0, paced: 0, pacerDropped: 0 };
  private unsubscribeNack: (() => void) | undefined;
  private unsubscribeRtxRemb: (() => void) | undefined;
  private readonly pacer: Pacer<Buffer> | undefined;
  private pacerTimer: NodeJS.Timeout | undefined;

  constructor(transceiver: RTCRtpTransceiver, options: { keepHistory: boolean; pace?: boolean }) {
    this.transceiver = transceiver;
    this.keepHistory = options.keepHistory;
    this.pacer = options.pace ? new Pacer<Buffer>({ maxQueueMs: PACER_MAX_QUEUE_MS }) : undefined;
    this.history = options.keepHistory ? new RetransmissionHistory() : undefined;
    this.counters = transceiver.sender as unknown as SenderCounters;
    if (options.keepHistory) {
      const { unSubscribe } = transceiver.sender.onGenericNack.subscribe((nack) => this.retransmit(nack.lost));
      this.unsubscribeNack = unSubscribe;
    }
  }

  /**
   * Called once the answer is applied: learns our payload type, SSRC, MID and extension ids, the
   * RTX payload type when RTX was accepted, and which of the publisher's extensions (id → uri)
   * travel to this subscriber.
   */
  negotiated(forwarded: Map<number, number>): void {
    const sender = this.transceiver.sender;
    this.ssrc = sender.ssrc;
    this.payloadType = sender.codec?.payloadType ?? this.transceiver.codecs[0]?.payloadType ?? 0;
    this.extensionMap.fill(0);
    for (const [from, to] of forwarded) if (from > 0 && from < 15 && to > 0 && to < 15) this.extensionMap[from] = to;
    for (const ext of this.transceiver.headerExtensions) {
      if (ext.uri === RtpExtensionUri.mid) this.midId = ext.id;
      if (ext.uri === RtpExtensionUri.absSendTime) this.absSendTimeId = ext.id;
    }
    const mid = this.transceiver.mid ?? '';
    this.midBytes = Buffer.from(mid, 'ascii');
    if (this.midBytes.length === 0 || this.midBytes.length > 16) this.midId = 0;
    // The extension block starts at byte 16: MID's id byte and value, then abs-send-time's id byte.
    this.absSendTimeOffset = this.absSendTimeId ? 16 + (this.midId ? 1 + this.midBytes.length : 0) + 1 : 0;
    this.rtxPayloadType = this.keepHistory ? (this.counters.rtxPayloadType ?? 0) : 0;
    this.rtxSsrc = sender.rtxSsrc;
    if (this.keepHistory && !this.unsubscribeRtxRemb) {
      this.unsubscribeRtxRemb = sender.dtlsTransport.onRtcp.subscribe((packet) => this.rembListingUs(packet)).unSubscribe;
    }
  }

  /** True when retransmissions go out as RTX (the endpoint accepted `video/rtx`). */
  get rtx(): boolean {
    return this.rtxPayloadType !== 0;
  }

  stats(): RtpStreamSenderStats {
    return { ...this.stats_ };
  }

  /**
   * Sends the publisher's packet as ours with `sequenceNumber` (and `timestamp` and `payload`,
   * when a layer switch renumbered them). Returns false when it could not be sent (transport not
   * up yet, or closing).
   */
  send(packet: RtpPacket, sequenceNumber: number, timestamp = packet.header.timestamp, payload = packet.payload): boolean {
    const writer = this.writer ?? this.start();
    if (!writer) return false;
    const route = this.currentRoute();
    if (!route) return false;

    const header = packet.header;
    const sourceExtensions = header.extensions;
    // One-byte header extensions (RFC 8285): MID, abs-send-time, then the forwarded ones.
    let extensionBytes = 0;
    if (this.midId) extensionBytes += 1 + this.midBytes.length;
    if (this.absSendTimeId) extensionBytes += 4;
    for (let i = 0; i < sourceExtensions.length; i++) {
      const ext = sourceExtensions[i]!;
      const len = ext.payload.length;
      if (this.extensionMap[ext.id] && len > 0 && len <= 16) extensionBytes += 1 + len;
    }
    const extensionWords = (extensionBytes + 3) >> 2;
    const headerLength = extensionBytes > 0 ? 16 + extensionWords * 4 : 12;
    const out = Buffer.allocUnsafe(headerLength + payload.length + writer.tagLength);
    out[0] = extensionBytes > 0 ? 0x90 : 0x80;
    out[1] = (header.marker ? 0x80 : 0) | this.payloadType;
    out.writeUInt16BE(sequenceNumber, 2);
    out.writeUInt32BE(timestamp >>> 0, 4);
    out.writeUInt32BE(this.ssrc, 8);
    const nowMs = performance.timeOrigin + performance.now();
    if (extensionBytes > 0) {
      out[12] = 0xbe;
      out[13] = 0xde;
      out.writeUInt16BE(extensionWords, 14);
      let o = 16;
      if (this.midId) {
        out[o++] = (this.midId << 4) | (this.midBytes.length - 1);
        o += this.midBytes.copy(out, o);
      }
      if (this.absSendTimeId) {
        // 6.18 fixed-point seconds, 24 bits.
        const ast = Math.floor(nowMs * 262.144) & 0xffffff;
        out[o++] = (this.absSendTimeId << 4) | 2;
        out[o++] = ast >>> 16;
        out[o++] = (ast >>> 8) & 0xff;
        out[o++] = ast & 0xff;
      }
      for (let i = 0; i < sourceExtensions.length; i++) {
        const ext = sourceExtensions[i]!;
        const id = this.extensionMap[ext.id]!;
        const len = ext.payload.length;
        if (!id || len === 0 || len > 16) continue;
        out[o++] = (id << 4) | (len - 1);
        o += ext.payload.copy(out, o);
      }
      while (o < headerLength) out[o++] = 0;
    }
    if (this.lastSequence >= 0 && sequenceNumber < this.lastSequence && this.lastSequence - sequenceNumber > 0x8000) {
      this.roc = (this.roc + 1) >>> 0;
    }
    this.lastSequence = sequenceNumber;
    writer.protect(out, headerLength, payload, this.ssrc, sequenceNumber, this.roc);
    this.transmit(route, out);

    this.history?.store(sequenceNumber, out, headerLength, payload);
    this.stats_.packetsSent++;
    this.stats_.bytesSent += payload.length;
    const counters = this.counters;
    counters.packetCount = (counters.packetCount + 1) >>> 0;
    counters.octetCount += payload.length;
    if (nowMs - this.lastSrSampleAt >= SR_SAMPLE_INTERVAL_MS) {
      // The sender report pairs an RTP timestamp with the wall clock it was sent at.
      this.lastSrSampleAt = nowMs;
      counters.rtpTimestamp = timestamp;
      counters.ntpTimestamp = ntpTimestamp(nowMs);
    }
    return true;
  }

  /** Paces this stream at 2.5× `bitsPerSecond` (undefined: unpaced). */
  setPacingRate(bitsPerSecond: number | undefined): void {
    this.pacer?.setRate(bitsPerSecond);
  }

  close(): void {
    clearTimeout(this.pacerTimer);
    this.pacerTimer = undefined;
    this.pacer?.clear();
    this.unsubscribeNack?.();
    this.unsubscribeNack = undefined;
    this.unsubscribeRtxRemb?.();
    this.unsubscribeRtxRemb = undefined;
    this.history?.clear();
    this.route = undefined;
  }

  /** The DTLS handshake is done: take werift's SRTP keys and start its sender reports. */
  private start(): SrtpWriter | undefined {
    const dtls = this.transceiver.sender.dtlsTransport;
    if (!dtls || dtls.state !== 'connected' || !dtls.srtp) return undefined;
    const context = dtls.srtp.localContext as unknown as SrtpSessionKeys;
    this.writer = new SrtpWriter(context);
    if (!this.counters.rtcpRunning) void this.counters.runRtcp();
    return this.writer;
  }

  private currentRoute(): Route | undefined {
    const dtls = this.transceiver.sender.dtlsTransport;
    if (dtls.state !== 'connected') return undefined;
    const connection = dtls.iceTransport.connection;
    const pair = connection.nominated;
    if (!pair) return undefined;
    if (this.route?.pair === pair) return this.route;
    const [host, port] = pair.remoteAddr;
    const transport = (pair.protocol as unknown as UdpProtocol).transport;
    const socket = transport?.socket && isIP(host) ? transport.socket : undefined;
    this.route = {
      pair,
      socket,
      host,
      port,
      fallback: (data) => void pair.protocol.sendData(data, pair.remoteAddr).catch(() => undefined),
    };
    return this.route;
  }

  private transmit(route: Route, data: Buffer): void {
    const pacer = this.pacer;
    if (pacer && !pacer.offer(data, data.length, performance.now())) {
      this.stats_.paced++;
      this.stats_.pacerDropped = pacer.dropped;
      this.schedulePaced();
      return;
    }
    this.transmitNow(route, data);
  }

  private schedulePaced(): void {
    if (this.pacerTimer || !this.pacer) return;
    const wait = this.pacer.nextReleaseIn();
    if (wait === undefined) return;
    this.pacerTimer = setTimeout(() => {
      this.pacerTimer = undefined;
      const pacer = this.pacer;
      if (!pacer) return;
      const released = pacer.release(performance.now());
      const route = this.currentRoute();
      if (route) for (const data of released) this.transmitNow(route, data);
      this.schedulePaced();
    }, wait);
  }

  private transmitNow(route: Route, data: Buffer): void {
    if (!route.socket) {
      route.fallback(data);
      return;
    }
    try {
      route.socket.send(data, route.port, route.host);
    } catch {
      // The socket closed under us; the peer connection is closing.
      this.route = undefined;
    }
  }

  private retransmit(lost: number[]): void {
    this.stats_.nacksReceived++;
    const history = this.history;
    const writer = this.writer;
    const route = this.currentRoute();
    if (!history || !writer || !route) return;
    // Packets already wait in the pacer: the link is full, and a resend would only add to it.
    if (this.pacer && this.pacer.queued > 0) return;
    // performance.now() is never 0 after startup, so 0 can mean "never resent".
    const nowMs = performance.now();
    const resendIntervalMs = Math.max(MIN_RESEND_INTERVAL_MS, (this.counters.rtt ?? 0) * 1000);
    for (const seq of lost) {
      const slot = history.find(seq);
      if (slot < 0 || !history.claimResend(slot, nowMs, resendIntervalMs)) continue;
      const data = this.rtxPayloadType ? this.rtxPacket(writer, history, slot) : history.packet(slot);
      this.transmit(route, data);
      this.stats_.retransmitted++;
      if (this.rtxPayloadType) this.stats_.retransmittedRtx++;
      this.counters.retransmittedPacketsSent++;
      this.counters.retransmittedBytesSent += data.length;
    }
  }

  /**
   * werift hands a REMB to the sender of its first listed SSRC only. libwebrtc lists every SSRC it
   * estimates for in ascending order — our audio SSRC or our RTX SSRC may come first — so a video
   * sender would often never see its estimate. Every REMB that lists our SSRC is taken here.
   */
  private rembListingUs(packet: RtcpPacket): void {
    if (!(packet instanceof RtcpPayloadSpecificFeedback)) return;
    const remb = packet.feedback;
    if (!(remb instanceof ReceiverEstimatedMaxBitrate) || !remb.ssrcFeedbacks.includes(this.ssrc)) return;
    this.transceiver.sender.receiverEstimatedMaxBitrate = remb.bitrate;
  }

  /** The packet in `slot` again, as the next packet of our RTX stream, protected. */
  private rtxPacket(writer: SrtpWriter, history: RetransmissionHistory, slot: number): Buffer {
    const headerLength = history.headerLength(slot);
    const payload = history.payload(slot);
    const sequenceNumber = this.rtxSequence;
    const out = buildRtxPacket(
      history.packet(slot),
      headerLength,
      payload,
      { payloadType: this.rtxPayloadType, ssrc: this.rtxSsrc, sequenceNumber },
      writer.tagLength,
    );
    if (this.absSendTimeOffset) {
      // Sent now: a stale send time would read as queueing delay to the receiver's estimator.
      const ast = Math.floor((performance.timeOrigin + performance.now()) * 262.144) & 0xffffff;
      out[this.absSendTimeOffset] = ast >>> 16;
      out[this.absSendTimeOffset + 1] = (ast >>> 8) & 0xff;
      out[this.absSendTimeOffset + 2] = ast & 0xff;
    }
    this.rtxSequence = (sequenceNumber + 1) & 0xffff;
    if (this.rtxSequence === 0) this.rtxRoc = (this.rtxRoc + 1) >>> 0;
    const rtxPayload = out.subarray(headerLength, headerLength + 2 + payload.length);
    writer.protect(out, headerLength, rtxPayload, this.rtxSsrc, sequenceNumber, this.rtxRoc);
    return out;
  }
}

/** 64-bit NTP time (seconds since 1900 . 32-bit fraction) of a Unix time in ms. */
export function ntpTimestamp(unixMs: number): bigint {
  const ms = unixMs - NTP_EPOCH_OFFSET_MS;
  const seconds = Math.floor(ms / 1000);
  const fraction = Math.floor(((ms - seconds * 1000) / 1000) * 0x100000000);
  return (BigInt(seconds) << 32n) | BigInt(fraction >>> 0);
}
