/**
 * @module A recording of the room session as the SDK hands it out (`room.startRecording()`,
 * `room.getRecordings()`): the recording's current state plus `pause`, `resume` and `stop`, kept
 * up to date by the room's `recording.updated` / `recording.ended` events.
 */
import type { Recording } from '@atrium/protocol';

export interface RecordingControl {
  stop(recordingId: string): Promise<Recording>;
  pause(recordingId: string): Promise<Recording>;
  resume(recordingId: string): Promise<Recording>;
}

export class RoomRecording {
  readonly id: string;
  private state_: Recording;
  private readonly control: RecordingControl;

  constructor(recording: Recording, control: RecordingControl) {
    this.id = recording.id;
    this.state_ = recording;
    this.control = control;
  }

  /** `starting`, `recording`, `paused`, `stopping`, `stopped` or `failed`, as the REST API says. */
  get state(): Recording['status'] {
    return this.state_.status;
  }

  /** The whole recording entity (files, offsets, pauses, links), as last heard. */
  get recording(): Recording {
    return this.state_;
  }

  /** @internal The room heard of a change. */
  update(recording: Recording): void {
    if (recording.id === this.id) this.state_ = recording;
  }

  async pause(): Promise<void> {
    this.update(await this.control.pause(this.id));
  }

  async resume(): Promise<void> {
    this.update(await this.control.resume(this.id));
  }

  async stop(): Promise<void> {
    this.update(await this.control.stop(this.id));
  }
}
