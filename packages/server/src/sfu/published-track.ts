/**
 * @module One track a publisher sends (audio or video): fans its RTP out to sinks and turns
 * keyframe requests from those sinks into throttled PLIs towards the publisher.
 */
import type { MediaStreamTrack, RTCRtpHeaderExtensionParameters, RTCRtpReceiver, RtpPacket } from 'werift';
import type { TrackKind } from '@atrium/protocol';

/**
 * Anything that receives a published track's RTP: a subscriber's track today, a node-to-node
 * relay or an egress tap later. `writeRtp` must not keep or modify the packet.
 */
export interface RtpSink {
  writeRtp(packet: RtpPacket): void;
}

export interface PublishedTrackStats {
  kind: TrackKind;
  packetsReceived: number;
  bytesReceived: number;
  keyframeRequestsSent: number;
  sinks: number;
}

export class PublishedTrack {
  readonly kind: TrackKind;
  /** The publisher's negotiated header extensions (id → uri). */
  readonly headerExtensions: RTCRtpHeaderExtensionParameters[];
  private readonly receiver: RTCRtpReceiver;
  private readonly sinks = new Set<RtpSink>();
  private readonly keyframeIntervalMs: number;
  private ssrc: number | undefined;
  private lastKeyframeRequestAt = 0;
  private pendingKeyframeTimer: NodeJS.Timeout | undefined;
  private unsubscribeRtp: (() => void) | undefined;
  private packetsReceived = 0;
  private bytesReceived = 0;
  private keyframeRequestsSent = 0;
  private closed_ = false;

  constructor(options: {
    kind: TrackKind;
    receiver: RTCRtpReceiver;
    headerExtensions: RTCRtpHeaderExtensionParameters[];
    keyframeIntervalMs: number;
  }) {
    this.kind = options.kind;
    this.receiver = options.receiver;
    this.headerExtensions = options.headerExtensions;
    this.keyframeIntervalMs = options.keyframeIntervalMs;
  }

  get closed(): boolean {
    return this.closed_;
  }

  /** Connects the werift track once the publisher's first RTP arrives. */
  attach(track: MediaStreamTrack): void {
    if (this.closed_ || this.unsubscribeRtp) return;
    this.ssrc = track.ssrc;
    const { unSubscribe } = track.onReceiveRtp.subscribe((packet) => this.forward(packet));
    this.unsubscribeRtp = unSubscribe;
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
    };
  }

  close(): void {
    if (this.closed_) return;
    this.closed_ = true;
    clearTimeout(this.pendingKeyframeTimer);
    this.pendingKeyframeTimer = undefined;
    this.unsubscribeRtp?.();
    this.sinks.clear();
  }

  private forward(packet: RtpPacket): void {
    this.packetsReceived++;
    this.bytesReceived += packet.payload.length;
    for (const sink of this.sinks) sink.writeRtp(packet);
  }

  private sendPli(): void {
    if (this.ssrc === undefined || this.closed_) return;
    this.lastKeyframeRequestAt = Date.now();
    this.keyframeRequestsSent++;
    this.receiver.sendRtcpPLI(this.ssrc).catch(() => {
      // The transport may be closing; the next request will try again.
    });
  }
}
