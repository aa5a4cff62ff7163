/**
 * @module The room as this client sees it: the other endpoints and their streams, what we
 * publish and receive, and the room's events. Made by `join()`.
 */
import {
  SIGNAL_PATH,
  TypedEmitter,
  type Listener,
  type EndpointInfo,
  type FinishReason,
  type LeaveReason,
  type MemberState,
  type Meta,
  type LiveStream,
  type Playback,
  type Recording,
  type RoomJoinedEvent,
  type RoomState,
  type SignalMethod,
  type SignalParams,
  type SignalResult,
  type TrackKind,
  type VideoPosition,
  type VideoPositions,
} from '@atrium/protocol';
import { ConnectionError, ConnectionErrorReason, RequestError } from './errors.js';
import { iceGatheringComplete, type Environment } from './environment.js';
import { LocalStream } from './local-stream.js';
import { LocalSource, displayMedia } from './local-source.js';
import { MemberList } from './member-list.js';
import { RemoteEndpoint, type TrackControl } from './remote-endpoint.js';
import { SignalClient, CONNECTION_LOST_CODE, type ConnectionState } from './signal-client.js';
import { watchIce } from './ice-watchdog.js';
import { Subscription } from './subscription.js';
import { RoomStage } from './room-stage.js';
import { RoomRecording } from './room-recording.js';
import { RoomStream } from './room-stream.js';
import { RoomSessionPlayback } from './room-playback.js';
import { TokenRefresher } from './token-refresher.js';
import { Logger, type LogLevel } from './logger.js';
import { LocalDevices } from './local-devices.js';
import type { EgressEntity, RoomEvents } from './room-events.js';

export { RoomEvent, type EgressEntity, type LayoutChangedEvent, type RoomEvents, type RoomLeftEvent } from './room-events.js';

/** How the room keeps its access token fresh (see `JoinOptions`). */
export interface TokenRefreshOptions {
  /** The refresh token from the access-token response; the SDK refreshes before expiry. */
  refreshToken?: string;
  /** fetch for the refresh request; the global one by default. */
  fetch?: typeof fetch;
}

/** Media settings of a room (the reference's constructor options; see `JoinOptions`). */
export interface RoomMediaOptions {
  /** Where remote media elements live: output volume and the speaker apply to them. */
  rootElement?: HTMLElement;
  /** ICE servers for every peer connection to the SFU (none by default: the SFU is reachable directly). */
  iceServers?: RTCIceServer[];
  /** Output device for remote audio (see `updateSpeaker`). */
  speakerId?: string;
  /** What the SDK logs to the console: `trace` … `error`, or `silent`; default `warn`. */
  logLevel?: LogLevel;
  /**
   * With `rootElement`: draw this client's own camera, straight from the device, over its own
   * layer(s) of the layout (the reference's local overlay); default true. With false its layers
   * show the placeholder (name initial) and the page shows its own preview if it wants one.
   */
  applyLocalVideoOverlay?: boolean;
  /** Stop the camera (its light goes off) while video is muted; reopened on unmute. Default true. */
  stopCameraWhileMuted?: boolean;
  /** Stop the microphone while audio is muted; reopened on unmute. Default true. */
  stopMicrophoneWhileMuted?: boolean;
}


export interface PublishOptions {
  /** Send the video in three simulcast layers (see `Room.publish`). Default false. */
  simulcast?: boolean;
}

