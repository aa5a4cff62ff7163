/**
 * @module Account-wide webhook subscriptions (`/api/v1/webhooks`): a URL and an event filter.
 */
import type { Kysely, Selectable } from 'kysely';
import type { WebhookEventType } from '@atrium/protocol';
import type { Database, WebhookSubscriptionsTable } from './schema.js';
import { decodeCursor, toPage } from './cursor.js';

export interface WebhookSubscriptionRecord {
  id: string;
  url: string;
  /** Event types sent; null means all. */
  events: WebhookEventType[] | null;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

const toRecord = (row: Selectable<WebhookSubscriptionsTable>): WebhookSubscriptionRecord => ({
  id: row.id,
  url: row.url,
  events: row.events === null ? null : (JSON.parse(row.events) as WebhookEventType[]),
  enabled: Boolean(row.enabled),
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export class WebhookSubscriptionRepository {
  private readonly db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.db = db;
  }

  async insert(subscription: WebhookSubscriptionRecord): Promise<void> {
    await this.db
      .insertInto('webhook_subscriptions')
      .values({
        id: subscription.id,
        url: subscription.url,
        events: subscription.events === null ? null : JSON.stringify(subscription.events),
        enabled: subscription.enabled ? 1 : 0,
        created_at: subscription.createdAt,
        updated_at: subscription.updatedAt,
      })
      .execute();
  }

  async get(id: string): Promise<WebhookSubscriptionRecord | undefined> {
    const row = await this.db.selectFrom('webhook_subscriptions').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRecord(row);
  }

  /** Every enabled subscription, oldest first (the destinations of a new event). */
  async listEnabled(): Promise<WebhookSubscriptionRecord[]> {
    const rows = await this.db.selectFrom('webhook_subscriptions').selectAll().where('enabled', '=', 1).orderBy('created_at').orderBy('id').execute();
    return rows.map(toRecord);
  }

  /** Newest first. */
  async list(filter: { limit: number; cursor?: string }): Promise<{ data: WebhookSubscriptionRecord[]; nextCursor: string | null }> {
    let query = this.db.selectFrom('webhook_subscriptions').selectAll();
    if (filter.cursor !== undefined) {
      const { at, id } = decodeCursor(filter.cursor);
      query = query.where((eb) => eb.or([eb('created_at', '<', at), eb.and([eb('created_at', '=', at), eb('id', '<', id)])]));
    }
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit + 1).execute();
    return toPage(rows.map(toRecord), filter.limit, (r) => ({ at: r.createdAt, id: r.id }));
  }

  /** Applies the given fields; undefined when the subscription does not exist. */
  async update(
    id: string,
    changes: Partial<Pick<WebhookSubscriptionRecord, 'url' | 'events' | 'enabled'>> & { updatedAt: string },
  ): Promise<WebhookSubscriptionRecord | undefined> {
    const row: Partial<WebhookSubscriptionsTable> = { updated_at: changes.updatedAt };
    if (changes.url !== undefined) row.url = changes.url;
    if (changes.events !== undefined) row.events = changes.events === null ? null : JSON.stringify(changes.events);
    if (changes.enabled !== undefined) row.enabled = changes.enabled ? 1 : 0;
    await this.db.updateTable('webhook_subscriptions').set(row).where('id', '=', id).execute();
    return this.get(id);
  }

  /**
   * Deletes the subscription and cancels its deliveries not yet made (an attempt in flight still
   * finishes, but is not retried); false when it did not exist.
   */
  async delete(id: string, now: string): Promise<boolean> {
    if (!this.db.isTransaction) {
      return this.db.transaction().execute((trx) => new WebhookSubscriptionRepository(trx).delete(id, now));
    }
    const result = await this.db.deleteFrom('webhook_subscriptions').where('id', '=', id).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) return false;
    await this.db
      .updateTable('webhook_deliveries')
      .set({ status: 'cancelled', last_error: 'subscription deleted', next_attempt_at: now })
      .where('subscription_id', '=', id)
      .where('status', '=', 'pending')
      .execute();
    return true;
  }
}
