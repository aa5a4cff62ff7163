/**
 * @module One encoding of a published track: the whole track when it is not simulcast, or one
 * simulcast layer (one RTP stream, named by its rid). Knows what a subscriber's layer choice
 * needs — is it flowing, at what bitrate, at what resolution — and throttles keyframe requests
 * towards its sender.
 */
import type { RtpPacket } from 'werift';
import type { TrackSource } from './track-source.js';
import { isVp8KeyframeStart, vp8KeyframeSize } from './vp8.js';

/** Sequence numbers remembered to drop repeats (a power of two, far beyond any reordering). */
const SEEN_WINDOW = 1024;

/** A layer without a packet for this long is not flowing (paused, or dropped by its sender). */
const FLOWING_TIMEOUT_MS = 1_000;
/** Weight of the newest second in the bitrate average. */
const BITRATE_SMOOTHING = 0.5;

export class TrackLayer {
  /** Position in the track's layers, lowest resolution first. */
  readonly index: number;
  /** The simulcast rid; undefined for a track that is not simulcast. */
  readonly rid: string | undefined;
  readonly source: TrackSource;
  /** From the last keyframe seen (video); kept while the layer is paused. */
  width: number | undefined;
  height: number | undefined;
  /** Bits per second, averaged over the last seconds. */
  bitrate = 0;
  lastPacketAt = 0;
  lastKeyframeAt = 0;
  private bytesSinceTick = 0;
  private lastTickAt = 0;
  private lastKeyframeRequestAt = 0;
  private pendingKeyframeTimer: NodeJS.Timeout | undefined;
  keyframeRequestsSent = 0;
  /** `seen[seq % SEEN_WINDOW]` is the last sequence number forwarded in that slot (-1: none). */
  private readonly seen = new Int32Array(SEEN_WINDOW).fill(-1);

  constructor(index: number, rid: string | undefined, source: TrackSource) {
    this.index = index;
    this.rid = rid;
    this.source = source;
  }

  /**
   * True the first time a sequence number arrives; false for a repeat — a retransmission that
   * arrived after all, or the old packets libwebrtc resends on its RTX stream to probe for
   * bandwidth. Receivers and recorders have the packet already.
   */
  firstArrival(sequenceNumber: number): boolean {
    const slot = sequenceNumber & (SEEN_WINDOW - 1);
    if (this.seen[slot] === sequenceNumber) return false;
    this.seen[slot] = sequenceNumber;
    return true;
  }

  /** Counts a video packet; notes a keyframe's resolution. */
  onPacket(packet: RtpPacket, nowMs: number): void {
    this.lastPacketAt = nowMs;
    this.bytesSinceTick += packet.payload.length;
    if (isVp8KeyframeStart(packet.payload)) {
      this.lastKeyframeAt = nowMs;
      const size = vp8KeyframeSize(packet.payload);
      if (size) {
        this.width = size.width;
        this.height = size.height;
      }
    }
  }

  flowing(nowMs: number): boolean {
    return this.lastPacketAt > 0 && nowMs - this.lastPacketAt < FLOWING_TIMEOUT_MS;
  }

  /** Updates the bitrate average; called on the track's regular tick. */
  tick(nowMs: number): void {
    if (this.lastTickAt > 0 && nowMs > this.lastTickAt) {
      const current = (this.bytesSinceTick * 8 * 1000) / (nowMs - this.lastTickAt);
      this.bitrate = this.bitrate === 0 ? current : this.bitrate * (1 - BITRATE_SMOOTHING) + current * BITRATE_SMOOTHING;
    }
    if (!this.flowing(nowMs)) this.bitrate = 0;
    this.bytesSinceTick = 0;
    this.lastTickAt = nowMs;
  }

  /** Asks the sender for a keyframe, at most once per interval; a request inside it is sent at its end. */
  requestKeyframe(intervalMs: number): void {
    if (this.pendingKeyframeTimer) return;
    const wait = this.lastKeyframeRequestAt + intervalMs - Date.now();
    if (wait <= 0) {
      this.sendPli();
      return;
    }
    this.pendingKeyframeTimer = setTimeout(() => {
      this.pendingKeyframeTimer = undefined;
      this.sendPli();
    }, wait);
  }

  close(): void {
    clearTimeout(this.pendingKeyframeTimer);
    this.pendingKeyframeTimer = undefined;
  }

  private sendPli(): void {
    // The SSRC is learned from the first RTP packet; before that there is nothing to ask.
    if (this.source.ssrc === undefined) return;
    this.lastKeyframeRequestAt = Date.now();
    this.keyframeRequestsSent++;
    this.source.requestKeyframe();
  }
}
