/**
 * @module The default Store: a SQLite file through Kysely and better-sqlite3.
 */
import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, type Selectable } from 'kysely';
import { migrations } from './migrations.js';
import type { Database, RoomsTable } from './schema.js';
import { StoreConflictError, type RoomRecord, type Store } from './store.js';

function toRecord(row: Selectable<RoomsTable>): RoomRecord {
  return {
    id: row.id,
    customRoomId: row.custom_room_id,
    title: row.title,
    type: row.type,
    timeout: row.timeout,
    webhook: row.webhook,
    maxEndpoints: row.max_endpoints,
    maxDuration: row.max_duration,
    recording: row.recording !== 0,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export class SqliteStore implements Store {
  private readonly db: Kysely<Database>;

  private constructor(db: Kysely<Database>) {
    this.db = db;
  }

  /** Opens (creating if needed) the database file and brings its schema up to date. */
  static async open(file: string): Promise<SqliteStore> {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
    const sqlite = new SqliteDatabase(file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
    const { error } = await migrator.migrateToLatest();
    if (error) {
      await db.destroy();
      throw error;
    }
    return new SqliteStore(db);
  }

  async insertRoom(room: RoomRecord): Promise<void> {
    try {
      await this.db
        .insertInto('rooms')
        .values({
          id: room.id,
          custom_room_id: room.customRoomId,
          title: room.title,
          type: room.type,
          timeout: room.timeout,
          webhook: room.webhook,
          max_endpoints: room.maxEndpoints,
          max_duration: room.maxDuration,
          recording: room.recording ? 1 : 0,
          created_at: room.createdAt,
          updated_at: room.updatedAt,
        })
        .execute();
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new StoreConflictError('a room with this customRoomId exists');
      }
      throw error;
    }
  }

  async getRoom(id: string): Promise<RoomRecord | undefined> {
    const row = await this.db.selectFrom('rooms').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRecord(row);
  }

  async getRoomByCustomId(customRoomId: string): Promise<RoomRecord | undefined> {
    const row = await this.db
      .selectFrom('rooms')
      .selectAll()
      .where('custom_room_id', '=', customRoomId)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}
