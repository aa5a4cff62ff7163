/**
 * @module An RTP tap: an `RtpSink` on a published track that sends its RTP, decrypted, to a
 * loopback UDP port where ffmpeg listens. It rewrites the payload type to the one in ffmpeg's SDP
 * and keeps sequence numbers continuous across pauses; a video tap forwards nothing until a
 * keyframe starts, so every file (and every resumed stretch) begins decodable.
 */
import dgram from 'node:dgram';
import type { RtpPacket } from 'werift';
import type { TrackKind } from '@atrium/protocol';
import { SequenceRewriter } from '../sfu/rtp-copy.js';
import { isVp8KeyframeStart } from '../sfu/vp8.js';
import type { RtpSink } from '../sfu/published-track.js';

export interface RtpTapStats {
  packetsSent: number;
  bytesSent: number;
  /** Wall-clock ms of the first packet sent; undefined before. */
  firstPacketAt: number | undefined;
  /** Media time covered so far (first to last RTP timestamp, pauses included), in ms. */
  durationMs: number;
}

export class RtpTap implements RtpSink {
  private readonly socket = dgram.createSocket('udp4');
  private readonly sequence = new SequenceRewriter();
  private readonly kind: TrackKind;
  private readonly payloadType: number;
  private readonly clockRate: number;
  private readonly port: number;
  private paused = false;
  private waitingForKeyframe: boolean;
  private firstTimestamp: number | undefined;
  /** RTP ticks from the first packet, unwrapped. */
  private elapsedTicks = 0;
  private lastTimestamp = 0;
  private closed = false;
  private ssrc = 0;
  private readonly stats_: RtpTapStats = { packetsSent: 0, bytesSent: 0, firstPacketAt: undefined, durationMs: 0 };
  /** Called when the tap needs a keyframe from the publisher. */
  onKeyframeNeeded: () => void = () => undefined;

  constructor(options: { kind: TrackKind; port: number; payloadType: number; clockRate: number }) {
    this.kind = options.kind;
    this.port = options.port;
    this.payloadType = options.payloadType;
    this.clockRate = options.clockRate;
    this.waitingForKeyframe = options.kind === 'video';
    // ECONNREFUSED-style errors (ffmpeg gone) are reported by the process supervisor, not here.
    this.socket.on('error', () => undefined);
    this.socket.unref();
  }

  get stats(): RtpTapStats {
    return { ...this.stats_ };
  }

  get awaitingKeyframe(): boolean {
    return this.waitingForKeyframe;
  }

  writeRtp(packet: RtpPacket): void {
    if (this.closed || this.paused) return;
    if (this.waitingForKeyframe) {
      if (!isVp8KeyframeStart(packet.payload)) return;
      this.waitingForKeyframe = false;
    }
    const buffer = packet.serialize();
    buffer[1] = (buffer[1]! & 0x80) | this.payloadType;
    buffer.writeUInt16BE(this.sequence.rewrite(packet.header.sequenceNumber), 2);
    this.ssrc = packet.header.ssrc;
    this.track(packet.header.timestamp);
    this.stats_.packetsSent++;
    this.stats_.bytesSent += buffer.length;
    this.stats_.firstPacketAt ??= Date.now();
    this.socket.send(buffer, this.port, '127.0.0.1');
  }

  /** Media resumes after the SFU blocked the track: start again from a keyframe. */
  restart(): void {
    this.sequence.skipGap();
    if (this.kind === 'video') {
      this.waitingForKeyframe = true;
      this.onKeyframeNeeded();
    }
  }

  setPaused(paused: boolean): void {
    if (this.paused === paused) return;
    this.paused = paused;
    if (!paused) this.restart();
  }

  /**
   * Tells ffmpeg the stream has ended (RTCP BYE on the RTP port): its SDP demuxer then sees end of
   * input and closes the file at once, even when no RTP is flowing (a stdin `q` is only read
   * between packets). ffmpeg ignores packets shorter than an RTP header, so the BYE lists two SSRCs.
   */
  sendBye(): void {
    if (this.closed) return;
    const bye = Buffer.alloc(12);
    bye[0] = 0x82; // V=2, SC=2
    bye[1] = 203; // BYE
    bye.writeUInt16BE(2, 2); // length in 32-bit words minus one
    bye.writeUInt32BE(this.ssrc, 4);
    bye.writeUInt32BE(this.ssrc, 8);
    this.socket.send(bye, this.port, '127.0.0.1');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
  }

  private track(timestamp: number): void {
    if (this.firstTimestamp === undefined) {
      this.firstTimestamp = timestamp;
      this.lastTimestamp = timestamp;
      return;
    }
    const delta = (timestamp - this.lastTimestamp) | 0; // signed 32-bit difference handles wrap
    if (delta > 0) {
      this.elapsedTicks += delta;
      this.lastTimestamp = timestamp;
      this.stats_.durationMs = Math.round((this.elapsedTicks * 1000) / this.clockRate);
    }
  }
}
