/**
 * @module Composition use cases: queue a composition of a room session (or of one of its
 * recordings), render the queue one job at a time, list, read, download, delete; recovery at boot.
 * Each state change is stored with its `composition-*` webhook in one transaction.
 *
 * Restarts: a job left `processing` by a run that crashed is re-queued once (its inputs are still
 * on disk and rendering is deterministic; the orphan ffmpeg is killed and its partial file
 * removed); a job that was already interrupted once fails with `server-restart`, so a job that
 * brings the server down cannot do so forever. A graceful shutdown puts the running job back in
 * the queue without counting an attempt.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import {
  AtriumError,
  ErrorCode,
  TypedEmitter,
  layoutNameSchema,
  parseResolution,
  type Composition,
  type CreateCompositionBody,
} from '@atrium/protocol';
import { planComposition, type CompositionTrack, type RecordedRange } from '../egress/composition-plan.js';
import { CompositionRender, stopOrphanRender } from '../egress/composition-render.js';
import { probeDurationMs } from '../egress/orphan-files.js';
import type { CompositionListFilter, CompositionRecord } from '../store/composition-repository.js';
import type { RecordingRecord } from '../store/recording-repository.js';
import { ACTIVE_RECORDING_STATUSES } from '../store/recording-repository.js';
import type { Store } from '../store/store.js';
import { enqueueCompositionEvent, toComposition } from './composition-payloads.js';

export interface CompositionConfig {
  /** Where composed files land (`DATA_DIR/compositions` by default). */
  dir: string;
  /** Where the recordings' per-track files are. */
  recordingsDir: string;
  ffmpegPath: string;
  ffprobePath: string;
}

/** A job interrupted by this many crashes is failed instead of re-queued. */
const MAX_ATTEMPTS = 2;

export type CompositionManagerEvents = {
  /** A composition completed or failed (the composite output of a recording listens). */
  'composition.ended': [composition: Composition];
};

interface Running {
  id: string;
  /** Settles when the job's render has ended and its outcome is stored. */
  settled: Promise<void>;
  render: CompositionRender | undefined;
  progress: number;
  /** Set when the job is being deleted or the server is closing. */
  abort: 'delete' | 'shutdown' | undefined;
}

export class CompositionManager extends TypedEmitter<CompositionManagerEvents> {
  private readonly store: Store;
  private readonly log: Logger;
  private readonly config: CompositionConfig;
  private running: Running | undefined;
  private pumping: Promise<void> | undefined;
  private started = false;
  private closed = false;

  constructor(deps: { store: Store; log: Logger; config: CompositionConfig }) {
    super();
    this.store = deps.store;
    this.log = deps.log;
    this.config = deps.config;
  }

  /**
   * Queues a composition; validates that there is something finished to compose. `id`: the id
   * to give it (a recording's composite file is stored under the same id before it is queued).
   */
  async create(body: CreateCompositionBody, options: { id?: string } = {}): Promise<Composition> {
    const session = await this.store.sessions.getSession(body.sessionId);
    if (!session) throw new AtriumError(ErrorCode.SESSION_NOT_FOUND, `room session "${body.sessionId}" does not exist`);
    const recordings = await this.recordingsOf(body.sessionId, body.recordingId ?? null);
    const active = recordings.find((r) => ACTIVE_RECORDING_STATUSES.includes(r.status));
    if (active) {
      throw new AtriumError(ErrorCode.RECORDING_ACTIVE, `recording "${active.id}" of this session is still ${active.status}; stop it before composing`);
    }
    const tracks = await this.tracksOf(recordings);
    if (tracks.length === 0 || (body.format === 'm4a' && !tracks.some((t) => t.kind === 'audio'))) {
      throw new AtriumError(
        ErrorCode.SESSION_NOT_RECORDED,
        recordings.length === 0
          ? `room session "${body.sessionId}" has no recording to compose`
          : `room session "${body.sessionId}" has no finished ${body.format === 'm4a' ? 'audio ' : ''}track file to compose`,
      );
    }
    const room = await this.store.rooms.get(session.roomId);
    const roomLayout = layoutNameSchema.safeParse(room?.layout);
    const record: CompositionRecord = {
      id: options.id ?? randomUUID(),
      sessionId: session.id,
      roomId: session.roomId,
      recordingId: body.recordingId ?? null,
      status: 'queued',
      layout: body.layout ?? (roomLayout.success ? roomLayout.data : 'grid-responsive'),
      resolution: body.resolution,
      format: body.format,
      progress: 0,
      attempts: 0,
      path: null,
      ffmpegPid: null,
      durationMs: null,
      sizeBytes: null,
      error: null,
      createdAt: new Date().toISOString(),
      startedAt: null,
      completedAt: null,
    };
    await this.store.compositions.insert(record);
    this.pump();
    return toComposition(record);
  }

