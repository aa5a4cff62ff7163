/**
 * @module A subscriber: one peer connection on which the SFU sends one published stream to one
 * endpoint. The SFU offers (sendonly); the endpoint answers. Each track gets its own packet
 * copies, remapped extension ids and continuous sequence numbers, and starts at a keyframe.
 * Video NACKs are answered as RTX when the endpoint accepted it (`RtpStreamSender`).
 */
import { RTCPeerConnection, type RTCRtpTransceiver, type RtpPacket } from 'werift';
import { AtriumError, ErrorCode, TypedEmitter, type TrackKind } from '@atrium/protocol';
import type { Publisher } from './publisher.js';
import type { LayeredRtpSink, PublishedTrack } from './published-track.js';
import { BandwidthLimit, layerForSize, layerToForward } from './layer-selection.js';
import { LayerRewriter } from './layer-rewriter.js';
import type { TrackLayer } from './track-layer.js';
import type { TransportContext } from './transport-context.js';
import { announceCandidates, filterRemoteCandidates } from './ice-filter.js';
import { extensionIdMap } from './rtp-copy.js';
import { isVp8KeyframeStart } from './vp8.js';
import { RtpStreamSender } from './rtp-stream-sender.js';
import { nameTrackInSdp } from './peer-config.js';

export type SubscriberEvents = {
  /** Closed: by the SFU, by its publisher closing, or by the peer connection failing. */
  close: [];
};

export interface SubscribedTrackStats {
  kind: TrackKind;
  packetsSent: number;
  /** NACKs the subscriber sent us, and packets we retransmitted for them (as RTX: `retransmittedRtx`). */
  nacksReceived: number;
  retransmitted: number;
  retransmittedRtx: number;
  /** The endpoint accepted RTX: retransmissions go on their own SSRC. */
  rtx: boolean;
  /** Packets the pacer held back to spread a burst, and dropped for waiting too long. */
  paced: number;
  pacerDropped: number;
  paused: boolean;
  /** The subscriber's last REMB (bits/s; 0 before the first). */
  estimatedBitrate: number;
  /** Simulcast: the layer (rid) forwarded now, and how many times it changed. */
  layer: string | undefined;
  layerSwitches: number;
}

/** The sending half of one subscribed track. */
class SubscribedTrack implements LayeredRtpSink {
  readonly kind: TrackKind;
  private readonly source: PublishedTrack;
  private readonly transceiver: RTCRtpTransceiver;
  private readonly rewriter: LayerRewriter;
  private readonly sender: RtpStreamSender;
  private readonly bandwidth = new BandwidthLimit();
  private connected = false;
  private paused = false;
  /** The layer whose packets are sent now; undefined before the first keyframe (video). */
  private forwarding: number | undefined;
  /** The layer to send from its next keyframe on (may equal `forwarding`: restart at a keyframe). */
  private switchTo: number | undefined;
  /** The size the endpoint shows this video at (device pixels), when it said. */
  private videoSize: { width: number; height: number } | undefined;
  private layerSwitches = 0;
  private unsubscribePli: (() => void) | undefined;

  constructor(source: PublishedTrack, transceiver: RTCRtpTransceiver) {
    this.kind = source.kind;
    this.source = source;
    this.transceiver = transceiver;
    this.rewriter = new LayerRewriter({ vp8: source.simulcast });
    if (source.kind === 'audio') this.forwarding = 0;
    // Only video negotiates NACK (peer-config.ts), so only video keeps a retransmission history.
    this.sender = new RtpStreamSender(transceiver, { keepHistory: source.kind === 'video', pace: source.kind === 'video' });
    const { unSubscribe } = transceiver.sender.onPictureLossIndication.subscribe(() => {
      this.source.requestKeyframe(this.switchTo ?? this.forwarding);
    });
    this.unsubscribePli = unSubscribe;
    source.addLayeredSink(this);
  }

  /** Called once the answer is applied: the subscriber's extension ids are known. */
  negotiated(): void {
    this.sender.negotiated(extensionIdMap(this.source.headerExtensions, this.transceiver.headerExtensions));
  }

  /** DTLS is up: media can flow; video waits for a fresh keyframe. */
  start(): void {
    this.connected = true;
    this.restartAtKeyframe();
  }

  restart(): void {
    if (this.connected) this.restartAtKeyframe();
  }

  setPaused(paused: boolean): void {
    if (this.paused === paused) return;
    this.paused = paused;
    if (!paused) this.restartAtKeyframe();
  }

