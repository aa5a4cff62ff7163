/**
 * @module Recording use cases: start (REST, SDK via signaling, or automatically when a session
 * starts), pause, resume, stop, list, read, download, delete; crash recovery at boot. It joins the
 * live room session (rtc), the ffmpeg side (egress), the store and the webhook outbox: each state
 * change is stored with its webhook events in one transaction, one recording's writes in order.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import {
  AtriumError,
  ErrorCode,
  TypedEmitter,
  type Recording,
  type Room,
  type StreamInfo,
} from '@atrium/protocol';
import type { Endpoint } from '../rtc/endpoint.js';
import type { RoomSession, SessionEndReason } from '../rtc/room-session.js';
import type { RoomSessions } from '../rtc/room-sessions.js';
import { SessionRecording, type TrackFileInfo } from '../egress/session-recording.js';
import type { TrackRecordingResult } from '../egress/track-recorder.js';
import { salvagePartialFile, stopOrphanFfmpeg } from '../egress/orphan-files.js';
import type {
  RecordingFileRecord,
  RecordingListFilter,
  RecordingRecord,
} from '../store/recording-repository.js';
import { ACTIVE_RECORDING_STATUSES } from '../store/recording-repository.js';
import type { Store } from '../store/store.js';
import { requireLiveSession } from './live-session.js';
import { enqueueParticipantEvent, enqueueRecordingEvent, enqueueTrackEvent, ffmpegAvailable, toRecording } from './recording-payloads.js';

/** Below this much free space in the recordings directory, a recording does not start. */
const MIN_FREE_BYTES = 64 * 1024 * 1024;

export interface RecordingConfig {
  /** Where files land (`DATA_DIR/recordings` by default). */
  dir: string;
  ffmpegPath: string;
  ffprobePath: string;
}

export interface StartRecordingOptions {
  outputs?: Array<'tracks' | 'composite'>;
}

/** Why a recording stopped (stored, and in the API). */
export type RecordingEndReason = 'api' | 'session-ended' | 'server-shutdown' | 'server-restart' | 'failed' | 'deleted';

interface LiveRecording {
  record: RecordingRecord;
  egress: SessionRecording;
  session: RoomSession;
  /** Files being written per endpoint, for participant-recording-* events. */
  perEndpoint: Map<string, number>;
  /** Removes the room session listeners. */
  detach(): void;
  ending: Promise<void> | undefined;
}

/** For signaling (SDK `recording.*` events) and other watchers: each recording's changes. */
export type RecordingManagerEvents = {
  /** Every file that could start has started. */
  'recording.started': [recording: Recording];
  /** Paused, resumed, or a file started or ended. */
  'recording.updated': [recording: Recording];
  /** Stopped or failed. */
  'recording.ended': [recording: Recording];
};

export class RecordingManager extends TypedEmitter<RecordingManagerEvents> {
  private readonly store: Store;
  private readonly live: RoomSessions;
  private readonly log: Logger;
  private readonly config: RecordingConfig;
  private readonly active = new Map<string, LiveRecording>();
  /** Session ids with a start in progress, so two starts racing make one recording. */
  private readonly starting = new Set<string>();
  private readonly writes = new Map<string, Promise<void>>();

  constructor(deps: { store: Store; live: RoomSessions; log: Logger; config: RecordingConfig }) {
    super();
    this.store = deps.store;
    this.live = deps.live;
    this.log = deps.log;
    this.config = deps.config;
  }

