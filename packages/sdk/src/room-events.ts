/**
 * @module The room's events: names (`RoomEvent`), payload types (`RoomEvents`), and the payloads
 * that are not signaling messages (layout, egress, leaving).
 */
import type {
  ChatMessageEvent,
  FinishReason,
  LeaveReason,
  MemberJoinedEvent,
  MemberLeftEvent,
  MemberMediaEvent,
  MemberState,
  MemberTalkingEvent,
  MemberUpdatedEvent,
  LayoutChangedEvent,
  RoomJoinedEvent,
  RoomUpdatedEvent,
  StreamInfo,
} from '@atrium/protocol';
import type { RemoteEndpoint, RemoteTrack } from './remote-endpoint.js';
import type { RoomRecording } from './room-recording.js';
import type { RoomStream } from './room-stream.js';
import type { RoomSessionPlayback } from './room-playback.js';
import type { TokenRefreshedEvent } from './token-refresher.js';

/** What the egress calls will resolve with once wired (they reject with NOT_IMPLEMENTED until then). */
export interface EgressEntity {
  id: string;
  [field: string]: unknown;
}

export type { LayoutChangedEvent };

/** The room left event (`room.left`). */
export interface RoomLeftEvent {
  reason: FinishReason;
}

/** Room events, for `room.on(RoomEvent.X, …)`. */
export const RoomEvent = {
  /** Another endpoint joined: `(endpoint)`. */
  EndpointJoined: 'endpoint.joined',
  /** Another endpoint left: `(endpoint, reason)`. */
  EndpointLeft: 'endpoint.left',
  /** Another endpoint published a stream: `(endpoint, stream)`. */
  StreamPublished: 'stream.published',
  /** Another endpoint stopped publishing a stream: `(endpoint, tag)`. */
  StreamUnpublished: 'stream.unpublished',
  /** A remote track was muted or unmuted by its publisher: `(endpoint, track)`. */
  TrackUpdated: 'track.updated',
  /** The signaling connection changed state: `({state})`, `connected` / `reconnecting` / `disconnected`. */
  ConnectionState: 'connection.state',
  /** The signaling socket dropped; the SDK is reconnecting to resume the same endpoint (others see nothing). */
  Reconnecting: 'reconnecting',
  /** The endpoint was resumed: missed events were delivered, subscriptions and streams go on. */
  Reconnected: 'reconnected',
  /** A peer connection's media path broke and ICE was restarted: `({tag})` for a published stream, `({subscriptionId})` for a subscription. */
  IceRestarted: 'ice.restarted',
  /** This client is no longer in the room: `(reason)`. */
  Finished: 'finished',
  /** The connection took a new access token (SDK refresh or `updateToken`): `({token, expiresAt, refreshToken?})`. */
  TokenRefreshed: 'token.refreshed',
  /** Something in the background failed, e.g. a token refresh; the room goes on: `(error)`. */
  Error: 'error',
  /** This client joined: the room with every member (`room_session`), `member_id`, `call_id`. */
  RoomJoined: 'room.joined',
  /** This client left the room session: `({reason})`. */
  RoomLeft: 'room.left',
  /** Room fields changed: `room.updated` lists them, their values beside it. */
  RoomUpdated: 'room.updated',
  /** A member joined: `({member})`. */
  MemberJoined: 'member.joined',
  /** A member left: `({member, reason})`. */
  MemberLeft: 'member.left',
  /** Member fields changed: `member.updated` lists them, their values beside it. */
  MemberUpdated: 'member.updated',
  /** A member started or stopped talking. */
  MemberTalking: 'member.talking',
  /** The member list or a member changed: `({members})` with the full list. */
  MemberListUpdated: 'memberList.updated',
  /** The layout (or who sits where) changed. */
  LayoutChanged: 'layout.changed',
  /** Another member (or the room) muted or unmuted this client's microphone or camera; the SDK already applied it. */
  LocalMedia: 'local.media',
  /** A chat message to everyone or to this client. */
  ChatMessage: 'chat.message',
  RecordingStarted: 'recording.started',
  RecordingUpdated: 'recording.updated',
  RecordingEnded: 'recording.ended',
  /** A playback started in the room: `(playback)`; its member joins too. */
  PlaybackStarted: 'playback.started',
  /** A playback was paused, resumed, seeked or changed volume: `(playback)`. */
  PlaybackUpdated: 'playback.updated',
  /** A playback ended (`playback.endReason` says why): `(playback)`. */
  PlaybackEnded: 'playback.ended',
  /** An RTMP stream of the room started (egress; not the primary design's published stream). */
  StreamStarted: 'stream.started',
  StreamEnded: 'stream.ended',
} as const;

export type RoomEvents = {
  'endpoint.joined': [endpoint: RemoteEndpoint];
  'endpoint.left': [endpoint: RemoteEndpoint, reason: LeaveReason];
  'stream.published': [endpoint: RemoteEndpoint, stream: StreamInfo];
  'stream.unpublished': [endpoint: RemoteEndpoint, tag: string];
  'track.updated': [endpoint: RemoteEndpoint, track: RemoteTrack];
  finished: [reason: FinishReason];
  'connection.state': [event: { state: 'connected' | 'reconnecting' | 'disconnected' }];
  reconnecting: [];
  reconnected: [];
  'ice.restarted': [event: { tag?: string; subscriptionId?: string }];
  'token.refreshed': [event: TokenRefreshedEvent];
  error: [error: Error];
  'room.joined': [event: RoomJoinedEvent];
  'room.left': [event: RoomLeftEvent];
  'room.updated': [event: RoomUpdatedEvent];
  'member.joined': [event: MemberJoinedEvent];
  'member.left': [event: MemberLeftEvent];
  'member.updated': [event: MemberUpdatedEvent];
  'member.talking': [event: MemberTalkingEvent];
  'memberList.updated': [event: { members: MemberState[] }];
  'layout.changed': [event: LayoutChangedEvent];
  'local.media': [event: MemberMediaEvent];
  'chat.message': [event: ChatMessageEvent];
  'recording.started': [recording: RoomRecording];
  'recording.updated': [recording: RoomRecording];
  'recording.ended': [recording: RoomRecording];
  'playback.started': [playback: RoomSessionPlayback];
  'playback.updated': [playback: RoomSessionPlayback];
  'playback.ended': [playback: RoomSessionPlayback];
  'stream.started': [stream: RoomStream];
  'stream.ended': [stream: RoomStream];
};