  async get(id: string): Promise<Composition> {
    const record = await this.requireRecord(id);
    return toComposition(record, this.liveProgress(id));
  }

  async list(filter: CompositionListFilter): Promise<{ data: Composition[]; nextCursor: string | null }> {
    const page = await this.store.compositions.list(filter);
    return { data: page.data.map((r) => toComposition(r, this.liveProgress(r.id))), nextCursor: page.nextCursor };
  }

  /** The finished file, for download. COMPOSITION_NOT_READY until completed. */
  async fileForDownload(id: string): Promise<{ path: string; size: number; name: string; contentType: string }> {
    const record = await this.requireRecord(id);
    if (record.status !== 'completed' || record.path === null) {
      throw new AtriumError(
        ErrorCode.COMPOSITION_NOT_READY,
        record.status === 'failed' ? `composition "${id}" failed: ${record.error ?? 'unknown error'}` : `composition "${id}" is ${record.status}; download it once completed`,
      );
    }
    const absolute = path.join(this.config.dir, record.path);
    const size = fs.statSync(absolute, { throwIfNoEntry: false })?.size;
    if (size === undefined) throw new AtriumError(ErrorCode.NOT_FOUND, `the file of composition "${id}" is no longer on disk`);
    return { path: absolute, size, name: path.basename(record.path), contentType: record.format === 'm4a' ? 'audio/mp4' : 'video/mp4' };
  }

  /** Deletes a composition (stopping its render) with its file. False when it does not exist. */
  async delete(id: string): Promise<boolean> {
    const running = this.running;
    if (running?.id === id) {
      running.abort = 'delete';
      await running.render?.cancel();
      await running.settled;
    }
    const record = await this.store.compositions.get(id);
    if (!record) return false;
    await this.store.compositions.delete(id);
    if (record.path) fs.rmSync(path.join(this.config.dir, record.path), { force: true });
    return true;
  }

  /** Compositions of one recording, newest last (its composite output). */
  async listForRecording(recordingId: string): Promise<Composition[]> {
    return (await this.store.compositions.listForRecording(recordingId)).map((r) => toComposition(r, this.liveProgress(r.id)));
  }

  /**
   * Finishes what a previous run left: `processing` jobs are re-queued (or failed after
   * MAX_ATTEMPTS interruptions), their orphan ffmpeg killed. Then the queue starts.
   */
  async recoverAfterCrash(): Promise<number> {
    const interrupted = await this.store.compositions.listByStatus('processing');
    for (const record of interrupted) {
      await stopOrphanRender(record.ffmpegPid, this.outputOf(record));
      if (record.attempts >= MAX_ATTEMPTS) {
        await this.finish(record, { status: 'failed', error: 'server-restart: the server stopped while rendering, again' });
      } else {
        await this.store.compositions.update(record.id, { status: 'queued', progress: 0, ffmpegPid: null }, ['processing']);
      }
    }
    if (interrupted.length > 0) this.log.warn({ compositions: interrupted.length }, 'compositions interrupted by a previous run were recovered');
    return interrupted.length;
  }

  /** Starts rendering the queue. */
  start(): void {
    this.started = true;
    this.pump();
  }

  /** Pid of the ffmpeg rendering now (benchmarks, tests). */
  renderingPid(): number | undefined {
    return this.running?.render?.pid;
  }

