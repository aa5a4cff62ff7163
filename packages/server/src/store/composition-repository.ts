/**
 * @module Composition jobs as history and as a queue: status guarded by the current status, the
 * oldest queued job first, list filters with cursor pages. The ffmpeg side is in egress/.
 */
import type { Kysely, Selectable, Updateable } from 'kysely';
import type { LayoutSpec } from '@atrium/protocol';
import type { CompositionsTable, Database } from './schema.js';
import { decodeCursor, toPage } from './cursor.js';

export type CompositionStatus = 'queued' | 'processing' | 'completed' | 'failed';

export interface CompositionRecord {
  id: string;
  sessionId: string;
  roomId: string;
  recordingId: string | null;
  status: CompositionStatus;
  layout: LayoutSpec;
  resolution: string;
  format: 'mp4' | 'm4a';
  progress: number;
  attempts: number;
  /** Relative to the compositions directory. */
  path: string | null;
  ffmpegPid: number | null;
  durationMs: number | null;
  sizeBytes: number | null;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
}

export interface CompositionListFilter {
  roomId?: string;
  sessionId?: string;
  status?: CompositionStatus;
  limit: number;
  cursor?: string;
}

export type CompositionChanges = Partial<
  Pick<CompositionRecord, 'status' | 'progress' | 'attempts' | 'path' | 'ffmpegPid' | 'durationMs' | 'sizeBytes' | 'error' | 'startedAt' | 'completedAt'>
>;

const toRecord = (row: Selectable<CompositionsTable>): CompositionRecord => ({
  id: row.id,
  sessionId: row.session_id,
  roomId: row.room_id,
  recordingId: row.recording_id,
  status: row.status as CompositionStatus,
  layout: JSON.parse(row.layout) as LayoutSpec,
  resolution: row.resolution,
  format: row.format as CompositionRecord['format'],
  progress: Number(row.progress),
  attempts: Number(row.attempts),
  path: row.path,
  ffmpegPid: row.ffmpeg_pid,
  durationMs: row.duration_ms === null ? null : Number(row.duration_ms),
  sizeBytes: row.size_bytes === null ? null : Number(row.size_bytes),
  error: row.error,
  createdAt: row.created_at,
  startedAt: row.started_at,
  completedAt: row.completed_at,
});

export class CompositionRepository {
  private readonly db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.db = db;
  }

  async insert(record: CompositionRecord): Promise<void> {
    await this.db
      .insertInto('compositions')
      .values({
        id: record.id,
        session_id: record.sessionId,
        room_id: record.roomId,
        recording_id: record.recordingId,
        status: record.status,
        layout: JSON.stringify(record.layout),
        resolution: record.resolution,
        format: record.format,
        progress: record.progress,
        attempts: record.attempts,
        path: record.path,
        ffmpeg_pid: record.ffmpegPid,
        duration_ms: record.durationMs,
        size_bytes: record.sizeBytes,
        error: record.error,
        created_at: record.createdAt,
        started_at: record.startedAt,
        completed_at: record.completedAt,
      })
      .execute();
  }

  async get(id: string): Promise<CompositionRecord | undefined> {
    const row = await this.db.selectFrom('compositions').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRecord(row);
  }

  /** The job to render next: the oldest queued one. */
  async nextQueued(): Promise<CompositionRecord | undefined> {
    const row = await this.db
      .selectFrom('compositions')
      .selectAll()
      .where('status', '=', 'queued')
      .orderBy('created_at')
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async listByStatus(status: CompositionStatus): Promise<CompositionRecord[]> {
    const rows = await this.db.selectFrom('compositions').selectAll().where('status', '=', status).orderBy('created_at').orderBy('id').execute();
    return rows.map(toRecord);
  }

  /** Compositions of one recording (a recording's composite output). */
  async listForRecording(recordingId: string): Promise<CompositionRecord[]> {
    const rows = await this.db.selectFrom('compositions').selectAll().where('recording_id', '=', recordingId).orderBy('created_at').execute();
    return rows.map(toRecord);
  }

  /** Applies changes; with `onlyIf`, only while the status is one of those (false otherwise). */
  async update(id: string, changes: CompositionChanges, onlyIf?: readonly CompositionStatus[]): Promise<boolean> {
    const set: Updateable<CompositionsTable> = {};
    if (changes.status !== undefined) set.status = changes.status;
    if (changes.progress !== undefined) set.progress = changes.progress;
    if (changes.attempts !== undefined) set.attempts = changes.attempts;
    if (changes.path !== undefined) set.path = changes.path;
    if (changes.ffmpegPid !== undefined) set.ffmpeg_pid = changes.ffmpegPid;
    if (changes.durationMs !== undefined) set.duration_ms = changes.durationMs;
    if (changes.sizeBytes !== undefined) set.size_bytes = changes.sizeBytes;
    if (changes.error !== undefined) set.error = changes.error;
    if (changes.startedAt !== undefined) set.started_at = changes.startedAt;
    if (changes.completedAt !== undefined) set.completed_at = changes.completedAt;
    if (Object.keys(set).length === 0) return (await this.get(id)) !== undefined;
    let query = this.db.updateTable('compositions').set(set).where('id', '=', id);
    if (onlyIf) query = query.where('status', 'in', [...onlyIf]);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('compositions').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Newest first. */
  async list(filter: CompositionListFilter): Promise<{ data: CompositionRecord[]; nextCursor: string | null }> {
    let query = this.db.selectFrom('compositions').selectAll();
    if (filter.roomId !== undefined) query = query.where('room_id', '=', filter.roomId);
    if (filter.sessionId !== undefined) query = query.where('session_id', '=', filter.sessionId);
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    if (filter.cursor !== undefined) {
      const { at, id } = decodeCursor(filter.cursor);
      query = query.where((eb) => eb.or([eb('created_at', '<', at), eb.and([eb('created_at', '=', at), eb('id', '<', id)])]));
    }
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit + 1).execute();
    return toPage(rows.map(toRecord), filter.limit, (r) => ({ at: r.createdAt, id: r.id }));
  }
}
