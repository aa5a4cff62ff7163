/**
 * @module One live room session: who is connected, what they publish and receive. Every change
 * is applied here and fanned out to the other endpoints as a notification.
 */
import { randomUUID } from 'node:crypto';
import {
  AtriumError,
  ErrorCode,
  TypedEmitter,
  type FinishReason,
  type LeaveReason,
  type SignalNotification,
  type SignalNotificationParams,
  type StreamInfo,
  type TrackKind,
} from '@atrium/protocol';
import type { Sfu } from '../sfu/sfu.js';
import { Endpoint, type EndpointConnection, type PublishedStream, type Subscription } from './endpoint.js';

export interface RoomSessionOptions {
  /** Set when the session is persisted before it opens; a new UUID otherwise. */
  id?: string;
  roomId: string;
  title: string | null;
  /** Most endpoints at once; null for no limit. */
  maxEndpoints: number | null;
  /** Seconds the session waits, once empty, before it ends. */
  emptyTimeoutSeconds: number;
  /** Longest the session may last, in seconds; null for no limit. */
  maxDurationSeconds: number | null;
  /** Seconds after which the room's auto-close ends the session; null for none. */
  autoCloseSeconds: number | null;
}

/** Why a room session ended (stored, and sent in `session-ended`). */
export type SessionEndReason =
  | 'timeout'
  | 'max-duration'
  | 'auto-close'
  | 'ended'
  | 'all-removed'
  | 'room-deleted'
  | 'server-shutdown';

export type RoomSessionEvents = {
  'endpoint.joined': [endpoint: Endpoint];
  'endpoint.left': [endpoint: Endpoint, reason: LeaveReason];
  'stream.published': [endpoint: Endpoint, stream: StreamInfo];
  'stream.unpublished': [endpoint: Endpoint, tag: string];
  ended: [reason: SessionEndReason];
};

const finishReasonFor: Record<SessionEndReason, FinishReason> = {
  timeout: 'session-ended',
  'max-duration': 'max-duration',
  'auto-close': 'auto-close',
  ended: 'session-ended',
  'all-removed': 'kicked',
  'room-deleted': 'session-ended',
  'server-shutdown': 'server-shutdown',
};

export class RoomSession extends TypedEmitter<RoomSessionEvents> {
  readonly id: string;
  readonly startedAt = new Date();
  readonly roomId: string;
  readonly title: string | null;
  private readonly options: RoomSessionOptions;
  private readonly sfu: Sfu;
  private readonly endpoints = new Map<string, Endpoint>();
  private emptyTimer: NodeJS.Timeout | undefined;
  private readonly durationTimer: NodeJS.Timeout | undefined;
  private readonly autoCloseTimer: NodeJS.Timeout | undefined;
  private ended_ = false;

  constructor(options: RoomSessionOptions, sfu: Sfu) {
    super();
    this.id = options.id ?? randomUUID();
    this.options = options;
    this.roomId = options.roomId;
    this.title = options.title;
    this.sfu = sfu;
    if (options.maxDurationSeconds !== null) {
      this.durationTimer = setTimeout(() => this.end('max-duration'), options.maxDurationSeconds * 1000);
      this.durationTimer.unref();
    }
    if (options.autoCloseSeconds !== null) {
      this.autoCloseTimer = setTimeout(() => this.end('auto-close'), options.autoCloseSeconds * 1000);
      this.autoCloseTimer.unref();
    }
  }

  get ended(): boolean {
    return this.ended_;
  }

  get endpointCount(): number {
    return this.endpoints.size;
  }

  getEndpoint(id: string): Endpoint | undefined {
    return this.endpoints.get(id);
  }

  listEndpoints(): Endpoint[] {
    return [...this.endpoints.values()];
  }

  /** Adds an endpoint; one already connected with the same id is replaced (a page reload). */
  join(identity: { id: string; name: string }, connection: EndpointConnection): Endpoint {
    if (this.ended_) throw new AtriumError(ErrorCode.ROOM_DISABLED, 'the room session has ended');
    const existing = this.endpoints.get(identity.id);
    const others = this.endpoints.size - (existing ? 1 : 0);
    if (this.options.maxEndpoints !== null && others >= this.options.maxEndpoints) {
      throw new AtriumError(ErrorCode.ROOM_FULL, `the room allows at most ${this.options.maxEndpoints} endpoints`);
    }
    if (existing) {
      this.leave(existing.id, 'replaced');
      existing.connection.finished('replaced');
    }
    clearTimeout(this.emptyTimer);
    this.emptyTimer = undefined;
    const endpoint = new Endpoint(identity.id, identity.name, connection);
    this.endpoints.set(endpoint.id, endpoint);
    this.broadcast('endpoint.joined', { endpoint: endpoint.info() }, endpoint.id);
    this.emit('endpoint.joined', endpoint);
    return endpoint;
  }

