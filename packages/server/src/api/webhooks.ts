/**
 * @module REST: account-wide webhook subscriptions (`/api/v1/webhooks`), the delivery log and
 * manual redelivery.
 */
import type { FastifyInstance } from 'fastify';
import {
  createWebhookSubscriptionBodySchema,
  listWebhookDeliveriesQuerySchema,
  listWebhookSubscriptionsQuerySchema,
  updateWebhookSubscriptionBodySchema,
  webhookDeliveryIdParamsSchema,
  webhookEventIdParamsSchema,
  webhookIdParamsSchema,
} from '@atrium/protocol';
import type { WebhookAdmin } from '../webhooks/webhook-admin.js';
import { parse } from './validate.js';

export function registerWebhookRoutes(app: FastifyInstance, webhooks: WebhookAdmin): void {
  app.post('/api/v1/webhooks', async (request, reply) => {
    const body = parse(createWebhookSubscriptionBodySchema, request.body === undefined ? {} : request.body, 'webhook subscription');
    const subscription = await webhooks.createSubscription(body);
    return reply.status(201).header('location', `/api/v1/webhooks/${subscription.id}`).send(subscription);
  });

  app.get('/api/v1/webhooks', async (request) => {
    return webhooks.listSubscriptions(parse(listWebhookSubscriptionsQuerySchema, request.query, 'query'));
  });

  app.get('/api/v1/webhooks/deliveries', async (request) => {
    return webhooks.listDeliveries(parse(listWebhookDeliveriesQuerySchema, request.query, 'query'));
  });

  app.get('/api/v1/webhooks/deliveries/:deliveryId', async (request) => {
    const { deliveryId } = parse(webhookDeliveryIdParamsSchema, request.params, 'path');
    return webhooks.getDelivery(deliveryId);
  });

  app.post('/api/v1/webhooks/deliveries/:deliveryId/redeliver', async (request, reply) => {
    const { deliveryId } = parse(webhookDeliveryIdParamsSchema, request.params, 'path');
    return reply.status(202).send(await webhooks.redeliver(deliveryId));
  });

  app.get('/api/v1/webhooks/events/:eventId', async (request) => {
    const { eventId } = parse(webhookEventIdParamsSchema, request.params, 'path');
    return webhooks.getEvent(eventId);
  });

  app.get('/api/v1/webhooks/:webhookId', async (request) => {
    const { webhookId } = parse(webhookIdParamsSchema, request.params, 'path');
    return webhooks.getSubscription(webhookId);
  });

  app.patch('/api/v1/webhooks/:webhookId', async (request) => {
    const { webhookId } = parse(webhookIdParamsSchema, request.params, 'path');
    const body = parse(updateWebhookSubscriptionBodySchema, request.body === undefined ? {} : request.body, 'webhook subscription');
    return webhooks.updateSubscription(webhookId, body);
  });

  app.delete('/api/v1/webhooks/:webhookId', async (request, reply) => {
    const { webhookId } = parse(webhookIdParamsSchema, request.params, 'path');
    await webhooks.deleteSubscription(webhookId);
    return reply.status(204).send();
  });
}
