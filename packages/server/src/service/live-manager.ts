/**
 * @module Live streams of room sessions: RTMP(S) pushes (`livestream`), HLS served by us, and
 * room previews. One live compositor per session (started when the first output or the preview
 * needs it, stopped when nothing does); each output is its own `-c copy` ffmpeg, so starting or
 * stopping one never disturbs the others. State changes go to webhooks (`livestream-*`, `hls-*`)
 * and to the session's endpoints (`stream.started` / `stream.ended`, for RTMP).
 *
 * Live streams are not stored: they end with the process that runs them (a restart ends them,
 * and their ended state is only in the webhooks). The last `MAX_KEPT` ended ones stay listable.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import {
  AtriumError,
  autoStartConfigSchema,
  ErrorCode,
  maskStreamKey,
  TypedEmitter,
  type LiveStream,
  type Room,
  type TrackKind,
  type WebhookEventType,
} from '@atrium/protocol';
import { LiveCompositor, type LiveLayoutFeed } from '../egress/live-compositor.js';
import { HLS_PLAYLIST, LiveOutput, type LiveOutputTarget } from '../egress/live-output.js';
import type { RoomSession } from '../rtc/room-session.js';
import type { RoomSessions } from '../rtc/room-sessions.js';
import type { Store } from '../store/store.js';
import { killOrphanFfmpegUnder } from '../egress/orphan-files.js';
import { ffmpegAvailable } from './recording-payloads.js';
import { requireLiveSession, requireSessionRecord } from './live-session.js';

/** Ended streams kept for listing. */
const MAX_KEPT = 500;
const HLS_FILE = /^(index\.m3u8|seg-\d{5}\.ts)$/;

export interface LiveConfig {
  /** Working files: SDPs, HLS playlists and segments, previews (`DATA_DIR/live`). */
  dir: string;
  ffmpegPath: string;
  previewIntervalSeconds: number;
}

/** The live composite's canvas and slot count. */
export interface LiveCanvas {
  width: number;
  height: number;
  maxSlots: number;
}

const DEFAULT_CANVAS: LiveCanvas = { width: 1280, height: 720, maxSlots: 4 };

/**
 * The canvas `autoStartConfig.hls.config` asks for: quality (low/med/high), orientation, gridSize
 * (slots, at most 9: each is two decoded inputs); undefined when the room configures none.
 */
export function liveCanvasOf(room: Room): LiveCanvas | undefined {
  const config = autoStartConfigSchema.safeParse(room.autoStartConfig).data?.hls?.config;
  if (!config) return undefined;
  const byQuality = { low: [854, 480], med: [1280, 720], high: [1920, 1080] } as const;
  let [width, height]: readonly [number, number] = byQuality[config.quality ?? 'med'];
  if (config.orientation === 'portrait') [width, height] = [height, width];
  const grid = config.layout?.gridSize;
  const maxSlots = grid === undefined ? DEFAULT_CANVAS.maxSlots : Math.min(9, Math.max(1, grid));
  return { width, height, maxSlots };
}

export type LiveEndReason = 'api' | 'session-ended' | 'server-shutdown' | 'failed';

export type LiveManagerEvents = {
  /** An RTMP stream is sending media. */
  'stream.started': [stream: LiveStream];
  /** An RTMP stream stopped or failed. */
  'stream.ended': [stream: LiveStream];
};

interface ActiveOutput {
  stream: LiveStream;
  output: LiveOutput;
}

interface SessionLive {
  session: RoomSession;
  compositor: LiveCompositor;
  started: Promise<void>;
  outputs: Map<string, ActiveOutput>;
  preview: string | undefined;
  detach(): void;
}

export class LiveManager extends TypedEmitter<LiveManagerEvents> {
  private readonly store: Store;
  private readonly live: RoomSessions;
  private readonly log: Logger;
  private readonly config: LiveConfig;
  private readonly sessions = new Map<string, SessionLive>();
  /** Canvases of sessions whose room configured one (`autoStartConfig.hls.config`), until they end. */
  private readonly canvases = new Map<string, LiveCanvas>();
  /** Every stream this process ran, newest last (ended ones up to MAX_KEPT). */
  private readonly streams = new Map<string, LiveStream>();

