/**
 * @module The webhook outbox and its deliveries (account-wide subscriptions: `subscriptions`). `enqueue` writes an event and
 * one delivery per destination that wants it, inside the caller's transaction; the dispatcher
 * claims due deliveries (the oldest pending one of each ordering key), records each attempt, and
 * the REST API lists and redelivers them.
 */
import { randomUUID } from 'node:crypto';
import { PostgresAdapter, sql, type Kysely, type Selectable } from 'kysely';
import type { WebhookDeliveryStatus, WebhookEnvelope, WebhookEventType } from '@atrium/protocol';
import type { Database, WebhookDeliveriesTable } from './schema.js';
import { WebhookSubscriptionRepository } from './webhook-subscription-repository.js';
import { decodeCursor, toPage } from './cursor.js';

export type { WebhookEnvelope } from '@atrium/protocol';
export type { WebhookSubscriptionRecord } from './webhook-subscription-repository.js';

export interface EnqueueInput {
  type: WebhookEventType;
  roomId: string | null;
  sessionId: string | null;
  data: Record<string, unknown>;
  createdAt?: string;
}

export interface WebhookDeliveryRecord {
  id: string;
  eventSeq: number;
  eventId: string;
  eventType: WebhookEventType;
  url: string;
  /** Null for the room's own webhook. */
  subscriptionId: string | null;
  orderingKey: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  /** When the next attempt is due (or the current one's claim runs out); null unless pending. */
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  createdAt: string;
}

/** A delivery claimed for one attempt. `claim` must be handed back when recording the outcome. */
export interface ClaimedDelivery {
  id: string;
  eventId: string;
  eventType: WebhookEventType;
  url: string;
  /** The envelope JSON exactly as stored: what is sent and signed. */
  body: string;
  /** Attempts made before this one. */
  attempts: number;
  createdAt: string;
  /** The claim: the delivery's `next_attempt_at` while this attempt runs. */
  claim: string;
}

export interface AttemptResult {
  at: string;
  /** HTTP status of the answer; null when none came (network error, timeout). */
  statusCode: number | null;
  error: string | null;
}

export interface DeliveryListFilter {
  eventId?: string;
  status?: WebhookDeliveryStatus;
  url?: string;
  subscriptionId?: string;
  limit: number;
  cursor?: string;
}

/** Deliveries with the same key go out in event order: one URL, one session (or room). */
export function orderingKey(url: string, event: { sessionId: string | null; roomId: string | null }): string {
  return `${url}|${event.sessionId ?? event.roomId ?? 'global'}`;
}

function wants(events: string[] | null, type: WebhookEventType): boolean {
  return events === null || events.includes(type);
}

type DeliveryRow = Selectable<WebhookDeliveriesTable> & { type: string };

const toDelivery = (row: DeliveryRow): WebhookDeliveryRecord => ({
  id: row.id,
  eventSeq: Number(row.event_seq),
  eventId: row.event_id,
  eventType: row.type as WebhookEventType,
  url: row.url,
  subscriptionId: row.subscription_id,
  orderingKey: row.ordering_key,
  status: row.status as WebhookDeliveryStatus,
  attempts: row.attempts,
  nextAttemptAt: row.status === 'pending' ? row.next_attempt_at : null,
  lastAttemptAt: row.last_attempt_at,
  lastStatusCode: row.last_status_code,
  lastError: row.last_error,
  deliveredAt: row.delivered_at,
  createdAt: row.created_at,
});

/** Told when an event is enqueued anywhere in this process: a hint to look for work soon. */
const enqueuedListeners = new Set<() => void>();

export class WebhookRepository {
  private readonly db: Kysely<Database>;
  /** Account-wide subscriptions (`/api/v1/webhooks`). */
  readonly subscriptions: WebhookSubscriptionRepository;

  /**
   * Runs `listener` after each enqueue in this process — before the enqueuing transaction commits,
   * so it is a hint to look soon, not a promise that the event is visible. Returns the unsubscriber.
   */
  static onEnqueued(listener: () => void): () => void {
    enqueuedListeners.add(listener);
    return () => enqueuedListeners.delete(listener);
  }

