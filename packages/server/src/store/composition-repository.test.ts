/**
 * @module The compositions store contract, run on a SQLite file and on a real Postgres server:
 * a job round-trips (layout name or composition layout, bigint size), status changes guarded by
 * the current status, the queue's oldest-first order, list filters and cursor pages, and
 * deletion with the session cascading.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { CompositionRecord } from './composition-repository.js';
import { at, insertRoomWithSession, storeBackends } from '../../../../test/helpers/store-backends.js';
import { Store } from './store.js';

const backends = storeBackends('compositions-store');

for (const { name, open } of backends) {
  describe(name, () => {
    let store: Store;
    let close: () => Promise<void>;
    before(async () => {
      const backend = await open();
      close = backend.close;
      store = await Store.open(backend.location);
    });
    after(async () => {
      await store?.close();
      await close?.();
    });

    const session = (): Promise<{ roomId: string; sessionId: string }> => insertRoomWithSession(store);

    const job = (ids: { roomId: string; sessionId: string }, fields: Partial<CompositionRecord> = {}): CompositionRecord => ({
      id: randomUUID(), sessionId: ids.sessionId, roomId: ids.roomId, recordingId: null, status: 'queued', layout: 'grid-responsive',
      resolution: '1280x720', format: 'mp4', progress: 0, attempts: 0, path: null, ffmpegPid: null, durationMs: null, sizeBytes: null,
      error: null, createdAt: at(2), startedAt: null, completedAt: null, ...fields,
    });

    test('a composition round-trips; guarded updates apply once', async () => {
      const ids = await session();
      const record = job(ids, { layout: { type: 'SIDEBAR', priority: 'PIN', gridSize: 6 }, recordingId: randomUUID(), format: 'm4a' });
      await store.compositions.insert(record);
      assert.deepEqual(await store.compositions.get(record.id), record);
      assert.equal(await store.compositions.update(record.id, { status: 'processing', startedAt: at(3), attempts: 1, ffmpegPid: 99 }, ['queued']), true);
      assert.equal(await store.compositions.update(record.id, { status: 'processing' }, ['queued']), false);
      const done = { status: 'completed' as const, completedAt: at(9), path: `${record.id}.m4a`, sizeBytes: 5_000_000_000, durationMs: 61_000, progress: 100, ffmpegPid: null };
      assert.equal(await store.compositions.update(record.id, done, ['processing']), true);
      assert.deepEqual(await store.compositions.get(record.id), { ...record, ...done, startedAt: at(3), attempts: 1 });
      assert.deepEqual((await store.compositions.listForRecording(record.recordingId!)).map((c) => c.id), [record.id]);
    });

    test('the queue gives the oldest queued job; listByStatus finds interrupted ones', async () => {
      const ids = await session();
      const later = job(ids, { createdAt: at(50) });
      const earlier = job(ids, { createdAt: at(40) });
      const running = job(ids, { createdAt: at(30), status: 'processing' });
      for (const record of [later, earlier, running]) await store.compositions.insert(record);
      const next = await store.compositions.nextQueued();
      assert.ok(next && Date.parse(next.createdAt) <= Date.parse(earlier.createdAt));
      assert.ok((await store.compositions.listByStatus('processing')).some((c) => c.id === running.id));
      for (const record of [later, earlier, running]) await store.compositions.delete(record.id);
    });

    test('list filters by room, session and status; pages newest first; the room cascades', async () => {
      const ids = await session();
      const other = await session();
      const made: CompositionRecord[] = [];
      for (let i = 0; i < 5; i++) {
        const record = job(ids, { createdAt: at(100 + i), status: i === 0 ? 'failed' : 'completed' });
        made.push(record);
        await store.compositions.insert(record);
      }
      await store.compositions.insert(job(other, { createdAt: at(200), status: 'completed' }));
      const first = await store.compositions.list({ roomId: ids.roomId, limit: 3 });
      assert.deepEqual(first.data.map((c) => c.id), [made[4]!.id, made[3]!.id, made[2]!.id]);
      assert.ok(first.nextCursor);
      const second = await store.compositions.list({ roomId: ids.roomId, limit: 3, cursor: first.nextCursor });
      assert.deepEqual(second.data.map((c) => c.id), [made[1]!.id, made[0]!.id]);
      assert.equal(second.nextCursor, null);
      assert.deepEqual((await store.compositions.list({ sessionId: ids.sessionId, status: 'failed', limit: 10 })).data.map((c) => c.id), [made[0]!.id]);
      assert.equal(await store.compositions.delete(made[0]!.id), true);
      assert.equal(await store.compositions.delete(made[0]!.id), false);
      await store.rooms.delete(ids.roomId);
      assert.equal(await store.compositions.get(made[1]!.id), undefined);
      assert.equal((await store.compositions.list({ sessionId: other.sessionId, limit: 10 })).data.length, 1);
    });
  });
}
