/**
 * @module An RTMP stream of the room session as the SDK hands it out (`room.startStream()`,
 * `room.getStreams()`): the stream's current state plus `stop()`, kept up to date by the room's
 * `stream.started` / `stream.ended` events.
 */
import type { LiveStream } from '@atrium/protocol';

export class RoomStream {
  readonly id: string;
  private state_: LiveStream;
  private readonly stopStream: (streamId: string) => Promise<LiveStream>;

  constructor(stream: LiveStream, stop: (streamId: string) => Promise<LiveStream>) {
    this.id = stream.id;
    this.state_ = stream;
    this.stopStream = stop;
  }

  /** `starting`, `streaming`, `stopping`, `stopped` or `failed`, as the REST API says. */
  get state(): LiveStream['status'] {
    return this.state_.status;
  }

  /** The URL streamed to, its stream key masked. */
  get url(): string | null {
    return this.state_.url;
  }

  /** The whole stream entity (times, end reason, error), as last heard. */
  get stream(): LiveStream {
    return this.state_;
  }

  /** @internal The room heard of a change. */
  update(stream: LiveStream): void {
    if (stream.id === this.id) this.state_ = stream;
  }

  async stop(): Promise<void> {
    this.update(await this.stopStream(this.id));
  }
}