  constructor(db: Kysely<Database>) {
    this.db = db;
    this.subscriptions = new WebhookSubscriptionRepository(db);
  }

  private get postgres(): boolean {
    return this.db.getExecutor().adapter instanceof PostgresAdapter;
  }

  // -------------------------------------------------------------------------------------------
  // The outbox
  // -------------------------------------------------------------------------------------------

  /**
   * Writes an event to the outbox with one delivery per destination that wants it (the room's
   * webhook, enabled subscriptions; one per URL). Call it inside the transaction of the change it
   * reports; outside one it opens its own.
   */
  async enqueue(input: EnqueueInput): Promise<WebhookEnvelope> {
    if (!this.db.isTransaction) {
      return this.db.transaction().execute((trx) => new WebhookRepository(trx).enqueue(input));
    }
    if (this.postgres) {
      // Events of one session must commit in `seq` order, or the dispatcher could send a later
      // one before an earlier, still-uncommitted one becomes visible. SQLite serializes writers.
      const scope = `atrium-webhooks:${input.sessionId ?? input.roomId ?? 'global'}`;
      await sql`select pg_advisory_xact_lock(hashtext(${scope}))`.execute(this.db);
    }
    const envelope: WebhookEnvelope = {
      id: randomUUID(),
      type: input.type,
      createdAt: input.createdAt ?? new Date().toISOString(),
      roomId: input.roomId,
      sessionId: input.sessionId,
      data: input.data,
    };
    const { seq } = await this.db
      .insertInto('webhook_events')
      .values({
        id: envelope.id,
        type: envelope.type,
        room_id: envelope.roomId,
        session_id: envelope.sessionId,
        created_at: envelope.createdAt,
        body: JSON.stringify(envelope),
      })
      .returning('seq')
      .executeTakeFirstOrThrow();
    const destinations = await this.destinations(envelope.type, envelope.roomId);
    if (destinations.size > 0) {
      const now = new Date().toISOString();
      await this.db
        .insertInto('webhook_deliveries')
        .values(
          [...destinations].map(([url, subscriptionId]) => ({
            id: randomUUID(),
            event_seq: Number(seq),
            event_id: envelope.id,
            url,
            subscription_id: subscriptionId,
            ordering_key: orderingKey(url, envelope),
            status: 'pending',
            attempts: 0,
            next_attempt_at: now,
            last_attempt_at: null,
            last_status_code: null,
            last_error: null,
            delivered_at: null,
            created_at: now,
          })),
        )
        .execute();
      for (const listener of enqueuedListeners) listener();
    }
    return envelope;
  }

  /** URL → subscription id (null for the room's webhook) of every destination wanting `type`. */
  private async destinations(type: WebhookEventType, roomId: string | null): Promise<Map<string, string | null>> {
    const found = new Map<string, string | null>();
    if (roomId !== null) {
      const room = await this.db.selectFrom('rooms').select(['webhook', 'webhook_events']).where('id', '=', roomId).executeTakeFirst();
      const roomEvents = room?.webhook_events ? (JSON.parse(room.webhook_events) as string[]) : null;
      if (room?.webhook && wants(roomEvents, type)) found.set(room.webhook, null);
    }
    for (const subscription of await this.subscriptions.listEnabled()) {
      if (!found.has(subscription.url) && wants(subscription.events, type)) found.set(subscription.url, subscription.id);
    }
    return found;
  }

  async getEvent(eventId: string): Promise<WebhookEnvelope | undefined> {
    const row = await this.db.selectFrom('webhook_events').select('body').where('id', '=', eventId).executeTakeFirst();
    return row && (JSON.parse(row.body) as WebhookEnvelope);
  }

  // -------------------------------------------------------------------------------------------
  // Delivery: claim, record
  // -------------------------------------------------------------------------------------------

