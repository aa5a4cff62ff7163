/**
 * @module An endpoint in a live room session: its identity, the streams it publishes (by tag)
 * and the subscriptions it receives. The connection callbacks lead back to its signaling socket.
 */
import {
  DEFAULT_INPUT_SENSITIVITY,
  type EndpointInfo,
  type FinishReason,
  type MemberState,
  type Meta,
  type Permission,
  type VideoPosition,
  type SignalNotification,
  type SignalNotificationParams,
  type StreamInfo,
  type TrackKind,
} from '@atrium/protocol';
import type { Publisher } from '../sfu/publisher.js';
import type { Subscriber } from '../sfu/subscriber.js';

/** How the room session reaches an endpoint's client (implemented by signaling). */
export interface EndpointConnection {
  notify<N extends SignalNotification>(method: N, params: SignalNotificationParams<N>): void;
  /** The session removed this endpoint; the client is told why and the connection closes. */
  finished(reason: FinishReason): void;
}

export interface PublishedStream {
  tag: string;
  publisher: Publisher;
  muted: Map<TrackKind, boolean>;
}

export interface Subscription {
  id: string;
  /** The endpoint whose stream is received. */
  publisherEndpointId: string;
  tag: string;
  subscriber: Subscriber;
  /** Set before the subscriber is closed on purpose, so the SDK learns why. */
  endReason: 'unsubscribed' | 'unpublished' | 'endpoint-left';
  /** Kinds the subscribing client paused itself (`subscription.setPaused`); deaf pauses audio on top. */
  clientPaused: Set<TrackKind>;
}

/** The member state kept for an endpoint beyond its media (levels, position, metadata). */
export interface MemberSettings {
  deaf: boolean;
  inputVolume: number;
  outputVolume: number;
  inputSensitivity: number;
  talking: boolean;
  position: VideoPosition;
  meta: Meta;
}

export class Endpoint {
  readonly id: string;
  readonly name: string;
  readonly joinedAt = new Date();
  /** When its signaling dropped, while it may still resume (the grace period); null when connected. */
  disconnectedAt: Date | null = null;
  readonly connection: EndpointConnection;
  readonly streams = new Map<string, PublishedStream>();
  readonly subscriptions = new Map<string, Subscription>();
  /** Kinds the server has muted (a moderator or the REST API); the client cannot unmute them. */
  readonly serverMuted = new Set<TrackKind>();
  /** Kinds the endpoint muted itself (`audioMute()`/`videoMute()`); it may unmute them. */
  readonly selfMuted = new Set<TrackKind>();
  readonly settings: MemberSettings;
  /** What its access token allows (the latest one, after a resume); decides which egress events it hears. */
  permissions: readonly Permission[];

  constructor(id: string, name: string, connection: EndpointConnection, meta: Meta = {}, permissions: readonly Permission[] = []) {
    this.id = id;
    this.name = name;
    this.connection = connection;
    this.permissions = permissions;
    this.settings = {
      deaf: false,
      inputVolume: 0,
      outputVolume: 0,
      inputSensitivity: DEFAULT_INPUT_SENSITIVITY,
      talking: false,
      position: 'auto',
      meta: { ...meta },
    };
  }

  /** Its microphone (audio) or camera (video) is muted, by itself or by the room. */
  isMuted(kind: TrackKind): boolean {
    return this.selfMuted.has(kind) || this.serverMuted.has(kind);
  }

  /** The reference's member entity (`getMembers()`, `member.joined`). */
  member(room: { roomId: string; sessionId: string }): MemberState {
    const s = this.settings;
    const videoMuted = this.isMuted('video');
    return {
      id: this.id,
      type: 'member',
      name: this.name,
      room_id: room.roomId,
      room_session_id: room.sessionId,
      visible: !videoMuted && s.position !== 'off-canvas',
      audio_muted: this.isMuted('audio'),
      video_muted: videoMuted,
      deaf: s.deaf,
      input_volume: s.inputVolume,
      output_volume: s.outputVolume,
      input_sensitivity: s.inputSensitivity,
      talking: s.talking,
      position: s.position,
      meta: s.meta,
    };
  }

  streamInfo(stream: PublishedStream): StreamInfo {
    return {
      tag: stream.tag,
      tracks: [...stream.publisher.tracks.keys()].map((kind) => ({
        id: `${stream.tag}:${kind}`,
        kind,
        muted: (stream.muted.get(kind) ?? false) || this.isMuted(kind),
      })),
    };
  }

  info(): EndpointInfo {
    return {
      id: this.id,
      name: this.name,
      streams: [...this.streams.values()].map((s) => this.streamInfo(s)),
    };
  }
}
