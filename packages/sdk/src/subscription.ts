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
  private readonly doSetVideoSize: (subscription: Subscription, width: number, height: number) => Promise<void>;
  private lastVideoSize = '';
  private ended_ = false;

  /** @internal Made by `LocalEndpoint.subscribe`. */
  constructor(init: {
    id: string;
    endpoint: RemoteEndpoint;
    tag: string;
    mediaStream: MediaStream;
    pc: RTCPeerConnection;
    unsubscribe: (subscription: Subscription) => Promise<void>;
    setVideoSize: (subscription: Subscription, width: number, height: number) => Promise<void>;
  }) {
    super();
    this.id = init.id;
    this.endpoint = init.endpoint;
    this.tag = init.tag;
    this.mediaStream = init.mediaStream;
    this.pc = init.pc;
    this.doUnsubscribe = init.unsubscribe;
    this.doSetVideoSize = init.setVideoSize;
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

  /**
   * Tells the SFU how large this stream's video is shown, in CSS pixels (0×0: not shown). For a
   * simulcast stream it then sends the smallest layer that fills that size (bandwidth
   * permitting); without a size it sends the best. The room's stage (`rootElement`) reports its
   * tiles by itself; call this when you render the video yourself.
   */
  async setVideoSize(width: number, height: number): Promise<void> {
    const scale = typeof globalThis.devicePixelRatio === 'number' && globalThis.devicePixelRatio > 0 ? globalThis.devicePixelRatio : 1;
    const w = Math.min(16_384, Math.max(0, Math.round(width * scale)));
    const h = Math.min(16_384, Math.max(0, Math.round(height * scale)));
    const key = `${w}x${h}`;
    if (this.ended_ || key === this.lastVideoSize) return;
    this.lastVideoSize = key;
    await this.doSetVideoSize(this, w, h);
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