  /** Stops the render in progress and puts it back in the queue (server shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    const running = this.running;
    if (running) {
      running.abort = 'shutdown';
      await running.render?.cancel();
      await running.settled;
    }
    await this.pumping;
  }

  // -------------------------------------------------------------------------------------------

  private async requireRecord(id: string): Promise<CompositionRecord> {
    const record = await this.store.compositions.get(id);
    if (!record) throw new AtriumError(ErrorCode.COMPOSITION_NOT_FOUND, `composition "${id}" does not exist`);
    return record;
  }

  private liveProgress(id: string): number | undefined {
    return this.running?.id === id ? this.running.progress : undefined;
  }

  private outputOf(record: Pick<CompositionRecord, 'id' | 'format'>): string {
    return path.join(this.config.dir, `${record.id}.${record.format}`);
  }

  /** Renders queued jobs one after another until the queue is empty. */
  private pump(): void {
    if (!this.started || this.closed || this.pumping) return;
    this.pumping = (async () => {
      try {
        for (;;) {
          if (this.closed) return;
          const next = await this.store.compositions.nextQueued();
          if (!next) return;
          await this.render(next);
        }
      } catch (error) {
        this.log.error({ err: error }, 'the composition queue stopped');
      } finally {
        this.pumping = undefined;
        this.running = undefined;
      }
    })();
  }

  private async render(queued: CompositionRecord): Promise<void> {
    const startedAt = new Date().toISOString();
    const record: CompositionRecord = { ...queued, status: 'processing', startedAt, attempts: queued.attempts + 1, progress: 0 };
    const claimed = await this.store.transaction(async (tx) => {
      if (!(await tx.compositions.update(record.id, { status: 'processing', startedAt, attempts: record.attempts, progress: 0 }, ['queued']))) return false;
      await enqueueCompositionEvent(tx, record, 'composition-started');
      return true;
    });
    if (!claimed) return;
    let settle = (): void => undefined;
    const running: Running = { id: record.id, settled: new Promise((resolve) => (settle = resolve)), render: undefined, progress: 0, abort: undefined };
    this.running = running;
    try {
      await this.renderClaimed(queued, record, running);
    } finally {
      settle();
    }
  }

  private async renderClaimed(queued: CompositionRecord, record: CompositionRecord, running: Running): Promise<void> {
    let result: { ok: true; sizeBytes: number; durationMs: number } | { ok: false; error: string };
    const began = process.hrtime.bigint();
    try {
      const recordings = await this.recordingsOf(record.sessionId, record.recordingId);
      const tracks = await this.readableTracks(await this.tracksOf(recordings), record.id);
      if (tracks.length === 0) throw new Error('no readable recording file to compose (deleted since the composition was queued, or unreadable)');
      const plan = planComposition({ tracks, recorded: recordedRanges(recordings), layout: record.layout, canvas: parseResolution(record.resolution), format: record.format });
      fs.mkdirSync(this.config.dir, { recursive: true });
      const render = await CompositionRender.start({ ffmpegPath: this.config.ffmpegPath, plan, format: record.format, output: this.outputOf(record) });
      running.render = render;
      // Deleted or shut down while the inputs were being checked.
      if (running.abort) void render.cancel();
      render.on('progress', (percent) => {
        running.progress = percent;
      });
      await this.store.compositions.update(record.id, { ffmpegPid: render.pid ?? null });
      this.log.info({ compositionId: record.id, inputs: plan.inputs.length, outputMs: plan.outputMs, intervals: plan.intervals.length }, 'composition rendering');
      result = await render.done;
    } catch (error) {
      result = { ok: false, error: (error as Error).message };
    }
    if (running.abort === 'delete') return;
    if (running.abort === 'shutdown') {
      await this.store.compositions.update(record.id, { status: 'queued', progress: 0, ffmpegPid: null, attempts: queued.attempts }, ['processing']);
      return;
    }
    const wallSeconds = Number(process.hrtime.bigint() - began) / 1e9;
    if (result.ok) {
      this.log.info({ compositionId: record.id, outputMs: result.durationMs, wallSeconds }, 'composition completed');
      await this.finish(record, { status: 'completed', path: path.basename(this.outputOf(record)), sizeBytes: result.sizeBytes, durationMs: result.durationMs, progress: 100 });
    } else {
      this.log.warn({ compositionId: record.id, error: result.error }, 'composition failed');
      await this.finish(record, { status: 'failed', error: result.error });
    }
  }

