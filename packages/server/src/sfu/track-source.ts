/**
 * @module Where a published track's RTP comes from: a werift receiver (an endpoint's WebRTC
 * publisher) or plain RTP on loopback (a playback's ffmpeg, `rtp-ingest.ts`). The forwarding in
 * `PublishedTrack` is the same for both; only the feedback towards the sender differs.
 */
import type { MediaStreamTrack, RTCRtpReceiver, RtpPacket } from 'werift';
import { createRemb } from './remb.js';

export interface TrackSource {
  /** The sender's media SSRC, once known. */
  readonly ssrc: number | undefined;
  /** Calls `listener` with every RTP packet; returns the unsubscribe function. */
  onRtp(listener: (packet: RtpPacket) => void): () => void;
  /** Asks the sender for a keyframe (PLI). A source that cannot ask (ffmpeg) sends keyframes on its own. */
  requestKeyframe(): void;
  /** Tells the sender its video bitrate budget (REMB); absent when the sender cannot adapt. */
  sendBitrate?(bitsPerSecond: number): void;
  /** NACK messages sent to the sender for this stream; absent when nothing NACKs (ffmpeg). */
  nacksSent?(): number;
}

/**
 * A track an endpoint publishes over WebRTC (or one simulcast layer of it): RTP from werift, PLI
 * and REMB back on its transport. A simulcast layer's SSRC is learned from its first packet.
 */
export class ReceiverTrackSource implements TrackSource {
  private readonly receiver: RTCRtpReceiver;
  private readonly track: MediaStreamTrack;
  private learnedSsrc: number | undefined;
  private nacks = 0;

  constructor(receiver: RTCRtpReceiver, track: MediaStreamTrack) {
    this.receiver = receiver;
    this.track = track;
    // werift's NACK generator reports each NACK it sends; the receiver lives as long as this source.
    receiver.onPacketLost.subscribe((nack) => {
      if (nack.mediaSourceSsrc === this.ssrc) this.nacks++;
    });
  }

  get ssrc(): number | undefined {
    return this.track.ssrc ?? this.learnedSsrc;
  }

  onRtp(listener: (packet: RtpPacket) => void): () => void {
    return this.track.onReceiveRtp.subscribe((packet) => {
      this.learnedSsrc = packet.header.ssrc;
      listener(packet);
    }).unSubscribe;
  }

  requestKeyframe(): void {
    const ssrc = this.ssrc;
    if (ssrc === undefined) return;
    this.receiver.sendRtcpPLI(ssrc).catch(() => {
      // The transport may be closing; the next request will try again.
    });
  }

  nacksSent(): number {
    return this.nacks;
  }

  sendBitrate(bitsPerSecond: number): void {
    const ssrc = this.ssrc;
    if (ssrc === undefined) return;
    this.receiver.dtlsTransport.sendRtcp([createRemb(this.receiver.rtcpSsrc, ssrc, bitsPerSecond)]).catch(() => undefined);
  }
}