/** Simulcast layers, lowest resolution first (the order the SFU expects). */
function simulcastEncodings(): RTCRtpEncodingParameters[] {
  return [
    { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150_000 },
    { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500_000 },
    { rid: 'f', maxBitrate: 1_700_000 },
  ];
}

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
  private memberList: MemberList;
  private readonly joinedEvent: RoomJoinedEvent;
  private readonly sources = new Map<string, LocalSource>();
  private readonly rootElement: HTMLElement | null;
  /** The rendered room when `rootElement` was given. */
  private stage: RoomStage | null = null;
  private speakerId_: string | null = null;
  private joinedEmitted = false;
  private readonly iceServers: RTCIceServer[];
  private previewUrl_: string | undefined;
  /** @internal The SDK's log (`logLevel`). */
  readonly log: Logger;
  /** Camera and microphone tracks the SDK opened, stopped while muted (see local-devices.ts). */
  private readonly devices: LocalDevices;

  private constructor(env: Environment, signal: SignalClient, joined: SignalResult<'join'>, media: RoomMediaOptions, log: Logger) {
    super();
    this.log = log;
    this.devices = new LocalDevices(media);
    this.rootElement = media.rootElement ?? null;
    this.iceServers = media.iceServers ?? [];
    this.speakerId_ = media.speakerId ?? null;
    this.joinedEvent = joined.state;
    this.memberList = new MemberList(joined.state);
    this.env = env;
    this.signal = signal;
    this.id = joined.room.id;
    this.title = joined.room.title;
    this.sessionId = joined.room.sessionId;
    this.localEndpoint = new LocalEndpoint(joined.endpoint, this);
    this.trackControl = { setPaused: (endpointId, tag, kind, paused) => this.setTrackPaused(endpointId, tag, kind, paused) };
    for (const info of joined.endpoints) this.endpointsById.set(info.id, new RemoteEndpoint(info, this.trackControl));
    this.listen();
    if (this.rootElement) this.stage = new RoomStage(this, this.rootElement, { localVideoOverlay: media.applyLocalVideoOverlay ?? true });
    // After `join()` resolves and the caller attached its listeners; later listeners get it replayed.
    setTimeout(() => {
      this.joinedEmitted = true;
      if (this.finished_) return;
      this.emit('room.joined', this.joinedEvent);
      const { layout } = this.joinedEvent;
      if (layout) this.emit('layout.changed', { room_session_id: layout.room_session_id, room_id: layout.room_id, layout });
    }, 0);
  }

  /** Attaches a listener; a `room.joined` listener attached after the event still receives it once. */
  override on<E extends keyof RoomEvents>(event: E, listener: Listener<RoomEvents[E]>): this {
    super.on(event, listener);
    if (event === 'room.joined' && this.joinedEmitted && !this.finished_) {
      const joined = listener as Listener<RoomEvents['room.joined']>;
      queueMicrotask(() => joined(this.joinedEvent));
    }
    return this;
  }

  /** @internal Opens signaling and joins; used by `join()`. */
  static async connect(
    env: Environment,
    url: string,
    roomId: string,
    token: string,
    refresh: TokenRefreshOptions = {},
    media: RoomMediaOptions = {},
  ): Promise<Room> {
    const log = new Logger(media.logLevel);
    const signal = await SignalClient.connect(url, env.WebSocket, SIGNAL_PATH, log);
    try {
      const joined = await signal.request('join', { roomId, token });
      log.info(`joined room ${joined.room.id} (session ${joined.room.sessionId}) as endpoint ${joined.endpoint.id}`);
      const room = new Room(env, signal, joined, media, log);
      room.currentToken = token;
      if (joined.room.previewUrl) room.previewUrl_ = new URL(joined.room.previewUrl, url).toString();
      signal.enableResume({ roomId, token: () => room.currentToken, resumeToken: joined.resume.token, graceMs: joined.resume.graceSeconds * 1000 });
      if (refresh.refreshToken !== undefined) room.startRefreshing(url, token, refresh.refreshToken, refresh.fetch);
      return room;
    } catch (error) {
      signal.close();
      log.error(`joining room ${roomId} failed: ${error instanceof Error ? error.message : String(error)}`);
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

  /**
   * Publishes a MediaStream (at most one audio and one video track) under `tag`. With
   * `simulcast`, the video is sent in three layers (full, half and quarter resolution); the SFU
   * gives each subscriber the layer that fits its tile and bandwidth, and pauses layers nobody
   * receives. The browser sends fewer layers for small video (two below 960×540, one at 320×180).
   */
  async publish(tag: string, mediaStream: MediaStream, options: PublishOptions = {}): Promise<LocalStream> {
    this.assertActive();
    const pc = new this.env.RTCPeerConnection({ iceServers: this.iceServers });
    try {
      for (const track of mediaStream.getTracks()) {
        const sendEncodings = options.simulcast && track.kind === 'video' ? simulcastEncodings() : undefined;
        pc.addTransceiver(track, { direction: 'sendonly', streams: [mediaStream], ...(sendEncodings ? { sendEncodings } : {}) });
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
    this.log.info(`published stream ${tag} (${mediaStream.getTracks().map((t) => t.kind).join(' + ')})`);
    this.stage?.refresh();
    this.watchMedia(pc, { tag }, () => this.restartStreamIce(tag, pc));
    // Tracks disabled before publishing are announced as muted.
    for (const track of stream.tracks) {
      if (!track.enabled) await this.signal.request('track.setMuted', { tag, kind: track.kind, muted: true });
    }
    return stream;
  }

  /** @internal `join(…, { audio, video })`: publishes stream `camera` from the devices, or from `stream`. */
  async publishCamera(
    audio: boolean | MediaTrackConstraints,
    video: boolean | MediaTrackConstraints,
    stream?: MediaStream,
    options: PublishOptions = {},
  ): Promise<LocalStream> {
    return this.publish('camera', stream ?? (await this.devices.open({ audio, video })), options);
  }

  /** @internal See `LocalEndpoint.subscribe`. */
  async subscribe(endpointId: string, tag: string): Promise<Subscription> {
    this.assertActive();
    const offer = await this.signal.request('subscribe', { endpointId, tag });
    const endpoint = this.endpointsById.get(endpointId);
    const pc = new this.env.RTCPeerConnection({ iceServers: this.iceServers });
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
      setVideoSize: async (s, width, height) => {
        if (!this.signal.closed) await this.signal.request('subscription.setVideoSize', { subscriptionId: s.id, width, height });
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
      this.watchMedia(pc, { subscriptionId: subscription.id }, () => this.restartSubscriptionIce(subscription.id, pc));
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

  // The reference RoomSession API: state, moderation, levels, metadata, layouts, chat, egress,
  // extra sources. Every call is checked against this endpoint's permissions by the server.

  /** Whether this client is in the room. */
  get active(): boolean {
    return this.finished_ === null;
  }

  /** This client's member (endpoint) id. */
  get memberId(): string {
    return this.localEndpoint.id;
  }

  get roomId(): string {
    return this.id;
  }

  get roomSessionId(): string {
    return this.sessionId;
  }

  /** The room session's fields as last broadcast (layout_name, locked, hide_video_muted, meta …). */
  get roomSession(): RoomState {
    return this.memberList.room;
  }

  /** Every member (this client included) as last broadcast. */
  get members(): MemberState[] {
    return this.memberList.members;
  }

  /** The main published stream: tag `camera`, else the first that is not a screen share or added device. */
  get localStream(): MediaStream | undefined {
    return this.mainStream()?.mediaStream;
  }

  get localAudioTrack(): MediaStreamTrack | null {
    return this.mainStream()?.track('audio')?.mediaStreamTrack ?? null;
  }

  get localVideoTrack(): MediaStreamTrack | null {
    return this.mainStream()?.track('video')?.mediaStreamTrack ?? null;
  }

  get cameraId(): string | null {
    return deviceIdOf(this.localVideoTrack);
  }

  get cameraLabel(): string | null {
    return this.localVideoTrack?.label || null;
  }

  get microphoneId(): string | null {
    return deviceIdOf(this.localAudioTrack);
  }

  get microphoneLabel(): string | null {
    return this.localAudioTrack?.label || null;
  }

  /** The session's preview image (refreshed every few seconds) when the room has `enableRoomPreviews`. */
  get previewUrl(): string | undefined {
    return this.previewUrl_;
  }

  /**
   * Every received track in one MediaStream. The SFU sends each stream on its own subscription
   * (`activeSubscriptions`); this gathers them for code written against a single remote stream.
   */
  get remoteStream(): MediaStream | undefined {
    const tracks = [...this.subscriptions.values()].flatMap((s) => s.mediaStream.getTracks());
    if (tracks.length === 0) return undefined;
    const stream = new this.env.MediaStream();
    for (const track of tracks) stream.addTrack(track);
    return stream;
  }

  /** Cameras, microphones and devices added with `addCamera`/`addMicrophone`/`addDevice`. */
  get deviceList(): LocalSource[] {
    return [...this.sources.values()].filter((s) => !isScreenTag(s.tag));
  }

  /** Screen shares started with `startScreenShare`. */
  get screenShareList(): LocalSource[] {
    return [...this.sources.values()].filter((s) => isScreenTag(s.tag));
  }

  /** The speaker chosen with `updateSpeaker`, or null for the default. */
  get speakerId(): string | null {
    return this.speakerId_;
  }

  /**
   * This client's levels as set by `setInputVolume`/`setOutputVolume`/`setInputSensitivity`
   * (by itself or a moderator): volume v (-50..50) is a gain of 10^(v/40), i.e. v/2 dB.
   */
  get audioLevels(): { inputGain: number; outputGain: number; inputSensitivity: number } {
    const me = this.memberList.get(this.localEndpoint.id);
    return {
      inputGain: volumeToGain(me?.input_volume ?? 0),
      outputGain: volumeToGain(me?.output_volume ?? 0),
      inputSensitivity: me?.input_sensitivity ?? 30,
    };
  }

  /** Already joined by `join()`: resolves with this room (the reference's `join()`). */
  async join(): Promise<this> {
    this.assertActive();
    return this;
  }

  /** Forgets this object: listeners removed, media and connection closed. No call is made to the room. */
  destroy(): void {
    this.removeAllListeners();
    this.onEndpointJoined = null;
    this.onEndpointLeft = null;
    this.onFinished = null;
    if (!this.finished_) this.finish('disconnected');
  }

  /** Mutes the microphone of this client, or of `memberId` (`room.member.audio_mute`). */
  async audioMute(params: { memberId?: string } = {}): Promise<void> {
    await this.call('member.audioMute', params);
    if (this.isSelf(params.memberId)) await this.setLocalTracksEnabled('audio', false);
  }

  async audioUnmute(params: { memberId?: string } = {}): Promise<void> {
    await this.call('member.audioUnmute', params);
    if (this.isSelf(params.memberId)) await this.setLocalTracksEnabled('audio', true);
  }

  /** Mutes the camera of this client, or of `memberId` (`room.member.video_mute`). */
  async videoMute(params: { memberId?: string } = {}): Promise<void> {
    await this.call('member.videoMute', params);
    if (this.isSelf(params.memberId)) await this.setLocalTracksEnabled('video', false);
  }

  async videoUnmute(params: { memberId?: string } = {}): Promise<void> {
    await this.call('member.videoUnmute', params);
    if (this.isSelf(params.memberId)) await this.setLocalTracksEnabled('video', true);
  }

  /** The member hears nobody (the server stops sending it audio) and its microphone is muted. */
  async deaf(params: { memberId?: string } = {}): Promise<void> {
    await this.call('member.deaf', params);
    if (this.isSelf(params.memberId)) await this.setLocalTracksEnabled('audio', false);
  }

  /** Reverses `deaf`: audio is sent to the member again and its microphone unmuted. */
  async undeaf(params: { memberId?: string } = {}): Promise<void> {
    await this.call('member.undeaf', params);
    if (this.isSelf(params.memberId)) await this.setLocalTracksEnabled('audio', true);
  }

  /** Microphone volume, -50..50 (0 = unchanged), applied by the member's SDK. */
  async setInputVolume(params: { memberId?: string; volume: number }): Promise<void> {
    await this.call('member.setInputVolume', params);
  }

  /** Speaker volume, -50..50 (0 = unchanged), applied by the member's SDK. */
  async setOutputVolume(params: { memberId?: string; volume: number }): Promise<void> {
    await this.call('member.setOutputVolume', params);
  }

  /** Level above which the member counts as talking, 0..100 (default 30). */
  async setInputSensitivity(params: { memberId?: string; value: number }): Promise<void> {
    await this.call('member.setInputSensitivity', params);
  }

  /** The members of the room session, from the server. */
  getMembers(): Promise<{ members: MemberState[] }> {
    return this.call('room.getMembers', {});
  }

  /** Removes another member from the room (`room.member.remove`). */
  async removeMember(params: { memberId: string }): Promise<void> {
    await this.call('member.remove', params);
  }

  /** Removes every member, this client included: the room session ends. */
  async removeAllMembers(): Promise<void> {
    await this.call('room.removeAllMembers', {});
  }

  getMeta(): Promise<{ meta: Meta }> {
    return this.call('room.getMeta', {});
  }

  /** Replaces the room session's metadata (at most 16 KiB of JSON). */
  async setMeta(meta: Meta): Promise<void> {
    await this.call('room.setMeta', { meta });
  }

  /** Merges keys into the room session's metadata. */
  async updateMeta(meta: Meta): Promise<void> {
    await this.call('room.updateMeta', { meta });
  }

  async deleteMeta(keys: string[]): Promise<void> {
    await this.call('room.deleteMeta', { keys });
  }

  getMemberMeta(params: { memberId?: string } = {}): Promise<{ meta: Meta }> {
    return this.call('member.getMeta', params);
  }

  /** Replaces a member's metadata (this client's when `memberId` is omitted). */
  async setMemberMeta(params: { memberId?: string; meta: Meta }): Promise<void> {
    await this.call('member.setMeta', params);
  }

  async updateMemberMeta(params: { memberId?: string; meta: Meta }): Promise<void> {
    await this.call('member.updateMeta', params);
  }

  async deleteMemberMeta(params: { memberId?: string; keys: string[] }): Promise<void> {
    await this.call('member.deleteMeta', params);
  }

  getLayouts(): Promise<{ layouts: string[] }> {
    return this.call('room.getLayouts', {});
  }

  /** Switches the room's layout, optionally assigning positions (`self` is this client). */
  async setLayout(params: { name: string; positions?: VideoPositions }): Promise<void> {
    await this.call('room.setLayout', params as SignalParams<'room.setLayout'>);
  }

  async setPositions(params: { positions: VideoPositions }): Promise<void> {
    await this.call('room.setPositions', params);
  }

  async setMemberPosition(params: { memberId?: string; position: VideoPosition }): Promise<void> {
    await this.call('member.setPosition', params);
  }

  /** Hides (true) or shows (false) video-muted members in the layout. */
  async setHideVideoMuted(value: boolean): Promise<void> {
    await this.call('room.setHideVideoMuted', { value });
  }

  /** @deprecated Use `setHideVideoMuted(true)`. */
  hideVideoMuted(): Promise<void> {
    return this.setHideVideoMuted(true);
  }

  /** @deprecated Use `setHideVideoMuted(false)`. */
  showVideoMuted(): Promise<void> {
    return this.setHideVideoMuted(false);
  }

  /** No new endpoint may join until `unlock()` (`room.lock`). */
  async lock(): Promise<void> {
    await this.call('room.lock', {});
  }

  async unlock(): Promise<void> {
    await this.call('room.unlock', {});
  }

  /** Sends a chat message (text or an object, at most 4 KiB) to everyone, or to one member. */
  sendMessage(content: string | Record<string, unknown>, options: { to?: string } = {}): Promise<{ id: string; sent_at: string }> {
    return this.call('chat.send', options.to === undefined ? { content } : { content, to: options.to });
  }

  /** Starts recording the room session (each track to its own file); needs `room.recording`. */
  async startRecording(): Promise<RoomRecording> {
    return this.recordingOf(await this.call('recording.start', {}));
  }

  /** The room session's recordings, newest first. */
  async getRecordings(): Promise<{ recordings: RoomRecording[] }> {
    const { recordings } = await this.call('recording.list', {});
    return { recordings: recordings.map((recording) => this.recordingOf(recording)) };
  }

  private readonly recordings = new Map<string, RoomRecording>();

  /** The one `RoomRecording` of an id, brought up to date. */
  private recordingOf(recording: Recording): RoomRecording {
    let known = this.recordings.get(recording.id);
    if (!known) {
      known = new RoomRecording(recording, {
        stop: (recordingId) => this.call('recording.stop', { recordingId }),
        pause: (recordingId) => this.call('recording.pause', { recordingId }),
        resume: (recordingId) => this.call('recording.resume', { recordingId }),
      });
      this.recordings.set(recording.id, known);
    }
    known.update(recording);
    return known;
  }

  /**
   * Streams the room session's composite (its layout, H.264 + AAC) to an RTMP(S) URL; needs
   * `room.stream.start`. Resolves at once (state `starting`); `stream.started` follows when the
   * server accepted it, `stream.ended` when it stops or fails.
   */
  async startStream(params: { url: string }): Promise<RoomStream> {
    return this.streamOf(await this.call('rtmp.start', params));
  }

  /** The room session's RTMP streams (active and ended); needs `room.stream`. */
  async getStreams(): Promise<{ streams: RoomStream[] }> {
    const { streams } = await this.call('rtmp.list', {});
    return { streams: streams.map((stream) => this.streamOf(stream)) };
  }

  private readonly streams = new Map<string, RoomStream>();

  /** The one `RoomStream` of an id, brought up to date. */
  private streamOf(stream: LiveStream): RoomStream {
    let known = this.streams.get(stream.id);
    if (!known) {
      known = new RoomStream(stream, (streamId) => this.call('rtmp.stop', { streamId }));
      this.streams.set(stream.id, known);
    }
    known.update(stream);
    return known;
  }

  /**
   * Plays a URL (http, https, rtmp, rtmps, or a file the server allows) into the room as a
   * virtual member publishing a `playback` stream; needs `room.playback`. `volume` -50..50,
   * `currentTimecode` the start in ms, `positions` (`self` is the playback) and `layout` applied
   * at once. Refused URLs reject with PLAYBACK_URL_REFUSED.
   */
  async play(params: { url: string; volume?: number; currentTimecode?: number; positions?: VideoPositions; layout?: string }): Promise<RoomSessionPlayback> {
    return this.playbackOf(await this.call('playback.start', params as SignalParams<'playback.start'>));
  }

  /** The room session's playbacks: active ones, then those ended lately. */
  async getPlaybacks(): Promise<{ playbacks: RoomSessionPlayback[] }> {
    const { playbacks } = await this.call('playback.list', {});
    return { playbacks: playbacks.map((playback) => this.playbackOf(playback)) };
  }

  private readonly playbacks = new Map<string, RoomSessionPlayback>();

  /** The one `RoomSessionPlayback` of an id, brought up to date. */
  private playbackOf(playback: Playback): RoomSessionPlayback {
    let known = this.playbacks.get(playback.id);
    if (!known) {
      known = new RoomSessionPlayback(playback, {
        stop: (playbackId) => this.call('playback.stop', { playbackId }),
        pause: (playbackId) => this.call('playback.pause', { playbackId }),
        resume: (playbackId) => this.call('playback.resume', { playbackId }),
        seek: (playbackId, position) => this.call('playback.seek', { playbackId, position }),
        setVolume: (playbackId, volume) => this.call('playback.setVolume', { playbackId, volume }),
      });
      this.playbacks.set(playback.id, known);
    }
    known.update(playback);
    return known;
  }

  /**
   * Shares a screen as its own stream (`screen`, `screen-2`, …; `room.self.screenshare`). Pass
   * `stream` to share a given MediaStream (e.g. a canvas capture, or in Node).
   */
  async startScreenShare(
    opts: {
      audio?: boolean | MediaTrackConstraints;
      video?: boolean | MediaTrackConstraints;
      autoJoin?: boolean;
      layout?: string;
      positions?: VideoPositions;
      stream?: MediaStream;
    } = {},
  ): Promise<LocalSource> {
    this.assertActive();
    const mediaStream = opts.stream ?? (await displayMedia({ audio: opts.audio ?? false, video: opts.video ?? true }));
    const source = this.addSource('screen', mediaStream);
    if (opts.autoJoin !== false) await this.joinSource(source);
    if (opts.layout !== undefined) await this.setLayout({ name: opts.layout, ...(opts.positions ? { positions: opts.positions } : {}) });
    else if (opts.positions) await this.setPositions({ positions: opts.positions });
    return source;
  }

  /** @deprecated Use `startScreenShare` (audio defaults to true here). */
  createScreenShareObject(
    opts: { audio?: boolean | MediaTrackConstraints; video?: boolean | MediaTrackConstraints; autoJoin?: boolean; stream?: MediaStream } = {},
  ): Promise<LocalSource> {
    return this.startScreenShare({ ...opts, audio: opts.audio ?? true });
  }

  /** Publishes another camera (`camera-2`, …; `room.self.additional_source`). */
  async addCamera(opts: MediaTrackConstraints & { autoJoin?: boolean; stream?: MediaStream } = {}): Promise<LocalSource> {
    const { autoJoin, stream, ...constraints } = opts;
    return this.addDevice({ video: Object.keys(constraints).length > 0 ? constraints : true, audio: false, autoJoin, stream }, 'camera');
  }

  /** Publishes another microphone (`microphone`, `microphone-2`, …; `room.self.additional_source`). */
  async addMicrophone(opts: MediaTrackConstraints & { autoJoin?: boolean; stream?: MediaStream } = {}): Promise<LocalSource> {
    const { autoJoin, stream, ...constraints } = opts;
    return this.addDevice({ audio: Object.keys(constraints).length > 0 ? constraints : true, video: false, autoJoin, stream }, 'microphone');
  }

  /** Publishes another device (`device`, `device-2`, …); `stream` gives the media directly. */
  async addDevice(
    opts: { audio?: boolean | MediaTrackConstraints; video?: boolean | MediaTrackConstraints; autoJoin?: boolean | undefined; stream?: MediaStream | undefined },
    base = 'device',
  ): Promise<LocalSource> {
    this.assertActive();
    const mediaStream = opts.stream ?? (await this.devices.open({ audio: opts.audio ?? false, video: opts.video ?? false }));
    const source = this.addSource(base, mediaStream);
    if (opts.autoJoin !== false) await this.joinSource(source);
    return source;
  }

  /** Sends another camera's video on the main stream, without renegotiating (`track` gives it directly). */
  async updateCamera(constraints: MediaTrackConstraints & { track?: MediaStreamTrack } = {}): Promise<void> {
    const { track, ...rest } = constraints;
    await this.replaceMainTrack('video', track ?? (await this.devices.open({ video: Object.keys(rest).length > 0 ? rest : true })).getVideoTracks()[0]);
  }

  /** Sends another microphone's audio on the main stream, without renegotiating. */
  async updateMicrophone(constraints: MediaTrackConstraints & { track?: MediaStreamTrack } = {}): Promise<void> {
    const { track, ...rest } = constraints;
    await this.replaceMainTrack('audio', track ?? (await this.devices.open({ audio: Object.keys(rest).length > 0 ? rest : true })).getAudioTracks()[0]);
  }

  /** Plays remote audio on another output device (media elements under `rootElement`). */
  async updateSpeaker(opts: { deviceId: string }): Promise<undefined> {
    this.speakerId_ = opts.deviceId;
    for (const element of this.mediaElements()) {
      const sink = element as HTMLMediaElement & { setSinkId?: (id: string) => Promise<void> };
      if (sink.setSinkId) await sink.setSinkId(opts.deviceId);
    }
    return undefined;
  }

  private call<M extends SignalMethod>(method: M, params: SignalParams<M>): Promise<SignalResult<M>> {
    if (this.finished_) return Promise.reject(new ConnectionError(ConnectionErrorReason.Closed, `the room has finished (${this.finished_})`));
    return this.signal.request(method, params);
  }

  private isSelf(memberId: string | undefined): boolean {
    return memberId === undefined || memberId === this.localEndpoint.id;
  }

  private mainStream(): LocalStream | undefined {
    const camera = this.published.get('camera');
    if (camera && !this.sources.has('camera')) return camera;
    return [...this.published.values()].find((s) => !this.sources.has(s.tag));
  }

  /**
   * Mutes (or unmutes) this client's own tracks of `kind`, screen shares aside, without a call.
   * A device the SDK opened is stopped while muted (`stopCameraWhileMuted` /
   * `stopMicrophoneWhileMuted`) and opened again on unmute, sent with `replaceTrack`.
   */
  private async setLocalTracksEnabled(kind: TrackKind, enabled: boolean): Promise<void> {
    for (const stream of [...this.published.values()]) {
      if (isScreenTag(stream.tag)) continue;
      const local = stream.track(kind);
      if (!local) continue;
      // With an input gain the sender carries the gain's output; the device feeds the gain.
      const gained = kind === 'audio' && this.inputGain !== null && stream === this.mainStream();
      const device = gained && this.inputGain ? this.inputGain.source : local.mediaStreamTrack;
      local.mediaStreamTrack.enabled = enabled;
      if (!enabled) {
        if (this.devices.stopsWhileMuted(device) && device.readyState !== 'ended') {
          device.stop();
          this.log.debug(`stopped the ${kind} device of ${stream.tag} while muted`);
        }
        continue;
      }
      if (!this.devices.canReopen(device)) continue;
      const fresh = await this.devices.reopen(device);
      if (this.finished_ || this.published.get(stream.tag) !== stream) {
        fresh.stop();
        continue;
      }
      if (gained) await this.replaceMainTrack('audio', fresh);
      else await stream.replaceTrack(fresh);
      this.stage?.refresh();
      this.log.debug(`reopened the ${kind} device of ${stream.tag} (${fresh.label})`);
    }
  }

  /** Logs a background failure and emits it as `error`. */
  private reportError(error: unknown): void {
    const err = error instanceof Error ? error : new Error(String(error));
    this.log.error(err.message);
    this.emit('error', err);
  }

  private async replaceMainTrack(kind: TrackKind, track: MediaStreamTrack | undefined): Promise<void> {
    this.assertActive();
    const main = this.mainStream();
    if (!track) throw new ConnectionError(ConnectionErrorReason.Unsupported, `no ${kind} track to switch to`);
    if (!main?.track(kind)) throw new RequestError('STREAM_NOT_FOUND', `no published stream with ${kind} to update`);
    const gain = kind === 'audio' ? this.inputGain : null;
    if (gain) {
      // The gain graph was fed by the old microphone: rebuild it on the new one.
      this.inputGain = null;
      await gain.context.close().catch(() => undefined);
      gain.source.stop();
    }
    await main.replaceTrack(track);
    if (gain) await this.applyInputGain(gain.node.gain.value);
  }

  private nextTag(base: string): string {
    const taken = (tag: string): boolean => this.published.has(tag) || this.sources.has(tag);
    if (base !== 'camera' && !taken(base)) return base;
    for (let n = 2; ; n++) if (!taken(`${base}-${n}`)) return `${base}-${n}`;
  }

  private addSource(base: string, mediaStream: MediaStream): LocalSource {
    const source = new LocalSource({
      tag: this.nextTag(base),
      mediaStream,
      publish: (tag, stream) => this.publish(tag, stream),
      onLeft: (s) => this.sources.delete(s.tag),
    });
    this.sources.set(source.tag, source);
    return source;
  }

  private async joinSource(source: LocalSource): Promise<void> {
    try {
      await source.join();
    } catch (error) {
      this.sources.delete(source.tag);
      throw error;
    }
  }

  /** @internal The stage made a remote audio element: it plays at this client's output volume, on its speaker. */
  applyAudioOutput(element: HTMLMediaElement): void {
    element.volume = Math.min(1, this.audioLevels.outputGain);
    const sink = element as HTMLMediaElement & { setSinkId?: (id: string) => Promise<void> };
    if (this.speakerId_ !== null && sink.setSinkId) void sink.setSinkId(this.speakerId_).catch((error: unknown) => this.reportError(error));
  }

  private mediaElements(): HTMLMediaElement[] {
    return this.rootElement ? [...this.rootElement.querySelectorAll<HTMLMediaElement>('audio, video')] : [];
  }

  /** Applies this client's levels when someone changed them: output volume on media elements, input gain via Web Audio. */
  private applyOwnLevels(member: MemberState, updated: readonly string[]): void {
    if (updated.includes('output_volume')) {
      const volume = Math.min(1, volumeToGain(member.output_volume));
      for (const element of this.mediaElements()) element.volume = volume;
    }
    if (updated.includes('input_volume')) void this.applyInputGain(volumeToGain(member.input_volume));
  }

  /** The Web Audio gain on the main microphone (`source` is the microphone track feeding it). */
  private inputGain: { node: GainNode; context: AudioContext; source: MediaStreamTrack } | null = null;

  /** Routes the main microphone through a Web Audio gain (browsers only; Node keeps the value in `audioLevels`). */
  private async applyInputGain(gain: number): Promise<void> {
    if (this.inputGain) {
      this.inputGain.node.gain.value = gain;
      return;
    }
    const AudioContextImpl = (globalThis as { AudioContext?: typeof AudioContext }).AudioContext;
    const main = this.mainStream();
    const track = main?.track('audio');
    if (!AudioContextImpl || !main || !track) return;
    try {
      const context = new AudioContextImpl();
      const node = context.createGain();
      node.gain.value = gain;
      context.createMediaStreamSource(new MediaStream([track.mediaStreamTrack])).connect(node);
      const destination = context.createMediaStreamDestination();
      node.connect(destination);
      const processed = destination.stream.getAudioTracks()[0];
      if (!processed) return;
      this.inputGain = { node, context, source: track.mediaStreamTrack };
      await main.replaceTrack(processed, { keepOld: true });
    } catch (error) {
      this.reportError(error);
    }
  }

  private emitMemberList(): void {
    this.emit('memberList.updated', { members: this.memberList.members });
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
    this.currentToken = token;
    return new Date(expiresAt);
  }

  private startRefreshing(url: string, token: string, refreshToken: string, fetchImpl: typeof fetch | undefined): void {
    const doFetch = fetchImpl ?? globalThis.fetch?.bind(globalThis);
    if (!doFetch) {
      this.reportError(new ConnectionError(ConnectionErrorReason.Unsupported, 'no fetch: pass { fetch } to join() to refresh tokens'));
      return;
    }
    this.refresher = new TokenRefresher({
      url,
      refreshToken,
      fetch: doFetch,
      apply: (fresh) => this.applyToken(fresh),
      onRefreshed: (event) => this.emit('token.refreshed', event),
      onError: (error) => this.reportError(error),
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
    s.on('stream.layers', ({ tag, active }) => {
      void this.published.get(tag)?.setActiveLayers(active).catch((error: unknown) => {
        this.log.warn(`could not pause or resume simulcast layers of ${tag}: ${String(error)}`);
      });
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
    s.on('member.joined', (event) => {
      this.memberList.joined(event);
      this.emit('member.joined', event);
      this.emitMemberList();
    });
    s.on('member.left', (event) => {
      this.memberList.left(event);
      this.emit('member.left', event);
      this.emitMemberList();
    });
    s.on('member.updated', (event) => {
      const member = this.memberList.updated(event);
      if (member && member.id === this.localEndpoint.id) this.applyOwnLevels(member, event.member.updated);
      this.emit('member.updated', event);
      this.emitMemberList();
    });
    s.on('member.talking', (event) => {
      this.memberList.talking(event);
      this.emit('member.talking', event);
    });
    s.on('room.updated', (event) => {
      this.memberList.roomUpdated(event);
      this.emit('room.updated', event);
    });
    s.on('member.media', (event) => {
      this.log.info(`${event.cause === 'deaf' ? (event.muted ? 'made deaf' : 'undeafened') : event.muted ? 'muted' : 'unmuted'} (${event.kind}) by ${event.by ?? 'the room'}`);
      void this.setLocalTracksEnabled(event.kind, !event.muted)
        .catch((error: unknown) => this.reportError(error))
        .then(() => this.emit('local.media', event));
    });
    s.on('chat.message', (event) => this.emit('chat.message', event));
    s.on('layout.changed', (event) => this.emit('layout.changed', event));
    for (const event of ['recording.started', 'recording.updated', 'recording.ended'] as const) {
      s.on(event, ({ recording }) => this.emit(event, this.recordingOf(recording)));
    }
    for (const event of ['stream.started', 'stream.ended'] as const) {
      s.on(event, ({ stream }) => this.emit(event, this.streamOf(stream)));
    }
    for (const event of ['playback.started', 'playback.updated', 'playback.ended'] as const) {
      s.on(event, ({ playback }) => this.emit(event, this.playbackOf(playback)));
    }
    s.on('room.finished', ({ reason }) => this.finish(reason));
    s.on('close', (code) => this.finish(code === CONNECTION_LOST_CODE ? 'connection-lost' : 'disconnected'));
    s.on('reconnecting', () => {
      this.emit('reconnecting');
      this.emit('connection.state', { state: 'reconnecting' });
    });
    s.on('reconnected', (result) => this.resumed(result));
  }

  // Reconnect: the signaling resume (signal-client.ts) and ICE restarts of the media path.

  /** The access token `resume` presents (the newest one). */
  private currentToken = '';
  /** Stops the ICE watchdogs (see `watchMedia`). */
  private readonly iceWatchdogs = new Set<() => void>();

  /** `connected`, `reconnecting` (signaling dropped, resuming), or `disconnected` (finished). */
  get connectionState(): ConnectionState {
    return this.signal.state;
  }

  /**
   * The socket was resumed. The missed notifications were replayed by the server; or, when too
   * many were missed, the snapshot in `result` is applied here as the notifications it implies.
   * Subscriptions the server no longer has end.
   */
  private resumed(result: SignalResult<'resume'>): void {
    if (!result.replayed) {
      const dispatch = this.signal.emit.bind(this.signal) as (event: string, params: unknown) => void;
      const now = new Map(result.endpoints.map((e) => [e.id, e]));
      for (const endpoint of this.endpoints) {
        if (!now.has(endpoint.id)) dispatch('endpoint.left', { endpointId: endpoint.id, reason: 'left' });
      }
      for (const info of result.endpoints) {
        const known = this.endpointsById.get(info.id);
        if (!known) {
          dispatch('endpoint.joined', { endpoint: info });
          continue;
        }
        const tags = new Set(info.streams.map((st) => st.tag));
        for (const stream of known.streams) if (!tags.has(stream.tag)) dispatch('stream.unpublished', { endpointId: info.id, tag: stream.tag });
        for (const stream of info.streams) if (!known.streamsByTag.has(stream.tag)) dispatch('stream.published', { endpointId: info.id, stream });
      }
      this.memberList = new MemberList(result.state);
      this.emitMemberList();
    }
    const live = new Set(result.subscriptionIds);
    for (const id of [...this.subscriptions.keys()]) if (!live.has(id)) this.endSubscription(id, 'unpublished');
    this.emit('reconnected');
    this.emit('connection.state', { state: 'connected' });
  }

  /** Restarts ICE on `pc` when its media path breaks (see ice-watchdog.ts). */
  private watchMedia(pc: RTCPeerConnection, which: { tag?: string; subscriptionId?: string }, restart: () => Promise<void>): void {
    const stop = watchIce(pc, restart, {
      onRestarted: () => {
        this.log.warn(`ICE restarted (${which.tag !== undefined ? `stream ${which.tag}` : `subscription ${which.subscriptionId ?? ''}`})`);
        this.emit('ice.restarted', which);
      },
      onError: (error) => {
        if (!this.finished_) this.reportError(error);
      },
    });
    this.iceWatchdogs.add(stop);
  }

  /** Publisher side: we offer with new ICE credentials, the SFU answers. */
  private async restartStreamIce(tag: string, pc: RTCPeerConnection): Promise<void> {
    await pc.setLocalDescription(await pc.createOffer({ iceRestart: true }));
    await iceGatheringComplete(pc);
    const { sdp } = await this.signal.request('stream.restartIce', { tag, sdp: pc.localDescription?.sdp ?? '' });
    await pc.setRemoteDescription({ type: 'answer', sdp });
  }

  /** Subscriber side: the SFU offers with new ICE credentials, we answer. */
  private async restartSubscriptionIce(subscriptionId: string, pc: RTCPeerConnection): Promise<void> {
    const { sdp } = await this.signal.request('subscription.restartIce', { subscriptionId });
    await pc.setRemoteDescription({ type: 'offer', sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    await iceGatheringComplete(pc);
    await this.signal.request('subscription.answer', { subscriptionId, sdp: pc.localDescription?.sdp ?? '' });
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
    this.log.info(`left the room (${reason})`);
    this.refresher?.close();
    for (const stop of this.iceWatchdogs) stop();
    this.iceWatchdogs.clear();
    this.emit('connection.state', { state: 'disconnected' });
    for (const id of [...this.subscriptions.keys()]) this.endSubscription(id, 'room-finished');
    for (const stream of this.published.values()) stream.close();
    this.published.clear();
    this.signal.close();
    this.inputGain?.context.close().catch(() => undefined);
    this.emit('finished', reason);
    this.emit('room.left', { reason });
    this.onFinished?.(reason);
  }

  private assertActive(): void {
    if (this.finished_) throw new ConnectionError(ConnectionErrorReason.Closed, `the room has finished (${this.finished_})`);
  }
}

function isScreenTag(tag: string): boolean {
  return /^screen(-|$)/.test(tag);
}

/** Volume -50..50 → linear gain (v/2 dB). */
function volumeToGain(volume: number): number {
  return 10 ** (volume / 40);
}

function deviceIdOf(track: MediaStreamTrack | null): string | null {
  if (!track) return null;
  const settings = typeof track.getSettings === 'function' ? track.getSettings() : {};
  return settings.deviceId ?? null;
}
