/**
 * @module Extra local sources published beside the main stream: screen shares
 * (`startScreenShare`, the reference's RoomSessionScreenShare) and added cameras, microphones and
 * devices (`addCamera`/`addMicrophone`/`addDevice`, the reference's RoomSessionDevice). Each is its
 * own stream with its own tag (`screen`, `screen-2`, `camera-2`, …).
 */
import { TypedEmitter } from '@atrium/protocol';
import { ConnectionError, ConnectionErrorReason } from './errors.js';
import type { LocalStream } from './local-stream.js';

export type LocalSourceEvents = {
  /** The source is published in the room. */
  'room.joined': [];
  /** The source stopped being published. */
  'room.left': [];
};

/** A screen share or added device: a stream published under its own tag. */
export class LocalSource extends TypedEmitter<LocalSourceEvents> {
  /** The stream tag (`screen`, `camera-2`, …); also this source's id. */
  readonly tag: string;
  readonly mediaStream: MediaStream;
  private published: LocalStream | null = null;
  private readonly publish: (tag: string, mediaStream: MediaStream) => Promise<LocalStream>;
  private readonly onLeft: (source: LocalSource) => void;

  /** @internal Made by the room. */
  constructor(init: {
    tag: string;
    mediaStream: MediaStream;
    publish: (tag: string, mediaStream: MediaStream) => Promise<LocalStream>;
    onLeft: (source: LocalSource) => void;
  }) {
    super();
    this.tag = init.tag;
    this.mediaStream = init.mediaStream;
    this.publish = init.publish;
    this.onLeft = init.onLeft;
  }

  get id(): string {
    return this.tag;
  }

  /** Published in the room right now. */
  get active(): boolean {
    return this.published !== null;
  }

  get localStream(): LocalStream | null {
    return this.published;
  }

  /** Publishes the source (when made with `autoJoin: false`); resolves with itself. */
  async join(): Promise<this> {
    if (!this.published) {
      this.published = await this.publish(this.tag, this.mediaStream);
      this.emit('room.joined');
    }
    return this;
  }

  /** Stops publishing the source and stops its tracks. */
  async leave(): Promise<void> {
    const published = this.published;
    this.published = null;
    if (published) await published.unpublish().catch(() => undefined);
    for (const track of this.mediaStream.getTracks()) track.stop();
    this.onLeft(this);
    this.emit('room.left');
  }

  /** Same as `leave()` (the reference's name). */
  hangup(): Promise<void> {
    return this.leave();
  }
}

/** The reference's names for the two kinds of source. */
export type RoomSessionScreenShare = LocalSource;
export type RoomSessionDevice = LocalSource;

interface MediaDevicesLike {
  getUserMedia(constraints: MediaStreamConstraints): Promise<MediaStream>;
  getDisplayMedia?(constraints: MediaStreamConstraints): Promise<MediaStream>;
}

function mediaDevices(): MediaDevicesLike {
  const devices = (globalThis as { navigator?: { mediaDevices?: MediaDevicesLike } }).navigator?.mediaDevices;
  if (!devices) {
    throw new ConnectionError(ConnectionErrorReason.Unsupported, 'no navigator.mediaDevices here: pass { stream } (or { track }) instead');
  }
  return devices;
}

/** Camera and/or microphone media (`getUserMedia`). */
export function userMedia(constraints: MediaStreamConstraints): Promise<MediaStream> {
  return mediaDevices().getUserMedia(constraints);
}

/** A screen (`getDisplayMedia`). */
export function displayMedia(constraints: MediaStreamConstraints): Promise<MediaStream> {
  const devices = mediaDevices();
  if (!devices.getDisplayMedia) throw new ConnectionError(ConnectionErrorReason.Unsupported, 'screen capture is not supported here');
  return devices.getDisplayMedia(constraints);
}
