/**
 * @module WebhookRepository: (being written).
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export class WebhookRepository {
  private readonly db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.db = db;
  }
}