  /** Starts recording a live room session. RECORDING_ACTIVE if one is already recording it. */
  async start(sessionId: string, options: StartRecordingOptions = {}): Promise<Recording> {
    const session = await requireLiveSession(this.store, this.live, sessionId);
    if (this.starting.has(sessionId) || [...this.active.values()].some((r) => r.record.sessionId === sessionId)) {
      throw new AtriumError(ErrorCode.RECORDING_ACTIVE, `room session "${sessionId}" is already being recorded`);
    }
    this.starting.add(sessionId);
    try {
      if (await this.store.recordings.getActiveForSession(sessionId)) {
        throw new AtriumError(ErrorCode.RECORDING_ACTIVE, `room session "${sessionId}" is already being recorded`);
      }
      const record: RecordingRecord = {
        id: randomUUID(),
        sessionId,
        roomId: session.roomId,
        status: 'starting',
        outputs: options.outputs ?? ['tracks'],
        startedAt: new Date().toISOString(),
        stoppedAt: null,
        endReason: null,
        error: null,
        pauses: [],
      };
      await this.store.transaction(async (tx) => {
        await tx.recordings.insert(record);
        await enqueueRecordingEvent(tx, record, 'recording-starting');
      });
      const problem = await this.preflight();
      if (problem) {
        await this.finishRecord(record, 'failed', 'failed', problem);
        throw new AtriumError(ErrorCode.RECORDING_FAILED, problem);
      }
      let live: LiveRecording;
      try {
        fs.mkdirSync(path.join(this.config.dir, record.id), { recursive: true });
        live = this.attach(record, session);
      } catch (error) {
        const reason = `the recording could not start: ${(error as Error).message}`;
        await this.finishRecord(record, 'failed', 'failed', reason);
        throw new AtriumError(ErrorCode.RECORDING_FAILED, reason);
      }
      // Every stream published now; later ones arrive through the session's events.
      await Promise.all(
        session.listEndpoints().flatMap((endpoint) => [...endpoint.streams.values()].map((stream) => this.recordStream(live, endpoint, stream.tag))),
      );
      if (live.ending) {
        await live.ending;
        // Every ffmpeg failed at once (e.g. the disk filled): say so instead of answering 201.
        if (record.status === 'failed') throw new AtriumError(ErrorCode.RECORDING_FAILED, record.error ?? 'the recording failed');
      } else {
        record.status = 'recording';
        this.enqueueWrite(record.id, async (tx) => {
          if (await tx.recordings.update(record.id, { status: 'recording' }, ['starting'])) await enqueueRecordingEvent(tx, record, 'recording-started');
        });
        await this.writes.get(record.id);
      }
      const started = await this.get(record.id);
      if (started.status === 'recording') this.emit('recording.started', started);
      return started;
    } finally {
      this.starting.delete(sessionId);
    }
  }

  async stop(recordingId: string, reason: RecordingEndReason = 'api'): Promise<Recording> {
    const record = await this.requireRecord(recordingId);
    const live = this.active.get(recordingId);
    if (!live) {
      if (!ACTIVE_RECORDING_STATUSES.includes(record.status)) {
        throw new AtriumError(ErrorCode.RECORDING_NOT_ACTIVE, `recording "${recordingId}" is ${record.status}`);
      }
      // Active in the store but not here: left by a run that is gone.
      await this.finishRecord(record, 'failed', reason, 'the server that made this recording is gone');
      return this.get(recordingId);
    }
    await this.end(live, 'stopped', reason);
    return this.get(recordingId);
  }

  async setPaused(recordingId: string, paused: boolean): Promise<Recording> {
    await this.requireRecord(recordingId);
    const live = this.active.get(recordingId);
    if (!live || live.ending) throw new AtriumError(ErrorCode.RECORDING_NOT_ACTIVE, `recording "${recordingId}" is not active`);
    const { record } = live;
    if ((record.status === 'paused') === paused) return this.get(recordingId);
    const now = new Date().toISOString();
    if (paused) record.pauses.push({ pausedAt: now, resumedAt: null });
    else {
      const open = record.pauses[record.pauses.length - 1];
      if (open) open.resumedAt = now;
    }
    record.status = paused ? 'paused' : 'recording';
    live.egress.setPaused(paused);
    const pauses = record.pauses.map((p) => ({ ...p }));
    this.enqueueWrite(record.id, (tx) => tx.recordings.update(record.id, { status: record.status, pauses }, ['recording', 'paused', 'starting']).then(() => undefined));
    await this.writes.get(record.id);
    const updated = await this.get(recordingId);
    this.emit('recording.updated', updated);
    return updated;
  }

  async get(recordingId: string): Promise<Recording> {
    const record = await this.requireRecord(recordingId);
    return toRecording(record, await this.store.recordings.listFiles(recordingId));
  }

  async list(filter: RecordingListFilter): Promise<{ data: Recording[]; nextCursor: string | null }> {
    const page = await this.store.recordings.list(filter);
    const files = await this.store.recordings.listFilesOf(page.data.map((r) => r.id));
    return { data: page.data.map((r) => toRecording(r, files.get(r.id) ?? [])), nextCursor: page.nextCursor };
  }