  /** The endpoint shows this video at `width`×`height` device pixels (0×0: not shown). */
  setVideoSize(width: number, height: number): void {
    this.videoSize = { width, height };
    if (this.connected && this.source.simulcast) this.tick(Date.now(), new Set());
  }

  writeLayerRtp(packet: RtpPacket, layer: TrackLayer): void {
    if (!this.connected || this.paused || packet.payload.length === 0) return;
    const index = layer.index;
    if (index === this.switchTo) {
      if (!isVp8KeyframeStart(packet.payload)) {
        // Starting, or restarting this layer: wait for its keyframe. Still on another layer: keep it.
        if (this.forwarding === undefined || this.forwarding === index) this.source.requestKeyframe(index);
        return;
      }
      const switched = this.forwarding !== undefined && this.forwarding !== index;
      if (switched) {
        this.rewriter.switchLayer();
        this.layerSwitches++;
      }
      this.forwarding = index;
      this.switchTo = undefined;
      // The new layer's rate paces it from its first packet (a move up must not wait for the tick).
      if (switched) this.updatePacing();
    } else if (index !== this.forwarding) {
      return;
    }
    const out = this.rewriter.rewrite(packet, layer.lastPacketAt);
    this.sender.send(packet, out.sequenceNumber, out.timestamp, out.payload);
  }

  /** Every tick (video): sets the pacing rate; simulcast: re-decides the layer from the tile size and the bandwidth and notes the layers needed. */
  tick(nowMs: number, needed: Set<number>): void {
    if (this.kind !== 'video' || !this.connected) return;
    this.updatePacing();
    if (!this.source.simulcast || this.paused) return;
    const layers = this.source.layerViews(nowMs);
    const limit = this.bandwidth.update(layers, this.estimatedBitrate(), this.forwarding, nowMs);
    const wanted = Math.min(layerForSize(layers, this.wantedHeight()), limit);
    needed.add(wanted);
    if (this.forwarding !== undefined) needed.add(this.forwarding);
    const target = layerToForward(layers, wanted, this.forwarding);
    if (target === undefined) return;
    if (target === this.forwarding) {
      if (this.switchTo !== undefined && this.switchTo !== this.forwarding) this.switchTo = undefined;
    } else if (target !== this.switchTo) {
      this.switchTo = target;
    }
    if (this.switchTo !== undefined) this.source.requestKeyframe(this.switchTo);
  }

  estimatedBitrate(): number | undefined {
    const remb = Number(this.transceiver.sender.receiverEstimatedMaxBitrate ?? 0);
    return remb > 0 ? remb : undefined;
  }

  stats(): SubscribedTrackStats {
    const sent = this.sender.stats();
    return {
      kind: this.kind,
      packetsSent: sent.packetsSent,
      nacksReceived: sent.nacksReceived,
      retransmitted: sent.retransmitted,
      retransmittedRtx: sent.retransmittedRtx,
      paced: sent.paced,
      pacerDropped: sent.pacerDropped,
      rtx: this.sender.rtx,
      paused: this.paused,
      estimatedBitrate: this.estimatedBitrate() ?? 0,
      layer: this.forwarding === undefined ? undefined : this.source.layers[this.forwarding]?.rid,
      layerSwitches: this.layerSwitches,
    };
  }

  close(): void {
    this.source.removeLayeredSink(this);
    this.sender.close();
    this.unsubscribePli?.();
    this.unsubscribePli = undefined;
  }

  /**
   * Paces at 2.5× the larger of the subscriber's estimate and what its layer carries: bursts are
   * spread, but the pacer never holds a steady stream back (the estimate lags after a move up).
   */
  private updatePacing(): void {
    const estimate = this.estimatedBitrate();
    const layerRate = this.forwarding === undefined ? 0 : (this.source.layers[this.forwarding]?.bitrate ?? 0);
    this.sender.setPacingRate(estimate === undefined ? undefined : Math.max(estimate, layerRate));
  }

  /** The height of the layer that fills the endpoint's tile (covering it), from the video's aspect. */
  private wantedHeight(): number | undefined {
    const size = this.videoSize;
    if (!size) return undefined;
    const aspect = this.source.aspectRatio() ?? 16 / 9;
    return Math.max(size.height, size.width / aspect);
  }

  private restartAtKeyframe(): void {
    this.rewriter.skipGap();
    if (this.kind !== 'video') return;
    const now = Date.now();
    const layers = this.source.layerViews(now);
    const wanted = Math.min(layerForSize(layers, this.wantedHeight()), this.bandwidth.limit);
    this.switchTo = this.forwarding ?? layerToForward(layers, wanted, undefined) ?? wanted;
    this.source.requestKeyframe(this.switchTo);
  }
}

