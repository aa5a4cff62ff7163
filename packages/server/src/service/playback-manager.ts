/**
 * @module Playback use cases (the SDK's `play`, `getPlaybacks` and the playback's controls): a URL
 * the operator allows is probed, a virtual endpoint named after it joins the room session and
 * publishes its media (stream tag `playback`) from an RTP ingest that a supervised ffmpeg feeds.
 * Every change is a `playback.*` event. Playbacks live only as long as their room session.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import {
  AtriumError,
  ErrorCode,
  PLAYBACK_STREAM_TAG,
  TypedEmitter,
  type LeaveReason,
  type Playback,
  type PlaybackEndReason,
  type PlaybackState,
  type VideoPositions,
} from '@atrium/protocol';
import type { PlaybackConfig } from '../config.js';
import type { Endpoint, EndpointConnection } from '../rtc/endpoint.js';
import type { RoomSession } from '../rtc/room-session.js';
import type { RtpIngest } from '../sfu/rtp-ingest.js';
import { checkPlaybackUrl, type PlaybackInput } from '../egress/playback-url-policy.js';
import { PlaybackTranscoder, probePlaybackInput } from '../egress/playback-transcoder.js';

/** Ended playbacks a session keeps for `getPlaybacks`. */
const ENDED_KEPT_PER_SESSION = 20;

export interface StartPlaybackParams {
  url: string;
  /** -50..50 (0 = unchanged). */
  volume?: number | undefined;
  /** Where to start, in ms. */
  currentTimecode?: number | undefined;
  /** Positions to assign at once; `self` is the playback's member. */
  positions?: VideoPositions | undefined;
  /** Layout to switch to at once. */
  layout?: string | undefined;
}

export type PlaybackManagerEvents = {
  'playback.started': [playback: Playback];
  /** Paused, resumed, seeked, or its volume changed. */
  'playback.updated': [playback: Playback];
  /** Stopped, finished, failed, removed, or its room session ended. */
  'playback.ended': [playback: Playback];
};

interface LivePlayback {
  id: string;
  session: RoomSession;
  input: PlaybackInput;
  durationMs: number | null;
  ingest: RtpIngest;
  transcoder: PlaybackTranscoder;
  state: PlaybackState;
  volume: number;
  /** Media position when the current run started (or when paused). */
  positionMs: number;
  /** Wall clock of the current run's first packet; undefined before it (or while paused). */
  runMediaAt: number | undefined;
  startedAt: Date;
  endedAt: Date | null;
  endReason: PlaybackEndReason | null;
  error: string | null;
}

/** A virtual endpoint has no client: nothing to notify, nothing to close. */
const silentConnection: EndpointConnection = { notify: () => undefined, finished: () => undefined };

export class PlaybackManager extends TypedEmitter<PlaybackManagerEvents> {
  private readonly config: PlaybackConfig;
  private readonly log: Logger;
  /** Active playbacks by id. */
  private readonly active = new Map<string, LivePlayback>();
  /** Ended playbacks by session id, newest last. */
  private readonly ended = new Map<string, Playback[]>();
  /** Sessions whose listeners are attached, with the function that detaches them. */
  private readonly watched = new Map<RoomSession, () => void>();

  constructor(deps: { config: PlaybackConfig; log: Logger }) {
    super();
    this.config = deps.config;
    this.log = deps.log;
  }