  private async finish(
    record: CompositionRecord,
    outcome: { status: 'completed' | 'failed'; error?: string; path?: string; sizeBytes?: number; durationMs?: number; progress?: number },
  ): Promise<void> {
    const final: CompositionRecord = {
      ...record,
      status: outcome.status,
      completedAt: new Date().toISOString(),
      error: outcome.error ?? null,
      path: outcome.path ?? null,
      sizeBytes: outcome.sizeBytes ?? null,
      durationMs: outcome.durationMs ?? null,
      progress: outcome.progress ?? record.progress,
      ffmpegPid: null,
    };
    const stored = await this.store.transaction(async (tx) => {
      const { status, completedAt, error, path: file, sizeBytes, durationMs, progress } = final;
      if (!(await tx.compositions.update(record.id, { status, completedAt, error, path: file, sizeBytes, durationMs, progress, ffmpegPid: null }, ['processing']))) return false;
      await enqueueCompositionEvent(tx, final, outcome.status === 'completed' ? 'composition-completed' : 'composition-failed');
      return true;
    });
    if (stored) this.emit('composition.ended', toComposition(final));
  }

  /** The tracks whose file ffprobe can read: one broken track file must not sink the composition. */
  private async readableTracks(tracks: CompositionTrack[], compositionId: string): Promise<CompositionTrack[]> {
    const readable: CompositionTrack[] = [];
    for (const track of tracks) {
      if ((await probeDurationMs(this.config.ffprobePath, track.file)) !== undefined) readable.push(track);
      else this.log.warn({ compositionId, trackFile: track.file }, 'an unreadable track file is left out of the composition');
    }
    return readable;
  }

  /** The recordings a composition draws from: the one named, or every one of the session (oldest first). */
  private async recordingsOf(sessionId: string, recordingId: string | null): Promise<RecordingRecord[]> {
    if (recordingId !== null) {
      const recording = await this.store.recordings.get(recordingId);
      if (!recording || recording.sessionId !== sessionId) {
        throw new AtriumError(ErrorCode.RECORDING_NOT_FOUND, `room session "${sessionId}" has no recording "${recordingId}"`);
      }
      return [recording];
    }
    const recordings: RecordingRecord[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.store.recordings.list({ sessionId, limit: 100, cursor });
      recordings.push(...page.data);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return recordings.reverse();
  }

  /** The finished per-track files of the recordings, placed on the wall clock. */
  private async tracksOf(recordings: readonly RecordingRecord[]): Promise<CompositionTrack[]> {
    const files = await this.store.recordings.listFilesOf(recordings.map((r) => r.id));
    const tracks: CompositionTrack[] = [];
    for (const recording of recordings) {
      for (const file of files.get(recording.id) ?? []) {
        if (file.output !== 'track' || file.status !== 'finished' || file.kind === null || file.endpointId === null || !file.durationMs) continue;
        tracks.push({
          id: file.id,
          endpointId: file.endpointId,
          tag: file.tag ?? 'camera',
          kind: file.kind,
          file: path.join(this.config.recordingsDir, file.path),
          startMs: Date.parse(recording.startedAt) + file.offsetMs,
          durationMs: file.durationMs,
        });
      }
    }
    return tracks;
  }
}

/** What each recording covered: start to stop, paused stretches left out. */
export function recordedRanges(recordings: readonly RecordingRecord[]): RecordedRange[] {
  const ranges: RecordedRange[] = [];
  for (const recording of recordings) {
    if (recording.stoppedAt === null) continue;
    let from = Date.parse(recording.startedAt);
    const stop = Date.parse(recording.stoppedAt);
    for (const pause of [...recording.pauses].sort((a, b) => Date.parse(a.pausedAt) - Date.parse(b.pausedAt))) {
      const pausedAt = Date.parse(pause.pausedAt);
      const resumedAt = pause.resumedAt === null ? stop : Date.parse(pause.resumedAt);
      if (pausedAt > from) ranges.push({ startMs: from, endMs: Math.min(pausedAt, stop) });
      from = Math.max(from, resumedAt);
    }
    if (stop > from) ranges.push({ startMs: from, endMs: stop });
  }
  return ranges;
}
