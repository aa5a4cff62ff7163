/**
 * @module Schema migrations, in order. Each runs once per database (Kysely's Migrator keeps the log).
 */
import { sql, type Kysely, type Migration } from 'kysely';

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
};
