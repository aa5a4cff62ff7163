/**
 * @module The webhook outbox contract, run on a SQLite file and on a real Postgres server:
 * destinations and filters at enqueue, head-of-line claiming per ordering key, attempt records,
 * redelivery, subscription CRUD and the delivery log.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import type { WebhookEventType } from '@atrium/protocol';
import { createTestDatabase, startPostgres } from '../../../../test/helpers/postgres.js';
import type { DatabaseLocation } from './database.js';
import type { RoomRecord } from './room-repository.js';
import { Store } from './store.js';
import type { ClaimedDelivery, WebhookSubscriptionRecord } from './webhook-repository.js';

interface Backend {
  freshDatabase(): Promise<{ location: DatabaseLocation; drop(): Promise<void> }>;
  close(): Promise<void>;
}

const backends: Array<{ name: DatabaseLocation['kind']; open(): Promise<Backend> }> = [
  {
    name: 'sqlite',
    async open() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrium-webhook-store-'));
      return {
        freshDatabase: async () => ({ location: { kind: 'sqlite', file: path.join(dir, `${randomUUID()}.sqlite`) }, drop: async () => undefined }),
        close: async () => fs.rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'postgres',
    async open() {
      const server = await startPostgres();
      return {
        async freshDatabase() {
          const database = await createTestDatabase(server.url);
          return { location: { kind: 'postgres', url: database.url }, drop: () => database.stop() };
        },
        close: () => server.stop(),
      };
    },
  },
];

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (ms: number): string => new Date(T0 + ms).toISOString();
/** Far enough in the future that every delivery queued "now" is due. */
const LATER = '2999-01-01T00:00:00.000Z';

function makeRoom(webhook: RoomRecord['webhook']): RoomRecord {
  const now = new Date().toISOString();
  return {
    id: randomUUID(),
    customRoomId: null,
    name: null,
    displayName: null,
    title: 'hooks',
    type: 'small-room',
    timeout: 60,
    webhook,
    maxEndpoints: null,
    maxDuration: null,
    recording: false,
    recordOnStart: false,
    quality: '720p',
    layout: 'grid-responsive',
    enableChat: true,
    enableRoomPreviews: false,
    autoCloseConfig: null,
    autoStartConfig: null,
    disabled: false,
    deactivatedAt: null,
    createdAt: now,
    updatedAt: now,
  };
}

function makeSubscription(url: string, events: WebhookEventType[] | null = null, enabled = true, createdAt = new Date().toISOString()): WebhookSubscriptionRecord {
  return { id: randomUUID(), url, events, enabled, createdAt, updatedAt: createdAt };
}