  /**
   * Claims up to `limit` due deliveries, each the oldest pending one of its ordering key, until
   * `claimUntil` (an attempt that never reports back is retried after that). Oldest events first.
   */
  async claimDue(options: { now: string; claimUntil: string; limit: number }): Promise<ClaimedDelivery[]> {
    const candidates = await this.db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_events as e', 'e.seq', 'd.event_seq')
      .select(['d.id', 'd.event_id', 'd.url', 'd.attempts', 'd.created_at', 'd.next_attempt_at', 'e.type', 'e.body'])
      .where('d.status', '=', 'pending')
      .where('d.next_attempt_at', '<=', options.now)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('webhook_deliveries as p')
              .select('p.id')
              .whereRef('p.ordering_key', '=', 'd.ordering_key')
              .where('p.status', '=', 'pending')
              .where((eb) =>
                eb.or([
                  eb('p.event_seq', '<', eb.ref('d.event_seq')),
                  eb.and([eb('p.event_seq', '=', eb.ref('d.event_seq')), eb('p.id', '<', eb.ref('d.id'))]),
                ]),
              ),
          ),
        ),
      )
      .orderBy('d.event_seq')
      .orderBy('d.id')
      .limit(options.limit)
      .execute();
    if (candidates.length === 0) return [];
    // One commit for the whole batch (one fsync on SQLite instead of one per claim).
    const claimAll = async (db: Kysely<Database>): Promise<ClaimedDelivery[]> => {
      const claimed: ClaimedDelivery[] = [];
      for (const row of candidates) {
        // Conditional on the value read, so two dispatchers never claim the same attempt.
        const result = await db
          .updateTable('webhook_deliveries')
          .set({ next_attempt_at: options.claimUntil })
          .where('id', '=', row.id)
          .where('status', '=', 'pending')
          .where('next_attempt_at', '=', row.next_attempt_at)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) !== 1) continue;
        claimed.push({
          id: row.id,
          eventId: row.event_id,
          eventType: row.type as WebhookEventType,
          url: row.url,
          body: row.body,
          attempts: row.attempts,
          createdAt: row.created_at,
          claim: options.claimUntil,
        });
      }
      return claimed;
    };
    return this.db.isTransaction || candidates.length === 1 ? claimAll(this.db) : this.db.transaction().execute(claimAll);
  }

  /** Earliest `next_attempt_at` after `now` among pending deliveries (when to look again). */
  async nextAttemptAfter(now: string): Promise<string | null> {
    const row = await this.db
      .selectFrom('webhook_deliveries')
      .select((eb) => eb.fn.min('next_attempt_at').as('next'))
      .where('status', '=', 'pending')
      .where('next_attempt_at', '>', now)
      .executeTakeFirst();
    return row?.next ?? null;
  }

  /** Records a 2xx answer. False when the claim was lost (cancelled, or claimed again). */
  async recordDelivered(delivery: ClaimedDelivery, result: AttemptResult): Promise<boolean> {
    const updated = await this.db
      .updateTable('webhook_deliveries')
      .set((eb) => ({
        status: 'delivered',
        attempts: eb('attempts', '+', 1),
        last_attempt_at: result.at,
        last_status_code: result.statusCode,
        last_error: null,
        delivered_at: result.at,
      }))
      .where('id', '=', delivery.id)
      .where('status', '=', 'pending')
      .where('next_attempt_at', '=', delivery.claim)
      .executeTakeFirst();
    return Number(updated.numUpdatedRows) === 1;
  }

  /** Records a failed attempt: retried at `retryAt`, or `failed` for good when it is null. */
  async recordFailed(delivery: ClaimedDelivery, result: AttemptResult, retryAt: string | null): Promise<boolean> {
    const updated = await this.db
      .updateTable('webhook_deliveries')
      .set((eb) => ({
        status: retryAt === null ? 'failed' : 'pending',
        attempts: eb('attempts', '+', 1),
        next_attempt_at: retryAt ?? result.at,
        last_attempt_at: result.at,
        last_status_code: result.statusCode,
        last_error: result.error,
      }))
      .where('id', '=', delivery.id)
      .where('status', '=', 'pending')
      .where('next_attempt_at', '=', delivery.claim)
      .executeTakeFirst();
    return Number(updated.numUpdatedRows) === 1;
  }

  /** Gives a claim back without counting an attempt (shutdown mid-request). */
  async releaseClaim(delivery: ClaimedDelivery, at: string): Promise<void> {
    await this.db
      .updateTable('webhook_deliveries')
      .set({ next_attempt_at: at })
      .where('id', '=', delivery.id)
      .where('status', '=', 'pending')
      .where('next_attempt_at', '=', delivery.claim)
      .execute();
  }

  // -------------------------------------------------------------------------------------------
  // The delivery log
  // -------------------------------------------------------------------------------------------

  private selectDeliveries() {
    return this.db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_events as e', 'e.seq', 'd.event_seq')
      .selectAll('d')
      .select('e.type');
  }

  async getDelivery(id: string): Promise<WebhookDeliveryRecord | undefined> {
    const row = await this.selectDeliveries().where('d.id', '=', id).executeTakeFirst();
    return row && toDelivery(row);
  }

  /** Newest first. */
  async listDeliveries(filter: DeliveryListFilter): Promise<{ data: WebhookDeliveryRecord[]; nextCursor: string | null }> {
    let query = this.selectDeliveries();
    if (filter.eventId !== undefined) query = query.where('d.event_id', '=', filter.eventId);
    if (filter.status !== undefined) query = query.where('d.status', '=', filter.status);
    if (filter.url !== undefined) query = query.where('d.url', '=', filter.url);
    if (filter.subscriptionId !== undefined) query = query.where('d.subscription_id', '=', filter.subscriptionId);
    if (filter.cursor !== undefined) {
      const { at, id } = decodeCursor(filter.cursor);
      query = query.where((eb) => eb.or([eb('d.created_at', '<', at), eb.and([eb('d.created_at', '=', at), eb('d.id', '<', id)])]));
    }
    const rows = await query.orderBy('d.created_at', 'desc').orderBy('d.id', 'desc').limit(filter.limit + 1).execute();
    return toPage(rows.map(toDelivery), filter.limit, (r) => ({ at: r.createdAt, id: r.id }));
  }

  /** Every delivery of one event, oldest first. */
  async listEventDeliveries(eventId: string): Promise<WebhookDeliveryRecord[]> {
    const rows = await this.selectDeliveries().where('d.event_id', '=', eventId).orderBy('d.created_at').orderBy('d.id').execute();
    return rows.map(toDelivery);
  }

  /**
   * Sends the delivery's event to its URL again: a pending delivery of that event to that URL is
   * made due now; otherwise a new pending delivery is queued (the old one stays in the log).
   * Undefined when the delivery does not exist.
   */
  async redeliver(deliveryId: string, now: string): Promise<WebhookDeliveryRecord | undefined> {
    if (!this.db.isTransaction) {
      return this.db.transaction().execute((trx) => new WebhookRepository(trx).redeliver(deliveryId, now));
    }
    const original = await this.db.selectFrom('webhook_deliveries').selectAll().where('id', '=', deliveryId).executeTakeFirst();
    if (!original) return undefined;
    const pending = await this.db
      .selectFrom('webhook_deliveries')
      .select('id')
      .where('event_id', '=', original.event_id)
      .where('url', '=', original.url)
      .where('status', '=', 'pending')
      .orderBy('created_at')
      .executeTakeFirst();
    if (pending) {
      await this.db
        .updateTable('webhook_deliveries')
        .set({ next_attempt_at: now })
        .where('id', '=', pending.id)
        .where('next_attempt_at', '>', now)
        .execute();
      return this.getDelivery(pending.id);
    }
    const id = randomUUID();
    await this.db
      .insertInto('webhook_deliveries')
      .values({
        id,
        event_seq: original.event_seq,
        event_id: original.event_id,
        url: original.url,
        subscription_id: original.subscription_id,
        ordering_key: original.ordering_key,
        status: 'pending',
        attempts: 0,
        next_attempt_at: now,
        last_attempt_at: null,
        last_status_code: null,
        last_error: null,
        delivered_at: null,
        created_at: now,
      })
      .execute();
    return this.getDelivery(id);
  }
}
