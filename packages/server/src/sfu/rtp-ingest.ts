/**
 * @module Plain RTP into the SFU: one loopback UDP socket per kind where a local sender (a
 * playback's ffmpeg, `-f rtp`) writes unencrypted RTP, each kind a `TrackSource` for the same
 * `PublishedTrack` forwarding a WebRTC publisher uses.
 *
 * Only packets from 127.0.0.1 carrying the SSRC we told the sender are taken (another local
 * process cannot inject media); RTCP (ffmpeg's sender reports, sent to the same port) is dropped.
 * The sender may be restarted (pause/resume, seek): `restart()` marks the break, and the next run's
 * sequence numbers and timestamps are shifted to continue the previous ones, so subscribers see
 * one continuous stream. Keyframe requests cannot reach ffmpeg; it sends a keyframe every second.
 */
import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import { RtpPacket } from 'werift';
import { TypedEmitter, type TrackKind } from '@atrium/protocol';
import type { TrackSource } from './track-source.js';

/** RTP clock rates of the codecs the SFU negotiates (peer-config.ts). */
const CLOCK_RATE: Record<TrackKind, number> = { audio: 48_000, video: 90_000 };
/** Payload types the sender is told to write (ignored here: subscribers get their own). */
export const INGEST_PAYLOAD_TYPE: Record<TrackKind, number> = { audio: 111, video: 96 };

export interface IngestEndpoint {
  kind: TrackKind;
  /** Loopback port the sender writes RTP (and may write RTCP) to. */
  port: number;
  ssrc: number;
  payloadType: number;
}

/** One kind's socket and the rewriting that keeps its stream continuous across sender restarts. */
class IngestTrackSource implements TrackSource {
  readonly kind: TrackKind;
  readonly ssrc: number;
  private readonly listeners = new Set<(packet: RtpPacket) => void>();
  private sequenceOffset = 0;
  private timestampOffset = 0;
  private lastSequence = -1;
  private lastTimestamp = 0;
  private lastPacketAt = 0;
  /** The next packet starts a new run of the sender: recompute the offsets. */
  private restarting = true;
  private readonly onMedia: () => void;

  constructor(kind: TrackKind, ssrc: number, onMedia: () => void) {
    this.kind = kind;
    this.ssrc = ssrc;
    this.onMedia = onMedia;
  }

  onRtp(listener: (packet: RtpPacket) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  requestKeyframe(): void {
    // ffmpeg cannot be asked; it sends a keyframe every second (see playback-transcoder.ts).
  }

  restart(): void {
    this.restarting = true;
  }

  receive(datagram: Buffer): void {
    // RTCP (payload types 200-206 in the second byte) and anything too short for RTP.
    if (datagram.length < 12 || (datagram[0]! & 0xc0) !== 0x80) return;
    const secondByte = datagram[1]!;
    if (secondByte >= 200 && secondByte <= 206) return;
    if (datagram.readUInt32BE(8) !== this.ssrc) return;
    let packet: RtpPacket;
    try {
      packet = RtpPacket.deSerialize(datagram);
    } catch {
      return;
    }
    const header = packet.header;
    const now = Date.now();
    if (this.restarting) {
      this.restarting = false;
      if (this.lastSequence < 0) {
        this.sequenceOffset = 0;
        this.timestampOffset = 0;
      } else {
        // Continue where the previous run stopped, the wall-clock gap later on the media clock.
        const gapTicks = Math.round(((now - this.lastPacketAt) * CLOCK_RATE[this.kind]) / 1000);
        this.sequenceOffset = (this.lastSequence + 1 - header.sequenceNumber) & 0xffff;
        this.timestampOffset = (this.lastTimestamp + gapTicks - header.timestamp) >>> 0;
      }
      this.onMedia();
    }
    header.sequenceNumber = (header.sequenceNumber + this.sequenceOffset) & 0xffff;
    header.timestamp = (header.timestamp + this.timestampOffset) >>> 0;
    this.lastSequence = header.sequenceNumber;
    this.lastTimestamp = header.timestamp;
    this.lastPacketAt = now;
    for (const listener of this.listeners) listener(packet);
  }

  close(): void {
    this.listeners.clear();
  }
}

export type RtpIngestEvents = {
  /** The first packet of a sender run arrived (after `open` or `restart`). */
  media: [kind: TrackKind];
  close: [];
};

export class RtpIngest extends TypedEmitter<RtpIngestEvents> {
  private readonly sockets = new Map<TrackKind, dgram.Socket>();
  private readonly sources = new Map<TrackKind, IngestTrackSource>();
  private closed_ = false;

  private constructor() {
    super();
  }

  /** Binds one loopback socket per kind. */
  static async open(kinds: readonly TrackKind[]): Promise<RtpIngest> {
    const ingest = new RtpIngest();
    try {
      for (const kind of kinds) {
        // Below 2^31: ffmpeg's `-ssrc` is a signed 32-bit option.
        const source = new IngestTrackSource(kind, randomInt(1, 0x7fffffff), () => ingest.emit('media', kind));
        const socket = dgram.createSocket('udp4');
        ingest.sockets.set(kind, socket);
        ingest.sources.set(kind, source);
        socket.on('message', (datagram, remote) => {
          if (remote.address === '127.0.0.1') source.receive(datagram);
        });
        await new Promise<void>((resolve, reject) => {
          socket.once('error', reject);
          socket.bind(0, '127.0.0.1', () => {
            socket.off('error', reject);
            resolve();
          });
        });
        // After binding, a socket error (none expected on loopback) ends the ingest.
        socket.on('error', () => ingest.close());
      }
    } catch (error) {
      ingest.close();
      throw error;
    }
    return ingest;
  }

  get closed(): boolean {
    return this.closed_;
  }

  get kinds(): TrackKind[] {
    return [...this.sources.keys()];
  }

  /** Where the sender writes each kind, with the SSRC and payload type it must use. */
  get endpoints(): IngestEndpoint[] {
    return [...this.sources.values()].map((source) => ({
      kind: source.kind,
      port: (this.sockets.get(source.kind)?.address().port ?? 0),
      ssrc: source.ssrc,
      payloadType: INGEST_PAYLOAD_TYPE[source.kind],
    }));
  }

  source(kind: TrackKind): TrackSource | undefined {
    return this.sources.get(kind);
  }

  /** The sender is being restarted: its next packets continue the stream (see the module note). */
  restart(): void {
    for (const source of this.sources.values()) source.restart();
  }

  close(): void {
    if (this.closed_) return;
    this.closed_ = true;
    for (const source of this.sources.values()) source.close();
    for (const socket of this.sockets.values()) {
      try {
        socket.close();
      } catch {
        // Not bound yet, or already closed.
      }
    }
    this.emit('close');
    this.removeAllListeners();
  }
}
