/**
 * @module Webhooks end to end: the real server delivers its outbox to a real HTTP receiver —
 * signed, in order per session, retried while the receiver is down, redelivered on request —
 * and the REST API manages subscriptions and shows the delivery log.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, test, type TestContext } from 'node:test';
import { webhookEventSchema, type WebhookDelivery, type WebhookEnvelope, type WebhookEventDetail, type WebhookSubscription } from '@atrium/protocol';
import { loadConfig } from '../packages/server/src/config.js';
import { createServer } from '../packages/server/src/server.js';
import { verifyWebhookSignature } from '../packages/server/src/webhooks/signature.js';
import type { EnqueueInput } from '../packages/server/src/store/webhook-repository.js';
import { freePort } from './helpers/child-server.js';
import { startTestServer, waitFor, type TestServer } from './helpers/server.js';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.js';

/** Fast retries: 50 ms, 100 ms, 200 ms … */
const FAST = { ATRIUM_WEBHOOK_RETRY_BASE_MS: '50', ATRIUM_WEBHOOK_TIMEOUT_MS: '2000' };

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(env: Record<string, string> = {}): Promise<TestServer> {
  const t = await startTestServer({ ...FAST, ...env });
  cleanups.push(() => t.close());
  return t;
}

async function receiver(...args: Parameters<typeof startWebhookReceiver>): Promise<WebhookReceiver> {
  const r = await startWebhookReceiver(...args);
  cleanups.push(() => r.close());
  return r;
}

async function subscribe(t: TestServer, body: Record<string, unknown>): Promise<WebhookSubscription> {
  const res = await t.api('POST', '/api/v1/webhooks', body);
  assert.equal(res.status, 201, await res.clone().text());
  return (await res.json()) as WebhookSubscription;
}

/** Enqueues an event the way services do: inside a store transaction. */
function enqueue(t: TestServer, input: EnqueueInput): Promise<WebhookEnvelope> {
  return t.server.store.transaction((tx) => tx.webhooks.enqueue(input));
}

async function deliveries(t: TestServer, query = ''): Promise<WebhookDelivery[]> {
  const res = await t.api('GET', `/api/v1/webhooks/deliveries?limit=100${query}`);
  assert.equal(res.status, 200);
  return ((await res.json()) as { data: WebhookDelivery[] }).data;
}

const sessionEvent = (sessionId: string, i: number): EnqueueInput => ({
  type: 'participant-joined',
  roomId: null,
  sessionId,
  data: { endpointId: `e${i}`, name: `Endpoint ${i}`, joinedAt: new Date().toISOString() },
});

