/**
 * @module Camera and microphone tracks the SDK opened itself with getUserMedia, and what muting
 * does to them. With the reference's `stopCameraWhileMuted` / `stopMicrophoneWhileMuted` (both on
 * by default) a muted device track is stopped, so the device really turns off (the camera light
 * goes out); on unmute a new track is opened with the same constraints (and the same device) and
 * sent in its place with `replaceTrack`, without renegotiating. Tracks the application handed in
 * (`stream`, `track`, `room.publish`) are never stopped: the SDK could not reopen them.
 */
import type { TrackKind } from '@atrium/protocol';
import { userMedia } from './local-source.js';

export interface DeviceMutePolicy {
  /** Stop the camera while the member's video is muted; default true. */
  stopCameraWhileMuted?: boolean;
  /** Stop the microphone while the member's audio is muted; default true. */
  stopMicrophoneWhileMuted?: boolean;
}

function kindOf(track: MediaStreamTrack): TrackKind {
  return track.kind === 'audio' ? 'audio' : 'video';
}

export class LocalDevices {
  /** The constraints each SDK-opened track was opened with. */
  private readonly opened = new WeakMap<MediaStreamTrack, MediaTrackConstraints>();
  private readonly stopWhileMuted: Record<TrackKind, boolean>;

  constructor(policy: DeviceMutePolicy = {}) {
    this.stopWhileMuted = {
      audio: policy.stopMicrophoneWhileMuted ?? true,
      video: policy.stopCameraWhileMuted ?? true,
    };
  }

  /** getUserMedia, remembering each track's constraints so it can be reopened. */
  async open(constraints: { audio?: boolean | MediaTrackConstraints; video?: boolean | MediaTrackConstraints }): Promise<MediaStream> {
    const stream = await userMedia(constraints);
    for (const track of stream.getTracks()) {
      const given = constraints[kindOf(track)];
      this.opened.set(track, typeof given === 'object' ? given : {});
    }
    return stream;
  }

  /** Whether muting stops this track (an SDK-opened device of a kind the policy stops). */
  stopsWhileMuted(track: MediaStreamTrack): boolean {
    return this.opened.has(track) && this.stopWhileMuted[kindOf(track)];
  }

  /** Whether `track` is an SDK-opened device that was stopped and can be opened again. */
  canReopen(track: MediaStreamTrack): boolean {
    return this.opened.has(track) && track.readyState === 'ended';
  }

  /** Opens the same device again with the same constraints; the new track is enabled. */
  async reopen(track: MediaStreamTrack): Promise<MediaStreamTrack> {
    const kind = kindOf(track);
    const constraints = { ...this.opened.get(track) };
    const deviceId = typeof track.getSettings === 'function' ? track.getSettings().deviceId : undefined;
    if (constraints.deviceId === undefined && deviceId) constraints.deviceId = deviceId;
    const stream = await this.open({ [kind]: constraints });
    const fresh = stream.getTracks().find((t) => kindOf(t) === kind);
    if (!fresh) throw new Error(`getUserMedia gave no ${kind} track`);
    return fresh;
  }
}