  /** The file to download: the one named by `fileId`, or the recording's only file. */
  async fileForDownload(recordingId: string, fileId: string | undefined): Promise<{ path: string; size: number; name: string; contentType: string }> {
    await this.requireRecord(recordingId);
    const files = await this.store.recordings.listFiles(recordingId);
    let file: RecordingFileRecord | undefined;
    if (fileId !== undefined) {
      file = files.find((f) => f.id === fileId);
      if (!file) throw new AtriumError(ErrorCode.NOT_FOUND, `recording "${recordingId}" has no file "${fileId}"`);
    } else {
      const composite = files.find((f) => f.output === 'composite' && f.status === 'finished');
      const ready = composite ? [composite] : files.filter((f) => f.status === 'finished');
      if (ready.length !== 1) {
        throw new AtriumError(
          ErrorCode.VALIDATION_FAILED,
          ready.length === 0 ? 'the recording has no finished file yet' : 'the recording has several files: name one with ?track=<file id>',
          ready.map((f) => ({ path: 'track', message: `${f.id}: ${f.kind} of ${f.endpointId}/${f.tag}` })),
        );
      }
      file = ready[0];
    }
    if (!file || file.status === 'failed') {
      throw new AtriumError(ErrorCode.NOT_FOUND, `file "${fileId}" failed (${file?.error ?? 'missing'}); there is nothing to download`);
    }
    if (file.status !== 'finished') {
      throw new AtriumError(ErrorCode.RECORDING_ACTIVE, `file "${fileId}" is still being written; it can be downloaded once the recording stops`);
    }
    const absolute = path.join(this.config.dir, file.path);
    const size = fs.statSync(absolute, { throwIfNoEntry: false })?.size;
    if (size === undefined) throw new AtriumError(ErrorCode.NOT_FOUND, `the file of "${file.id}" is no longer on disk`);
    const contentType =
      file.output === 'composite' ? (file.codec === 'aac' ? 'audio/mp4' : 'video/mp4') : file.kind === 'audio' ? 'audio/webm' : 'video/webm';
    return { path: absolute, size, name: path.basename(file.path), contentType };
  }

  /** Deletes a recording (stopping it first) with its files. False when it does not exist. */
  async delete(recordingId: string): Promise<boolean> {
    const live = this.active.get(recordingId);
    if (live) await this.end(live, 'stopped', 'deleted');
    await this.writes.get(recordingId);
    const deleted = await this.store.recordings.delete(recordingId);
    fs.rmSync(path.join(this.config.dir, recordingId), { recursive: true, force: true });
    return deleted;
  }

  /** Starts a recording if the room asks for one at session start (`recording`, `recordOnStart`, `autoStartConfig.recording`). */
  onSessionStarted(session: RoomSession, room: Room): void {
    if (!(room.recording || room.recordOnStart || room.autoStartConfig?.recording)) return;
    // autoStartConfig.recording describes the composite (layout, mode): the room asks for one.
    this.start(session.id, { outputs: room.autoStartConfig?.recording ? ['tracks', 'composite'] : ['tracks'] }).catch((error: unknown) => this.log.error({ err: error, sessionId: session.id }, 'automatic recording did not start'));
  }

  /**
   * Finishes what a crashed run left: each file still being written is closed (its orphan ffmpeg
   * stopped) and kept if readable; the recording is `stopped` (reason `server-restart`) when a file
   * survived, `failed` otherwise. Sends the matching webhooks.
   */
  async recoverAfterCrash(): Promise<number> {
    const open = await this.store.recordings.listActive();
    for (const record of open) {
      const files = await this.store.recordings.listFiles(record.id);
      let kept = files.some((f) => f.status === 'finished');
      for (const file of files.filter((f) => f.status === 'recording')) {
        const absolute = path.join(this.config.dir, file.path);
        await stopOrphanFfmpeg(file.ffmpegPid, absolute);
        const salvaged = await salvagePartialFile(this.config.ffprobePath, absolute);
        const endedAt = new Date().toISOString();
        await this.store.transaction(async (tx) => {
          if (salvaged.ok) {
            await tx.recordings.updateFile(file.id, { status: 'finished', endedAt, durationMs: salvaged.durationMs, sizeBytes: salvaged.sizeBytes, ffmpegPid: null });
            await enqueueTrackEvent(tx, record, file, 'participant-track-recording-stopped');
          } else {
            await tx.recordings.updateFile(file.id, { status: 'failed', endedAt, error: salvaged.error, ffmpegPid: null });
            await enqueueTrackEvent(tx, record, file, 'participant-track-recording-failed', salvaged.error);
          }
        });
        kept ||= salvaged.ok;
      }
      if (kept) await this.finishRecord(record, 'stopped', 'server-restart', null);
      else await this.finishRecord(record, 'failed', 'server-restart', 'the server stopped while recording; no file could be finished');
    }
    if (open.length > 0) this.log.warn({ recordings: open.length }, 'finished recordings left open by a previous run');
    return open.length;
  }

  /** Stops every active recording (server shutdown). */
  async close(): Promise<void> {
    await Promise.all([...this.active.values()].map((live) => this.end(live, 'stopped', 'server-shutdown')));
    while (this.writes.size > 0) await Promise.all([...this.writes.values()]);
  }

