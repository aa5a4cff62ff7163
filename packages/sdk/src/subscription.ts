/**
 * @module A subscription: this endpoint receiving one stream of another, on its own peer
 * connection (the SFU offers, we answer).
 */
import { TypedEmitter, type TrackKind } from '@atrium/protocol';
import type { RemoteEndpoint } from './remote-endpoint.js';

export type SubscriptionEvents = {
  /** The subscription ended: unsubscribed, unpublished by its endpoint, or that endpoint left. */
  ended: [reason: string];
};

export class Subscription extends TypedEmitter<SubscriptionEvents> {
  readonly id: string;
  readonly endpoint: RemoteEndpoint;
  readonly tag: string;
  /** The received audio and video tracks. Attach it to a `<video>` element. */
  readonly mediaStream: MediaStream;
  private readonly pc: RTCPeerConnection;
  private readonly doUnsubscribe: (subscription: Subscription) => Promise<void>;
  private ended_ = false;

  /** @internal Made by `LocalEndpoint.subscribe`. */
  constructor(init: {
    id: string;
    endpoint: RemoteEndpoint;
    tag: string;
    mediaStream: MediaStream;
    pc: RTCPeerConnection;
    unsubscribe: (subscription: Subscription) => Promise<void>;
  }) {
    super();
    this.id = init.id;
    this.endpoint = init.endpoint;
    this.tag = init.tag;
    this.mediaStream = init.mediaStream;
    this.pc = init.pc;
    this.doUnsubscribe = init.unsubscribe;
  }

  get ended(): boolean {
    return this.ended_;
  }

  get connectionState(): RTCPeerConnectionState {
    return this.pc.connectionState;
  }

  track(kind: TrackKind): MediaStreamTrack | undefined {
    return kind === 'audio' ? this.mediaStream.getAudioTracks()[0] : this.mediaStream.getVideoTracks()[0];
  }

  /** WebRTC statistics of this subscription's peer connection (inbound-rtp: framesDecoded …). */
  getStats(): Promise<RTCStatsReport> {
    return this.pc.getStats();
  }

  /** Stops receiving this stream. */
  async unsubscribe(): Promise<void> {
    if (this.ended_) return;
    await this.doUnsubscribe(this);
  }

  /** @internal */
  end(reason: string): void {
    if (this.ended_) return;
    this.ended_ = true;
    this.pc.close();
    this.emit('ended', reason);
    this.removeAllListeners();
  }
}
