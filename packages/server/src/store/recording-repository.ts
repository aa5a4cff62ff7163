/**
 * @module Recordings and their files, as history: status, pauses, per-track files with their
 * offsets on the recording's timeline. The live ffmpeg processes are in egress/.
 */
import type { Kysely, Selectable, Updateable } from 'kysely';
import type { Database, RecordingFilesTable, RecordingsTable } from './schema.js';
import { decodeCursor, toPage } from './cursor.js';

export type RecordingStatus = 'starting' | 'recording' | 'paused' | 'stopping' | 'stopped' | 'failed';
export type RecordingFileStatus = 'recording' | 'finished' | 'failed';

export interface RecordingPause {
  pausedAt: string;
  resumedAt: string | null;
}

export interface RecordingRecord {
  id: string;
  sessionId: string;
  roomId: string;
  status: RecordingStatus;
  outputs: string[];
  startedAt: string;
  stoppedAt: string | null;
  endReason: string | null;
  error: string | null;
  pauses: RecordingPause[];
}

export interface RecordingFileRecord {
  id: string;
  recordingId: string;
  output: 'track' | 'composite';
  endpointId: string | null;
  tag: string | null;
  kind: 'audio' | 'video' | null;
  codec: string;
  container: string;
  /** Relative to the recordings directory. */
  path: string;
  status: RecordingFileStatus;
  offsetMs: number;
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  sizeBytes: number | null;
  ffmpegPid: number | null;
  error: string | null;
}

export interface RecordingListFilter {
  roomId?: string;
  sessionId?: string;
  status?: RecordingStatus;
  limit: number;
  cursor?: string;
}

/** Statuses of a recording that still has (or had, before a crash) ffmpeg processes. */
export const ACTIVE_RECORDING_STATUSES: readonly RecordingStatus[] = ['starting', 'recording', 'paused', 'stopping'];

const toRecording = (row: Selectable<RecordingsTable>): RecordingRecord => ({
  id: row.id,
  sessionId: row.session_id,
  roomId: row.room_id,
  status: row.status as RecordingStatus,
  outputs: JSON.parse(row.outputs) as string[],
  startedAt: row.started_at,
  stoppedAt: row.stopped_at,
  endReason: row.end_reason,
  error: row.error,
  pauses: JSON.parse(row.pauses) as RecordingPause[],
});

const toFile = (row: Selectable<RecordingFilesTable>): RecordingFileRecord => ({
  id: row.id,
  recordingId: row.recording_id,
  output: row.output as RecordingFileRecord['output'],
  endpointId: row.endpoint_id,
  tag: row.tag,
  kind: row.kind as RecordingFileRecord['kind'],
  codec: row.codec,
  container: row.container,
  path: row.path,
  status: row.status as RecordingFileStatus,
  offsetMs: Number(row.offset_ms),
  startedAt: row.started_at,
  endedAt: row.ended_at,
  durationMs: row.duration_ms === null ? null : Number(row.duration_ms),
  sizeBytes: row.size_bytes === null ? null : Number(row.size_bytes),
  ffmpegPid: row.ffmpeg_pid,
  error: row.error,
});

export type RecordingChanges = Partial<Pick<RecordingRecord, 'status' | 'stoppedAt' | 'endReason' | 'error' | 'pauses'>>;
export type RecordingFileChanges = Partial<
  Pick<RecordingFileRecord, 'status' | 'startedAt' | 'endedAt' | 'durationMs' | 'sizeBytes' | 'ffmpegPid' | 'error' | 'offsetMs' | 'path'>
>;

