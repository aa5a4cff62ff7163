/**
 * @module Webhooks survive `kill -9`: the real server runs as a child process, endpoints join over
 * the signaling WebSocket (the public path that puts events in the outbox), the server is killed
 * with SIGKILL and started again on the same data directory, and a real HTTP receiver must then get
 * every event with its original id and body (at-least-once: duplicates allowed, nothing lost).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, test, type TestContext } from 'node:test';
import type { WebhookDelivery, WebhookEnvelope, WebhookEventDetail } from '@atrium/protocol';
import { verifyWebhookSignature } from '../packages/server/src/webhooks/signature.js';
import { freePort, startChildServer, type ChildServer } from './helpers/child-server.js';
import { waitFor } from './helpers/server.js';
import { connect, type SignalTestClient } from './helpers/signal.js';
import { startWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from './helpers/webhook-receiver.js';

const credentials = { ATRIUM_API_KEY: 'webhook-crash-key', ATRIUM_API_SECRET: 'webhook-crash-secret-0123456789' };
const auth = `Basic ${Buffer.from(`${credentials.ATRIUM_API_KEY}:${credentials.ATRIUM_API_SECRET}`).toString('base64')}`;
/** Short timeout, so a claim left by the killed process runs out quickly (timeout + 5 s). */
const env = { ...credentials, ATRIUM_WEBHOOK_RETRY_BASE_MS: '100', ATRIUM_WEBHOOK_TIMEOUT_MS: '1000' };

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrium-webhook-crash-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function child(dataDir: string): Promise<ChildServer> {
  const server = await startChildServer({ DATA_DIR: dataDir, ...env });
  cleanups.push(() => server.stop());
  return server;
}

async function receiver(port: number, responder?: Parameters<typeof startWebhookReceiver>[1]): Promise<WebhookReceiver> {
  const r = await startWebhookReceiver(port, responder);
  cleanups.push(() => r.close());
  return r;
}

async function api<T>(base: string, method: string, pathname: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}${pathname}`, {
    method,
    headers: { authorization: auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  assert.ok(res.status < 300, `${method} ${pathname}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

async function join(server: ChildServer, roomId: string, endpointId: string): Promise<{ client: SignalTestClient; sessionId: string }> {
  const { token } = await api<{ token: string }>(server.url, 'POST', `/api/v1/endpoints/${endpointId}/access-tokens`, { roomId, name: endpointId });
  const client = await connect(server.url);
  cleanups.push(async () => {
    await client.close();
  });
  const joined = await client.call('join', { roomId, token });
  return { client, sessionId: joined.room.sessionId };
}

const deliveries = async (server: ChildServer): Promise<WebhookDelivery[]> =>
  (await api<{ data: WebhookDelivery[] }>(server.url, 'GET', '/api/v1/webhooks/deliveries?limit=100')).data;

/** `type endpointId` of each event a path received, first receipt only, in arrival order. */
function firstReceipts(received: readonly ReceivedWebhook[], urlPath: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const r of received) {
    if (r.path !== urlPath || seen.has(r.envelope.id) || r.answered !== 200) continue;
    seen.add(r.envelope.id);
    const endpointId = typeof r.envelope.data.endpointId === 'string' ? ` ${r.envelope.data.endpointId}` : '';
    out.push(`${r.envelope.type}${endpointId}`);
  }
  return out;
}

