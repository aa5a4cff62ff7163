/**
 * @module Opens the database behind the Store: a SQLite file by default, Postgres when a
 * `DATABASE_URL` is given; both through Kysely, migrated to the latest schema on open.
 */
import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { migrations } from './migrations.js';
import type { Database } from './schema.js';

export type DatabaseLocation = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

export async function openDatabase(location: DatabaseLocation): Promise<Kysely<Database>> {
  const db = location.kind === 'sqlite' ? openSqlite(location.file) : openPostgres(location.url);
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error } = await migrator.migrateToLatest();
  if (error) {
    await db.destroy();
    throw error instanceof Error ? error : new Error(`migration failed: ${String(error)}`);
  }
  return db;
}

function openSqlite(file: string): Kysely<Database> {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new SqliteDatabase(file);
  sqlite.pragma('journal_mode = WAL');
  // Durable commits: a webhook event in the outbox must survive `kill -9` right after its change.
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
}

function openPostgres(url: string): Kysely<Database> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // An idle connection the server drops (restart, failover, pg_terminate_backend) is reported
  // here after the pool has discarded it; unheard, the 'error' event would crash the process.
  pool.on('error', () => undefined);
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/** True when `error` is a unique-constraint violation, in either database. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

/**
 * Runs one write that may fail with an expected error (a unique violation) so that, inside a
 * transaction, the caller can catch it and go on: Postgres aborts the whole transaction on any
 * error (SQLite only the statement), unless the statement ran under a savepoint.
 */
export async function recoverable<T>(db: Kysely<Database>, write: () => Promise<T>): Promise<T> {
  if (!db.isTransaction) return write();
  await sql`savepoint atrium_recoverable`.execute(db);
  try {
    const result = await write();
    await sql`release savepoint atrium_recoverable`.execute(db);
    return result;
  } catch (error) {
    await sql`rollback to savepoint atrium_recoverable`.execute(db);
    await sql`release savepoint atrium_recoverable`.execute(db);
    throw error;
  }
}
