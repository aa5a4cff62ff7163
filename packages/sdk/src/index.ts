/**
 * @module Atrium SDK: join a room with an access token, publish streams under tags, subscribe to
 * other endpoints' streams. Runs in browsers and, with `wrtc`, in Node.
 *
 * ```ts
 * const { room, endpoint } = await join(roomId, accessToken);
 * await room.publish('camera', await navigator.mediaDevices.getUserMedia({ audio: true, video: true }));
 * room.onEndpointJoined = (endpoint) => { … };
 * room.on('stream.published', async (endpoint, stream) => {
 *   const subscription = await room.localEndpoint.subscribe(endpoint, stream.tag);
 *   video.srcObject = subscription.mediaStream;
 * });
 * ```
 */
import { resolveEnvironment, type WebRtcImplementation, type WebSocketConstructor } from './environment.js';
import { ConnectionError, ConnectionErrorReason } from './errors.js';
import { Room, type LocalEndpoint, type TokenRefreshOptions } from './room.js';
import type { LogLevel } from './logger.js';

export interface JoinOptions extends TokenRefreshOptions {
  /** Base URL of the Atrium server; defaults to the page's origin. */
  url?: string;
  /** In Node: the WebRTC implementation, e.g. `require('@roamhq/wrtc')`. */
  wrtc?: WebRtcImplementation;
  /** A WebSocket constructor when the environment has none (Node < 22 uses the `ws` package). */
  WebSocket?: WebSocketConstructor;
  /** Where remote media elements live (the layout renderer's root): output volume and speaker apply to them. */
  rootElement?: HTMLElement;
  /** ICE servers for the peer connections to the SFU. */
  iceServers?: RTCIceServer[];
  /** Output device for remote audio. */
  speakerId?: string;
  /** What the SDK logs to the console: `trace`, `debug`, `info`, `warn` (default), `error` or `silent`. */
  logLevel?: LogLevel;
  /**
   * With `rootElement`: show this client's camera, straight from the device, in its own layer(s)
   * of the layout (the reference's local overlay). Default true; false shows the placeholder there.
   */
  applyLocalVideoOverlay?: boolean;
  /** Stop the camera the SDK opened while video is muted (the light goes off); reopened on unmute. Default true. */
  stopCameraWhileMuted?: boolean;
  /** Stop the microphone the SDK opened while audio is muted; reopened on unmute. Default true. */
  stopMicrophoneWhileMuted?: boolean;
  /**
   * Publish the camera and/or microphone as stream `camera` right after joining (the reference's
   * `audio`/`video` options; constraints or true). Off by default: call `room.publish` yourself.
   */
  audio?: boolean | MediaTrackConstraints;
  video?: boolean | MediaTrackConstraints;
  /** With `audio`/`video`: publish this MediaStream instead of asking `getUserMedia` (Node, canvas). */
  stream?: MediaStream;
  /** With `video`: send the camera in three simulcast layers (see `Room.publish`). Default false. */
  simulcast?: boolean;
}

/** Joins the room with an access token minted by your backend. */
export async function join(
  roomId: string,
  accessToken: string,
  options: JoinOptions = {},
): Promise<{ room: Room; endpoint: LocalEndpoint }> {
  const url = options.url ?? (globalThis as { location?: { origin: string } }).location?.origin;
  if (!url) {
    throw new ConnectionError(ConnectionErrorReason.Unsupported, 'no page origin: pass { url } to join()');
  }
  const env = await resolveEnvironment(options);
  const room = await Room.connect(
    env,
    url,
    roomId,
    accessToken,
    { refreshToken: options.refreshToken, fetch: options.fetch },
    {
      ...(options.rootElement ? { rootElement: options.rootElement } : {}),
      ...(options.iceServers ? { iceServers: options.iceServers } : {}),
      ...(options.speakerId ? { speakerId: options.speakerId } : {}),
      ...(options.logLevel ? { logLevel: options.logLevel } : {}),
      ...(options.applyLocalVideoOverlay !== undefined ? { applyLocalVideoOverlay: options.applyLocalVideoOverlay } : {}),
      ...(options.stopCameraWhileMuted !== undefined ? { stopCameraWhileMuted: options.stopCameraWhileMuted } : {}),
      ...(options.stopMicrophoneWhileMuted !== undefined ? { stopMicrophoneWhileMuted: options.stopMicrophoneWhileMuted } : {}),
    },
  );
  const audio = options.audio ?? false;
  const video = options.video ?? false;
  if (audio !== false || video !== false) {
    try {
      await room.publishCamera(audio, video, options.stream, { simulcast: options.simulcast ?? false });
    } catch (error) {
      await room.leave();
      throw error;
    }
  }
  return { room, endpoint: room.localEndpoint };
}

export {
  Room,
  RoomEvent,
  LocalEndpoint,
  type RoomEvents,
  type TokenRefreshOptions,
  type PublishOptions,
  type LayoutChangedEvent,
  type EgressEntity,
  type RoomLeftEvent,
  type RoomMediaOptions,
} from './room.js';
export { Logger, LOG_LEVELS, DEFAULT_LOG_LEVEL, type LogLevel } from './logger.js';
export type { DeviceMutePolicy } from './local-devices.js';
export { LocalSource, type RoomSessionDevice, type RoomSessionScreenShare, type LocalSourceEvents } from './local-source.js';
export type {
  ChatMessageEvent,
  MemberJoinedEvent,
  MemberLeftEvent,
  MemberMediaEvent,
  MemberState,
  MemberTalkingEvent,
  MemberUpdatedEvent,
  Meta,
  Playback,
  RoomJoinedEvent,
  RoomState,
  RoomUpdatedEvent,
} from '@atrium/protocol';
export type { TokenRefreshedEvent } from './token-refresher.js';
export { RemoteEndpoint, RemoteTrack, type RemoteTrackEvents } from './remote-endpoint.js';
export { Subscription, type SubscriptionEvents } from './subscription.js';
export { LocalStream, LocalTrack } from './local-stream.js';
export { RoomRecording, type RecordingControl } from './room-recording.js';
export { RoomStream } from './room-stream.js';
export { RoomSessionPlayback, type PlaybackControl } from './room-playback.js';
export { ConnectionError, ConnectionErrorReason, RequestError } from './errors.js';
export type { ConnectionState } from './signal-client.js';
export type { WebRtcImplementation, WebSocketConstructor } from './environment.js';
export { LayoutRenderer, LayoutClass, type LayoutRendererOptions } from './layout-renderer.js';
export type { VideoLayoutLayer, VideoPosition, VideoPositions } from '@atrium/protocol';
export type { FinishReason, LeaveReason, StreamInfo, TrackInfo, TrackKind } from '@atrium/protocol';