  /** Pids of the ffmpeg processes writing a recording now (benchmarks, tests). */
  ffmpegPids(recordingId: string): number[] {
    return this.active.get(recordingId)?.egress.pids() ?? [];
  }

  // -------------------------------------------------------------------------------------------

  private attach(record: RecordingRecord, session: RoomSession): LiveRecording {
    const egress = new SessionRecording({ id: record.id, recordingsDir: this.config.dir, ffmpegPath: this.config.ffmpegPath });
    const live: LiveRecording = { record, egress, session, perEndpoint: new Map(), detach: () => undefined, ending: undefined };
    this.active.set(record.id, live);
    const onPublished = (endpoint: Endpoint, stream: StreamInfo): void => void this.recordStream(live, endpoint, stream.tag);
    const onUnpublished = (endpoint: Endpoint, tag: string): void => void egress.removeStream(endpoint.id, tag);
    const onEnded = (_reason: SessionEndReason): void => void this.end(live, 'stopped', 'session-ended');
    session.on('stream.published', onPublished);
    session.on('stream.unpublished', onUnpublished);
    session.on('ended', onEnded);
    live.detach = () => {
      session.off('stream.published', onPublished);
      session.off('stream.unpublished', onUnpublished);
      session.off('ended', onEnded);
    };
    egress.on('file.started', (file) => this.onFileStarted(live, file));
    egress.on('file.finished', (file, result) => this.onFileFinished(live, file, result));
    egress.on('file.failed', (file, reason, result) => this.onFileFailed(live, file, reason, result));
    return live;
  }

  private recordStream(live: LiveRecording, endpoint: Endpoint, tag: string): Promise<void> {
    const stream = endpoint.streams.get(tag);
    if (!stream) return Promise.resolve();
    return Promise.all(
      [...stream.publisher.tracks.entries()].map(([kind, track]) => live.egress.addTrack({ endpointId: endpoint.id, tag, kind, track })),
    ).then(() => undefined);
  }

  private onFileStarted(live: LiveRecording, file: TrackFileInfo): void {
    const { record } = live;
    const count = (live.perEndpoint.get(file.endpointId) ?? 0) + 1;
    live.perEndpoint.set(file.endpointId, count);
    const row = this.fileRecord(record, file);
    this.enqueueWrite(record.id, async (tx) => {
      await tx.recordings.insertFile(row);
      if (count === 1) await enqueueParticipantEvent(tx, record, file.endpointId, 'participant-recording-started');
      await enqueueTrackEvent(tx, record, row, 'participant-track-recording-started');
    });
  }

  private onFileFinished(live: LiveRecording, file: TrackFileInfo, result: TrackRecordingResult): void {
    const { record } = live;
    const count = (live.perEndpoint.get(file.endpointId) ?? 1) - 1;
    live.perEndpoint.set(file.endpointId, count);
    const startedAt = result.firstPacketAt ?? file.startedAt;
    // A track that sent nothing (closed at once, or muted throughout) leaves no usable file.
    const empty = result.firstPacketAt === undefined || result.sizeBytes === 0;
    const changes = {
      status: empty ? ('failed' as const) : ('finished' as const),
      error: empty ? 'no media arrived for this track' : null,
      startedAt: new Date(startedAt).toISOString(),
      offsetMs: Math.max(0, startedAt - Date.parse(record.startedAt)),
      endedAt: new Date().toISOString(),
      durationMs: result.durationMs,
      sizeBytes: result.sizeBytes,
      ffmpegPid: null,
    };
    const row = { ...this.fileRecord(record, file), ...changes };
    this.enqueueWrite(record.id, async (tx) => {
      await tx.recordings.updateFile(file.id, changes);
      if (empty) await enqueueTrackEvent(tx, record, row, 'participant-track-recording-failed', changes.error ?? undefined);
      else await enqueueTrackEvent(tx, record, row, 'participant-track-recording-stopped');
      if (count === 0) await enqueueParticipantEvent(tx, record, file.endpointId, 'participant-recording-stopped');
    });
  }