  /** Plays `params.url` into `session`; PLAYBACK_URL_REFUSED when the operator does not allow it. */
  async start(session: RoomSession, callerId: string, params: StartPlaybackParams): Promise<Playback> {
    const input = await checkPlaybackUrl(params.url, this.config);
    const probed = await probePlaybackInput(this.config.ffprobePath, input);
    if (session.ended) throw new AtriumError(ErrorCode.SESSION_ENDED, 'the room session has ended');
    const id = randomUUID();
    session.join({ id, name: input.name, meta: { playback: id } }, silentConnection);
    let ingest: RtpIngest;
    try {
      ({ ingest } = await session.publishIngest(id, PLAYBACK_STREAM_TAG, probed.kinds));
      if (params.layout !== undefined) session.setLayout(params.layout, params.positions, id);
      else if (params.positions) session.setPositions(params.positions, id);
    } catch (error) {
      session.leave(id, 'left');
      throw error;
    }
    const requested = params.currentTimecode ?? 0;
    const startAt = probed.durationMs !== null ? Math.min(requested, probed.durationMs) : requested;
    const live: LivePlayback = {
      id,
      session,
      input,
      durationMs: probed.durationMs,
      ingest,
      transcoder: new PlaybackTranscoder({ ffmpegPath: this.config.ffmpegPath, input, endpoints: ingest.endpoints }),
      state: 'playing',
      volume: params.volume ?? 0,
      positionMs: input.seekable ? startAt : 0,
      runMediaAt: undefined,
      startedAt: new Date(),
      endedAt: null,
      endReason: null,
      error: null,
    };
    this.active.set(id, live);
    this.watch(session);
    ingest.on('media', () => {
      live.runMediaAt ??= Date.now();
    });
    // The stream closes when its member leaves (removed, session ended): the playback ends with it.
    ingest.on('close', () => this.end(live, session.ended ? 'session-ended' : 'removed'));
    live.transcoder.on('finished', () => this.end(live, 'finished'));
    live.transcoder.on('failed', (reason) => {
      this.log.warn({ playbackId: id, sessionId: session.id, reason }, 'playback ffmpeg failed');
      this.end(live, 'failed', reason);
    });
    live.transcoder.start(live.positionMs, live.volume);
    const playback = this.entity(live);
    this.emit('playback.started', playback);
    return playback;
  }

  /** The session's playbacks: active ones, then those ended lately (newest first). */
  list(sessionId: string): Playback[] {
    const active = [...this.active.values()].filter((p) => p.session.id === sessionId).map((p) => this.entity(p));
    return [...active, ...[...(this.ended.get(sessionId) ?? [])].reverse()];
  }

  stop(sessionId: string, playbackId: string): Playback {
    const live = this.require(sessionId, playbackId);
    this.end(live, 'stopped');
    return this.entity(live);
  }

  /** Stops ffmpeg, keeping the position; the member and its stream stay. */
  pause(sessionId: string, playbackId: string): Playback {
    const live = this.require(sessionId, playbackId);
    if (live.state === 'paused') return this.entity(live);
    live.positionMs = this.position(live);
    live.runMediaAt = undefined;
    live.state = 'paused';
    live.transcoder.halt();
    return this.updated(live);
  }

  resume(sessionId: string, playbackId: string): Playback {
    const live = this.require(sessionId, playbackId);
    if (live.state === 'playing') return this.entity(live);
    live.state = 'playing';
    this.restart(live);
    return this.updated(live);
  }

  /** Moves to `positionMs` (clamped to the duration); VALIDATION_FAILED for a live input. */
  seek(sessionId: string, playbackId: string, positionMs: number): Playback {
    const live = this.require(sessionId, playbackId);
    if (!live.input.seekable) throw new AtriumError(ErrorCode.VALIDATION_FAILED, 'this playback is live and cannot seek');
    live.positionMs = live.durationMs !== null ? Math.min(positionMs, live.durationMs) : positionMs;
    live.runMediaAt = undefined;
    if (live.state === 'playing') this.restart(live, false);
    return this.updated(live);
  }

  /** -50..50; ffmpeg restarts at the current position with the new gain. */
  setVolume(sessionId: string, playbackId: string, volume: number): Playback {
    const live = this.require(sessionId, playbackId);
    if (live.volume === volume) return this.entity(live);
    live.volume = volume;
    if (live.state === 'playing') this.restart(live);
    return this.updated(live);
  }

  /** ffmpeg pids of active playbacks (CPU measurements). */
  pids(playbackId: string): number[] {
    const pid = this.active.get(playbackId)?.transcoder.pid;
    return pid === undefined ? [] : [pid];
  }

