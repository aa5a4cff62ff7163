/**
 * @module The room as this client sees it: the other endpoints and their streams, what we
 * publish and receive, and the room's events. Made by `join()`.
 */
import {
  SIGNAL_PATH,
  TypedEmitter,
  type EndpointInfo,
  type FinishReason,
  type LeaveReason,
  type SignalResult,
  type StreamInfo,
  type TrackKind,
} from '@atrium/protocol';
import { ConnectionError, ConnectionErrorReason, RequestError } from './errors.js';
import { iceGatheringComplete, type Environment } from './environment.js';
import { LocalStream } from './local-stream.js';
import { RemoteEndpoint, type RemoteTrack, type TrackControl } from './remote-endpoint.js';
import { SignalClient } from './signal-client.js';
import { Subscription } from './subscription.js';
import { TokenRefresher, type TokenRefreshedEvent } from './token-refresher.js';

/** How the room keeps its access token fresh (see `JoinOptions`). */
export interface TokenRefreshOptions {
  /** The refresh token from the access-token response; the SDK refreshes before expiry. */
  refreshToken?: string;
  /** fetch for the refresh request; the global one by default. */
  fetch?: typeof fetch;
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
  /** This client is no longer in the room: `(reason)`. */
  Finished: 'finished',
  /** The connection took a new access token (SDK refresh or `updateToken`): `({token, expiresAt, refreshToken?})`. */
  TokenRefreshed: 'token.refreshed',
  /** Something in the background failed, e.g. a token refresh; the room goes on: `(error)`. */
  Error: 'error',
} as const;

export type RoomEvents = {
  'endpoint.joined': [endpoint: RemoteEndpoint];
  'endpoint.left': [endpoint: RemoteEndpoint, reason: LeaveReason];
  'stream.published': [endpoint: RemoteEndpoint, stream: StreamInfo];
  'stream.unpublished': [endpoint: RemoteEndpoint, tag: string];
  'track.updated': [endpoint: RemoteEndpoint, track: RemoteTrack];
  finished: [reason: FinishReason];
  'token.refreshed': [event: TokenRefreshedEvent];
  error: [error: Error];
};

/** This client's own endpoint in the room. */
export class LocalEndpoint {
  readonly id: string;
  readonly name: string;
  private readonly room: Room;

  /** @internal */
  constructor(info: EndpointInfo, room: Room) {
    this.id = info.id;
    this.name = info.name;
    this.room = room;
  }

  /** Receives `endpoint`'s stream `tag`; resolves once the SFU's offer is answered. */
  subscribe(endpoint: RemoteEndpoint | string, tag: string): Promise<Subscription> {
    return this.room.subscribe(typeof endpoint === 'string' ? endpoint : endpoint.id, tag);
  }
}

export class Room extends TypedEmitter<RoomEvents> {
  readonly id: string;
  readonly title: string | null;
  /** This room session's id. */
  readonly sessionId: string;
  readonly localEndpoint: LocalEndpoint;
  /** Called with each endpoint that joins (the primary design's callback style). */
  onEndpointJoined: ((endpoint: RemoteEndpoint) => void) | null = null;
  /** Called with each endpoint that leaves. */
  onEndpointLeft: ((endpoint: RemoteEndpoint, reason: LeaveReason) => void) | null = null;
  /** Called once when this client is no longer in the room. */
  onFinished: ((reason: FinishReason) => void) | null = null;

  private readonly env: Environment;
  private readonly signal: SignalClient;
  private readonly endpointsById = new Map<string, RemoteEndpoint>();
  private readonly published = new Map<string, LocalStream>();
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly trackControl: TrackControl;
  private finished_: FinishReason | null = null;
  private refresher: TokenRefresher | null = null;

  private constructor(env: Environment, signal: SignalClient, joined: SignalResult<'join'>) {
    super();
    this.env = env;
    this.signal = signal;
    this.id = joined.room.id;
    this.title = joined.room.title;
    this.sessionId = joined.room.sessionId;
    this.localEndpoint = new LocalEndpoint(joined.endpoint, this);
    this.trackControl = { setPaused: (endpointId, tag, kind, paused) => this.setTrackPaused(endpointId, tag, kind, paused) };
    for (const info of joined.endpoints) this.endpointsById.set(info.id, new RemoteEndpoint(info, this.trackControl));
    this.listen();
  }

  /** @internal Opens signaling and joins; used by `join()`. */
  static async connect(
    env: Environment,
    url: string,
    roomId: string,
    token: string,
    refresh: TokenRefreshOptions = {},
  ): Promise<Room> {
    const signal = await SignalClient.connect(url, env.WebSocket, SIGNAL_PATH);
    try {
      const joined = await signal.request('join', { roomId, token });
      const room = new Room(env, signal, joined);
      if (refresh.refreshToken !== undefined) room.startRefreshing(url, token, refresh.refreshToken, refresh.fetch);
      return room;
    } catch (error) {
      signal.close();
      if (error instanceof RequestError) throw ConnectionError.joinRefused(error);
      throw error;
    }
  }

