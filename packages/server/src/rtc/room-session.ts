/**
 * @module One live room session: who is connected, what they publish and receive. Every change
 * is applied here and fanned out to the other endpoints as a notification.
 */
import { randomUUID } from 'node:crypto';
import {
  AtriumError,
  ErrorCode,
  TypedEmitter,
  hasPermission,
  SELF_POSITION_KEY,
  layoutNames,
  layoutStreamKey,
  memberUpdatableFields,
  type ChatMessageEvent,
  type CurrentLayout,
  type FinishReason,
  type LeaveReason,
  type MemberState,
  type MemberUpdatedEvent,
  type Meta,
  type Permission,
  type RoomJoinedEvent,
  type RoomState,
  type RoomUpdatableField,
  type RoomUpdatedEvent,
  type VideoPosition,
  type VideoPositions,
  type SignalNotification,
  type SignalNotificationParams,
  type StreamInfo,
  type TrackKind,
} from '@atrium/protocol';
import type { Sfu } from '../sfu/sfu.js';
import type { Publisher } from '../sfu/publisher.js';
import type { RtpIngest } from '../sfu/rtp-ingest.js';
import { SessionLayout } from './layout-state.js';
import { SessionTalking } from './talking.js';
import { RoomSettings, applyMetaChange, checkChatMessage, type MetaChange } from './room-settings.js';
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
  /** The room's layout when the session opens (default `grid-responsive`). */
  layout?: string;
  /** Whether members may send chat messages (the room's `enableChat`; default true). */
  enableChat?: boolean;
}

/** Why layout-relevant state changed (see `RoomSession.layoutStateChanged`). */
export type LayoutChangeReason =
  | 'member-joined'
  | 'member-left'
  | 'member-updated'
  | 'layout'
  | 'positions'
  | 'hide-video-muted'
  | 'streams'
  | 'talking';

/** Who asks for a member change: an endpoint of the session, or the room (REST API) when absent. */
export interface MemberActor {
  endpointId?: string;
  /** The actor may lift a mute the room imposed (it holds `room.member.*_unmute`). */
  mayLiftRoomMute?: boolean;
}