/** Lets anything still queued arrive (so a test can claim nothing more came). */
const settle = (ms = 600): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('webhook delivery', () => {
  test('a subscription receives an enqueued event: exact envelope, signed, with id and type headers', async (t: TestContext) => {
    const hooks = await receiver();
    const s = await server();
    await subscribe(s, { url: `${hooks.url}/atrium?x=1` });
    const room = await s.createRoom();

    const latencies: number[] = [];
    const sent: WebhookEnvelope[] = [];
    for (let i = 0; i < 5; i++) {
      const started = Date.now();
      const envelope = await enqueue(s, {
        type: 'session-started',
        roomId: room.id,
        sessionId: `session-${i}`,
        data: { sessionId: `session-${i}`, roomId: room.id, startedAt: new Date().toISOString() },
      });
      sent.push(envelope);
      await waitFor('the event', () => hooks.requests.find((r) => r.envelope.id === envelope.id), 5000, 5);
      latencies.push((hooks.requests.find((r) => r.envelope.id === envelope.id)?.receivedAt ?? 0) - started);
    }
    t.diagnostic(`enqueue → received latency (ms): ${latencies.join(', ')}`);

    assert.equal(hooks.requests.length, 5);
    for (const [i, request] of hooks.requests.entries()) {
      const envelope = sent[i] as WebhookEnvelope;
      assert.equal(request.method, 'POST');
      assert.equal(request.path, '/atrium?x=1');
      assert.equal(request.headers['content-type'], 'application/json');
      assert.equal(request.headers['atrium-event-id'], envelope.id);
      assert.equal(request.headers['atrium-event-type'], 'session-started');
      assert.equal(request.body, JSON.stringify(envelope));
      assert.deepEqual(JSON.parse(request.body), envelope);
      const signature = request.headers['atrium-signature'];
      assert.match(String(signature), /^t=\d+,v1=[0-9a-f]{64}$/);
      assert.equal(verifyWebhookSignature(String(signature), request.body, s.server.credentials.apiSecret, 60), true);
      assert.equal(verifyWebhookSignature(String(signature), request.body, 'another-secret-0123456789', 60), false);
      // The per-type schema accepts it too.
      assert.equal(webhookEventSchema.parse(JSON.parse(request.body)).type, 'session-started');
    }

    const log = await deliveries(s);
    assert.equal(log.length, 5);
    for (const delivery of log) {
      assert.equal(delivery.status, 'delivered');
      assert.equal(delivery.attempts, 1);
      assert.equal(delivery.lastStatusCode, 200);
      assert.equal(delivery.lastError, null);
      assert.equal(delivery.nextAttemptAt, null);
      assert.ok(delivery.deliveredAt);
      assert.equal(delivery.eventType, 'session-started');
    }
  });

  test("a room's webhook gets only the events its filter names; a disabled subscription gets none", async () => {
    const hooks = await receiver();
    const s = await server();
    const room = await s.createRoom({ webhook: { endPoint: `${hooks.url}/room`, events: ['participant-left', 'session-ended'] } });
    const other = await s.createRoom({ webhook: `${hooks.url}/other` });
    await subscribe(s, { url: `${hooks.url}/disabled`, enabled: false });

    const sessionId = 'room-session-1';
    const base = { roomId: room.id, sessionId };
    const joinedAt = new Date().toISOString();
    await enqueue(s, { ...base, type: 'session-started', data: { sessionId, roomId: room.id, startedAt: joinedAt } });
    await enqueue(s, { ...base, type: 'participant-joined', data: { endpointId: 'a', name: 'A', joinedAt } });
    const left = await enqueue(s, { ...base, type: 'participant-left', data: { endpointId: 'a', name: 'A', joinedAt, leftAt: joinedAt, reason: 'left' } });
    await enqueue(s, { ...base, type: 'stream-published', data: { endpointId: 'a', tag: 'camera' } });
    const ended = await enqueue(s, { ...base, type: 'session-ended', data: { sessionId, roomId: room.id, startedAt: joinedAt, endedAt: joinedAt, reason: 'timeout' } });
    // A plain URL means every event.
    const otherEvent = await enqueue(s, { type: 'hls-started', roomId: other.id, sessionId: 'other-1', data: { hlsId: 'h', status: 'started' } });

    await waitFor('three deliveries', () => hooks.requests.length >= 3, 5000, 10);
    await settle();
    const byPath = (p: string): string[] => hooks.requests.filter((r) => r.path === p).map((r) => r.envelope.id);
    assert.deepEqual(byPath('/room'), [left.id, ended.id]);
    assert.deepEqual(byPath('/other'), [otherEvent.id]);
    assert.deepEqual(byPath('/disabled'), []);
    assert.equal(hooks.requests.length, 3);
    const roomLog = await deliveries(s, `&url=${encodeURIComponent(`${hooks.url}/room`)}`);
    assert.deepEqual(roomLog.map((d) => [d.subscriptionId, d.status]), [[null, 'delivered'], [null, 'delivered']]);
  });

  test('a receiver answering 500 gets the event again until it takes it; attempts are in the log', async () => {
    const hooks = await receiver(0, (_request, index) => (index < 3 ? 500 : 204));
    const s = await server();
    await subscribe(s, { url: hooks.url });
    const event = await enqueue(s, sessionEvent('flaky', 1));
    await waitFor('the delivery', () => hooks.delivered().length === 1, 10_000, 10);
    assert.deepEqual(hooks.requests.map((r) => [r.envelope.id, r.answered]), [
      [event.id, 500],
      [event.id, 500],
      [event.id, 500],
      [event.id, 204],
    ]);
    // Backoff: the gaps grow (50 ms, 100 ms, 200 ms ±20 %).
    const gaps = hooks.requests.slice(1).map((r, i) => r.receivedAt - (hooks.requests[i]?.receivedAt ?? 0));
    assert.ok((gaps[0] ?? 0) >= 35 && (gaps[2] ?? 0) >= 150, `gaps ${gaps.join(', ')}`);
    await waitFor('the log to say delivered', async () => (await deliveries(s))[0]?.status === 'delivered', 3000, 20);
    const [delivery] = await deliveries(s);
    assert.equal(delivery?.attempts, 4);
    assert.equal(delivery?.lastStatusCode, 204);
    assert.equal(delivery?.lastError, null);
  });

  test('a receiver that is down (port closed) and comes back gets every event, in order', async (t: TestContext) => {
    const port = await freePort();
    const s = await server({ ATRIUM_WEBHOOK_RETRY_BASE_MS: '100' });
    await subscribe(s, { url: `http://127.0.0.1:${port}/hooks` });
    const sent: WebhookEnvelope[] = [];
    for (let i = 0; i < 4; i++) sent.push(await enqueue(s, sessionEvent(i < 2 ? 'down-A' : 'down-B', i)));

    // While down: attempts fail with a connection error and are counted.
    await waitFor('failed attempts', async () => {
      const log = await deliveries(s);
      const tried = log.filter((d) => d.attempts > 0);
      return tried.length === 2 && tried.every((d) => d.attempts >= 3) && log.every((d) => d.status === 'pending');
    }, 10_000, 50);
    const down = await deliveries(s);
    const heads = down.filter((d) => d.attempts > 0);
    assert.deepEqual(new Set(heads.map((d) => d.eventId)), new Set([sent[0]?.id, sent[2]?.id]), 'only the head of each session is tried');
    for (const d of heads) {
      assert.equal(d.lastStatusCode, null);
      assert.equal(d.lastError, 'ECONNREFUSED');
      assert.ok(d.nextAttemptAt);
    }

    const upAt = Date.now();
    const hooks = await receiver(port);
    await waitFor('all four events', () => hooks.delivered().length >= 4, 10_000, 10);
    t.diagnostic(`receiver up → all 4 delivered in ${Date.now() - upAt} ms`);
    await settle(300);
    assert.equal(hooks.requests.length, 4, 'each event once');
    const order = (session: string): string[] => hooks.requests.filter((r) => r.envelope.sessionId === session).map((r) => r.envelope.id);
    assert.deepEqual(order('down-A'), [sent[0]?.id, sent[1]?.id]);
    assert.deepEqual(order('down-B'), [sent[2]?.id, sent[3]?.id]);
    const log = await waitFor('all delivered in the log', async () => {
      const l = await deliveries(s);
      return l.every((d) => d.status === 'delivered') ? l : undefined;
    }, 3000, 20);
    assert.ok(log.filter((d) => d.eventId === sent[0]?.id).every((d) => d.attempts >= 4));
  });

  test("one session's events arrive in order even when the 2nd fails its first attempt; other sessions are not held up", async () => {
    const hooks = await receiver();
    const s = await server({ ATRIUM_WEBHOOK_RETRY_BASE_MS: '300' });
    await subscribe(s, { url: hooks.url });
    const failedOnce = new Set<string>();
    let second = '';
    hooks.respondWith((request) => {
      if (request.envelope.id === second && !failedOnce.has(second)) {
        failedOnce.add(second);
        return 503;
      }
      return 200;
    });

    const events: WebhookEnvelope[] = [];
    await s.server.store.transaction(async (tx) => {
      for (let i = 0; i < 5; i++) {
        const envelope = await tx.webhooks.enqueue(sessionEvent('ordered', i));
        if (i === 1) second = envelope.id;
        events.push(envelope);
      }
    });
    const other = await enqueue(s, sessionEvent('unrelated', 0));

    await waitFor('five deliveries of the session', () => hooks.delivered().filter((r) => r.envelope.sessionId === 'ordered').length === 5, 10_000, 10);
    const ordered = hooks.requests.filter((r) => r.envelope.sessionId === 'ordered').map((r) => [r.envelope.id, r.answered]);
    const ids = events.map((e) => e.id);
    assert.deepEqual(ordered, [
      [ids[0], 200],
      [ids[1], 503],
      [ids[1], 200],
      [ids[2], 200],
      [ids[3], 200],
      [ids[4], 200],
    ]);
    // The other session's event went while this one waited for its retry (300 ms).
    const otherAt = hooks.requests.find((r) => r.envelope.id === other.id)?.receivedAt ?? Infinity;
    const retriedAt = hooks.requests.filter((r) => r.envelope.id === ids[1])[1]?.receivedAt ?? 0;
    assert.ok(otherAt < retriedAt, 'an unrelated session is not blocked by a retry');
  });

  test('a receiver that does not answer within the timeout counts as a failed attempt and is retried', async () => {
    const hooks = await receiver(0, (_request, index) => (index === 0 ? 'hang' : 200));
    const s = await server({ ATRIUM_WEBHOOK_TIMEOUT_MS: '300' });
    await subscribe(s, { url: hooks.url });
    const event = await enqueue(s, sessionEvent('slow', 0));
    await waitFor('the retry', () => hooks.delivered().length === 1, 5000, 10);
    const [hung, answered] = hooks.requests;
    assert.equal(answered?.envelope.id, event.id);
    assert.ok((answered?.receivedAt ?? 0) - (hung?.receivedAt ?? 0) >= 300, 'retried after the timeout');
    const [delivery] = await waitFor('delivered in the log', async () => {
      const l = await deliveries(s);
      return l[0]?.status === 'delivered' ? l : undefined;
    }, 3000, 20);
    assert.equal(delivery?.attempts, 2);
  });

  test('a delivery that keeps failing past the retry window is marked failed, and the next event goes', async () => {
    const hooks = await receiver();
    // 0.0003 h ≈ 1.1 s of retries.
    const s = await server({ ATRIUM_WEBHOOK_MAX_AGE_HOURS: '0.0003', ATRIUM_WEBHOOK_RETRY_BASE_MS: '100' });
    await subscribe(s, { url: hooks.url });
    hooks.respondWith((request) => (request.envelope.data.endpointId === 'e0' ? 500 : 200));
    const doomed = await enqueue(s, sessionEvent('give-up', 0));
    const next = await enqueue(s, sessionEvent('give-up', 1));

    await waitFor('the next event', () => hooks.delivered().some((r) => r.envelope.id === next.id), 10_000, 20);
    const doomedAttempts = hooks.requests.filter((r) => r.envelope.id === doomed.id);
    assert.ok(doomedAttempts.length >= 3, `${doomedAttempts.length} attempts`);
    const last = doomedAttempts[doomedAttempts.length - 1]?.receivedAt ?? 0;
    assert.ok(last - (doomedAttempts[0]?.receivedAt ?? 0) >= 900, 'retried for the whole window');
    const [failed] = await deliveries(s, `&eventId=${doomed.id}`);
    assert.equal(failed?.status, 'failed');
    assert.equal(failed?.lastStatusCode, 500);
    assert.equal(failed?.lastError, 'HTTP 500');
    assert.equal(failed?.attempts, doomedAttempts.length);
    assert.deepEqual((await deliveries(s, '&status=failed')).map((d) => d.eventId), [doomed.id]);
  });

  test('redeliver sends the same envelope again; the event view shows both deliveries', async () => {
    const hooks = await receiver();
    const s = await server();
    await subscribe(s, { url: hooks.url });
    const event = await enqueue(s, sessionEvent('redeliver', 0));
    await waitFor('the delivery', () => hooks.delivered().length === 1, 5000, 10);
    const [first] = await waitFor('delivered in the log', async () => {
      const l = await deliveries(s);
      return l[0]?.status === 'delivered' ? l : undefined;
    }, 3000, 20);
    assert.ok(first);

    const res = await s.api('POST', `/api/v1/webhooks/deliveries/${first.id}/redeliver`);
    assert.equal(res.status, 202);
    const queued = (await res.json()) as WebhookDelivery;
    assert.equal(queued.eventId, event.id);
    assert.equal(queued.status, 'pending');
    assert.notEqual(queued.id, first.id);

    await waitFor('the redelivery', () => hooks.requests.length === 2, 5000, 10);
    const [a, b] = hooks.requests;
    assert.equal(b?.headers['atrium-event-id'], event.id);
    assert.equal(b?.body, a?.body);
    assert.equal(verifyWebhookSignature(String(b?.headers['atrium-signature']), b?.body ?? '', s.server.credentials.apiSecret, 60), true);

    const detail = await waitFor('both delivered', async () => {
      const r = await s.api('GET', `/api/v1/webhooks/events/${event.id}`);
      assert.equal(r.status, 200);
      const d = (await r.json()) as WebhookEventDetail;
      return d.deliveries.every((x) => x.status === 'delivered') ? d : undefined;
    }, 3000, 20);
    assert.deepEqual(detail.event, event);
    assert.deepEqual(detail.deliveries.map((d) => d.id), [first.id, queued.id]);
    const single = await s.api('GET', `/api/v1/webhooks/deliveries/${queued.id}`);
    assert.equal(((await single.json()) as WebhookDelivery).status, 'delivered');

    for (const [method, path, code] of [
      ['POST', '/api/v1/webhooks/deliveries/00000000-0000-4000-8000-000000000000/redeliver', 'DELIVERY_NOT_FOUND'],
      ['GET', '/api/v1/webhooks/deliveries/nope', 'DELIVERY_NOT_FOUND'],
      ['GET', '/api/v1/webhooks/events/00000000-0000-4000-8000-000000000000', 'WEBHOOK_EVENT_NOT_FOUND'],
    ] as const) {
      const r = await s.api(method, path);
      assert.equal(r.status, 404);
      assert.equal(((await r.json()) as { error: { code: string } }).error.code, code);
    }
  });
});

