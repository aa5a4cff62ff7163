/**
 * @module The one storage interface: repositories over one Kysely database (SQLite by default,
 * Postgres with DATABASE_URL). `transaction` hands a Store whose repositories share one
 * transaction, so a state change and the webhook events it causes commit together.
 */
import type { Kysely } from 'kysely';
import { openDatabase, type DatabaseLocation } from './database.js';
import type { Database } from './schema.js';
import { RoomRepository } from './room-repository.js';
import { SessionRepository } from './session-repository.js';
import { ApiKeyRepository } from './api-key-repository.js';
import { RefreshTokenRepository } from './refresh-token-repository.js';
import { WebhookRepository } from './webhook-repository.js';
import { RecordingRepository } from './recording-repository.js';
import { CompositionRepository } from './composition-repository.js';

export { StoreConflictError } from './errors.js';

export class Store {
  readonly db: Kysely<Database>;
  readonly kind: DatabaseLocation['kind'];
  readonly rooms: RoomRepository;
  readonly sessions: SessionRepository;
  readonly apiKeys: ApiKeyRepository;
  readonly refreshTokens: RefreshTokenRepository;
  readonly webhooks: WebhookRepository;
  readonly recordings: RecordingRepository;
  readonly compositions: CompositionRepository;
  private readonly inTransaction: boolean;

  private constructor(db: Kysely<Database>, kind: DatabaseLocation['kind'], inTransaction: boolean) {
    this.db = db;
    this.kind = kind;
    this.inTransaction = inTransaction;
    this.rooms = new RoomRepository(db);
    this.sessions = new SessionRepository(db);
    this.apiKeys = new ApiKeyRepository(db);
    this.refreshTokens = new RefreshTokenRepository(db);
    this.webhooks = new WebhookRepository(db);
    this.recordings = new RecordingRepository(db);
    this.compositions = new CompositionRepository(db);
  }

  /** Opens (creating and migrating if needed) the database. */
  static async open(location: DatabaseLocation): Promise<Store> {
    return new Store(await openDatabase(location), location.kind, false);
  }

  /** Runs `work` in one transaction; nested calls join the outer one. */
  async transaction<T>(work: (store: Store) => Promise<T>): Promise<T> {
    if (this.inTransaction) return work(this);
    return this.db.transaction().execute((trx) => work(new Store(trx, this.kind, true)));
  }

  async close(): Promise<void> {
    if (!this.inTransaction) await this.db.destroy();
  }
}