/** Member settings set with the level calls. */
export type MemberLevel = 'inputVolume' | 'outputVolume' | 'inputSensitivity';

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
  /** Something a layout depends on changed (members, positions, layout name, visibility, talking). */
  'layout.state': [reason: LayoutChangeReason];
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
  /** Room state beyond the endpoints (the reference's room entity). */
  private readonly roomSettings: RoomSettings;
  private readonly talking = new SessionTalking((endpointId, talking) => this.setMemberTalking(endpointId, talking));
  private readonly layout = new SessionLayout();

  constructor(options: RoomSessionOptions, sfu: Sfu) {
    super();
    this.roomSettings = new RoomSettings(options);
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
  join(identity: { id: string; name: string; meta?: Meta; permissions?: readonly Permission[] }, connection: EndpointConnection): Endpoint {
    if (this.ended_) throw new AtriumError(ErrorCode.ROOM_DISABLED, 'the room session has ended');
    const existing = this.endpoints.get(identity.id);
    if (this.roomSettings.locked && !existing) {
      throw new AtriumError(ErrorCode.ROOM_LOCKED, 'the room session is locked: no new endpoint may join');
    }
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
    const endpoint = new Endpoint(identity.id, identity.name, connection, identity.meta, identity.permissions);
    const assigned = this.roomSettings.positions.get(endpoint.id);
    if (assigned) endpoint.settings.position = assigned;
    this.endpoints.set(endpoint.id, endpoint);
    this.broadcast('endpoint.joined', { endpoint: endpoint.info() }, endpoint.id);
    this.broadcast('member.joined', { ...this.ref(), member: this.memberOf(endpoint) }, endpoint.id);
    this.emit('endpoint.joined', endpoint);
    // The joiner gets the layout in its join answer (`joinedState`).
    this.layoutStateChanged('member-joined', endpoint.id);
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
    this.talking.forget(endpointId);
    this.broadcast('endpoint.left', { endpointId, reason });
    this.broadcast('member.left', {
      ...this.ref(),
      member: { id: endpointId, type: 'member', name: endpoint.name, ...this.ref() },
      reason,
    });
    this.emit('endpoint.left', endpoint, reason);
    this.layoutStateChanged('member-left');
    if (this.endpoints.size === 0 && !this.ended_) this.startEmptyTimer();
  }

  async publish(endpointId: string, tag: string, offerSdp: string): Promise<{ sdp: string; stream: StreamInfo }> {
    const endpoint = this.requireEndpoint(endpointId);
    if (endpoint.streams.has(tag)) {
      throw new AtriumError(ErrorCode.STREAM_EXISTS, `a stream tagged "${tag}" is already published`);
    }
    const { publisher, answerSdp } = await this.sfu.publish(offerSdp);
    return { sdp: answerSdp, stream: this.addStream(endpoint, tag, publisher) };
  }

  /**
   * Publishes a stream fed plain RTP on loopback (a playback's ffmpeg) for `endpointId`; resolves
   * with the ingest that tells the sender where to write. Subscribers see an ordinary stream.
   */
  async publishIngest(endpointId: string, tag: string, kinds: readonly TrackKind[]): Promise<{ ingest: RtpIngest; stream: StreamInfo }> {
    const endpoint = this.requireEndpoint(endpointId);
    if (endpoint.streams.has(tag)) {
      throw new AtriumError(ErrorCode.STREAM_EXISTS, `a stream tagged "${tag}" is already published`);
    }
    const { publisher, ingest } = await this.sfu.ingest(kinds);
    return { ingest, stream: this.addStream(endpoint, tag, publisher) };
  }

  private addStream(endpoint: Endpoint, tag: string, publisher: Publisher): StreamInfo {
    const endpointId = endpoint.id;
    // The endpoint may have left, or published the same tag, while the publisher was made.
    if (this.endpoints.get(endpointId) !== endpoint || endpoint.streams.has(tag)) {
      publisher.close();
      throw new AtriumError(ErrorCode.STREAM_EXISTS, `the stream "${tag}" could not be published`);
    }
    const stream: PublishedStream = { tag, publisher, muted: new Map() };
    for (const kind of ['audio', 'video'] as const) if (endpoint.isMuted(kind)) publisher.tracks.get(kind)?.setBlocked(true);
    endpoint.streams.set(tag, stream);
    const audio = publisher.tracks.get('audio');
    if (audio) this.talking.watch(endpointId, tag, audio, endpoint.settings.inputSensitivity);
    publisher.on('layers', (active) => {
      if (endpoint.streams.get(tag) === stream) endpoint.connection.notify('stream.layers', { tag, active });
    });
    publisher.on('close', () => {
      if (endpoint.streams.get(tag) !== stream) return;
      endpoint.streams.delete(tag);
      this.talking.unwatch(endpointId, tag);
      if (this.endpoints.get(endpointId) === endpoint) {
        this.broadcast('stream.unpublished', { endpointId, tag }, endpointId);
      }
      this.emit('stream.unpublished', endpoint, tag);
      this.layoutStateChanged('streams');
    });
    const info = endpoint.streamInfo(stream);
    this.broadcast('stream.published', { endpointId, stream: info }, endpointId);
    this.emit('stream.published', endpoint, info);
    this.layoutStateChanged('streams');
    return info;
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
    if (!muted && endpoint.selfMuted.has(kind)) {
      // Enabling the track is the endpoint unmuting itself.
      const before = this.memberOf(endpoint);
      endpoint.selfMuted.delete(kind);
      stream.muted.set(kind, false);
      this.applyMute(endpoint, kind, false);
      this.memberChanged(endpoint, before);
      return;
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
      clientPaused: new Set(),
    };
    endpoint.subscriptions.set(subscription.id, subscription);
    // A deaf endpoint receives no audio, from new subscriptions either.
    if (endpoint.settings.deaf) this.applyPaused(endpoint, subscription, 'audio');
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

  /** ICE restart of a published stream: applies the endpoint's new offer, answers. */
  async restartStreamIce(endpointId: string, tag: string, offerSdp: string): Promise<{ sdp: string }> {
    const stream = this.requireStream(this.requireEndpoint(endpointId), tag);
    return { sdp: await stream.publisher.restartIce(offerSdp) };
  }

  /** ICE restart of a subscription: a new offer for the endpoint to answer (`answerSubscription`). */
  async restartSubscriptionIce(endpointId: string, subscriptionId: string): Promise<{ sdp: string }> {
    return { sdp: await this.requireSubscription(endpointId, subscriptionId).subscriber.restartIce() };
  }

  async answerSubscription(endpointId: string, subscriptionId: string, sdp: string): Promise<void> {
    await this.requireSubscription(endpointId, subscriptionId).subscriber.setAnswer(sdp);
  }

  setSubscriptionPaused(endpointId: string, subscriptionId: string, kind: TrackKind, paused: boolean): void {
    const subscription = this.requireSubscription(endpointId, subscriptionId);
    if (!subscription.subscriber.publisher.tracks.has(kind)) {
      throw new AtriumError(ErrorCode.VALIDATION_FAILED, `the stream has no ${kind} track`);
    }
    if (paused) subscription.clientPaused.add(kind);
    else subscription.clientPaused.delete(kind);
    this.applyPaused(this.requireEndpoint(endpointId), subscription, kind);
  }

  setSubscriptionVideoSize(endpointId: string, subscriptionId: string, width: number, height: number): void {
    this.requireSubscription(endpointId, subscriptionId).subscriber.setVideoSize(width, height);
  }

  unsubscribe(endpointId: string, subscriptionId: string): void {
    const subscription = this.requireSubscription(endpointId, subscriptionId);
    subscription.endReason = 'unsubscribed';
    subscription.subscriber.close();
  }

  /**
   * Mutes (or unmutes) an endpoint's audio or video on the server: the SFU stops forwarding it,
   * whatever its client does, and everyone (the endpoint included) is told. Used by the REST API.
   */
  setEndpointMuted(endpointId: string, kind: TrackKind, muted: boolean): void {
    this.setMemberMuted(endpointId, kind, muted, { mayLiftRoomMute: true });
  }

  /**
   * `audioMute`/`videoMute` and their unmutes, of oneself or another member. A mute by another
   * member or the room holds against the member's own unmute unless `actor.mayLiftRoomMute`.
   * Either way the SFU stops forwarding the muted kind; the target's client is told to match.
   */
  setMemberMuted(targetId: string, kind: TrackKind, muted: boolean, actor: MemberActor): void {
    const endpoint = this.requireMember(targetId);
    const self = actor.endpointId === targetId;
    const before = this.memberOf(endpoint);
    if (muted) {
      (self ? endpoint.selfMuted : endpoint.serverMuted).add(kind);
    } else {
      if (self && endpoint.serverMuted.has(kind) && !actor.mayLiftRoomMute) {
        throw new AtriumError(ErrorCode.PERMISSION_DENIED, `the ${kind} of this endpoint was muted by the room; it cannot unmute itself`);
      }
      endpoint.selfMuted.delete(kind);
      endpoint.serverMuted.delete(kind);
    }
    this.applyMute(endpoint, kind, !muted);
    if (!self) {
      endpoint.connection.notify('member.media', {
        kind,
        muted,
        cause: 'mute',
        ...(actor.endpointId === undefined ? {} : { by: actor.endpointId }),
      });
    }
    this.memberChanged(endpoint, before);
    if (kind === 'audio' && muted) this.audioSilenced(endpoint);
  }

  /** Blocked audio reaches no level monitor: the member stops talking now (`member.talking`), not after the monitors' silence timeout. */
  private audioSilenced(endpoint: Endpoint): void {
    this.talking.silence(endpoint.id);
  }

  /**
   * `deaf`/`undeaf`: a deaf member receives no audio (the SFU pauses its audio subscriptions,
   * which its client cannot resume) and its microphone is muted; undeaf reverses both.
   */
  setMemberDeaf(targetId: string, deaf: boolean, actor: MemberActor): void {
    const endpoint = this.requireMember(targetId);
    const self = actor.endpointId === targetId;
    const before = this.memberOf(endpoint);
    endpoint.settings.deaf = deaf;
    for (const subscription of endpoint.subscriptions.values()) this.applyPaused(endpoint, subscription, 'audio');
    if (deaf) {
      (self ? endpoint.selfMuted : endpoint.serverMuted).add('audio');
    } else {
      endpoint.selfMuted.delete('audio');
      endpoint.serverMuted.delete('audio');
    }
    this.applyMute(endpoint, 'audio', !deaf);
    if (!self) {
      endpoint.connection.notify('member.media', {
        kind: 'audio',
        muted: deaf,
        cause: 'deaf',
        ...(actor.endpointId === undefined ? {} : { by: actor.endpointId }),
      });
    }
    this.memberChanged(endpoint, before);
    if (deaf) this.audioSilenced(endpoint);
  }

  /** Input/output volume (-50..50) or input sensitivity (0..100), applied by the target's SDK. */
  setMemberLevel(targetId: string, level: MemberLevel, value: number): void {
    const endpoint = this.requireMember(targetId);
    const before = this.memberOf(endpoint);
    endpoint.settings[level] = value;
    if (level === 'inputSensitivity') this.talking.setSensitivity(targetId, value);
    this.memberChanged(endpoint, before);
  }

  /** Whether the member is talking (set from audio levels); `member.talking` on change. */
  setMemberTalking(targetId: string, talking: boolean): void {
    const endpoint = this.endpoints.get(targetId);
    if (!endpoint || endpoint.settings.talking === talking) return;
    endpoint.settings.talking = talking;
    this.broadcast('member.talking', { ...this.ref(), member: { id: targetId, ...this.ref(), talking } });
    this.layoutStateChanged('talking');
  }

  /** Replaces, merges into, or deletes keys of a member's metadata (META_TOO_LARGE over 16 KiB). */
  changeMemberMeta(targetId: string, change: MetaChange): void {
    const endpoint = this.requireMember(targetId);
    const before = this.memberOf(endpoint);
    endpoint.settings.meta = applyMetaChange(endpoint.settings.meta, change, 'member');
    this.memberChanged(endpoint, before);
  }

  getMemberMeta(targetId: string): Meta {
    return this.requireMember(targetId).settings.meta;
  }

  /** Replaces, merges into, or deletes keys of the room session's metadata. */
  changeRoomMeta(change: MetaChange): void {
    const next = applyMetaChange(this.roomSettings.meta, change, 'room');
    if (JSON.stringify(next) === JSON.stringify(this.roomSettings.meta)) return;
    this.roomSettings.meta = next;
    this.roomChanged(['meta']);
  }

  get roomMeta(): Meta {
    return this.roomSettings.meta;
  }

  get layoutName(): string {
    return this.roomSettings.layoutName;
  }

  /** Member id → assigned position (members without one are `auto`). */
  get positions(): ReadonlyMap<string, VideoPosition> {
    return this.roomSettings.positions;
  }

  get hideVideoMuted(): boolean {
    return this.roomSettings.hideVideoMuted;
  }

  get locked(): boolean {
    return this.roomSettings.locked;
  }

  /** The layouts `setLayout` accepts. */
  listLayouts(): string[] {
    return [...layoutNames];
  }

  /** Switches the layout (a name from `listLayouts`), optionally assigning positions at once. */
  setLayout(name: string, positions: VideoPositions | undefined, callerId: string): void {
    if (!(layoutNames as readonly string[]).includes(name)) {
      throw new AtriumError(ErrorCode.VALIDATION_FAILED, `unknown layout "${name}"`);
    }
    const resolved = positions ? this.resolvePositions(positions, callerId) : [];
    const changed: RoomUpdatableField[] = [];
    if (this.roomSettings.layoutName !== name) {
      this.roomSettings.layoutName = name;
      changed.push('layout_name');
    }
    if (this.assignPositions(resolved)) changed.push('positions');
    if (changed.length > 0) this.roomChanged(changed, 'layout');
  }

  /** Assigns positions to several members (`self` is the caller). */
  setPositions(positions: VideoPositions, callerId: string): void {
    if (this.assignPositions(this.resolvePositions(positions, callerId))) this.roomChanged(['positions'], 'positions');
  }

  setMemberPosition(targetId: string, position: VideoPosition): void {
    this.requireMember(targetId);
    if (this.assignPositions([[targetId, position]])) this.roomChanged(['positions'], 'positions');
  }

  setHideVideoMuted(value: boolean): void {
    if (this.roomSettings.hideVideoMuted === value) return;
    this.roomSettings.hideVideoMuted = value;
    this.roomChanged(['hide_video_muted'], 'hide-video-muted');
  }

  /** While locked, no new endpoint may join (`ROOM_LOCKED`); those inside stay. */
  setLocked(locked: boolean): void {
    if (this.roomSettings.locked === locked) return;
    this.roomSettings.locked = locked;
    this.roomChanged(['locked']);
  }

  /** Sends a chat message to everyone, or to `to` (and back to the sender). */
  sendChat(fromId: string, content: string | Record<string, unknown>, to?: string): { id: string; sent_at: string } {
    const from = this.requireEndpoint(fromId);
    checkChatMessage(this.roomSettings, content);
    const recipient = to === undefined ? undefined : this.requireMember(to);
    const message: ChatMessageEvent = {
      ...this.ref(),
      id: randomUUID(),
      from: { id: from.id, name: from.name },
      ...(to === undefined ? {} : { to }),
      content,
      sent_at: new Date().toISOString(),
    };
    if (recipient) {
      recipient.connection.notify('chat.message', message);
      if (recipient !== from) from.connection.notify('chat.message', message);
    } else {
      this.broadcast('chat.message', message);
    }
    return { id: message.id, sent_at: message.sent_at };
  }

  /** The reference's member entities, in join order. */
  listMembers(): MemberState[] {
    return this.listEndpoints().map((e) => this.memberOf(e));
  }

  roomState(): RoomState {
    return this.roomSettings.toState({ roomId: this.roomId, sessionId: this.id, name: this.title ?? this.roomId });
  }

  /** What the SDK emits as `room.joined` for `endpointId`. */
  joinedState(endpointId: string): RoomJoinedEvent {
    return {
      room_session: { ...this.roomState(), members: this.listMembers() },
      call_id: endpointId,
      member_id: endpointId,
      layout: this.currentLayout(),
    };
  }

  /** The layout as it stands: its name and layers for the live view (also what egress composes). */
  currentLayout(): CurrentLayout {
    return { ...this.layout.current, ...this.ref() };
  }

  /** The member featured by speaker-driven layouts (the loudest talker lately). */
  get activeSpeaker(): string | undefined {
    return this.talking.activeSpeaker;
  }

  /**
   * Called whenever something a layout depends on changes: members join or leave, publish or
   * unpublish, become visible or hidden, talk; the layout name, positions or hide-video-muted
   * change. Recomputes the layers and sends `layout.changed` to everyone when they moved.
   */
  protected layoutStateChanged(reason: LayoutChangeReason, exceptEndpointId?: string): void {
    const changed = this.layout.update({
      layoutName: this.roomSettings.layoutName,
      members: this.listEndpoints().map((endpoint) => ({ state: this.memberOf(endpoint), streamTags: [...endpoint.streams.keys()] })),
      positions: this.roomSettings.positions,
      hideVideoMuted: this.roomSettings.hideVideoMuted,
      activeSpeakerId: this.talking.activeSpeaker,
    });
    if (changed) this.broadcast('layout.changed', { ...this.ref(), layout: this.currentLayout() }, exceptEndpointId);
    this.emit('layout.state', reason);
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
    this.talking.close();
    this.emit('ended', reason);
    this.removeAllListeners();
  }

  private ref(): { room_id: string; room_session_id: string } {
    return { room_id: this.roomId, room_session_id: this.id };
  }

  private memberOf(endpoint: Endpoint): MemberState {
    return endpoint.member({ roomId: this.roomId, sessionId: this.id });
  }

  private requireMember(endpointId: string): Endpoint {
    const endpoint = this.endpoints.get(endpointId);
    if (!endpoint) throw new AtriumError(ErrorCode.ENDPOINT_NOT_FOUND, `no member "${endpointId}" in this room session`);
    return endpoint;
  }

  /** Blocks (or lets through) the kind on every stream of the endpoint and tells everyone. */
  private applyMute(endpoint: Endpoint, kind: TrackKind, clearTrackMute: boolean): void {
    const muted = endpoint.isMuted(kind);
    for (const stream of endpoint.streams.values()) {
      const track = stream.publisher.tracks.get(kind);
      if (!track) continue;
      track.setBlocked(muted);
      if (clearTrackMute && !muted) stream.muted.set(kind, false);
      const info = { id: `${stream.tag}:${kind}`, kind, muted: (stream.muted.get(kind) ?? false) || muted };
      this.broadcast('track.updated', { endpointId: endpoint.id, tag: stream.tag, track: info });
    }
  }

  /** A subscription's kind is paused when its client asked, or (audio) while its endpoint is deaf. */
  private applyPaused(endpoint: Endpoint, subscription: Subscription, kind: TrackKind): void {
    if (!subscription.subscriber.publisher.tracks.has(kind)) return;
    const paused = subscription.clientPaused.has(kind) || (kind === 'audio' && endpoint.settings.deaf);
    subscription.subscriber.setPaused(kind, paused);
  }

  /** Broadcasts `member.updated` with the fields that differ from `before`. */
  private memberChanged(endpoint: Endpoint, before: MemberState): void {
    const after = this.memberOf(endpoint);
    const updated = memberUpdatableFields.filter((f) => JSON.stringify(before[f]) !== JSON.stringify(after[f]));
    if (updated.length === 0) return;
    const member: MemberUpdatedEvent['member'] = { id: endpoint.id, type: 'member', ...this.ref(), updated };
    for (const field of updated) Object.assign(member, { [field]: after[field] });
    this.broadcast('member.updated', { ...this.ref(), member });
    if (updated.some((f) => f === 'visible' || f === 'video_muted' || f === 'position')) this.layoutStateChanged('member-updated');
  }

  /** Broadcasts `room.updated` with the given fields' current values. */
  private roomChanged(updated: RoomUpdatableField[], layoutReason?: LayoutChangeReason): void {
    const state = this.roomState();
    const room: RoomUpdatedEvent['room'] = { ...this.ref(), updated };
    for (const field of updated) Object.assign(room, { [field]: state[field] });
    this.broadcast('room.updated', { ...this.ref(), room });
    if (layoutReason) this.layoutStateChanged(layoutReason);
  }

  /**
   * Keys are a member id (its primary stream) or `<memberId>:<streamTag>` (one stream); `self`
   * stands for the caller. Every named member must be in the session.
   */
  private resolvePositions(positions: VideoPositions, callerId: string): Array<[string, VideoPosition]> {
    return Object.entries(positions).map(([key, position]) => {
      if (key === SELF_POSITION_KEY) return [callerId, position];
      if (this.endpoints.has(key)) return [key, position];
      const split = key.lastIndexOf(':');
      const member = split > 0 ? key.slice(0, split) : key;
      const id = member === SELF_POSITION_KEY ? callerId : member;
      this.requireMember(id);
      return [layoutStreamKey(id, key.slice(split + 1)), position];
    });
  }

  /** Stores positions (`auto` clears an assignment) and sends `member.updated`; true when any changed. */
  private assignPositions(entries: Array<[string, VideoPosition]>): boolean {
    let changed = false;
    for (const [id, position] of entries) {
      const current = this.roomSettings.positions.get(id) ?? 'auto';
      if (current === position) continue;
      changed = true;
      if (position === 'auto') this.roomSettings.positions.delete(id);
      else this.roomSettings.positions.set(id, position);
      const endpoint = this.endpoints.get(id);
      if (endpoint) {
        const before = this.memberOf(endpoint);
        endpoint.settings.position = position;
        this.memberChanged(endpoint, before);
      }
    }
    return changed;
  }

  private startEmptyTimer(): void {
    clearTimeout(this.emptyTimer);
    this.emptyTimer = setTimeout(() => this.end('timeout'), this.options.emptyTimeoutSeconds * 1000);
    this.emptyTimer.unref();
  }

  /** Tells every endpoint of the session (what other services report, e.g. recordings). */
  /**
   * Tells every endpoint — or, with `audience`, those whose token holds one of its permissions
   * (the reference sends `recording.*` only to `room.recording` holders, and so on).
   */
  announce<N extends SignalNotification>(method: N, params: SignalNotificationParams<N>, audience?: readonly Permission[]): void {
    for (const endpoint of this.endpoints.values()) {
      if (!audience || audience.some((permission) => hasPermission(endpoint.permissions, permission))) endpoint.connection.notify(method, params);
    }
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

