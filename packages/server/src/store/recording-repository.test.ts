/**
 * @module The recordings store contract, run on a SQLite file and on a real Postgres server:
 * recordings and their files round-trip, status changes guarded by the current status, list
 * filters and cursor pages, active lookup, and deletion with the session cascading.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { RecordingFileRecord, RecordingRecord } from './recording-repository.js';
import { at, insertRoomWithSession, storeBackends } from '../../../../test/helpers/store-backends.js';
import { Store } from './store.js';

const backends = storeBackends('recordings-store');

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

    const recording = (ids: { roomId: string; sessionId: string }, fields: Partial<RecordingRecord> = {}): RecordingRecord => ({
      id: randomUUID(), sessionId: ids.sessionId, roomId: ids.roomId, status: 'recording', outputs: ['tracks'], startedAt: at(2),
      stoppedAt: null, endReason: null, error: null, pauses: [], ...fields,
    });

    const file = (recordingId: string, fields: Partial<RecordingFileRecord> = {}): RecordingFileRecord => ({
      id: randomUUID(), recordingId, output: 'track', endpointId: 'alice', tag: 'camera', kind: 'video', codec: 'vp8', container: 'webm',
      path: `${recordingId}/video.webm`, status: 'recording', offsetMs: 120, startedAt: at(3), endedAt: null, durationMs: null,
      sizeBytes: null, ffmpegPid: 4242, error: null, ...fields,
    });

    test('a recording and its files round-trip; file changes apply', async () => {
      const ids = await session();
      const rec = recording(ids, { pauses: [{ pausedAt: at(4), resumedAt: at(5) }] });
      await store.recordings.insert(rec);
      assert.deepEqual(await store.recordings.get(rec.id), rec);
      const video = file(rec.id);
      const audio = file(rec.id, { kind: 'audio', codec: 'opus', startedAt: at(4), offsetMs: 2000 });
      await store.recordings.insertFile(audio);
      await store.recordings.insertFile(video);
      assert.deepEqual(await store.recordings.listFiles(rec.id), [video, audio]);
      await store.recordings.updateFile(video.id, { status: 'finished', endedAt: at(9), durationMs: 6000, sizeBytes: 5_000_000_000, ffmpegPid: null });
      const [updated] = await store.recordings.listFiles(rec.id);
      assert.deepEqual(updated, { ...video, status: 'finished', endedAt: at(9), durationMs: 6000, sizeBytes: 5_000_000_000, ffmpegPid: null });
      const many = await store.recordings.listFilesOf([rec.id, randomUUID()]);
      assert.equal(many.get(rec.id)?.length, 2);
    });

    test('status changes are guarded: a second stop changes nothing; active lookup per session', async () => {
      const ids = await session();
      const rec = recording(ids);
      await store.recordings.insert(rec);
      assert.equal((await store.recordings.getActiveForSession(ids.sessionId))?.id, rec.id);
      assert.ok((await store.recordings.listActive()).some((r) => r.id === rec.id));
      assert.equal(await store.recordings.update(rec.id, { status: 'stopped', stoppedAt: at(10), endReason: 'api' }, ['recording', 'paused']), true);
      assert.equal(await store.recordings.update(rec.id, { status: 'failed', error: 'late' }, ['recording', 'paused']), false);
      assert.deepEqual(await store.recordings.get(rec.id), { ...rec, status: 'stopped', stoppedAt: at(10), endReason: 'api' });
      assert.equal(await store.recordings.getActiveForSession(ids.sessionId), undefined);
    });

    test('list filters by room, session and status; pages newest first', async () => {
      const ids = await session();
      const other = await session();
      const made: RecordingRecord[] = [];
      for (let i = 0; i < 5; i++) {
        const rec = recording(ids, { startedAt: at(100 + i), status: i === 0 ? 'failed' : 'stopped' });
        made.push(rec);
        await store.recordings.insert(rec);
      }
      await store.recordings.insert(recording(other, { startedAt: at(200) }));
      const first = await store.recordings.list({ roomId: ids.roomId, limit: 3 });
      assert.deepEqual(first.data.map((r) => r.id), [made[4]!.id, made[3]!.id, made[2]!.id]);
      assert.ok(first.nextCursor);
      const second = await store.recordings.list({ roomId: ids.roomId, limit: 3, cursor: first.nextCursor });
      assert.deepEqual(second.data.map((r) => r.id), [made[1]!.id, made[0]!.id]);
      assert.equal(second.nextCursor, null);
      assert.deepEqual((await store.recordings.list({ sessionId: ids.sessionId, status: 'failed', limit: 10 })).data.map((r) => r.id), [made[0]!.id]);
      assert.equal((await store.recordings.list({ sessionId: other.sessionId, limit: 10 })).data.length, 1);
    });

    test('delete removes a recording with its files; deleting the room cascades', async () => {
      const ids = await session();
      const rec = recording(ids);
      await store.recordings.insert(rec);
      await store.recordings.insertFile(file(rec.id));
      assert.equal(await store.recordings.delete(rec.id), true);
      assert.equal(await store.recordings.delete(rec.id), false);
      assert.deepEqual(await store.recordings.listFiles(rec.id), []);
      const kept = recording(ids);
      await store.recordings.insert(kept);
      await store.rooms.delete(ids.roomId);
      assert.equal(await store.recordings.get(kept.id), undefined);
    });
  });
}