test('events queued while the receiver is down survive kill -9 and arrive after restart, each with its original id', async (t: TestContext) => {
  const dataDir = tempDataDir();
  const port = await freePort();
  const hookUrl = `http://127.0.0.1:${port}`;
  const first = await child(dataDir);
  await api(first.url, 'POST', '/api/v1/webhooks', { url: `${hookUrl}/all` });
  const room = await api<{ id: string }>(first.url, 'POST', '/api/v1/rooms', {
    title: 'crash',
    webhook: { endPoint: `${hookUrl}/room`, events: ['participant-joined', 'participant-left'] },
  });

  const alice = await join(first, room.id, 'alice');
  const bob = await join(first, room.id, 'bob');
  assert.equal(bob.sessionId, alice.sessionId);
  await alice.client.call('leave', {});

  // 4 events to the subscription, 3 to the room's webhook; the head of each is being retried.
  const before = await waitFor('7 deliveries, heads retried', async () => {
    const log = await deliveries(first);
    return log.length === 7 && log.filter((d) => d.attempts >= 2).length === 2 ? log : undefined;
  }, 15_000, 50);
  assert.ok(before.every((d) => d.status === 'pending'));
  assert.ok(before.filter((d) => d.attempts > 0).every((d) => d.lastError === 'ECONNREFUSED'));
  const envelopes = new Map<string, WebhookEnvelope>();
  for (const d of before) {
    envelopes.set(d.eventId, (await api<WebhookEventDetail>(first.url, 'GET', `/api/v1/webhooks/events/${d.eventId}`)).event);
  }

  await first.kill9();
  await bob.client.closed;
  const hooks = await receiver(port);
  const restartedAt = Date.now();
  const second = await child(dataDir);

  const expectedAll = ['session-started', 'participant-joined alice', 'participant-joined bob', 'participant-left alice', 'participant-left bob', 'session-ended'];
  const expectedRoom = ['participant-joined alice', 'participant-joined bob', 'participant-left alice', 'participant-left bob'];
  await waitFor('every event at both URLs', () =>
    firstReceipts(hooks.requests, '/all').length === expectedAll.length && firstReceipts(hooks.requests, '/room').length === expectedRoom.length,
  15_000, 20);
  t.diagnostic(`restart → all ${expectedAll.length + expectedRoom.length} deliveries in ${Date.now() - restartedAt} ms (includes the server's start)`);

  // Nothing lost, in order per session and URL.
  assert.deepEqual(firstReceipts(hooks.requests, '/all'), expectedAll);
  assert.deepEqual(firstReceipts(hooks.requests, '/room'), expectedRoom);
  // Every delivery queued before the kill arrived with its original id and exact body, signed.
  for (const d of before) {
    const path = new URL(d.url).pathname;
    const got = hooks.requests.find((r) => r.path === path && r.envelope.id === d.eventId);
    assert.ok(got, `${d.eventType} ${d.eventId} to ${path}`);
    assert.deepEqual(got.envelope, envelopes.get(d.eventId));
    assert.equal(got.body, JSON.stringify(envelopes.get(d.eventId)));
  }
  for (const r of hooks.requests) {
    assert.equal(verifyWebhookSignature(String(r.headers['atrium-signature']), r.body, credentials.ATRIUM_API_SECRET, 60), true);
    assert.equal(r.envelope.sessionId, alice.sessionId);
  }
  const ended = hooks.requests.find((r) => r.envelope.type === 'session-ended');
  assert.equal(ended?.envelope.data.reason, 'server-restart');

  const after = await waitFor('the log to show all delivered', async () => {
    const log = await deliveries(second);
    return log.length === 10 && log.every((d) => d.status === 'delivered') ? log : undefined;
  }, 5000, 50);
  for (const d of before.filter((x) => x.attempts > 0)) {
    assert.ok((after.find((x) => x.id === d.id)?.attempts ?? 0) > d.attempts, 'attempts keep counting across the restart');
  }
});

test('an attempt in flight at kill -9 is sent again after restart (at-least-once)', async (t: TestContext) => {
  const dataDir = tempDataDir();
  const port = await freePort();
  // The first request is never answered: the server is killed while waiting for it.
  const hooks = await receiver(port, (_request, index) => (index === 0 ? 'hang' : 200));
  const first = await child(dataDir);
  await api(first.url, 'POST', '/api/v1/webhooks', { url: `http://127.0.0.1:${port}/all` });
  const room = await api<{ id: string }>(first.url, 'POST', '/api/v1/rooms', { title: 'in flight' });
  const alice = await join(first, room.id, 'alice');

  await waitFor('the hung request', () => hooks.requests.length === 1, 10_000, 20);
  const inFlight = hooks.requests[0];
  assert.equal(inFlight?.envelope.type, 'session-started');
  await first.kill9();
  await alice.client.closed;
  const killedAt = Date.now();
  await child(dataDir);

  await waitFor('session-started again, then the rest', () => firstReceipts(hooks.requests, '/all').length === 4, 20_000, 50);
  const again = hooks.requests.find((r, i) => i > 0 && r.envelope.id === inFlight?.envelope.id);
  t.diagnostic(`in-flight event resent ${((again?.receivedAt ?? 0) - killedAt) / 1000} s after the kill (claim = timeout 1 s + 5 s)`);
  assert.equal(again?.body, inFlight?.body);
  assert.deepEqual(firstReceipts(hooks.requests, '/all'), ['session-started', 'participant-joined alice', 'participant-left alice', 'session-ended']);
});