  constructor(deps: { store: Store; live: RoomSessions; log: Logger; config: LiveConfig }) {
    super();
    this.store = deps.store;
    this.live = deps.live;
    this.log = deps.log;
    this.config = deps.config;
  }

  /**
   * After a crash: the compositors the previous run left (they never exit on their own) are
   * killed. Their outputs end by themselves (their stdin input closed with the old server).
   */
  async recoverAfterCrash(): Promise<number> {
    const killed = await killOrphanFfmpegUnder(path.join(this.config.dir, 'sessions'));
    if (killed.length > 0) this.log.warn({ pids: killed }, 'killed live compositors left by a previous run');
    return killed.length;
  }

  /** Starts pushing the session's composite to an RTMP(S) server. */
  async startRtmp(sessionId: string, url: string): Promise<LiveStream> {
    const session = await requireLiveSession(this.store, this.live, sessionId);
    await this.requireFfmpeg();
    const masked = maskStreamKey(url);
    const active = this.sessions.get(sessionId);
    if (active && [...active.outputs.values()].some((o) => o.output.target.kind === 'rtmp' && o.output.target.url === url)) {
      throw new AtriumError(ErrorCode.LIVESTREAM_ACTIVE, `room session "${sessionId}" already streams to ${masked}`);
    }
    return this.startOutput(session, 'rtmp', { kind: 'rtmp', url }, masked);
  }

  /** Starts HLS for the session (one per session); the playlist is served at `playlistUrl`. */
  async startHls(sessionId: string): Promise<LiveStream> {
    const session = await requireLiveSession(this.store, this.live, sessionId);
    await this.requireFfmpeg();
    const existing = [...(this.sessions.get(sessionId)?.outputs.values() ?? [])].find((o) => o.stream.kind === 'hls');
    if (existing) throw new AtriumError(ErrorCode.LIVESTREAM_ACTIVE, `room session "${sessionId}" already has HLS (${existing.stream.id})`);
    const id = randomUUID();
    return this.startOutput(session, 'hls', { kind: 'hls', dir: this.hlsDir(id) }, null, id);
  }

  async stop(sessionId: string, streamId: string, reason: LiveEndReason = 'api'): Promise<LiveStream> {
    const stream = this.streams.get(streamId);
    if (!stream || stream.sessionId !== sessionId) {
      throw new AtriumError(ErrorCode.LIVESTREAM_NOT_FOUND, `no live stream "${streamId}" in room session "${sessionId}"`);
    }
    const active = this.sessions.get(sessionId)?.outputs.get(streamId);
    if (active) await this.stopOutput(active, reason);
    return { ...this.streams.get(streamId)! };
  }

  /** `list` for the REST API: SESSION_NOT_FOUND for a session that never existed. */
  async listOfSession(sessionId: string, kind: LiveStream['kind']): Promise<LiveStream[]> {
    await requireSessionRecord(this.store, sessionId);
    return this.list(sessionId, kind);
  }

  /** The session's live streams, active and ended (this process's), oldest first. */
  list(sessionId: string, kind?: LiveStream['kind']): LiveStream[] {
    return [...this.streams.values()].filter((s) => s.sessionId === sessionId && (kind === undefined || s.kind === kind)).map((s) => ({ ...s }));
  }

  get(sessionId: string, streamId: string, kind?: LiveStream['kind']): LiveStream {
    const stream = this.streams.get(streamId);
    if (!stream || stream.sessionId !== sessionId || (kind !== undefined && stream.kind !== kind)) {
      throw new AtriumError(ErrorCode.LIVESTREAM_NOT_FOUND, `no live stream "${streamId}" in room session "${sessionId}"`);
    }
    return { ...stream };
  }

  /** The file behind `/hls/{id}/{name}`, or undefined (unknown stream, name or not written yet). */
  hlsFile(hlsId: string, name: string): string | undefined {
    const stream = this.streams.get(hlsId);
    if (!stream || stream.kind !== 'hls' || !HLS_FILE.test(name)) return undefined;
    const file = path.join(this.hlsDir(hlsId), name);
    return fs.existsSync(file) ? file : undefined;
  }

