/**
 * @module An endpoint in a live room session: its identity, the streams it publishes (by tag)
 * and the subscriptions it receives. The connection callbacks lead back to its signaling socket.
 */
import type {
  EndpointInfo,
  FinishReason,
  SignalNotification,
  SignalNotificationParams,
  StreamInfo,
  TrackKind,
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
}

export class Endpoint {
  readonly id: string;
  readonly name: string;
  readonly joinedAt = new Date();
  readonly connection: EndpointConnection;
  readonly streams = new Map<string, PublishedStream>();
  readonly subscriptions = new Map<string, Subscription>();
  /** Kinds the server has muted (a moderator or the REST API); the client cannot unmute them. */
  readonly serverMuted = new Set<TrackKind>();

  constructor(id: string, name: string, connection: EndpointConnection) {
    this.id = id;
    this.name = name;
    this.connection = connection;
  }

  streamInfo(stream: PublishedStream): StreamInfo {
    return {
      tag: stream.tag,
      tracks: [...stream.publisher.tracks.keys()].map((kind) => ({
        id: `${stream.tag}:${kind}`,
        kind,
        muted: (stream.muted.get(kind) ?? false) || this.serverMuted.has(kind),
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
