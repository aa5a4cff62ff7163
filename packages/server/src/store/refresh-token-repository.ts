/**
 * @module Refresh tokens in the database: only their SHA-256 hashes, grouped in families (one
 * family per issued access token and all its rotations), each usable once.
 */
import type { Kysely, Selectable } from 'kysely';
import type { Database, RefreshTokensTable } from './schema.js';

/** A refresh token as stored. Times are ISO 8601 strings. */
export interface RefreshTokenRecord {
  id: string;
  familyId: string;
  tokenHash: string;
  apiKey: string;
  roomId: string;
  endpointId: string;
  /** JSON of what to mint the next access token with (name, permissions, meta, ttl). */
  grant: string;
  createdAt: string;
  expiresAt: string;
  usedAt: string | null;
  revokedAt: string | null;
}

function toRecord(row: Selectable<RefreshTokensTable>): RefreshTokenRecord {
  return {
    id: row.id,
    familyId: row.family_id,
    tokenHash: row.token_hash,
    apiKey: row.api_key,
    roomId: row.room_id,
    endpointId: row.endpoint_id,
    grant: row.grant,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    usedAt: row.used_at,
    revokedAt: row.revoked_at,
  };
}

export class RefreshTokenRepository {
  private readonly db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.db = db;
  }

  async insert(record: RefreshTokenRecord): Promise<void> {
    await this.db
      .insertInto('refresh_tokens')
      .values({
        id: record.id,
        family_id: record.familyId,
        token_hash: record.tokenHash,
        api_key: record.apiKey,
        room_id: record.roomId,
        endpoint_id: record.endpointId,
        grant: record.grant,
        created_at: record.createdAt,
        expires_at: record.expiresAt,
        used_at: record.usedAt,
        revoked_at: record.revokedAt,
      })
      .execute();
  }

  async getByHash(tokenHash: string): Promise<RefreshTokenRecord | undefined> {
    const row = await this.db.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
    return row && toRecord(row);
  }

  /**
   * Marks the token used if it is still unused and unrevoked. False means someone used it first:
   * the caller must treat it as a reuse.
   */
  async markUsed(id: string, at: string): Promise<boolean> {
    const result = await this.db
      .updateTable('refresh_tokens')
      .set({ used_at: at })
      .where('id', '=', id)
      .where('used_at', 'is', null)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Revokes every token of the family that is not revoked yet. */
  async revokeFamily(familyId: string, at: string): Promise<void> {
    await this.db
      .updateTable('refresh_tokens')
      .set({ revoked_at: at })
      .where('family_id', '=', familyId)
      .where('revoked_at', 'is', null)
      .execute();
  }

  /** True when any token of the family has been revoked (the family is dead). */
  async familyRevoked(familyId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('refresh_tokens')
      .select('id')
      .where('family_id', '=', familyId)
      .where('revoked_at', 'is not', null)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Deletes tokens that expired before `before`; returns how many. */
  async deleteExpired(before: string): Promise<number> {
    const result = await this.db.deleteFrom('refresh_tokens').where('expires_at', '<', before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
