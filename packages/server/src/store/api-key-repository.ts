/**
 * @module API keys in the database. The secret is kept as given: bearer JWTs are verified with
 * it and access-token signing keys are derived from it.
 */
import type { Kysely, Selectable } from 'kysely';
import { isUniqueViolation } from './database.js';
import type { ApiKeysTable, Database } from './schema.js';
import { StoreConflictError } from './errors.js';

/** An API key as stored. Times are ISO 8601 strings. */
export interface ApiKeyRecord {
  key: string;
  secret: string;
  name: string | null;
  createdAt: string;
  revokedAt: string | null;
}

function toRecord(row: Selectable<ApiKeysTable>): ApiKeyRecord {
  return { key: row.key, secret: row.secret, name: row.name, createdAt: row.created_at, revokedAt: row.revoked_at };
}

export class ApiKeyRepository {
  private readonly db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.db = db;
  }

  /** Inserts a key; throws StoreConflictError when the key exists. */
  async insert(record: ApiKeyRecord): Promise<void> {
    await this.db
      .insertInto('api_keys')
      .values({
        key: record.key,
        secret: record.secret,
        name: record.name,
        created_at: record.createdAt,
        revoked_at: record.revokedAt,
      })
      .execute()
      .catch((error: unknown) => {
        if (isUniqueViolation(error)) throw new StoreConflictError(`API key "${record.key}" exists`);
        throw error;
      });
  }

  /** The key, active or revoked; undefined when unknown. */
  async get(key: string): Promise<ApiKeyRecord | undefined> {
    const row = await this.db.selectFrom('api_keys').selectAll().where('key', '=', key).executeTakeFirst();
    return row && toRecord(row);
  }

  /** The key while it is not revoked. */
  async getActive(key: string): Promise<ApiKeyRecord | undefined> {
    const row = await this.db
      .selectFrom('api_keys')
      .selectAll()
      .where('key', '=', key)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  /** Every key, oldest first. */
  async list(): Promise<ApiKeyRecord[]> {
    const rows = await this.db.selectFrom('api_keys').selectAll().orderBy('created_at').orderBy('key').execute();
    return rows.map(toRecord);
  }

  async countActive(): Promise<number> {
    const row = await this.db
      .selectFrom('api_keys')
      .select((eb) => eb.fn.countAll<string | number>().as('count'))
      .where('revoked_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  /** Sets the secret of an active key (the bootstrap pair changed in the environment). */
  async updateSecret(key: string, secret: string): Promise<void> {
    await this.db.updateTable('api_keys').set({ secret }).where('key', '=', key).where('revoked_at', 'is', null).execute();
  }

  /** Marks the key revoked; false when it is unknown. Revoking twice keeps the first time. */
  async revoke(key: string, at: string): Promise<boolean> {
    const result = await this.db
      .updateTable('api_keys')
      .set({ revoked_at: at })
      .where('key', '=', key)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) > 0) return true;
    return (await this.get(key)) !== undefined;
  }
}