export class Subscriber extends TypedEmitter<SubscriberEvents> {
  readonly id: string;
  readonly publisher: Publisher;
  private readonly pc: RTCPeerConnection;
  private readonly tracks = new Map<TrackKind, SubscribedTrack>();
  private readonly context: TransportContext;
  private answered = false;
  private closed_ = false;
  private readonly onPublisherClose = (): void => this.close();

  private constructor(id: string, publisher: Publisher, pc: RTCPeerConnection, context: TransportContext) {
    super();
    this.id = id;
    this.publisher = publisher;
    this.pc = pc;
    this.context = context;
  }

  static async create(
    id: string,
    publisher: Publisher,
    context: TransportContext,
  ): Promise<{ subscriber: Subscriber; offerSdp: string }> {
    if (publisher.closed) throw new AtriumError(ErrorCode.STREAM_NOT_FOUND, 'the stream is no longer published');
    const pc = new RTCPeerConnection(context.peerConfig);
    const subscriber = new Subscriber(id, publisher, pc, context);
    try {
      for (const [kind, source] of publisher.tracks) {
        const transceiver = pc.addTransceiver(kind, { direction: 'sendonly' });
        nameTrackInSdp(transceiver);
        subscriber.tracks.set(kind, new SubscribedTrack(source, transceiver));
      }
      publisher.on('close', subscriber.onPublisherClose);
      pc.connectionStateChange.subscribe((state) => {
        if (state === 'connected') for (const track of subscriber.tracks.values()) track.start();
        if (state === 'failed' || state === 'closed') subscriber.close();
      });
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      const local = pc.localDescription?.sdp;
      if (!local) throw new Error('werift produced no local description');
      return { subscriber, offerSdp: announceCandidates(local, context.announcedIps) };
    } catch (error) {
      subscriber.close();
      throw error;
    }
  }

  get closed(): boolean {
    return this.closed_;
  }

  get connectionState(): string {
    return this.pc.connectionState;
  }

  /** Applies the endpoint's answer to our offer. */
  async setAnswer(answerSdp: string): Promise<void> {
    if (this.closed_) throw new AtriumError(ErrorCode.SUBSCRIPTION_NOT_FOUND, 'the subscription is closed');
    if (this.answered) throw new AtriumError(ErrorCode.VALIDATION_FAILED, 'the subscription was already answered');
    const { sdp, dropped } = filterRemoteCandidates(answerSdp, this.context.policy);
    if (dropped.length > 0) this.context.log.debug({ dropped }, 'ignored remote ICE candidates outside allowed networks');
    try {
      await this.pc.setRemoteDescription({ type: 'answer', sdp });
    } catch (error) {
      throw new AtriumError(ErrorCode.VALIDATION_FAILED, `the answer could not be applied: ${(error as Error).message}`);
    }
    this.answered = true;
    for (const track of this.tracks.values()) track.negotiated();
  }

  /** ICE restart: a new offer with new ICE credentials on the same connection; the endpoint answers with `setAnswer`. */
  async restartIce(): Promise<string> {
    if (this.closed_) throw new AtriumError(ErrorCode.SUBSCRIPTION_NOT_FOUND, 'the subscription is closed');
    await this.pc.setLocalDescription(await this.pc.createOffer({ iceRestart: true }));
    this.answered = false;
    const local = this.pc.localDescription?.sdp;
    if (!local) throw new AtriumError(ErrorCode.INTERNAL, 'werift produced no local description');
    return announceCandidates(local, this.context.announcedIps);
  }

  /** Stops (or restarts) forwarding one kind to this endpoint, e.g. `track.disable()` in the SDK. */
  setPaused(kind: TrackKind, paused: boolean): void {
    const track = this.tracks.get(kind);
    if (!track) throw new AtriumError(ErrorCode.VALIDATION_FAILED, `the stream has no ${kind} track`);
    track.setPaused(paused);
  }

  /** The endpoint shows this stream's video at `width`×`height` device pixels; simulcast picks the layer that fills it. */
  setVideoSize(width: number, height: number): void {
    this.tracks.get('video')?.setVideoSize(width, height);
  }

  stats(): SubscribedTrackStats[] {
    return [...this.tracks.values()].map((t) => t.stats());
  }

  close(): void {
    if (this.closed_) return;
    this.closed_ = true;
    this.publisher.off('close', this.onPublisherClose);
    for (const track of this.tracks.values()) track.close();
    this.pc.close().catch(() => undefined);
    this.emit('close');
    this.removeAllListeners();
  }
}