for (const { name, open } of backends) {
  describe(`webhook repository on ${name}`, () => {
    let backend: Backend;
    let store: Store;
    let drop: () => Promise<void>;

    before(async () => {
      backend = await open();
    });
    after(async () => {
      await backend?.close();
    });
    afterEach(async () => {
      await store?.close();
      await drop?.();
    });

    async function freshStore(): Promise<Store> {
      const database = await backend.freshDatabase();
      drop = database.drop;
      store = await Store.open(database.location);
      return store;
    }

    const claimAll = (s: Store, now = LATER, claimUntil = LATER): Promise<ClaimedDelivery[]> =>
      s.webhooks.claimDue({ now, claimUntil, limit: 100 });

    test('enqueue queues one delivery per destination wanting the event: room webhook, subscriptions, by URL', async () => {
      const s = await freshStore();
      const room = makeRoom({ endPoint: 'http://room.example/hook', events: ['participant-joined'] });
      await s.rooms.insert(room);
      await s.webhooks.subscriptions.insert(makeSubscription('http://all.example/hook'));
      await s.webhooks.subscriptions.insert(makeSubscription('http://ended.example/hook', ['session-ended']));
      await s.webhooks.subscriptions.insert(makeSubscription('http://off.example/hook', null, false));
      // Same URL as the room's: one delivery, not two.
      await s.webhooks.subscriptions.insert(makeSubscription('http://room.example/hook', ['participant-joined']));

      const joined = await s.transaction((tx) =>
        tx.webhooks.enqueue({ type: 'participant-joined', roomId: room.id, sessionId: 'S1', data: { endpointId: 'a', name: 'A', joinedAt: at(0) } }),
      );
      const started = await s.webhooks.enqueue({ type: 'session-started', roomId: room.id, sessionId: 'S1', data: { sessionId: 'S1' } });
      const ended = await s.webhooks.enqueue({ type: 'session-ended', roomId: null, sessionId: null, data: {} });

      const urls = async (eventId: string): Promise<Array<[string, string | null, string]>> =>
        (await s.webhooks.listEventDeliveries(eventId)).map((d) => [d.url, d.subscriptionId, d.orderingKey] as [string, string | null, string]).sort();
      assert.deepEqual(
        (await urls(joined.id)).map(([url, sub, key]) => [url, sub === null ? 'room' : 'subscription', key]),
        [
          ['http://all.example/hook', 'subscription', 'http://all.example/hook|S1'],
          ['http://room.example/hook', 'room', 'http://room.example/hook|S1'],
        ],
      );
      assert.deepEqual((await urls(started.id)).map(([url]) => url), ['http://all.example/hook']);
      assert.deepEqual(
        (await urls(ended.id)).map(([url, , key]) => [url, key]),
        [
          ['http://all.example/hook', 'http://all.example/hook|global'],
          ['http://ended.example/hook', 'http://ended.example/hook|global'],
        ],
      );
      const envelope = await s.webhooks.getEvent(joined.id);
      assert.deepEqual(envelope, joined);
      const delivery = (await s.webhooks.listEventDeliveries(joined.id))[0];
      assert.equal(delivery?.status, 'pending');
      assert.equal(delivery?.attempts, 0);
      assert.equal(delivery?.eventType, 'participant-joined');
    });

    test('an event rolled back with its transaction leaves no event and no delivery', async () => {
      const s = await freshStore();
      await s.webhooks.subscriptions.insert(makeSubscription('http://all.example/hook'));
      let id = '';
      await assert.rejects(
        s.transaction(async (tx) => {
          id = (await tx.webhooks.enqueue({ type: 'session-started', roomId: null, sessionId: 'S', data: {} })).id;
          throw new Error('the change failed');
        }),
        /the change failed/,
      );
      assert.equal(await s.webhooks.getEvent(id), undefined);
      assert.deepEqual((await s.webhooks.listDeliveries({ limit: 10 })).data, []);
    });

    test('claims only the oldest pending delivery of each ordering key; failed and delivered ones unblock the next', async () => {
      const s = await freshStore();
      await s.webhooks.subscriptions.insert(makeSubscription('http://a.example/hook'));
      const a = [];
      for (let i = 0; i < 3; i++) a.push(await s.webhooks.enqueue({ type: 'participant-joined', roomId: null, sessionId: 'A', data: { i } }));
      const b = await s.webhooks.enqueue({ type: 'participant-joined', roomId: null, sessionId: 'B', data: {} });

      const first = await claimAll(s, new Date().toISOString(), at(10 ** 12));
      assert.deepEqual(first.map((d) => d.eventId), [a[0]?.id, b.id]);
      assert.equal(first[0]?.body, JSON.stringify(a[0]));
      // Claimed ones are neither due again nor let the next of their key pass.
      assert.deepEqual(await claimAll(s, new Date().toISOString()), []);

      const [a0, b0] = first as [ClaimedDelivery, ClaimedDelivery];
      assert.equal(await s.webhooks.recordFailed(a0, { at: at(1), statusCode: 500, error: 'HTTP 500' }, at(2)), true);
      // A stale claim cannot record twice.
      assert.equal(await s.webhooks.recordFailed(a0, { at: at(1), statusCode: 500, error: 'HTTP 500' }, at(2)), false);
      assert.equal(await s.webhooks.recordDelivered(b0, { at: at(1), statusCode: 204, error: null }), true);
      const retrying = await s.webhooks.getDelivery(a0.id);
      assert.equal(retrying?.status, 'pending');
      assert.equal(retrying?.attempts, 1);
      assert.equal(retrying?.nextAttemptAt, at(2));
      assert.equal(retrying?.lastStatusCode, 500);
      assert.equal(retrying?.lastError, 'HTTP 500');
      const delivered = await s.webhooks.getDelivery(b0.id);
      assert.equal(delivered?.status, 'delivered');
      assert.equal(delivered?.deliveredAt, at(1));
      assert.equal(delivered?.nextAttemptAt, null);

      // The retry is due at at(2): not before; a[1] waits behind it.
      assert.deepEqual(await claimAll(s, at(1), LATER), []);
      assert.equal(await s.webhooks.nextAttemptAfter(at(1)), at(2));
      const retry = await claimAll(s, at(2), LATER);
      assert.deepEqual(retry.map((d) => [d.eventId, d.attempts]), [[a[0]?.id, 1]]);
      await s.webhooks.recordFailed(retry[0] as ClaimedDelivery, { at: at(3), statusCode: null, error: 'ECONNREFUSED' }, null);
      assert.equal((await s.webhooks.getDelivery(a0.id))?.status, 'failed');
      // Failed for good: the next event of the key goes.
      assert.deepEqual((await claimAll(s)).map((d) => d.eventId), [a[1]?.id]);
    });

    test('a claim that runs out is claimed again (a dispatcher that died mid-attempt)', async () => {
      const s = await freshStore();
      await s.webhooks.subscriptions.insert(makeSubscription('http://a.example/hook'));
      await s.webhooks.enqueue({ type: 'session-started', roomId: null, sessionId: 'A', data: {} });
      const [first] = await claimAll(s, new Date().toISOString(), at(5_000));
      assert.ok(first);
      const [again] = await claimAll(s, at(5_000), at(20_000));
      assert.equal(again?.id, first.id);
      assert.equal(await s.webhooks.recordDelivered(first, { at: at(6_000), statusCode: 200, error: null }), false);
      assert.equal(await s.webhooks.recordDelivered(again as ClaimedDelivery, { at: at(6_000), statusCode: 200, error: null }), true);
    });

    test('redeliver queues the event again (delivered/failed) or makes a pending delivery due now', async () => {
      const s = await freshStore();
      await s.webhooks.subscriptions.insert(makeSubscription('http://a.example/hook'));
      const event = await s.webhooks.enqueue({ type: 'session-started', roomId: null, sessionId: 'A', data: {} });
      const [claimed] = await claimAll(s);
      await s.webhooks.recordDelivered(claimed as ClaimedDelivery, { at: at(1), statusCode: 200, error: null });

      const again = await s.webhooks.redeliver(claimed?.id ?? '', at(2));
      assert.ok(again);
      assert.notEqual(again.id, claimed?.id);
      assert.deepEqual([again.eventId, again.status, again.attempts, again.url], [event.id, 'pending', 0, 'http://a.example/hook']);
      // Asking twice does not queue it twice.
      assert.equal((await s.webhooks.redeliver(claimed?.id ?? '', at(2)))?.id, again.id);
      const [resent] = await claimAll(s, at(2));
      assert.equal(resent?.body, JSON.stringify(event));
      await s.webhooks.recordFailed(resent as ClaimedDelivery, { at: at(3), statusCode: 503, error: 'HTTP 503' }, at(10 ** 9));
      assert.equal((await s.webhooks.redeliver(again.id, at(4)))?.nextAttemptAt, at(4));
      assert.equal((await s.webhooks.listEventDeliveries(event.id)).length, 2);
      assert.equal(await s.webhooks.redeliver(randomUUID(), at(4)), undefined);
    });

    test('subscriptions: create, read, list newest first with cursors, update, delete cancels pending deliveries', async () => {
      const s = await freshStore();
      const subs = [0, 1, 2].map((i) => makeSubscription(`http://s${i}.example/hook`, i === 0 ? ['hls-started'] : null, true, at(i * 1000)));
      for (const sub of subs) await s.webhooks.subscriptions.insert(sub);
      assert.deepEqual(await s.webhooks.subscriptions.get(subs[0]?.id ?? ''), subs[0]);
      const page1 = await s.webhooks.subscriptions.list({ limit: 2 });
      assert.deepEqual(page1.data.map((x) => x.id), [subs[2]?.id, subs[1]?.id]);
      const page2 = await s.webhooks.subscriptions.list({ limit: 2, cursor: page1.nextCursor ?? '' });
      assert.deepEqual(page2.data.map((x) => x.id), [subs[0]?.id]);
      assert.equal(page2.nextCursor, null);

      const updated = await s.webhooks.subscriptions.update(subs[0]?.id ?? '', { events: null, enabled: false, updatedAt: at(9000) });
      assert.deepEqual([updated?.events, updated?.enabled, updated?.updatedAt, updated?.url], [null, false, at(9000), 'http://s0.example/hook']);
      assert.equal(await s.webhooks.subscriptions.update(randomUUID(), { enabled: true, updatedAt: at(9000) }), undefined);

      const event = await s.webhooks.enqueue({ type: 'session-started', roomId: null, sessionId: 'A', data: {} });
      assert.equal((await s.webhooks.listEventDeliveries(event.id)).length, 2);
      assert.equal(await s.webhooks.subscriptions.delete(subs[1]?.id ?? '', at(10_000)), true);
      assert.equal(await s.webhooks.subscriptions.delete(subs[1]?.id ?? '', at(10_000)), false);
      const statuses = (await s.webhooks.listEventDeliveries(event.id)).map((d) => [d.url, d.status, d.lastError]).sort();
      assert.deepEqual(statuses, [
        ['http://s1.example/hook', 'cancelled', 'subscription deleted'],
        ['http://s2.example/hook', 'pending', null],
      ]);
    });

    test('the delivery log filters by event, status, URL and subscription, newest first, with cursors', async () => {
      const s = await freshStore();
      const sub = makeSubscription('http://a.example/hook');
      await s.webhooks.subscriptions.insert(sub);
      await s.webhooks.subscriptions.insert(makeSubscription('http://b.example/hook'));
      const events = [];
      for (let i = 0; i < 3; i++) {
        events.push(await s.webhooks.enqueue({ type: 'participant-left', roomId: null, sessionId: `S${i}`, data: {} }));
        await new Promise((r) => setTimeout(r, 3));
      }
      const [firstClaim] = await claimAll(s);
      await s.webhooks.recordDelivered(firstClaim as ClaimedDelivery, { at: at(1), statusCode: 200, error: null });

      const all = await s.webhooks.listDeliveries({ limit: 100 });
      assert.equal(all.data.length, 6);
      assert.deepEqual(
        all.data.map((d) => d.createdAt),
        [...all.data.map((d) => d.createdAt)].sort().reverse(),
      );
      assert.deepEqual((await s.webhooks.listDeliveries({ eventId: events[1]?.id, limit: 10 })).data.map((d) => d.eventId), [events[1]?.id, events[1]?.id]);
      assert.deepEqual((await s.webhooks.listDeliveries({ status: 'delivered', limit: 10 })).data.map((d) => d.id), [firstClaim?.id]);
      assert.equal((await s.webhooks.listDeliveries({ url: 'http://b.example/hook', limit: 10 })).data.length, 3);
      assert.equal((await s.webhooks.listDeliveries({ subscriptionId: sub.id, limit: 10 })).data.length, 3);

      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await s.webhooks.listDeliveries({ limit: 4, ...(cursor ? { cursor } : {}) });
        seen.push(...page.data.map((d) => d.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      assert.deepEqual(seen, all.data.map((d) => d.id));
    });

    test('concurrent transactions enqueueing for one session all commit (serialized per session on Postgres)', async () => {
      const s = await freshStore();
      await s.webhooks.subscriptions.insert(makeSubscription('http://a.example/hook'));
      const ids = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          s.transaction(async (tx) => (await tx.webhooks.enqueue({ type: 'participant-joined', roomId: null, sessionId: 'A', data: { i } })).id),
        ),
      );
      const rows = await s.db.selectFrom('webhook_events').select(['id', 'seq']).orderBy('seq').execute();
      assert.deepEqual(new Set(rows.map((r) => r.id)), new Set(ids));
      assert.equal(rows.length, 10);
    });
  });
}
