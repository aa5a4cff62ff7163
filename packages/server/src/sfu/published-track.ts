/**
 * @module One track a publisher sends (audio or video): fans its RTP out to sinks and turns
 * keyframe requests from those sinks into throttled PLIs towards the publisher. Where the RTP comes
 * from (a WebRTC receiver, or plain RTP from a playback's ffmpeg) is its `TrackSource`.
 */
import type { RTCRtpHeaderExtensionParameters, RtpPacket } from 'werift';
import type { TrackKind } from '@atrium/protocol';
import type { TrackSource } from './track-source.js';

/**
 * Anything that receives a published track's RTP: a subscriber's track today, a node-to-node
 * relay or an egress tap later. `writeRtp` must not keep or modify the packet.
 */
export interface RtpSink {
  writeRtp(packet: RtpPacket): void;
  /** The receiver's own bandwidth estimate for this track (bits/s), when it has sent one. */
  estimatedBitrate?(): number | undefined;
  /** Media resumes after a gap (the track was blocked): continue cleanly, from a keyframe. */
  restart?(): void;
}

export interface BitrateLimits {
  /** What the publisher is told before any subscriber has reported an estimate. */
  initial: number;
  min: number;
  max: number;
}

/** How often the publisher is told its bitrate budget. */
const REMB_INTERVAL_MS = 500;

export interface PublishedTrackStats {
  kind: TrackKind;
  packetsReceived: number;
  bytesReceived: number;
  keyframeRequestsSent: number;
  sinks: number;
  /** The bitrate budget last sent to the publisher (video; 0 before the first). */
  targetBitrate: number;
}

export class PublishedTrack {
  readonly kind: TrackKind;
  /** The publisher's negotiated header extensions (id → uri). */
  readonly headerExtensions: RTCRtpHeaderExtensionParameters[];
  private readonly source: TrackSource;
  private readonly sinks = new Set<RtpSink>();
  private readonly keyframeIntervalMs: number;
  private readonly bitrate: BitrateLimits;
  private rembTimer: NodeJS.Timeout | undefined;
  private lastRembBitrate = 0;
  private lastKeyframeRequestAt = 0;
  private pendingKeyframeTimer: NodeJS.Timeout | undefined;
  private unsubscribeRtp: (() => void) | undefined;
  private packetsReceived = 0;
  private bytesReceived = 0;
  private keyframeRequestsSent = 0;
  private closed_ = false;
  private blocked_ = false;

  constructor(options: {
    kind: TrackKind;
    source: TrackSource;
    headerExtensions: RTCRtpHeaderExtensionParameters[];
    keyframeIntervalMs: number;
    bitrate: BitrateLimits;
  }) {
    this.kind = options.kind;
    this.source = options.source;
    this.headerExtensions = options.headerExtensions;
    this.keyframeIntervalMs = options.keyframeIntervalMs;
    this.bitrate = options.bitrate;
    if (this.kind === 'video' && this.source.sendBitrate) {
      this.rembTimer = setInterval(() => this.sendRemb(), REMB_INTERVAL_MS);
      this.rembTimer.unref();
    }
    this.unsubscribeRtp = this.source.onRtp((packet) => this.forward(packet));
  }

  get closed(): boolean {
    return this.closed_;
  }

  /** True while the server stops this track (a moderator muted it); no client can undo that. */
  get blocked(): boolean {
    return this.blocked_;
  }

  setBlocked(blocked: boolean): void {
    if (this.blocked_ === blocked) return;
    this.blocked_ = blocked;
    if (!blocked) for (const sink of this.sinks) sink.restart?.();
  }

  addSink(sink: RtpSink): void {
    this.sinks.add(sink);
  }

  removeSink(sink: RtpSink): void {
    this.sinks.delete(sink);
  }

  /** Asks the publisher for a keyframe, at most once per interval; a request inside the interval is sent at its end. */
  requestKeyframe(): void {
    if (this.kind !== 'video' || this.closed_ || this.pendingKeyframeTimer) return;
    const wait = this.lastKeyframeRequestAt + this.keyframeIntervalMs - Date.now();
    if (wait <= 0) {
      this.sendPli();
      return;
    }
    this.pendingKeyframeTimer = setTimeout(() => {
      this.pendingKeyframeTimer = undefined;
      this.sendPli();
    }, wait);
  }

  stats(): PublishedTrackStats {
    return {
      kind: this.kind,
      packetsReceived: this.packetsReceived,
      bytesReceived: this.bytesReceived,
      keyframeRequestsSent: this.keyframeRequestsSent,
      sinks: this.sinks.size,
      targetBitrate: this.lastRembBitrate,
    };
  }

  close(): void {
    if (this.closed_) return;
    this.closed_ = true;
    clearTimeout(this.pendingKeyframeTimer);
    this.pendingKeyframeTimer = undefined;
    clearInterval(this.rembTimer);
    this.unsubscribeRtp?.();
    this.sinks.clear();
  }

  private forward(packet: RtpPacket): void {
    this.packetsReceived++;
    this.bytesReceived += packet.payload.length;
    if (this.blocked_) return;
    for (const sink of this.sinks) sink.writeRtp(packet);
  }

  /**
   * Tells the publisher the lowest estimate among its subscribers, so the slowest receiver is
   * not flooded (one layer for all until simulcast picks a layer per subscriber).
   */
  private sendRemb(): void {
    if (this.source.ssrc === undefined || this.closed_) return;
    let target = Number.POSITIVE_INFINITY;
    for (const sink of this.sinks) {
      const estimate = sink.estimatedBitrate?.();
      if (estimate !== undefined && estimate > 0) target = Math.min(target, estimate);
    }
    if (!Number.isFinite(target)) target = this.bitrate.initial;
    target = Math.min(this.bitrate.max, Math.max(this.bitrate.min, target));
    this.lastRembBitrate = target;
    this.source.sendBitrate?.(target);
  }

  private sendPli(): void {
    // The SSRC is learned from the first RTP packet; before that there is nothing to ask.
    if (this.source.ssrc === undefined || this.closed_) return;
    this.lastKeyframeRequestAt = Date.now();
    this.keyframeRequestsSent++;
    this.source.requestKeyframe();
  }
}