  /** The other endpoints in the room. */
  get endpoints(): RemoteEndpoint[] {
    return [...this.endpointsById.values()];
  }

  getEndpoint(id: string): RemoteEndpoint | undefined {
    return this.endpointsById.get(id);
  }

  /** Streams this client publishes, by tag. */
  get localStreams(): LocalStream[] {
    return [...this.published.values()];
  }

  /** Current subscriptions. */
  get activeSubscriptions(): Subscription[] {
    return [...this.subscriptions.values()];
  }

  /** Why the room finished for this client, or null while in it. */
  get finishedReason(): FinishReason | null {
    return this.finished_;
  }

  /** Publishes a MediaStream (at most one audio and one video track) under `tag`. */
  async publish(tag: string, mediaStream: MediaStream): Promise<LocalStream> {
    this.assertActive();
    const pc = new this.env.RTCPeerConnection({ iceServers: [] });
    try {
      for (const track of mediaStream.getTracks()) {
        pc.addTransceiver(track, { direction: 'sendonly', streams: [mediaStream] });
      }
      await pc.setLocalDescription(await pc.createOffer());
      await iceGatheringComplete(pc);
      const result = await this.signal.request('publish', { tag, sdp: pc.localDescription?.sdp ?? '' });
      await pc.setRemoteDescription({ type: 'answer', sdp: result.sdp });
    } catch (error) {
      pc.close();
      throw error;
    }
    const stream = new LocalStream({
      tag,
      mediaStream,
      pc,
      setMuted: (kind, muted) => this.signal.request('track.setMuted', { tag, kind, muted }).then(() => undefined),
      unpublish: async (s) => {
        this.published.delete(s.tag);
        s.close();
        if (!this.signal.closed) await this.signal.request('unpublish', { tag: s.tag });
      },
    });
    this.published.set(tag, stream);
    // Tracks disabled before publishing are announced as muted.
    for (const track of stream.tracks) {
      if (!track.enabled) await this.signal.request('track.setMuted', { tag, kind: track.kind, muted: true });
    }
    return stream;
  }

  /** @internal See `LocalEndpoint.subscribe`. */
  async subscribe(endpointId: string, tag: string): Promise<Subscription> {
    this.assertActive();
    const offer = await this.signal.request('subscribe', { endpointId, tag });
    const endpoint = this.endpointsById.get(endpointId);
    const pc = new this.env.RTCPeerConnection({ iceServers: [] });
    const mediaStream = new this.env.MediaStream();
    const tracks = endpoint?.tracksOf(tag) ?? [];
    pc.addEventListener('track', (event: RTCTrackEvent) => {
      mediaStream.addTrack(event.track);
      const remote = tracks.find((t) => t.kind === event.track.kind);
      if (remote) {
        remote.mediaStreamTrack = event.track;
        event.track.enabled = remote.enabled;
        remote.emit('subscribed', event.track);
      }
    });
    if (!endpoint) {
      pc.close();
      await this.signal.request('unsubscribe', { subscriptionId: offer.subscriptionId }).catch(() => undefined);
      throw new RequestError('ENDPOINT_NOT_FOUND', `no endpoint "${endpointId}" in the room`);
    }
    const subscription = new Subscription({
      id: offer.subscriptionId,
      endpoint,
      tag,
      mediaStream,
      pc,
      unsubscribe: async (s) => {
        this.endSubscription(s.id, 'unsubscribed');
        if (!this.signal.closed) await this.signal.request('unsubscribe', { subscriptionId: s.id }).catch(() => undefined);
      },
    });
    this.subscriptions.set(subscription.id, subscription);
    try {
      await pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
      await pc.setLocalDescription(await pc.createAnswer());
      await iceGatheringComplete(pc);
      await this.signal.request('subscription.answer', { subscriptionId: subscription.id, sdp: pc.localDescription?.sdp ?? '' });
      for (const track of tracks) {
        if (!track.enabled) await this.setTrackPaused(endpointId, tag, track.kind, true);
      }
    } catch (error) {
      this.endSubscription(subscription.id, 'failed');
      await this.signal.request('unsubscribe', { subscriptionId: subscription.id }).catch(() => undefined);
      throw error;
    }
    return subscription;
  }

  /**
   * Gives the connection a new access token for the same room and endpoint before the current
   * one expires (the server removes an endpoint whose token expired). Not needed when `join`
   * was given a `refreshToken`: the SDK then refreshes by itself. Resolves with the new expiry.
   */
  async updateToken(token: string): Promise<Date> {
    const expiresAt = await this.applyToken(token);
    this.refresher?.schedule(token);
    this.emit('token.refreshed', { token, expiresAt });
    return expiresAt;
  }

