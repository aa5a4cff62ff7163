/**
 * @module Rooms in the database.
 */
import type { Kysely, Selectable } from 'kysely';
import type { AutoCloseConfig, AutoStartConfig, RoomWebhook } from '@atrium/protocol';
import { isUniqueViolation, recoverable } from './database.js';
import type { Database, RoomsTable } from './schema.js';
import { decodeCursor, toPage } from './cursor.js';
import { StoreConflictError } from './errors.js';

/** A room as stored. Times are ISO 8601 strings. */
export interface RoomRecord {
  id: string;
  customRoomId: string | null;
  name: string | null;
  displayName: string | null;
  title: string | null;
  type: string;
  timeout: number;
  webhook: RoomWebhook | null;
  maxEndpoints: number | null;
  maxDuration: number | null;
  recording: boolean;
  recordOnStart: boolean;
  quality: '720p' | '1080p' | '1440p';
  layout: string;
  enableChat: boolean;
  enableRoomPreviews: boolean;
  autoCloseConfig: AutoCloseConfig | null;
  autoStartConfig: AutoStartConfig | null;
  disabled: boolean;
  deactivatedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface RoomListFilter {
  customRoomId?: string;
  createdAfter?: string;
  createdBefore?: string;
  /** Only rooms with (true) or without (false) an open session. */
  active?: boolean;
  limit: number;
  cursor?: string;
}

function parseJson<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T);
}

function toRecord(row: Selectable<RoomsTable>): RoomRecord {
  return {
    id: row.id,
    customRoomId: row.custom_room_id,
    name: row.name,
    displayName: row.display_name,
    title: row.title,
    type: row.type,
    timeout: row.timeout,
    webhook: row.webhook === null ? null : { endPoint: row.webhook, events: parseJson<string[]>(row.webhook_events) },
    maxEndpoints: row.max_endpoints,
    maxDuration: row.max_duration,
    recording: Boolean(row.recording),
    recordOnStart: Boolean(row.record_on_start),
    quality: row.quality as RoomRecord['quality'],
    layout: row.layout,
    enableChat: Boolean(row.enable_chat),
    enableRoomPreviews: Boolean(row.enable_room_previews),
    autoCloseConfig: parseJson<AutoCloseConfig>(row.auto_close_config),
    autoStartConfig: parseJson<AutoStartConfig>(row.auto_start_config),
    disabled: Boolean(row.disabled),
    deactivatedAt: row.deactivated_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toRow(room: Partial<RoomRecord>): Partial<RoomsTable> {
  const row: Partial<RoomsTable> = {};
  const set = <K extends keyof RoomsTable>(key: K, value: RoomsTable[K] | undefined): void => {
    if (value !== undefined) row[key] = value;
  };
  const flag = (v: boolean | undefined): number | undefined => (v === undefined ? undefined : v ? 1 : 0);
  set('id', room.id);
  set('custom_room_id', room.customRoomId);
  set('name', room.name);
  set('display_name', room.displayName);
  set('title', room.title);
  set('type', room.type);
  set('timeout', room.timeout);
  if (room.webhook !== undefined) {
    row.webhook = room.webhook?.endPoint ?? null;
    row.webhook_events = room.webhook?.events ? JSON.stringify(room.webhook.events) : null;
  }
  set('max_endpoints', room.maxEndpoints);
  set('max_duration', room.maxDuration);
  set('recording', flag(room.recording));
  set('record_on_start', flag(room.recordOnStart));
  set('quality', room.quality);
  set('layout', room.layout);
  set('enable_chat', flag(room.enableChat));
  set('enable_room_previews', flag(room.enableRoomPreviews));
  if (room.autoCloseConfig !== undefined) row.auto_close_config = room.autoCloseConfig && JSON.stringify(room.autoCloseConfig);
  if (room.autoStartConfig !== undefined) row.auto_start_config = room.autoStartConfig && JSON.stringify(room.autoStartConfig);
  set('disabled', flag(room.disabled));
  set('deactivated_at', room.deactivatedAt);
  set('created_at', room.createdAt);
  set('updated_at', room.updatedAt);
  return row;
}

function conflict(error: unknown): never {
  if (isUniqueViolation(error)) throw new StoreConflictError('a room with this customRoomId or name exists');
  throw error;
}

export class RoomRepository {
  private readonly db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.db = db;
  }

  /** Inserts a room; throws StoreConflictError when its customRoomId or name is taken. */
  async insert(room: RoomRecord): Promise<void> {
    await recoverable(this.db, () => this.db.insertInto('rooms').values(toRow(room) as RoomsTable).execute()).catch(conflict);
  }

  async get(id: string): Promise<RoomRecord | undefined> {
    const row = await this.db.selectFrom('rooms').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRecord(row);
  }

  async getByCustomId(customRoomId: string): Promise<RoomRecord | undefined> {
    const row = await this.db.selectFrom('rooms').selectAll().where('custom_room_id', '=', customRoomId).executeTakeFirst();
    return row && toRecord(row);
  }

  async getByName(name: string): Promise<RoomRecord | undefined> {
    const row = await this.db.selectFrom('rooms').selectAll().where('name', '=', name).executeTakeFirst();
    return row && toRecord(row);
  }

  /** Applies the given fields; returns the updated room, or undefined when it does not exist. */
  async update(id: string, changes: Partial<Omit<RoomRecord, 'id' | 'createdAt'>>): Promise<RoomRecord | undefined> {
    const row = toRow(changes);
    if (Object.keys(row).length > 0) {
      await recoverable(this.db, () => this.db.updateTable('rooms').set(row).where('id', '=', id).execute()).catch(conflict);
    }
    return this.get(id);
  }

  /** Deletes the room with its sessions; false when it did not exist. */
  async delete(id: string): Promise<boolean> {
    await this.db.deleteFrom('session_endpoints').where('room_id', '=', id).execute();
    const result = await this.db.deleteFrom('rooms').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Newest first, `limit` per page. */
  async list(filter: RoomListFilter): Promise<{ data: RoomRecord[]; nextCursor: string | null }> {
    let query = this.db.selectFrom('rooms').selectAll();
    if (filter.customRoomId !== undefined) query = query.where('custom_room_id', '=', filter.customRoomId);
    if (filter.createdAfter !== undefined) query = query.where('created_at', '>=', filter.createdAfter);
    if (filter.createdBefore !== undefined) query = query.where('created_at', '<', filter.createdBefore);
    if (filter.active !== undefined) {
      const open = this.db.selectFrom('room_sessions').select('room_id').where('ended_at', 'is', null);
      query = query.where('id', filter.active ? 'in' : 'not in', open);
    }
    if (filter.cursor !== undefined) {
      const { at, id } = decodeCursor(filter.cursor);
      query = query.where((eb) => eb.or([eb('created_at', '<', at), eb.and([eb('created_at', '=', at), eb('id', '<', id)])]));
    }
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit + 1).execute();
    return toPage(rows.map(toRecord), filter.limit, (r) => ({ at: r.createdAt, id: r.id }));
  }
}
