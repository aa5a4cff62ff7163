/**
 * @module Another endpoint in the room, the streams it publishes and their tracks as this client
 * sees them. A track can be disabled (the server stops sending it to us) and tells when it is
 * unsubscribed.
 */
import { TypedEmitter, type EndpointInfo, type StreamInfo, type TrackKind } from '@atrium/protocol';

export type RemoteTrackEvents = {
  /** The subscription carrying this track ended (unsubscribed, unpublished, or the endpoint left). */
  unsubscribed: [];
  /** The track was subscribed and its media arrives in `mediaStreamTrack`. */
  subscribed: [mediaStreamTrack: MediaStreamTrack];
  /** The publisher muted or unmuted it. */
  updated: [];
};

/** How a remote track reaches its subscription, without importing it (handed in by the room). */
export interface TrackControl {
  setPaused(endpointId: string, tag: string, kind: TrackKind, paused: boolean): Promise<void>;
}

/** One audio or video track another endpoint publishes (other SDKs call it a publication). */
export class RemoteTrack extends TypedEmitter<RemoteTrackEvents> {
  /** `<tag>:<kind>`, unique within its endpoint. */
  readonly id: string;
  readonly kind: TrackKind;
  readonly tag: string;
  readonly endpointId: string;
  /** The publisher has muted it. */
  muted: boolean;
  /** Media of this track, while subscribed. */
  mediaStreamTrack: MediaStreamTrack | null = null;
  private enabled_ = true;
  private readonly control: TrackControl;

  constructor(endpointId: string, tag: string, info: { id: string; kind: TrackKind; muted: boolean }, control: TrackControl) {
    super();
    this.endpointId = endpointId;
    this.tag = tag;
    this.id = info.id;
    this.kind = info.kind;
    this.muted = info.muted;
    this.control = control;
  }

  /** False after `disable()`: the server does not send this track to us. */
  get enabled(): boolean {
    return this.enabled_;
  }

  /** Stops receiving this track (saves bandwidth); `enable()` resumes it. */
  async disable(): Promise<void> {
    await this.setEnabled(false);
  }

  async enable(): Promise<void> {
    await this.setEnabled(true);
  }

  private async setEnabled(enabled: boolean): Promise<void> {
    if (this.enabled_ === enabled) return;
    this.enabled_ = enabled;
    if (this.mediaStreamTrack) this.mediaStreamTrack.enabled = enabled;
    await this.control.setPaused(this.endpointId, this.tag, this.kind, !enabled);
  }
}

export class RemoteEndpoint {
  readonly id: string;
  readonly name: string;
  /** Streams by tag. */
  readonly streamsByTag = new Map<string, StreamInfo>();
  private readonly tracksById = new Map<string, RemoteTrack>();
  private readonly control: TrackControl;

  constructor(info: EndpointInfo, control: TrackControl) {
    this.id = info.id;
    this.name = info.name;
    this.control = control;
    for (const stream of info.streams) this.addStream(stream);
  }

  get streams(): StreamInfo[] {
    return [...this.streamsByTag.values()];
  }

  /** Every track of every stream this endpoint publishes. */
  get tracks(): RemoteTrack[] {
    return [...this.tracksById.values()];
  }

  tracksOf(tag: string): RemoteTrack[] {
    return this.tracks.filter((t) => t.tag === tag);
  }

  /** @internal */
  addStream(stream: StreamInfo): void {
    this.streamsByTag.set(stream.tag, stream);
    for (const track of stream.tracks) {
      if (!this.tracksById.has(track.id)) {
        this.tracksById.set(track.id, new RemoteTrack(this.id, stream.tag, track, this.control));
      }
    }
  }

  /** @internal */
  removeStream(tag: string): RemoteTrack[] {
    this.streamsByTag.delete(tag);
    const removed = this.tracksOf(tag);
    for (const track of removed) this.tracksById.delete(track.id);
    return removed;
  }

  /** @internal */
  updateTrack(tag: string, info: { id: string; muted: boolean }): RemoteTrack | undefined {
    const track = this.tracksById.get(info.id);
    if (!track) return undefined;
    track.muted = info.muted;
    const stream = this.streamsByTag.get(tag);
    const entry = stream?.tracks.find((t) => t.id === info.id);
    if (entry) entry.muted = info.muted;
    track.emit('updated');
    return track;
  }
}
