/**
 * @module A stream this endpoint publishes under a tag, on its own peer connection (we offer,
 * the SFU answers), and its local tracks.
 */
import type { TrackKind } from '@atrium/protocol';

export class LocalTrack {
  readonly kind: TrackKind;
  private track: MediaStreamTrack;
  private readonly setMuted: (kind: TrackKind, muted: boolean) => Promise<void>;

  /** @internal */
  constructor(mediaStreamTrack: MediaStreamTrack, setMuted: (kind: TrackKind, muted: boolean) => Promise<void>) {
    this.kind = mediaStreamTrack.kind === 'audio' ? 'audio' : 'video';
    this.track = mediaStreamTrack;
    this.setMuted = setMuted;
  }

  /** The media track sent (changes with `updateCamera`/`updateMicrophone`). */
  get mediaStreamTrack(): MediaStreamTrack {
    return this.track;
  }

  /** @internal Swaps the media track (the sender was already switched). */
  replace(track: MediaStreamTrack): void {
    track.enabled = this.track.enabled;
    this.track = track;
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

  /**
   * Sends `track` instead of the current track of its kind, on the same peer connection (no
   * renegotiation). The old track is stopped unless `keepOld`. Resolves with the old track.
   */
  async replaceTrack(track: MediaStreamTrack, options: { keepOld?: boolean } = {}): Promise<MediaStreamTrack> {
    const kind: TrackKind = track.kind === 'audio' ? 'audio' : 'video';
    const local = this.track(kind);
    const senders = this.pc.getSenders();
    const sender = senders.find((s) => s.track !== null && s.track === local?.mediaStreamTrack) ?? senders.find((s) => s.track?.kind === kind);
    if (!local || !sender) throw new Error(`the stream "${this.tag}" has no ${kind} track to replace`);
    const old = local.mediaStreamTrack;
    await sender.replaceTrack(track);
    local.replace(track);
    this.mediaStream.removeTrack(old);
    this.mediaStream.addTrack(track);
    if (!options.keepOld) old.stop();
    return old;
  }

  /**
   * @internal Simulcast: sends the layers (rids) listed and pauses the others — the SFU says
   * which ones someone receives (`stream.layers`).
   */
  async setActiveLayers(rids: readonly string[]): Promise<void> {
    const sender = this.pc.getSenders().find((s) => s.track?.kind === 'video');
    if (!sender || this.closed_) return;
    const parameters = sender.getParameters();
    let changed = false;
    for (const encoding of parameters.encodings) {
      if (encoding.rid === undefined) continue;
      const active = rids.includes(encoding.rid);
      if (encoding.active !== active) {
        encoding.active = active;
        changed = true;
      }
    }
    if (changed) await sender.setParameters(parameters);
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
