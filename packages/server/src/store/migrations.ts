/**
 * @module Schema migrations, in order. Each runs once per database (Kysely's Migrator keeps the
 * log). Portable between SQLite and Postgres: see schema.ts.
 */
import { SqliteAdapter, sql, type Kysely, type Migration } from 'kysely';

export const migrations: Record<string, Migration> = {
  '0001_rooms': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('rooms')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('custom_room_id', 'text', (c) => c.unique())
        .addColumn('title', 'text')
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('timeout', 'integer', (c) => c.notNull())
        .addColumn('webhook', 'text')
        .addColumn('max_endpoints', 'integer')
        .addColumn('max_duration', 'integer')
        .addColumn('recording', 'integer', (c) => c.notNull().defaultTo(sql`0`))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
    },
  },
  '0002_control_plane': {
    async up(db: Kysely<unknown>): Promise<void> {
      const roomColumns: Array<[string, 'text' | 'integer', string | null]> = [
        ['name', 'text', null],
        ['display_name', 'text', null],
        ['webhook_events', 'text', null],
        ['record_on_start', 'integer', '0'],
        ['quality', 'text', "'720p'"],
        ['layout', 'text', "'grid-responsive'"],
        ['enable_chat', 'integer', '1'],
        ['enable_room_previews', 'integer', '0'],
        ['auto_close_config', 'text', null],
        ['auto_start_config', 'text', null],
        ['disabled', 'integer', '0'],
        ['deactivated_at', 'text', null],
      ];
      for (const [name, type, fallback] of roomColumns) {
        await db.schema
          .alterTable('rooms')
          .addColumn(name, type, (c) => (fallback === null ? c : c.notNull().defaultTo(sql.raw(fallback))))
          .execute();
      }
      await db.schema.createIndex('rooms_name_unique').on('rooms').column('name').unique().execute();
      await db.schema.createIndex('rooms_created_at').on('rooms').columns(['created_at', 'id']).execute();

      await db.schema
        .createTable('room_sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('room_id', 'text', (c) => c.notNull().references('rooms.id').onDelete('cascade'))
        .addColumn('started_at', 'text', (c) => c.notNull())
        .addColumn('ended_at', 'text')
        .addColumn('end_reason', 'text')
        .execute();
      await db.schema.createIndex('room_sessions_room').on('room_sessions').columns(['room_id', 'started_at']).execute();
      await db.schema.createIndex('room_sessions_open').on('room_sessions').column('ended_at').execute();

      await db.schema
        .createTable('session_endpoints')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('session_id', 'text', (c) => c.notNull().references('room_sessions.id').onDelete('cascade'))
        .addColumn('room_id', 'text', (c) => c.notNull())
        .addColumn('endpoint_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('joined_at', 'text', (c) => c.notNull())
        .addColumn('left_at', 'text')
        .addColumn('leave_reason', 'text')
        .addColumn('streams', 'text', (c) => c.notNull().defaultTo('[]'))
        .execute();
      await db.schema.createIndex('session_endpoints_session').on('session_endpoints').columns(['session_id', 'joined_at']).execute();
      await db.schema.createIndex('session_endpoints_room').on('session_endpoints').columns(['room_id', 'joined_at']).execute();

      await db.schema
        .createTable('api_keys')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('secret', 'text', (c) => c.notNull())
        .addColumn('name', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .execute();

      await db.schema
        .createTable('refresh_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('family_id', 'text', (c) => c.notNull())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('api_key', 'text', (c) => c.notNull())
        .addColumn('room_id', 'text', (c) => c.notNull())
        .addColumn('endpoint_id', 'text', (c) => c.notNull())
        .addColumn('grant', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('used_at', 'text')
        .addColumn('revoked_at', 'text')
        .execute();
      await db.schema.createIndex('refresh_tokens_family').on('refresh_tokens').column('family_id').execute();

      await db.schema
        .createTable('webhook_subscriptions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('events', 'text')
        .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(sql`1`))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('webhook_events')
        .addColumn('seq', 'integer', (c) =>
          db.getExecutor().adapter instanceof SqliteAdapter
            ? c.primaryKey().autoIncrement()
            : c.primaryKey().generatedAlwaysAsIdentity(),
        )
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('room_id', 'text')
        .addColumn('session_id', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('webhook_deliveries')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('event_seq', 'integer', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('subscription_id', 'text')
        .addColumn('ordering_key', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(sql`0`))
        .addColumn('next_attempt_at', 'text', (c) => c.notNull())
        .addColumn('last_attempt_at', 'text')
        .addColumn('last_status_code', 'integer')
        .addColumn('last_error', 'text')
        .addColumn('delivered_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('webhook_deliveries_due').on('webhook_deliveries').columns(['status', 'next_attempt_at']).execute();
      await db.schema.createIndex('webhook_deliveries_order').on('webhook_deliveries').columns(['ordering_key', 'event_seq']).execute();
      await db.schema.createIndex('webhook_deliveries_event').on('webhook_deliveries').column('event_id').execute();
    },
  },
  '0003_recordings': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('recordings')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('session_id', 'text', (c) => c.notNull().references('room_sessions.id').onDelete('cascade'))
        .addColumn('room_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('outputs', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text', (c) => c.notNull())
        .addColumn('stopped_at', 'text')
        .addColumn('end_reason', 'text')
        .addColumn('error', 'text')
        .addColumn('pauses', 'text', (c) => c.notNull().defaultTo('[]'))
        .execute();
      await db.schema.createIndex('recordings_started').on('recordings').columns(['started_at', 'id']).execute();
      await db.schema.createIndex('recordings_session').on('recordings').columns(['session_id', 'status']).execute();
      await db.schema.createIndex('recordings_status').on('recordings').column('status').execute();

      await db.schema
        .createTable('recording_files')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('recording_id', 'text', (c) => c.notNull().references('recordings.id').onDelete('cascade'))
        .addColumn('output', 'text', (c) => c.notNull())
        .addColumn('endpoint_id', 'text')
        .addColumn('tag', 'text')
        .addColumn('kind', 'text')
        .addColumn('codec', 'text', (c) => c.notNull())
        .addColumn('container', 'text', (c) => c.notNull())
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('offset_ms', 'integer', (c) => c.notNull())
        .addColumn('started_at', 'text', (c) => c.notNull())
        .addColumn('ended_at', 'text')
        .addColumn('duration_ms', 'integer')
        .addColumn('size_bytes', 'bigint')
        .addColumn('ffmpeg_pid', 'integer')
        .addColumn('error', 'text')
        .execute();
      await db.schema.createIndex('recording_files_recording').on('recording_files').columns(['recording_id', 'started_at']).execute();
    },
  },
  '0004_compositions': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('compositions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('session_id', 'text', (c) => c.notNull().references('room_sessions.id').onDelete('cascade'))
        .addColumn('room_id', 'text', (c) => c.notNull())
        .addColumn('recording_id', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('layout', 'text', (c) => c.notNull())
        .addColumn('resolution', 'text', (c) => c.notNull())
        .addColumn('format', 'text', (c) => c.notNull())
        .addColumn('progress', 'integer', (c) => c.notNull().defaultTo(sql`0`))
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(sql`0`))
        .addColumn('path', 'text')
        .addColumn('ffmpeg_pid', 'integer')
        .addColumn('duration_ms', 'integer')
        .addColumn('size_bytes', 'bigint')
        .addColumn('error', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text')
        .addColumn('completed_at', 'text')
        .execute();
      await db.schema.createIndex('compositions_created').on('compositions').columns(['created_at', 'id']).execute();
      await db.schema.createIndex('compositions_status').on('compositions').columns(['status', 'created_at']).execute();
      await db.schema.createIndex('compositions_session').on('compositions').column('session_id').execute();
    },
  },
};