  /** Ends every playback (server shutdown). */
  close(): void {
    for (const live of [...this.active.values()]) this.end(live, 'session-ended');
    for (const detach of this.watched.values()) detach();
    this.watched.clear();
  }

  // -------------------------------------------------------------------------------------------

  /** Restarts ffmpeg at the current position (`keepPosition` false: at `positionMs` as set). */
  private restart(live: LivePlayback, keepPosition = true): void {
    if (keepPosition && live.runMediaAt !== undefined) live.positionMs = this.position(live);
    live.runMediaAt = undefined;
    live.ingest.restart();
    live.transcoder.start(live.input.seekable ? live.positionMs : 0, live.volume);
  }

  private position(live: LivePlayback): number {
    if (live.state !== 'playing' || live.runMediaAt === undefined) return live.positionMs;
    const position = live.positionMs + (Date.now() - live.runMediaAt);
    return live.durationMs !== null ? Math.min(position, live.durationMs) : position;
  }

  private end(live: LivePlayback, reason: PlaybackEndReason, error?: string): void {
    if (!this.active.has(live.id)) return;
    live.positionMs = this.position(live);
    this.active.delete(live.id);
    live.state = 'completed';
    live.endReason = reason;
    live.endedAt = new Date();
    live.error = error ?? null;
    live.transcoder.close();
    live.ingest.close();
    // The member leaves unless it already has (removed, or the session is ending).
    if (live.session.getEndpoint(live.id)) live.session.leave(live.id, 'left');
    const playback = this.entity(live);
    const ended = this.ended.get(live.session.id) ?? [];
    ended.push(playback);
    if (ended.length > ENDED_KEPT_PER_SESSION) ended.shift();
    this.ended.set(live.session.id, ended);
    this.emit('playback.ended', playback);
  }

  private updated(live: LivePlayback): Playback {
    const playback = this.entity(live);
    this.emit('playback.updated', playback);
    return playback;
  }

  /**
   * A session's playbacks end with it, and when the last real endpoint leaves (a room with only
   * playbacks in it would otherwise never become empty and end).
   */
  private watch(session: RoomSession): void {
    if (this.watched.has(session)) return;
    const onLeft = (endpoint: Endpoint, _reason: LeaveReason): void => {
      if (this.active.has(endpoint.id)) return;
      const remaining = session.listEndpoints();
      if (remaining.length > 0 && remaining.every((e) => this.active.get(e.id)?.session === session)) {
        for (const live of [...this.active.values()]) if (live.session === session) this.end(live, 'session-ended');
      }
    };
    const onEnded = (): void => {
      for (const live of [...this.active.values()]) if (live.session === session) this.end(live, 'session-ended');
      this.watched.get(session)?.();
      this.watched.delete(session);
      this.ended.delete(session.id);
    };
    session.on('endpoint.left', onLeft);
    session.on('ended', onEnded);
    this.watched.set(session, () => {
      session.off('endpoint.left', onLeft);
      session.off('ended', onEnded);
    });
  }

  private require(sessionId: string, playbackId: string): LivePlayback {
    const live = this.active.get(playbackId);
    if (live?.session.id === sessionId) return live;
    if (this.ended.get(sessionId)?.some((p) => p.id === playbackId)) {
      throw new AtriumError(ErrorCode.PLAYBACK_ENDED, `playback "${playbackId}" has ended`);
    }
    throw new AtriumError(ErrorCode.PLAYBACK_NOT_FOUND, `no playback "${playbackId}" in this room session`);
  }

  private entity(live: LivePlayback): Playback {
    return {
      id: live.id,
      roomId: live.session.roomId,
      sessionId: live.session.id,
      url: live.input.displayUrl,
      memberId: live.id,
      state: live.state,
      volume: live.volume,
      position: Math.round(this.position(live)),
      seekable: live.input.seekable,
      startedAt: live.startedAt.toISOString(),
      endedAt: live.endedAt?.toISOString() ?? null,
      endReason: live.endReason,
      error: live.error,
    };
  }
}