  private onFileFailed(live: LiveRecording, file: TrackFileInfo, reason: string, result: TrackRecordingResult): void {
    const { record } = live;
    this.log.warn({ recordingId: record.id, fileId: file.id, reason }, 'recording ffmpeg failed');
    const started = file.ffmpegPid !== undefined;
    const row: RecordingFileRecord = { ...this.fileRecord(record, file), status: 'failed', endedAt: new Date().toISOString(), error: reason, durationMs: result.durationMs, ffmpegPid: null };
    this.enqueueWrite(record.id, async (tx) => {
      if (started) await tx.recordings.updateFile(file.id, { status: 'failed', endedAt: row.endedAt, error: reason, durationMs: row.durationMs, ffmpegPid: null });
      else await tx.recordings.insertFile(row);
      await enqueueTrackEvent(tx, record, row, 'participant-track-recording-failed', reason);
    });
    void this.end(live, 'failed', 'failed', reason);
  }

  /** Stops every file of a live recording and stores the outcome. Idempotent. */
  private end(live: LiveRecording, status: 'stopped' | 'failed', reason: RecordingEndReason, error: string | null = null): Promise<void> {
    live.ending ??= (async () => {
      const { record } = live;
      live.detach();
      if (status === 'stopped') {
        this.enqueueWrite(record.id, async (tx) => {
          if (await tx.recordings.update(record.id, { status: 'stopping' }, ['starting', 'recording', 'paused'])) {
            await enqueueRecordingEvent(tx, { ...record, status: 'stopping' }, 'recording-stopping');
          }
        });
      }
      try {
        await live.egress.stop();
      } finally {
        this.active.delete(record.id);
        await this.finishRecord(record, status, reason, error);
      }
    })();
    return live.ending;
  }

  /** Stores the final status of a recording with its webhook (after its queued writes). */
  private async finishRecord(record: RecordingRecord, status: 'stopped' | 'failed', reason: RecordingEndReason, error: string | null): Promise<void> {
    const stoppedAt = new Date().toISOString();
    const pauses = record.pauses.map((p) => ({ ...p, resumedAt: p.resumedAt ?? stoppedAt }));
    const final: RecordingRecord = { ...record, status, stoppedAt, endReason: reason, error, pauses };
    Object.assign(record, final);
    this.enqueueWrite(record.id, async (tx) => {
      if (!(await tx.recordings.update(record.id, { status, stoppedAt, endReason: reason, error, pauses }, ACTIVE_RECORDING_STATUSES))) return;
      await enqueueRecordingEvent(tx, final, status === 'stopped' ? 'recording-stopped' : 'recording-failed');
    });
    await this.writes.get(record.id);
    const ended = await this.store.recordings.get(record.id);
    if (ended) this.emit('recording.ended', toRecording(ended, await this.store.recordings.listFiles(record.id)));
  }

  private fileRecord(record: RecordingRecord, file: TrackFileInfo): RecordingFileRecord {
    return {
      id: file.id,
      recordingId: record.id,
      output: 'track',
      endpointId: file.endpointId,
      tag: file.tag,
      kind: file.kind,
      codec: file.codec,
      container: file.container,
      path: file.relativePath,
      status: 'recording',
      offsetMs: Math.max(0, file.startedAt - Date.parse(record.startedAt)),
      startedAt: new Date(file.startedAt).toISOString(),
      endedAt: null,
      durationMs: null,
      sizeBytes: null,
      ffmpegPid: file.ffmpegPid ?? null,
      error: null,
    };
  }

  /** A reason the recording cannot start (ffmpeg missing, disk full), or undefined. */
  private async preflight(): Promise<string | undefined> {
    try {
      fs.mkdirSync(this.config.dir, { recursive: true });
      const stats = fs.statfsSync(this.config.dir);
      if (stats.bavail * stats.bsize < MIN_FREE_BYTES) {
        return `the disk of ${this.config.dir} is full (ENOSPC: less than ${MIN_FREE_BYTES >> 20} MiB free)`;
      }
    } catch (error) {
      return `the recordings directory ${this.config.dir} is not usable: ${(error as Error).message}`;
    }
    return ffmpegAvailable(this.config.ffmpegPath);
  }

  private enqueueWrite(recordingId: string, work: (tx: Store) => Promise<void>): void {
    const previous = this.writes.get(recordingId) ?? Promise.resolve();
    const next = previous
      .then(() => this.store.transaction(work))
      .catch((error: unknown) => this.log.error({ err: error, recordingId }, 'storing recording state failed'));
    this.writes.set(recordingId, next);
    void next.then(() => {
      if (this.writes.get(recordingId) === next) this.writes.delete(recordingId);
    });
  }

  private async requireRecord(recordingId: string): Promise<RecordingRecord> {
    await this.writes.get(recordingId);
    const record = await this.store.recordings.get(recordingId);
    if (!record) throw new AtriumError(ErrorCode.RECORDING_NOT_FOUND, `recording "${recordingId}" does not exist`);
    return record;
  }

}