describe('webhook dispatcher lifecycle', () => {
  test('closing the server mid-request hands the delivery back; the next start sends it at once', async (t: TestContext) => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrium-webhook-close-'));
    cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    const config = loadConfig({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ATRIUM_DEMO: '0', ...FAST, ATRIUM_WEBHOOK_TIMEOUT_MS: '60000' });
    const hooks = await receiver(0, (_request, index) => (index === 0 ? 'hang' : 200));
    const first = await createServer(config);
    await first.store.webhooks.subscriptions.insert({ id: randomUUID(), url: hooks.url, events: null, enabled: true, createdAt: new Date().toISOString(), updatedAt: new Date().toISOString() });
    const event = await first.store.transaction((tx) => tx.webhooks.enqueue(sessionEvent('closing', 0)));
    await waitFor('the hung request', () => hooks.requests.length === 1, 5000, 10);

    const closeStarted = Date.now();
    await Promise.all([first.close(), first.close(), first.webhooks.close()]);
    t.diagnostic(`close with a request in flight took ${Date.now() - closeStarted} ms`);
    assert.equal(first.webhooks.closed, true);

    const second = await createServer(config);
    cleanups.push(() => second.close());
    const restarted = Date.now();
    await waitFor('the resend', () => hooks.delivered().length === 1, 5000, 10);
    // Not after the 60 s claim: the claim was given back on close.
    assert.ok(Date.now() - restarted < 2000);
    assert.equal(hooks.delivered()[0]?.body, JSON.stringify(event));
    const [delivery] = await second.store.webhooks.listEventDeliveries(event.id);
    await waitFor('delivered', async () => (await second.store.webhooks.getDelivery(delivery?.id ?? ''))?.status === 'delivered', 3000, 20);
    // The aborted attempt is not counted.
    assert.equal((await second.store.webhooks.getDelivery(delivery?.id ?? ''))?.attempts, 1);
  });
});

