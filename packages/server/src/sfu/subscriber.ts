/**
 * @module A subscriber: one peer connection on which the SFU sends one published stream to one
 * endpoint. The SFU offers (sendonly); the endpoint answers. Each track gets its own packet
 * copies, remapped extension ids and continuous sequence numbers, and starts at a keyframe.
 */
import { RTCPeerConnection, type RTCRtpTransceiver, type RtpPacket } from 'werift';
import { AtriumError, ErrorCode, TypedEmitter, type TrackKind } from '@atrium/protocol';
import type { Publisher } from './publisher.js';
import type { PublishedTrack, RtpSink } from './published-track.js';
import type { TransportContext } from './transport-context.js';
import { announceCandidates, filterRemoteCandidates } from './ice-filter.js';
import { SequenceRewriter, extensionIdMap, isVp8KeyframeStart } from './rtp-copy.js';
import { RtpStreamSender } from './rtp-stream-sender.js';

export type SubscriberEvents = {
  /** Closed: by the SFU, by its publisher closing, or by the peer connection failing. */
  close: [];
};

export interface SubscribedTrackStats {
  kind: TrackKind;
  packetsSent: number;
  /** NACKs the subscriber sent us, and packets we retransmitted for them. */
  nacksReceived: number;
  retransmitted: number;
  paused: boolean;
  /** The subscriber's last REMB (bits/s; 0 before the first). */
  estimatedBitrate: number;
}

/** The sending half of one subscribed track. */
class SubscribedTrack implements RtpSink {
  readonly kind: TrackKind;
  private readonly source: PublishedTrack;
  private readonly transceiver: RTCRtpTransceiver;
  private readonly sequence = new SequenceRewriter();
  private readonly sender: RtpStreamSender;
  private connected = false;
  private paused = false;
  private awaitingKeyframe: boolean;
  private unsubscribePli: (() => void) | undefined;

  constructor(source: PublishedTrack, transceiver: RTCRtpTransceiver) {
    this.kind = source.kind;
    this.source = source;
    this.transceiver = transceiver;
    this.awaitingKeyframe = source.kind === 'video';
    // Only video negotiates NACK (peer-config.ts), so only video keeps a retransmission history.
    this.sender = new RtpStreamSender(transceiver, { keepHistory: source.kind === 'video' });
    const { unSubscribe } = transceiver.sender.onPictureLossIndication.subscribe(() => {
      this.source.requestKeyframe();
    });
    this.unsubscribePli = unSubscribe;
    source.addSink(this);
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

  writeRtp(packet: RtpPacket): void {
    if (!this.connected || this.paused || packet.payload.length === 0) return;
    if (this.awaitingKeyframe) {
      if (!isVp8KeyframeStart(packet.payload)) {
        this.source.requestKeyframe();
        return;
      }
      this.awaitingKeyframe = false;
    }
    this.sender.send(packet, this.sequence.rewrite(packet.header.sequenceNumber));
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
      paused: this.paused,
      estimatedBitrate: this.estimatedBitrate() ?? 0,
    };
  }

  close(): void {
    this.source.removeSink(this);
    this.sender.close();
    this.unsubscribePli?.();
    this.unsubscribePli = undefined;
  }

  private restartAtKeyframe(): void {
    this.sequence.skipGap();
    if (this.kind !== 'video') return;
    this.awaitingKeyframe = true;
    this.source.requestKeyframe();
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
