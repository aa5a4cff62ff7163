/**
 * @module A stream this endpoint publishes under a tag, on its own peer connection (we offer,
 * the SFU answers), and its local tracks.
 */
import type { TrackKind } from '@atrium/protocol';

export class LocalTrack {
  readonly kind: TrackKind;
  readonly mediaStreamTrack: MediaStreamTrack;
  private readonly setMuted: (kind: TrackKind, muted: boolean) => Promise<void>;

  /** @internal */
  constructor(mediaStreamTrack: MediaStreamTrack, setMuted: (kind: TrackKind, muted: boolean) => Promise<void>) {
    this.kind = mediaStreamTrack.kind === 'audio' ? 'audio' : 'video';
    this.mediaStreamTrack = mediaStreamTrack;
    this.setMuted = setMuted;
  }

  get enabled(): boolean {
    return this.mediaStreamTrack.enabled;
  }

  /** Sends silence / black instead of this track and tells the room it is muted. */
  async disable(): Promise<void> {
    if (!this.mediaStreamTrack.enabled) return;
    this.mediaStreamTrack.enabled = false;
    await this.setMuted(this.kind, true);
  }

  /** Unmutes; refused (PERMISSION_DENIED) while the room has muted this endpoint, and stays muted then. */
  async enable(): Promise<void> {
    if (this.mediaStreamTrack.enabled) return;
    try {
      await this.setMuted(this.kind, false);
    } catch (error) {
      this.mediaStreamTrack.enabled = false;
      throw error;
    }
    this.mediaStreamTrack.enabled = true;
  }
}

export class LocalStream {
  readonly tag: string;
  readonly mediaStream: MediaStream;
  readonly tracks: LocalTrack[];
  private readonly pc: RTCPeerConnection;
  private readonly doUnpublish: (stream: LocalStream) => Promise<void>;
  private closed_ = false;

  /** @internal Made by `Room.publish`. */
  constructor(init: {
    tag: string;
    mediaStream: MediaStream;
    pc: RTCPeerConnection;
    setMuted: (kind: TrackKind, muted: boolean) => Promise<void>;
    unpublish: (stream: LocalStream) => Promise<void>;
  }) {
    this.tag = init.tag;
    this.mediaStream = init.mediaStream;
    this.pc = init.pc;
    this.doUnpublish = init.unpublish;
    this.tracks = init.mediaStream.getTracks().map((t) => new LocalTrack(t, init.setMuted));
  }

  get connectionState(): RTCPeerConnectionState {
    return this.pc.connectionState;
  }

  track(kind: TrackKind): LocalTrack | undefined {
    return this.tracks.find((t) => t.kind === kind);
  }

  getStats(): Promise<RTCStatsReport> {
    return this.pc.getStats();
  }

  /** Stops publishing; others get `stream.unpublished`. The local tracks keep running. */
  async unpublish(): Promise<void> {
    if (this.closed_) return;
    await this.doUnpublish(this);
  }

  /** @internal */
  close(): void {
    if (this.closed_) return;
    this.closed_ = true;
    this.pc.close();
  }
}