  /** The session's latest preview image, or undefined (previews off, or none written yet). */
  previewFile(sessionId: string): string | undefined {
    const file = this.sessions.get(sessionId)?.preview;
    return file && fs.existsSync(file) ? file : undefined;
  }

  /** Where a session's preview is served (when its room has previews on). */
  static previewUrl(sessionId: string): string {
    return `/previews/${sessionId}/preview.jpg`;
  }

  /** A new session of `room`: previews and automatic HLS as the room asks. */
  onSessionStarted(session: RoomSession, room: Room): void {
    const canvas = liveCanvasOf(room);
    if (canvas) {
      this.canvases.set(session.id, canvas);
      session.once('ended', () => this.canvases.delete(session.id));
    }
    if (room.enableRoomPreviews) {
      this.ensureCompositor(session, true).started.catch((error: unknown) => this.log.error({ err: error, sessionId: session.id }, 'the room preview did not start'));
    }
    if (room.autoStartConfig?.hls) {
      this.startHls(session.id).catch((error: unknown) => this.log.error({ err: error, sessionId: session.id }, 'automatic HLS did not start'));
    }
  }

  /** Stops every output and compositor (server shutdown). */
  async close(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((live) => this.release(live, 'server-shutdown')));
  }

  private async startOutput(
    session: RoomSession,
    kind: LiveStream['kind'],
    target: LiveOutputTarget,
    url: string | null,
    id: string = randomUUID(),
  ): Promise<LiveStream> {
    const stream: LiveStream = {
      id,
      kind,
      sessionId: session.id,
      roomId: session.roomId,
      status: 'starting',
      url,
      playlistUrl: kind === 'hls' ? `/hls/${id}/${HLS_PLAYLIST}` : null,
      startedAt: new Date().toISOString(),
      stoppedAt: null,
      endReason: null,
      error: null,
    };
    this.keep(stream);
    await this.webhook(stream, 'starting');
    const live = this.ensureCompositor(session, false);
    const output = new LiveOutput(this.config.ffmpegPath, target);
    const active: ActiveOutput = { stream, output };
    live.outputs.set(id, active);
    output.on('started', () => {
      if (stream.status !== 'starting') return;
      stream.status = 'streaming';
      void this.webhook(stream, 'started');
      if (kind === 'rtmp') this.emit('stream.started', { ...stream });
    });
    output.on('playable', () => void this.webhook(stream, 'playable'));
    output.on('failed', (reason) => void this.finishOutput(active, 'failed', reason));
    live.started.catch((error: unknown) => void this.finishOutput(active, 'failed', `the live composite did not start: ${(error as Error).message}`));
    return { ...stream };
  }

  private async stopOutput(active: ActiveOutput, reason: LiveEndReason): Promise<void> {
    const { stream, output } = active;
    if (stream.status === 'stopping' || stream.status === 'stopped' || stream.status === 'failed') return;
    stream.status = 'stopping';
    await this.webhook(stream, 'stopping');
    await output.stop();
    await this.finishOutput(active, reason);
  }

  /** The output is over: its final state, webhook and event; the compositor goes when unused. */
  private async finishOutput(active: ActiveOutput, reason: LiveEndReason, error?: string): Promise<void> {
    const { stream, output } = active;
    if (stream.status === 'stopped' || stream.status === 'failed') return;
    const failed = reason === 'failed';
    stream.status = failed ? 'failed' : 'stopped';
    stream.stoppedAt = new Date().toISOString();
    stream.endReason = reason;
    stream.error = error ?? null;
    if (failed) {
      this.log.warn({ streamId: stream.id, sessionId: stream.sessionId, error }, 'live stream failed');
      output.stop().catch(() => undefined);
    }
    const live = this.sessions.get(stream.sessionId);
    live?.outputs.delete(stream.id);
    await this.webhook(stream, failed ? 'failed' : 'stopped');
    if (stream.kind === 'rtmp') this.emit('stream.ended', { ...stream });
    if (live && live.outputs.size === 0 && !live.preview) await this.release(live, reason);
  }

  private ensureCompositor(session: RoomSession, preview: boolean): SessionLive {
    const existing = this.sessions.get(session.id);
    if (existing) return existing;
    const workDir = path.join(this.config.dir, 'sessions', session.id);
    const feedEvents = new EventEmitter();
    const onLayout = (): void => void feedEvents.emit('layout');
    session.on('layout.state', onLayout);
    const feed: LiveLayoutFeed = {
      layers: () => session.currentLayout().layers,
      on: (event, listener) => feedEvents.on(event, listener),
      off: (event, listener) => feedEvents.off(event, listener),
    };
    const previewFile = preview ? path.join(workDir, 'preview.jpg') : undefined;
    const compositor = new LiveCompositor({
      ...(this.canvases.get(session.id) ?? DEFAULT_CANVAS),
      ffmpegPath: this.config.ffmpegPath,
      workDir,
      feed,
      resolve: (memberId: string, tag: string, kind: TrackKind) => session.getEndpoint(memberId)?.streams.get(tag)?.publisher.tracks.get(kind) ?? null,
      ...(previewFile ? { previewFile, previewIntervalSeconds: this.config.previewIntervalSeconds } : {}),
    });
    const onEnded = (): void => void this.release(live, 'session-ended');
    session.once('ended', onEnded);
    const live: SessionLive = {
      session,
      compositor,
      started: compositor.start(),
      outputs: new Map(),
      preview: previewFile,
      detach: () => {
        session.off('layout.state', onLayout);
        session.off('ended', onEnded);
      },
    };
    compositor.on('mpegts', (chunk) => {
      for (const { output } of live.outputs.values()) output.write(chunk);
    });
    compositor.on('failed', (reason) => {
      this.log.error({ sessionId: session.id, reason }, 'the live compositor failed');
      for (const active of [...live.outputs.values()]) void this.finishOutput(active, 'failed', `the live composite failed: ${reason}`);
      live.preview = undefined;
      void this.release(live, 'failed');
    });
    this.sessions.set(session.id, live);
    return live;
  }

  /** Stops the session's outputs, then its compositor, and forgets it. */
  private async release(live: SessionLive, reason: LiveEndReason): Promise<void> {
    if (this.sessions.get(live.session.id) !== live) return;
    this.sessions.delete(live.session.id);
    live.detach();
    await Promise.all([...live.outputs.values()].map((active) => this.stopOutput(active, reason)));
    await live.started.catch(() => undefined);
    await live.compositor.stop();
  }

  private keep(stream: LiveStream): void {
    this.streams.set(stream.id, stream);
    if (this.streams.size <= MAX_KEPT) return;
    for (const [id, old] of this.streams) {
      if (this.streams.size <= MAX_KEPT) break;
      if (old.status === 'stopped' || old.status === 'failed') this.streams.delete(id);
    }
  }

  private hlsDir(hlsId: string): string {
    return path.join(this.config.dir, 'hls', hlsId);
  }

  private async webhook(stream: LiveStream, state: 'starting' | 'started' | 'playable' | 'stopping' | 'stopped' | 'failed'): Promise<void> {
    const type = `${stream.kind === 'rtmp' ? 'livestream' : 'hls'}-${state}` as WebhookEventType;
    const data: Record<string, unknown> = {
      ...(stream.kind === 'rtmp' ? { livestreamId: stream.id, outputs: stream.url ? [stream.url] : [] } : { hlsId: stream.id }),
      status: state,
      startedAt: stream.startedAt,
    };
    if (stream.kind === 'hls' && (state === 'playable' || stream.status === 'streaming')) data.playbackUrl = stream.playlistUrl;
    if (stream.stoppedAt) data.stoppedAt = stream.stoppedAt;
    if (stream.error) data.error = stream.error;
    try {
      await this.store.webhooks.enqueue({ type, roomId: stream.roomId, sessionId: stream.sessionId, data });
    } catch (error) {
      this.log.error({ err: error, type, streamId: stream.id }, 'could not queue a live stream webhook');
    }
  }

  /** LIVESTREAM_FAILED (502) when ffmpeg cannot run, before anything starts. */
  private async requireFfmpeg(): Promise<void> {
    const problem = await ffmpegAvailable(this.config.ffmpegPath);
    if (problem) throw new AtriumError(ErrorCode.LIVESTREAM_FAILED, problem);
  }

}