  /** Removes an endpoint with everything it publishes and receives; idempotent. */
  leave(endpointId: string, reason: LeaveReason): void {
    const endpoint = this.endpoints.get(endpointId);
    if (!endpoint) return;
    this.endpoints.delete(endpointId);
    for (const subscription of [...endpoint.subscriptions.values()]) {
      subscription.endReason = 'endpoint-left';
      subscription.subscriber.close();
    }
    for (const stream of [...endpoint.streams.values()]) stream.publisher.close();
    this.broadcast('endpoint.left', { endpointId, reason });
    this.emit('endpoint.left', endpoint, reason);
    if (this.endpoints.size === 0 && !this.ended_) this.startEmptyTimer();
  }

  async publish(endpointId: string, tag: string, offerSdp: string): Promise<{ sdp: string; stream: StreamInfo }> {
    const endpoint = this.requireEndpoint(endpointId);
    if (endpoint.streams.has(tag)) {
      throw new AtriumError(ErrorCode.STREAM_EXISTS, `a stream tagged "${tag}" is already published`);
    }
    const { publisher, answerSdp } = await this.sfu.publish(offerSdp);
    // The endpoint may have left, or published the same tag, while werift negotiated.
    if (this.endpoints.get(endpointId) !== endpoint || endpoint.streams.has(tag)) {
      publisher.close();
      throw new AtriumError(ErrorCode.STREAM_EXISTS, `the stream "${tag}" could not be published`);
    }
    const stream: PublishedStream = { tag, publisher, muted: new Map() };
    for (const kind of endpoint.serverMuted) publisher.tracks.get(kind)?.setBlocked(true);
    endpoint.streams.set(tag, stream);
    publisher.on('close', () => {
      if (endpoint.streams.get(tag) !== stream) return;
      endpoint.streams.delete(tag);
      if (this.endpoints.get(endpointId) === endpoint) {
        this.broadcast('stream.unpublished', { endpointId, tag }, endpointId);
      }
      this.emit('stream.unpublished', endpoint, tag);
    });
    const info = endpoint.streamInfo(stream);
    this.broadcast('stream.published', { endpointId, stream: info }, endpointId);
    this.emit('stream.published', endpoint, info);
    return { sdp: answerSdp, stream: info };
  }

  unpublish(endpointId: string, tag: string): void {
    this.requireStream(this.requireEndpoint(endpointId), tag).publisher.close();
  }

  setTrackMuted(endpointId: string, tag: string, kind: TrackKind, muted: boolean): void {
    const endpoint = this.requireEndpoint(endpointId);
    const stream = this.requireStream(endpoint, tag);
    if (!stream.publisher.tracks.has(kind)) {
      throw new AtriumError(ErrorCode.VALIDATION_FAILED, `stream "${tag}" has no ${kind} track`);
    }
    if (!muted && endpoint.serverMuted.has(kind)) {
      throw new AtriumError(ErrorCode.PERMISSION_DENIED, `the ${kind} of this endpoint was muted by the room; it cannot unmute itself`);
    }
    if ((stream.muted.get(kind) ?? false) === muted) return;
    stream.muted.set(kind, muted);
    this.broadcast('track.updated', { endpointId, tag, track: { id: `${tag}:${kind}`, kind, muted } }, endpointId);
  }

  async subscribe(
    endpointId: string,
    target: { endpointId: string; tag: string },
  ): Promise<{ subscriptionId: string; sdp: string; stream: StreamInfo }> {
    const endpoint = this.requireEndpoint(endpointId);
    if (target.endpointId === endpointId) {
      throw new AtriumError(ErrorCode.VALIDATION_FAILED, 'an endpoint cannot subscribe to its own stream');
    }
    const publisherEndpoint = this.endpoints.get(target.endpointId);
    if (!publisherEndpoint) {
      throw new AtriumError(ErrorCode.ENDPOINT_NOT_FOUND, `no endpoint "${target.endpointId}" in this room session`);
    }
    const stream = this.requireStream(publisherEndpoint, target.tag);
    const { subscriber, offerSdp } = await this.sfu.subscribe(stream.publisher);
    if (this.endpoints.get(endpointId) !== endpoint) {
      subscriber.close();
      throw new AtriumError(ErrorCode.NOT_JOINED, 'the endpoint left the room session');
    }
    const subscription: Subscription = {
      id: subscriber.id,
      publisherEndpointId: target.endpointId,
      tag: target.tag,
      subscriber,
      endReason: 'unpublished',
    };
    endpoint.subscriptions.set(subscription.id, subscription);
    subscriber.on('close', () => {
      endpoint.subscriptions.delete(subscription.id);
      if (subscription.endReason !== 'endpoint-left') {
        endpoint.connection.notify('subscription.ended', {
          subscriptionId: subscription.id,
          reason: subscription.endReason,
        });
      }
    });
    return { subscriptionId: subscription.id, sdp: offerSdp, stream: publisherEndpoint.streamInfo(stream) };
  }

