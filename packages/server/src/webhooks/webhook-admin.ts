/**
 * @module WebhookAdmin: the use cases behind `/api/v1/webhooks` — account-wide subscriptions, the
 * delivery log and manual redelivery — in wire types, with not-found errors as AtriumErrors.
 */
import { randomUUID } from 'node:crypto';
import {
  AtriumError,
  ErrorCode,
  type CreateWebhookSubscriptionBody,
  type ListWebhookDeliveriesQuery,
  type ListWebhookSubscriptionsQuery,
  type UpdateWebhookSubscriptionBody,
  type WebhookDelivery,
  type WebhookEventDetail,
  type WebhookSubscription,
} from '@atrium/protocol';
import type { WebhookDeliveryRecord, WebhookRepository, WebhookSubscriptionRecord } from '../store/webhook-repository.js';

export function toWebhookDelivery(record: WebhookDeliveryRecord): WebhookDelivery {
  return {
    id: record.id,
    eventId: record.eventId,
    eventType: record.eventType,
    url: record.url,
    subscriptionId: record.subscriptionId,
    status: record.status,
    attempts: record.attempts,
    nextAttemptAt: record.nextAttemptAt,
    lastAttemptAt: record.lastAttemptAt,
    lastStatusCode: record.lastStatusCode,
    lastError: record.lastError,
    deliveredAt: record.deliveredAt,
    createdAt: record.createdAt,
  };
}

const toWebhookSubscription = (record: WebhookSubscriptionRecord): WebhookSubscription => ({ ...record });

export class WebhookAdmin {
  private readonly webhooks: WebhookRepository;
  private readonly onRedeliver: () => void;

  /** `onRedeliver` runs after a redelivery is queued (wakes the dispatcher). */
  constructor(deps: { webhooks: WebhookRepository; onRedeliver?: () => void }) {
    this.webhooks = deps.webhooks;
    this.onRedeliver = deps.onRedeliver ?? (() => undefined);
  }

  async createSubscription(body: CreateWebhookSubscriptionBody): Promise<WebhookSubscription> {
    const now = new Date().toISOString();
    const record: WebhookSubscriptionRecord = { id: randomUUID(), url: body.url, events: body.events, enabled: body.enabled, createdAt: now, updatedAt: now };
    await this.webhooks.subscriptions.insert(record);
    return toWebhookSubscription(record);
  }

  async listSubscriptions(query: ListWebhookSubscriptionsQuery): Promise<{ data: WebhookSubscription[]; nextCursor: string | null }> {
    const page = await this.webhooks.subscriptions.list(query);
    return { data: page.data.map(toWebhookSubscription), nextCursor: page.nextCursor };
  }

  async getSubscription(id: string): Promise<WebhookSubscription> {
    const record = await this.webhooks.subscriptions.get(id);
    if (!record) throw notFound(id);
    return toWebhookSubscription(record);
  }

  async updateSubscription(id: string, body: UpdateWebhookSubscriptionBody): Promise<WebhookSubscription> {
    const record = await this.webhooks.subscriptions.update(id, { ...body, updatedAt: new Date().toISOString() });
    if (!record) throw notFound(id);
    return toWebhookSubscription(record);
  }

  /** Deletes the subscription; its deliveries still pending are cancelled. */
  async deleteSubscription(id: string): Promise<void> {
    if (!(await this.webhooks.subscriptions.delete(id, new Date().toISOString()))) throw notFound(id);
  }

  async listDeliveries(query: ListWebhookDeliveriesQuery): Promise<{ data: WebhookDelivery[]; nextCursor: string | null }> {
    const page = await this.webhooks.listDeliveries(query);
    return { data: page.data.map(toWebhookDelivery), nextCursor: page.nextCursor };
  }

  async getDelivery(id: string): Promise<WebhookDelivery> {
    const record = await this.webhooks.getDelivery(id);
    if (!record) throw new AtriumError(ErrorCode.DELIVERY_NOT_FOUND, `webhook delivery "${id}" does not exist`);
    return toWebhookDelivery(record);
  }

  async getEvent(eventId: string): Promise<WebhookEventDetail> {
    const event = await this.webhooks.getEvent(eventId);
    if (!event) throw new AtriumError(ErrorCode.WEBHOOK_EVENT_NOT_FOUND, `webhook event "${eventId}" does not exist`);
    const deliveries = await this.webhooks.listEventDeliveries(eventId);
    return { event, deliveries: deliveries.map(toWebhookDelivery) };
  }

  /** Sends a delivery's event to its URL again, with the same envelope (same event id). */
  async redeliver(deliveryId: string): Promise<WebhookDelivery> {
    const record = await this.webhooks.redeliver(deliveryId, new Date().toISOString());
    if (!record) throw new AtriumError(ErrorCode.DELIVERY_NOT_FOUND, `webhook delivery "${deliveryId}" does not exist`);
    this.onRedeliver();
    return toWebhookDelivery(record);
  }
}

function notFound(id: string): AtriumError {
  return new AtriumError(ErrorCode.WEBHOOK_NOT_FOUND, `webhook subscription "${id}" does not exist`);
}
