/**
 * @module A playback as the SDK hands it out (`room.play()`, `room.getPlaybacks()`, the
 * `playback.*` events): a URL's media played into the room as a virtual member, with `pause`,
 * `resume`, `seek`, `setVolume` and `stop`, kept up to date by the room's `playback.*` events.
 */
import type { Playback } from '@atrium/protocol';

export interface PlaybackControl {
  stop(playbackId: string): Promise<Playback>;
  pause(playbackId: string): Promise<Playback>;
  resume(playbackId: string): Promise<Playback>;
  seek(playbackId: string, position: number): Promise<Playback>;
  setVolume(playbackId: string, volume: number): Promise<Playback>;
}

export class RoomSessionPlayback {
  readonly id: string;
  private state_: Playback;
  private readonly control: PlaybackControl;

  constructor(playback: Playback, control: PlaybackControl) {
    this.id = playback.id;
    this.state_ = playback;
    this.control = control;
  }

  /** `playing`, `paused` or `completed` (see `endReason`). */
  get state(): Playback['state'] {
    return this.state_.state;
  }

  get url(): string {
    return this.state_.url;
  }

  /** The member that plays it (its stream is tagged `playback`); the same id as the playback. */
  get memberId(): string {
    return this.state_.memberId;
  }

  /** -50..50 (0 = unchanged). */
  get volume(): number {
    return this.state_.volume;
  }

  /** Position in the media in ms, as last heard. */
  get position(): number {
    return this.state_.position;
  }

  get seekable(): boolean {
    return this.state_.seekable;
  }

  /** Why it completed: `stopped`, `finished`, `failed` (see `error`), `removed`, `session-ended`; null while active. */
  get endReason(): Playback['endReason'] {
    return this.state_.endReason;
  }

  /** The whole playback entity, as last heard. */
  get playback(): Playback {
    return this.state_;
  }

  /** @internal The room heard of a change. */
  update(playback: Playback): void {
    if (playback.id === this.id) this.state_ = playback;
  }

  /** Stops the media where it is; the member stays in the room. */
  async pause(): Promise<void> {
    this.update(await this.control.pause(this.id));
  }

  /** Goes on from where it was paused. */
  async resume(): Promise<void> {
    this.update(await this.control.resume(this.id));
  }

  /** Jumps to `timecode` ms (`room.playback_seek`). */
  async seek(timecode: number): Promise<void> {
    this.update(await this.control.seek(this.id, Math.max(0, Math.round(timecode))));
  }

  /** Audio volume, -50..50 (0 = unchanged); the server re-encodes, so everyone (and recordings) hear it. */
  async setVolume(volume: number): Promise<void> {
    this.update(await this.control.setVolume(this.id, volume));
  }

  /** Ends the playback; its member leaves the room. */
  async stop(): Promise<void> {
    this.update(await this.control.stop(this.id));
  }
}