  async answerSubscription(endpointId: string, subscriptionId: string, sdp: string): Promise<void> {
    await this.requireSubscription(endpointId, subscriptionId).subscriber.setAnswer(sdp);
  }

  setSubscriptionPaused(endpointId: string, subscriptionId: string, kind: TrackKind, paused: boolean): void {
    this.requireSubscription(endpointId, subscriptionId).subscriber.setPaused(kind, paused);
  }

  unsubscribe(endpointId: string, subscriptionId: string): void {
    const subscription = this.requireSubscription(endpointId, subscriptionId);
    subscription.endReason = 'unsubscribed';
    subscription.subscriber.close();
  }

  /**
   * Mutes (or unmutes) an endpoint's audio or video on the server: the SFU stops forwarding it,
   * whatever its client does, and everyone (the endpoint included) is told.
   */
  setEndpointMuted(endpointId: string, kind: TrackKind, muted: boolean): void {
    const endpoint = this.requireEndpoint(endpointId);
    if (muted) endpoint.serverMuted.add(kind);
    else endpoint.serverMuted.delete(kind);
    for (const stream of endpoint.streams.values()) {
      const track = stream.publisher.tracks.get(kind);
      if (!track) continue;
      track.setBlocked(muted);
      if (!muted) stream.muted.set(kind, false);
      const info = { id: `${stream.tag}:${kind}`, kind, muted: (stream.muted.get(kind) ?? false) || muted };
      this.broadcast('track.updated', { endpointId, tag: stream.tag, track: info });
    }
  }

  /** Removes an endpoint on the room's behalf; it is told it was kicked. False when not here. */
  kick(endpointId: string): boolean {
    const endpoint = this.endpoints.get(endpointId);
    if (!endpoint) return false;
    this.leave(endpointId, 'kicked');
    endpoint.connection.finished('kicked');
    return true;
  }

  /** Ends the session: every endpoint is finished with the matching reason. Idempotent. */
  end(reason: SessionEndReason): void {
    if (this.ended_) return;
    this.ended_ = true;
    clearTimeout(this.emptyTimer);
    clearTimeout(this.durationTimer);
    clearTimeout(this.autoCloseTimer);
    const finish = finishReasonFor[reason];
    for (const endpoint of [...this.endpoints.values()]) {
      this.leave(endpoint.id, 'session-ended');
      endpoint.connection.finished(finish);
    }
    this.emit('ended', reason);
    this.removeAllListeners();
  }

  private startEmptyTimer(): void {
    clearTimeout(this.emptyTimer);
    this.emptyTimer = setTimeout(() => this.end('timeout'), this.options.emptyTimeoutSeconds * 1000);
    this.emptyTimer.unref();
  }

  private broadcast<N extends SignalNotification>(
    method: N,
    params: SignalNotificationParams<N>,
    exceptEndpointId?: string,
  ): void {
    for (const endpoint of this.endpoints.values()) {
      if (endpoint.id !== exceptEndpointId) endpoint.connection.notify(method, params);
    }
  }

  private requireEndpoint(endpointId: string): Endpoint {
    const endpoint = this.endpoints.get(endpointId);
    if (!endpoint) throw new AtriumError(ErrorCode.NOT_JOINED, 'the endpoint is not in this room session');
    return endpoint;
  }

  private requireStream(endpoint: Endpoint, tag: string): PublishedStream {
    const stream = endpoint.streams.get(tag);
    if (!stream) throw new AtriumError(ErrorCode.STREAM_NOT_FOUND, `endpoint "${endpoint.id}" publishes no stream "${tag}"`);
    return stream;
  }

  private requireSubscription(endpointId: string, subscriptionId: string): Subscription {
    const subscription = this.requireEndpoint(endpointId).subscriptions.get(subscriptionId);
    if (!subscription) throw new AtriumError(ErrorCode.SUBSCRIPTION_NOT_FOUND, `no subscription "${subscriptionId}"`);
    return subscription;
  }
}
