/**
 * @module Tests for the webhook wire types: subscription bodies, the envelope and per-type payloads.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { webhookEventTypes } from './rooms.js';
import {
  createWebhookSubscriptionBodySchema,
  listWebhookDeliveriesQuerySchema,
  updateWebhookSubscriptionBodySchema,
  webhookEventDataSchemas,
  webhookEventSchema,
} from './webhooks.js';

const envelope = {
  id: '93768156-e664-4d60-9794-3b34d7ab2827',
  type: 'participant-joined',
  createdAt: '2026-11-22T03:31:22.697Z',
  roomId: 'ea32b287-efef-4bb6-9d14-8ddb8ee183db',
  sessionId: '11ae8529-594d-4b09-96d7-80595fec9cd2',
  data: { endpointId: 'mohsen', name: 'Mohsen', joinedAt: '2026-11-22T03:31:22.697Z' },
};

describe('webhook schemas', () => {
  test('every one of the 36 event types has a documented data schema', () => {
    assert.equal(webhookEventTypes.length, 36);
    for (const type of webhookEventTypes) {
      const schema = webhookEventDataSchemas[type];
      assert.ok(schema, type);
      assert.ok(schema.description, `${type} has a description`);
    }
  });

  test('a received body parses into a typed event; its data is checked against its type', () => {
    const event = webhookEventSchema.parse(envelope);
    assert.equal(event.type, 'participant-joined');
    if (event.type === 'participant-joined') assert.equal(event.data.endpointId, 'mohsen');
    // Fields added later are kept, not refused.
    const extended = webhookEventSchema.parse({ ...envelope, data: { ...envelope.data, future: 1 } });
    assert.equal((extended.data as Record<string, unknown>).future, 1);
    assert.equal(webhookEventSchema.safeParse({ ...envelope, data: { name: 'no endpoint id' } }).success, false);
    assert.equal(webhookEventSchema.safeParse({ ...envelope, type: 'room-exploded' }).success, false);
    const hls = webhookEventSchema.parse({ ...envelope, type: 'hls-playable', data: { hlsId: 'h1', status: 'playable', playbackUrl: 'http://x/y.m3u8' } });
    assert.equal(hls.type, 'hls-playable');
  });

  test('subscription bodies: events default to all, enabled to true; unknown types and fields are refused', () => {
    assert.deepEqual(createWebhookSubscriptionBodySchema.parse({ url: 'https://example.com/h' }), { url: 'https://example.com/h', events: null, enabled: true });
    assert.equal(createWebhookSubscriptionBodySchema.safeParse({ url: 'https://example.com/h', events: ['nope'] }).success, false);
    assert.equal(createWebhookSubscriptionBodySchema.safeParse({ url: 'mailto:a@b.c' }).success, false);
    assert.equal(createWebhookSubscriptionBodySchema.safeParse({ url: 'https://example.com/h', extra: 1 }).success, false);
    assert.equal(updateWebhookSubscriptionBodySchema.safeParse({}).success, false);
    assert.deepEqual(updateWebhookSubscriptionBodySchema.parse({ events: null }), { events: null });
    assert.deepEqual(listWebhookDeliveriesQuerySchema.parse({ status: 'failed', limit: '5' }), { status: 'failed', limit: 5 });
  });
});