describe('webhook subscriptions REST', () => {
  test('create, read, list, update, delete', async () => {
    const s = await server();
    const created = await subscribe(s, { url: 'https://hooks.example.com/a' });
    assert.deepEqual([created.url, created.events, created.enabled], ['https://hooks.example.com/a', null, true]);
    assert.equal(created.createdAt, created.updatedAt);
    const second = await subscribe(s, { url: 'http://127.0.0.1:9/b', events: ['hls-playable', 'session-ended'], enabled: false });
    assert.deepEqual([second.events, second.enabled], [['hls-playable', 'session-ended'], false]);

    const got = await s.api('GET', `/api/v1/webhooks/${created.id}`);
    assert.deepEqual(await got.json(), created);

    const page1 = (await (await s.api('GET', '/api/v1/webhooks?limit=1')).json()) as { data: WebhookSubscription[]; nextCursor: string | null };
    assert.deepEqual(page1.data.map((w) => w.id), [second.id]);
    assert.ok(page1.nextCursor);
    const page2 = (await (await s.api('GET', `/api/v1/webhooks?limit=1&cursor=${page1.nextCursor}`)).json()) as { data: WebhookSubscription[]; nextCursor: string | null };
    assert.deepEqual(page2.data.map((w) => w.id), [created.id]);
    assert.equal(page2.nextCursor, null);

    const patched = await s.api('PATCH', `/api/v1/webhooks/${created.id}`, { events: ['participant-joined'], enabled: false });
    assert.equal(patched.status, 200);
    const updated = (await patched.json()) as WebhookSubscription;
    assert.deepEqual([updated.url, updated.events, updated.enabled], ['https://hooks.example.com/a', ['participant-joined'], false]);
    const reset = (await (await s.api('PATCH', `/api/v1/webhooks/${created.id}`, { events: null })).json()) as WebhookSubscription;
    assert.equal(reset.events, null);

    const deleted = await s.api('DELETE', `/api/v1/webhooks/${created.id}`);
    assert.equal(deleted.status, 204);
    for (const [method, body] of [['GET', undefined], ['PATCH', { enabled: true }], ['DELETE', undefined]] as const) {
      const r = await s.api(method, `/api/v1/webhooks/${created.id}`, body);
      assert.equal(r.status, 404, method);
      assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'WEBHOOK_NOT_FOUND');
    }
  });

  test('bad input is refused with VALIDATION_FAILED naming the field', async () => {
    const s = await server();
    const created = await subscribe(s, { url: 'https://hooks.example.com/a' });
    const cases: Array<[string, string, unknown, string]> = [
      ['POST', '/api/v1/webhooks', { url: 'not a url' }, 'url'],
      ['POST', '/api/v1/webhooks', { url: 'ftp://hooks.example.com/a' }, 'url'],
      ['POST', '/api/v1/webhooks', {}, 'url'],
      ['POST', '/api/v1/webhooks', { url: 'https://x.example', events: ['session-started', 'room-exploded'] }, 'events.1'],
      ['POST', '/api/v1/webhooks', { url: 'https://x.example', events: [] }, 'events'],
      ['POST', '/api/v1/webhooks', { url: 'https://x.example', events: 'session-started' }, 'events'],
      ['POST', '/api/v1/webhooks', { url: 'https://x.example', enabled: 'yes' }, 'enabled'],
      ['POST', '/api/v1/webhooks', { url: 'https://x.example', secret: 'x' }, '(root)'],
      ['PATCH', `/api/v1/webhooks/${created.id}`, {}, '(root)'],
      ['PATCH', `/api/v1/webhooks/${created.id}`, { events: ['nope'] }, 'events.0'],
      ['PATCH', `/api/v1/webhooks/${created.id}`, { url: 'javascript:alert(1)' }, 'url'],
      ['GET', '/api/v1/webhooks/deliveries?status=lost', undefined, 'status'],
      ['GET', '/api/v1/webhooks/deliveries?limit=1000', undefined, 'limit'],
      ['GET', '/api/v1/webhooks/deliveries?cursor=garbage', undefined, 'cursor'],
      ['GET', '/api/v1/webhooks?limit=0', undefined, 'limit'],
    ];
    for (const [method, path, body, field] of cases) {
      const res = await s.api(method, path, body);
      const answer = (await res.json()) as { error: { code: string; message: string; details?: Array<{ path: string }> } };
      assert.equal(res.status, 400, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(answer)}`);
      assert.equal(answer.error.code, 'VALIDATION_FAILED');
      assert.ok(
        answer.error.details?.some((d) => d.path === field) ?? answer.error.message.includes(field),
        `${JSON.stringify(body)} should name ${field}: ${JSON.stringify(answer)}`,
      );
    }
    const unauthenticated = await fetch(`${s.url}/api/v1/webhooks`);
    assert.equal(unauthenticated.status, 401);
  });
});