  /** Leaves the room: stops publishing and receiving and closes the connection. */
  async leave(): Promise<void> {
    if (this.finished_) return;
    try {
      if (!this.signal.closed) await this.signal.request('leave', {});
    } catch {
      // Leaving works even when the server is already gone.
    }
    this.finish('left');
  }

  private async applyToken(token: string): Promise<Date> {
    this.assertActive();
    const { expiresAt } = await this.signal.request('token.refresh', { token });
    return new Date(expiresAt);
  }

  private startRefreshing(url: string, token: string, refreshToken: string, fetchImpl: typeof fetch | undefined): void {
    const doFetch = fetchImpl ?? globalThis.fetch?.bind(globalThis);
    if (!doFetch) {
      this.emit('error', new ConnectionError(ConnectionErrorReason.Unsupported, 'no fetch: pass { fetch } to join() to refresh tokens'));
      return;
    }
    this.refresher = new TokenRefresher({
      url,
      refreshToken,
      fetch: doFetch,
      apply: (fresh) => this.applyToken(fresh),
      onRefreshed: (event) => this.emit('token.refreshed', event),
      onError: (error) => this.emit('error', error),
    });
    this.refresher.schedule(token);
  }

  private async setTrackPaused(endpointId: string, tag: string, kind: TrackKind, paused: boolean): Promise<void> {
    for (const subscription of this.subscriptions.values()) {
      if (subscription.endpoint.id === endpointId && subscription.tag === tag) {
        await this.signal.request('subscription.setPaused', { subscriptionId: subscription.id, kind, paused });
      }
    }
  }

  private listen(): void {
    const s = this.signal;
    s.on('endpoint.joined', ({ endpoint: info }) => {
      const endpoint = new RemoteEndpoint(info, this.trackControl);
      this.endpointsById.set(endpoint.id, endpoint);
      this.emit('endpoint.joined', endpoint);
      this.onEndpointJoined?.(endpoint);
    });
    s.on('endpoint.left', ({ endpointId, reason }) => {
      const endpoint = this.endpointsById.get(endpointId);
      if (!endpoint) return;
      this.endpointsById.delete(endpointId);
      for (const subscription of [...this.subscriptions.values()]) {
        if (subscription.endpoint === endpoint) this.endSubscription(subscription.id, 'endpoint-left');
      }
      for (const stream of endpoint.streams) endpoint.removeStream(stream.tag);
      this.emit('endpoint.left', endpoint, reason);
      this.onEndpointLeft?.(endpoint, reason);
    });
    s.on('stream.published', ({ endpointId, stream }) => {
      const endpoint = this.endpointsById.get(endpointId);
      if (!endpoint) return;
      endpoint.addStream(stream);
      this.emit('stream.published', endpoint, stream);
    });
    s.on('stream.unpublished', ({ endpointId, tag }) => {
      const endpoint = this.endpointsById.get(endpointId);
      if (!endpoint) return;
      for (const subscription of [...this.subscriptions.values()]) {
        if (subscription.endpoint === endpoint && subscription.tag === tag) this.endSubscription(subscription.id, 'unpublished');
      }
      endpoint.removeStream(tag);
      this.emit('stream.unpublished', endpoint, tag);
    });
    s.on('track.updated', ({ endpointId, tag, track }) => {
      const endpoint = this.endpointsById.get(endpointId);
      const remote = endpoint?.updateTrack(tag, track);
      if (endpoint && remote) this.emit('track.updated', endpoint, remote);
    });
    s.on('subscription.ended', ({ subscriptionId, reason }) => this.endSubscription(subscriptionId, reason));
    s.on('room.finished', ({ reason }) => this.finish(reason));
    s.on('close', () => this.finish('disconnected'));
  }

  private endSubscription(id: string, reason: string): void {
    const subscription = this.subscriptions.get(id);
    if (!subscription) return;
    this.subscriptions.delete(id);
    for (const track of subscription.endpoint.tracksOf(subscription.tag)) {
      track.mediaStreamTrack = null;
      track.emit('unsubscribed');
    }
    subscription.end(reason);
  }

  private finish(reason: FinishReason): void {
    if (this.finished_) return;
    this.finished_ = reason;
    this.refresher?.close();
    for (const id of [...this.subscriptions.keys()]) this.endSubscription(id, 'room-finished');
    for (const stream of this.published.values()) stream.close();
    this.published.clear();
    this.signal.close();
    this.emit('finished', reason);
    this.onFinished?.(reason);
  }

  private assertActive(): void {
    if (this.finished_) throw new ConnectionError(ConnectionErrorReason.Closed, `the room has finished (${this.finished_})`);
  }
}