export class RecordingRepository {
  private readonly db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.db = db;
  }

  async insert(recording: RecordingRecord): Promise<void> {
    await this.db
      .insertInto('recordings')
      .values({
        id: recording.id,
        session_id: recording.sessionId,
        room_id: recording.roomId,
        status: recording.status,
        outputs: JSON.stringify(recording.outputs),
        started_at: recording.startedAt,
        stopped_at: recording.stoppedAt,
        end_reason: recording.endReason,
        error: recording.error,
        pauses: JSON.stringify(recording.pauses),
      })
      .execute();
  }

  async get(id: string): Promise<RecordingRecord | undefined> {
    const row = await this.db.selectFrom('recordings').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRecording(row);
  }

  /** The session's recording that is not stopped or failed, if any. */
  async getActiveForSession(sessionId: string): Promise<RecordingRecord | undefined> {
    const row = await this.db
      .selectFrom('recordings')
      .selectAll()
      .where('session_id', '=', sessionId)
      .where('status', 'in', [...ACTIVE_RECORDING_STATUSES])
      .executeTakeFirst();
    return row && toRecording(row);
  }

  async listActive(): Promise<RecordingRecord[]> {
    const rows = await this.db.selectFrom('recordings').selectAll().where('status', 'in', [...ACTIVE_RECORDING_STATUSES]).orderBy('started_at').execute();
    return rows.map(toRecording);
  }

  /**
   * Applies changes; with `onlyIf`, only while the status is one of those (false otherwise), so
   * two racing stops or a stop racing a failure change it once.
   */
  async update(id: string, changes: RecordingChanges, onlyIf?: readonly RecordingStatus[]): Promise<boolean> {
    const set: Updateable<RecordingsTable> = {};
    if (changes.status !== undefined) set.status = changes.status;
    if (changes.stoppedAt !== undefined) set.stopped_at = changes.stoppedAt;
    if (changes.endReason !== undefined) set.end_reason = changes.endReason;
    if (changes.error !== undefined) set.error = changes.error;
    if (changes.pauses !== undefined) set.pauses = JSON.stringify(changes.pauses);
    if (Object.keys(set).length === 0) return (await this.get(id)) !== undefined;
    let query = this.db.updateTable('recordings').set(set).where('id', '=', id);
    if (onlyIf) query = query.where('status', 'in', [...onlyIf]);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('recordings').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Newest first. */
  async list(filter: RecordingListFilter): Promise<{ data: RecordingRecord[]; nextCursor: string | null }> {
    let query = this.db.selectFrom('recordings').selectAll();
    if (filter.roomId !== undefined) query = query.where('room_id', '=', filter.roomId);
    if (filter.sessionId !== undefined) query = query.where('session_id', '=', filter.sessionId);
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    if (filter.cursor !== undefined) {
      const { at, id } = decodeCursor(filter.cursor);
      query = query.where((eb) => eb.or([eb('started_at', '<', at), eb.and([eb('started_at', '=', at), eb('id', '<', id)])]));
    }
    const rows = await query.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(filter.limit + 1).execute();
    return toPage(rows.map(toRecording), filter.limit, (r) => ({ at: r.startedAt, id: r.id }));
  }

  async insertFile(file: RecordingFileRecord): Promise<void> {
    await this.db
      .insertInto('recording_files')
      .values({
        id: file.id,
        recording_id: file.recordingId,
        output: file.output,
        endpoint_id: file.endpointId,
        tag: file.tag,
        kind: file.kind,
        codec: file.codec,
        container: file.container,
        path: file.path,
        status: file.status,
        offset_ms: file.offsetMs,
        started_at: file.startedAt,
        ended_at: file.endedAt,
        duration_ms: file.durationMs,
        size_bytes: file.sizeBytes,
        ffmpeg_pid: file.ffmpegPid,
        error: file.error,
      })
      .execute();
  }

  async updateFile(id: string, changes: RecordingFileChanges): Promise<void> {
    const set: Updateable<RecordingFilesTable> = {};
    if (changes.status !== undefined) set.status = changes.status;
    if (changes.startedAt !== undefined) set.started_at = changes.startedAt;
    if (changes.endedAt !== undefined) set.ended_at = changes.endedAt;
    if (changes.durationMs !== undefined) set.duration_ms = changes.durationMs;
    if (changes.sizeBytes !== undefined) set.size_bytes = changes.sizeBytes;
    if (changes.ffmpegPid !== undefined) set.ffmpeg_pid = changes.ffmpegPid;
    if (changes.error !== undefined) set.error = changes.error;
    if (changes.offsetMs !== undefined) set.offset_ms = changes.offsetMs;
    if (changes.path !== undefined) set.path = changes.path;
    if (Object.keys(set).length === 0) return;
    await this.db.updateTable('recording_files').set(set).where('id', '=', id).execute();
  }

  /** A recording's files, in the order they started. */
  async listFiles(recordingId: string): Promise<RecordingFileRecord[]> {
    const rows = await this.db
      .selectFrom('recording_files')
      .selectAll()
      .where('recording_id', '=', recordingId)
      .orderBy('started_at')
      .orderBy('id')
      .execute();
    return rows.map(toFile);
  }

  /** Files of many recordings at once (list pages), keyed by recording id. */
  async listFilesOf(recordingIds: readonly string[]): Promise<Map<string, RecordingFileRecord[]>> {
    const byRecording = new Map<string, RecordingFileRecord[]>(recordingIds.map((id) => [id, []]));
    if (recordingIds.length === 0) return byRecording;
    const rows = await this.db
      .selectFrom('recording_files')
      .selectAll()
      .where('recording_id', 'in', [...recordingIds])
      .orderBy('started_at')
      .orderBy('id')
      .execute();
    for (const row of rows) byRecording.get(row.recording_id)?.push(toFile(row));
    return byRecording;
  }
}
