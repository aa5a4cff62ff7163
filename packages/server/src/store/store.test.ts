/**
 * @module The Store contract, run twice — on a SQLite file and on a real Postgres server — so the
 * two databases behind `Store` answer every repository call the same way.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { AtriumError, ErrorCode } from '@atrium/protocol';
import { createTestDatabase, startPostgres, type TestPostgres } from '../../../../test/helpers/postgres.js';
import type { DatabaseLocation } from './database.js';
import { migrations } from './migrations.js';
import type { RoomRecord } from './room-repository.js';
import { Store, StoreConflictError } from './store.js';

/** A database server for one run of the suite: hands out empty databases. */
interface Backend {
  freshDatabase(): Promise<{ location: DatabaseLocation; drop(): Promise<void> }>;
  close(): Promise<void>;
}

const backends: Array<{ name: DatabaseLocation['kind']; open(): Promise<Backend> }> = [
  {
    name: 'sqlite',
    async open() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrium-store-test-'));
      return {
        freshDatabase: async () => ({
          location: { kind: 'sqlite', file: path.join(dir, `${randomUUID()}.sqlite`) },
          drop: async () => undefined,
        }),
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

const BASE_TIME = Date.parse('2026-01-01T00:00:00.000Z');
/** An ISO time `seconds` after a fixed instant, so orderings are known in advance. */
const at = (seconds: number): string => new Date(BASE_TIME + seconds * 1000).toISOString();

function makeRoom(fields: Partial<RoomRecord> = {}): RoomRecord {
  return {
    id: randomUUID(),
    customRoomId: null,
    name: null,
    displayName: null,
    title: 'a room',
    type: 'small-room',
    timeout: 60,
    webhook: null,
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
    createdAt: at(0),
    updatedAt: at(0),
    ...fields,
  };
}

/** Newest first, ties broken by id: the order every list promises. */
const newestFirst = (a: { at: string; id: string }, b: { at: string; id: string }): number =>
  a.at === b.at ? (a.id < b.id ? 1 : -1) : a.at < b.at ? 1 : -1;

/** Follows `nextCursor` to the end; returns each page's ids. */
async function allPages(list: (cursor: string | undefined) => Promise<{ data: Array<{ id: string }>; nextCursor: string | null }>): Promise<string[][]> {
  const pages: string[][] = [];
  let cursor: string | undefined;
  do {
    const page = await list(cursor);
    pages.push(page.data.map((row) => row.id));
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined && pages.length < 100);
  return pages;
}

for (const { name, open } of backends) {
  describe(name, () => {
    let backend: Backend;
    let store: Store;
    let location: DatabaseLocation;
    let drop: () => Promise<void>;

    before(async () => {
      backend = await open();
    });
    after(async () => {
      await backend?.close();
    });

    /** Each test gets an empty, migrated database. */
    async function freshStore(): Promise<Store> {
      const database = await backend.freshDatabase();
      location = database.location;
      drop = database.drop;
      store = await Store.open(location);
      return store;
    }
    afterEach(async () => {
      await store?.close();
      await drop?.();
    });

    test('migrations run once: opening an existing database again changes nothing', async () => {
      const first = await freshStore();
      assert.equal(first.kind, name);
      const room = makeRoom({ name: 'kept' });
      await first.rooms.insert(room);
      await first.close();

      store = await Store.open(location);
      const again = await Store.open(location);
      try {
        assert.deepEqual(await again.rooms.get(room.id), room);
        const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(again.db);
        assert.deepEqual(applied.rows.map((row) => row.name), Object.keys(migrations).sort());
      } finally {
        await again.close();
      }
    });

    if (name === 'postgres') {
      test('a pooled connection the server terminates while idle is replaced, not fatal', async () => {
        await freshStore();
        await store.rooms.insert(makeRoom());
        assert.ok(location.kind === 'postgres');
        const admin = new pg.Client({ connectionString: location.url });
        await admin.connect();
        try {
          const { rows } = await admin.query<{ terminated: boolean }>(
            'select pg_terminate_backend(pid) as terminated from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
          );
          assert.ok(rows.length > 0 && rows.every((row) => row.terminated));
        } finally {
          await admin.end();
        }
        // Give the termination notice time to reach the idle client.
        await new Promise((resolve) => setTimeout(resolve, 200));
        assert.equal((await store.rooms.list({ limit: 10 })).data.length, 1);
      });
    }

    describe('rooms', () => {
      test('insert, get by id, customRoomId and name; update; delete', async () => {
        await freshStore();
        const room = makeRoom({ customRoomId: 'standup', name: 'standup-room', displayName: 'Standup' });
        await store.rooms.insert(room);
        assert.deepEqual(await store.rooms.get(room.id), room);
        assert.deepEqual(await store.rooms.getByCustomId('standup'), room);
        assert.deepEqual(await store.rooms.getByName('standup-room'), room);
        assert.equal(await store.rooms.get(randomUUID()), undefined);
        assert.equal(await store.rooms.getByCustomId('nope'), undefined);
        assert.equal(await store.rooms.getByName('nope'), undefined);

        const updated = await store.rooms.update(room.id, { title: 'renamed', maxEndpoints: 4, disabled: true, updatedAt: at(5) });
        assert.deepEqual(updated, { ...room, title: 'renamed', maxEndpoints: 4, disabled: true, updatedAt: at(5) });
        assert.deepEqual(await store.rooms.update(room.id, {}), updated);
        assert.equal(await store.rooms.update(randomUUID(), { title: 'x' }), undefined);

        assert.equal(await store.rooms.delete(room.id), true);
        assert.equal(await store.rooms.get(room.id), undefined);
        assert.equal(await store.rooms.delete(room.id), false);
      });

      test('deleting a room deletes its sessions and endpoint stays', async () => {
        await freshStore();
        const room = makeRoom();
        await store.rooms.insert(room);
        await store.sessions.insertSession({ id: 's1', roomId: room.id, startedAt: at(1) });
        await store.sessions.insertEndpoint({ id: 'e1', sessionId: 's1', roomId: room.id, endpointId: 'alice', name: 'Alice', joinedAt: at(2) });
        assert.equal(await store.rooms.delete(room.id), true);
        assert.equal(await store.sessions.getSession('s1'), undefined);
        assert.equal(await store.sessions.getEndpoint('e1'), undefined);
      });

      test('customRoomId and name are unique (StoreConflictError); many rooms may have neither', async () => {
        await freshStore();
        await store.rooms.insert(makeRoom({ customRoomId: 'c1', name: 'n1' }));
        await assert.rejects(store.rooms.insert(makeRoom({ customRoomId: 'c1' })), StoreConflictError);
        await assert.rejects(store.rooms.insert(makeRoom({ name: 'n1' })), StoreConflictError);
        const other = makeRoom({ customRoomId: 'c2', name: 'n2' });
        await store.rooms.insert(other);
        await assert.rejects(store.rooms.update(other.id, { name: 'n1' }), StoreConflictError);
        await assert.rejects(store.rooms.update(other.id, { customRoomId: 'c1' }), StoreConflictError);
        assert.equal((await store.rooms.get(other.id))?.name, 'n2');
        await store.rooms.insert(makeRoom());
        await store.rooms.insert(makeRoom());
        assert.equal((await store.rooms.list({ limit: 10 })).data.length, 4);
      });

      test('booleans and JSON fields round-trip exactly', async () => {
        await freshStore();
        const everything = makeRoom({
          webhook: { endPoint: 'https://example.com/hooks', events: ['session-started', 'participant-joined'] },
          maxEndpoints: 2,
          maxDuration: 500,
          recording: true,
          recordOnStart: true,
          quality: '1440p',
          layout: 'SPOTLIGHT',
          enableChat: false,
          enableRoomPreviews: true,
          autoCloseConfig: { type: 'session-end-and-deactivate', duration: 30 },
          autoStartConfig: {
            recording: {
              templateUrl: 'https://example.com/template?a=1&b=ü',
              transcription: { enabled: true, summary: { enabled: false, prompt: 'say "hi"\n' } },
              config: { layout: { type: 'GRID', priority: 'PIN', gridSize: 9 }, theme: 'DARK', mode: 'audio', quality: 'high', orientation: 'portrait' },
            },
            hls: { config: { recording: { enabled: 'true' } } },
          },
          disabled: true,
          deactivatedAt: at(9),
        });
        const allEvents = makeRoom({ webhook: { endPoint: 'https://example.com/all', events: null } });
        await store.rooms.insert(everything);
        await store.rooms.insert(allEvents);
        assert.deepEqual(await store.rooms.get(everything.id), everything);
        assert.deepEqual(await store.rooms.get(allEvents.id), allEvents);

        const cleared = { webhook: null, autoCloseConfig: null, autoStartConfig: null, recording: false, enableChat: true, deactivatedAt: null };
        assert.deepEqual(await store.rooms.update(everything.id, cleared), { ...everything, ...cleared });
      });

      test('list pages newest first with a cursor: 25 rooms by 10 → 10, 10, 5', async () => {
        await freshStore();
        // Groups of three share a creation time, so the id tie-break is exercised.
        const rooms = Array.from({ length: 25 }, (_, i) => makeRoom({ createdAt: at(Math.floor(i / 3)) }));
        for (const room of rooms) await store.rooms.insert(room);
        const expected = rooms
          .map((room) => ({ at: room.createdAt, id: room.id }))
          .sort(newestFirst)
          .map((room) => room.id);

        const pages = await allPages((cursor) => store.rooms.list({ limit: 10, cursor }));
        assert.deepEqual(pages.map((page) => page.length), [10, 10, 5]);
        assert.deepEqual(pages.flat(), expected);

        const exact = await allPages((cursor) => store.rooms.list({ limit: 25, cursor }));
        assert.deepEqual(exact.map((page) => page.length), [25]);
        await assert.rejects(store.rooms.list({ limit: 10, cursor: 'garbage' }), (error: unknown) => {
          assert.ok(AtriumError.is(error));
          assert.equal(error.code, ErrorCode.VALIDATION_FAILED);
          return true;
        });
      });

      test('list filters: created range, customRoomId, active', async () => {
        await freshStore();
        const rooms = Array.from({ length: 6 }, (_, i) => makeRoom({ createdAt: at(i * 10), customRoomId: `room-${i}` }));
        for (const room of rooms) await store.rooms.insert(room);
        const ids = (list: { data: RoomRecord[] }): string[] => list.data.map((room) => room.id);
        const byIndex = (...indexes: number[]): string[] => indexes.map((i) => rooms[i]!.id);

        assert.deepEqual(ids(await store.rooms.list({ limit: 10, createdAfter: at(20) })), byIndex(5, 4, 3, 2));
        assert.deepEqual(ids(await store.rooms.list({ limit: 10, createdBefore: at(20) })), byIndex(1, 0));
        assert.deepEqual(ids(await store.rooms.list({ limit: 10, createdAfter: at(10), createdBefore: at(40) })), byIndex(3, 2, 1));
        assert.deepEqual(ids(await store.rooms.list({ limit: 10, customRoomId: 'room-3' })), byIndex(3));
        assert.deepEqual(ids(await store.rooms.list({ limit: 10, customRoomId: 'none' })), []);

        // Room 1 has an open session, room 2 only an ended one, room 4 both.
        await store.sessions.insertSession({ id: 'open-1', roomId: rooms[1]!.id, startedAt: at(100) });
        await store.sessions.insertSession({ id: 'ended-2', roomId: rooms[2]!.id, startedAt: at(100) });
        await store.sessions.endSession('ended-2', at(110), 'timeout');
        await store.sessions.insertSession({ id: 'ended-4', roomId: rooms[4]!.id, startedAt: at(100) });
        await store.sessions.endSession('ended-4', at(110), 'timeout');
        await store.sessions.insertSession({ id: 'open-4', roomId: rooms[4]!.id, startedAt: at(120) });
        assert.deepEqual(ids(await store.rooms.list({ limit: 10, active: true })), byIndex(4, 1));
        assert.deepEqual(ids(await store.rooms.list({ limit: 10, active: false })), byIndex(5, 3, 2, 0));
        assert.deepEqual(await allPages((cursor) => store.rooms.list({ limit: 2, active: false, cursor })), [byIndex(5, 3), byIndex(2, 0)]);
        assert.deepEqual(ids(await store.rooms.list({ limit: 10, active: true, createdBefore: at(40) })), byIndex(1));
      });
    });

    describe('sessions', () => {
      test('insert, end once (a second end is refused), list open', async () => {
        await freshStore();
        const room = makeRoom();
        await store.rooms.insert(room);
        await store.sessions.insertSession({ id: 'a', roomId: room.id, startedAt: at(2) });
        await store.sessions.insertSession({ id: 'b', roomId: room.id, startedAt: at(1) });
        await store.sessions.insertSession({ id: 'c', roomId: room.id, startedAt: at(3) });
        assert.deepEqual(await store.sessions.getSession('a'), { id: 'a', roomId: room.id, startedAt: at(2), endedAt: null, endReason: null });
        assert.deepEqual((await store.sessions.listOpenSessions()).map((s) => s.id), ['b', 'a', 'c']);

        assert.equal(await store.sessions.endSession('a', at(10), 'api'), true);
        assert.equal(await store.sessions.endSession('a', at(20), 'timeout'), false);
        assert.equal(await store.sessions.endSession('missing', at(20), 'timeout'), false);
        assert.deepEqual(await store.sessions.getSession('a'), { id: 'a', roomId: room.id, startedAt: at(2), endedAt: at(10), endReason: 'api' });
        assert.deepEqual((await store.sessions.listOpenSessions()).map((s) => s.id), ['b', 'c']);
        assert.equal(await store.sessions.getSession('missing'), undefined);
      });

      test('a session of an unknown room is refused', async () => {
        await freshStore();
        await assert.rejects(store.sessions.insertSession({ id: 'orphan', roomId: randomUUID(), startedAt: at(0) }));
        assert.equal(await store.sessions.getSession('orphan'), undefined);
      });

      test('listSessions filters by room and active, pages newest first', async () => {
        await freshStore();
        const first = makeRoom();
        const second = makeRoom();
        await store.rooms.insert(first);
        await store.rooms.insert(second);
        for (let i = 0; i < 7; i++) {
          await store.sessions.insertSession({ id: `s${i}`, roomId: (i % 2 === 0 ? first : second).id, startedAt: at(i) });
          if (i < 5) await store.sessions.endSession(`s${i}`, at(i + 0.5), 'timeout');
        }
        const ids = async (filter: Parameters<Store['sessions']['listSessions']>[0]): Promise<string[]> =>
          (await store.sessions.listSessions(filter)).data.map((s) => s.id);
        assert.deepEqual(await ids({ limit: 10 }), ['s6', 's5', 's4', 's3', 's2', 's1', 's0']);
        assert.deepEqual(await ids({ limit: 10, roomId: first.id }), ['s6', 's4', 's2', 's0']);
        assert.deepEqual(await ids({ limit: 10, active: true }), ['s6', 's5']);
        assert.deepEqual(await ids({ limit: 10, active: false, roomId: second.id }), ['s3', 's1']);
        assert.deepEqual(await allPages((cursor) => store.sessions.listSessions({ limit: 3, cursor })), [
          ['s6', 's5', 's4'],
          ['s3', 's2', 's1'],
          ['s0'],
        ]);
      });
    });

    describe('endpoint stays', () => {
      async function roomWithSession(): Promise<{ roomId: string; sessionId: string }> {
        const room = makeRoom();
        await store.rooms.insert(room);
        const sessionId = randomUUID();
        await store.sessions.insertSession({ id: sessionId, roomId: room.id, startedAt: at(0) });
        return { roomId: room.id, sessionId };
      }

      test('insert, record streams once each, end once', async () => {
        await freshStore();
        const { roomId, sessionId } = await roomWithSession();
        await store.sessions.insertEndpoint({ id: 'stay', sessionId, roomId, endpointId: 'alice', name: 'Alice', joinedAt: at(1) });
        const joined = { id: 'stay', sessionId, roomId, endpointId: 'alice', name: 'Alice', joinedAt: at(1), leftAt: null, leaveReason: null, streams: [] };
        assert.deepEqual(await store.sessions.getEndpoint('stay'), joined);

        await store.sessions.addEndpointStream('stay', 'camera');
        await store.sessions.addEndpointStream('stay', 'screen');
        await store.sessions.addEndpointStream('stay', 'camera');
        await store.sessions.addEndpointStream('missing', 'camera');
        assert.deepEqual((await store.sessions.getEndpoint('stay'))?.streams, ['camera', 'screen']);

        assert.equal(await store.sessions.endEndpoint('stay', at(5), 'left'), true);
        assert.equal(await store.sessions.endEndpoint('stay', at(6), 'kicked'), false);
        assert.deepEqual(await store.sessions.getEndpoint('stay'), { ...joined, leftAt: at(5), leaveReason: 'left', streams: ['camera', 'screen'] });
      });

      test('endOpenEndpoints ends and returns only the open stays of that session', async () => {
        await freshStore();
        const { roomId, sessionId } = await roomWithSession();
        const other = await roomWithSession();
        await store.sessions.insertEndpoint({ id: 'gone', sessionId, roomId, endpointId: 'a', name: 'A', joinedAt: at(1) });
        await store.sessions.endEndpoint('gone', at(2), 'left');
        await store.sessions.insertEndpoint({ id: 'open-b', sessionId, roomId, endpointId: 'b', name: 'B', joinedAt: at(3) });
        await store.sessions.addEndpointStream('open-b', 'camera');
        await store.sessions.insertEndpoint({ id: 'open-c', sessionId, roomId, endpointId: 'c', name: 'C', joinedAt: at(4) });
        await store.sessions.insertEndpoint({ id: 'elsewhere', sessionId: other.sessionId, roomId: other.roomId, endpointId: 'd', name: 'D', joinedAt: at(5) });

        const ended = await store.sessions.endOpenEndpoints(sessionId, at(10), 'server-restart');
        assert.deepEqual(ended.map((stay) => stay.id).sort(), ['open-b', 'open-c']);
        assert.deepEqual(ended.find((stay) => stay.id === 'open-b'), await store.sessions.getEndpoint('open-b'));
        assert.deepEqual(await store.sessions.getEndpoint('open-b'), {
          id: 'open-b', sessionId, roomId, endpointId: 'b', name: 'B', joinedAt: at(3), leftAt: at(10), leaveReason: 'server-restart', streams: ['camera'],
        });
        assert.equal((await store.sessions.getEndpoint('gone'))?.leftAt, at(2));
        assert.equal((await store.sessions.getEndpoint('elsewhere'))?.leftAt, null);
        assert.deepEqual(await store.sessions.endOpenEndpoints(sessionId, at(11), 'server-restart'), []);
      });

      test('listEndpoints filters by session, room, active, name and endpoint id; pages newest first', async () => {
        await freshStore();
        const one = await roomWithSession();
        const two = await roomWithSession();
        const stays = [
          { id: 'e0', ...one, endpointId: 'alice', name: 'Alice' },
          { id: 'e1', ...one, endpointId: 'bob', name: 'Bob' },
          { id: 'e2', ...two, endpointId: 'alice', name: 'Alice' },
          { id: 'e3', ...one, endpointId: 'alice', name: 'Alice' },
          { id: 'e4', ...two, endpointId: 'carol', name: 'Carol' },
        ];
        for (const [i, stay] of stays.entries()) await store.sessions.insertEndpoint({ ...stay, joinedAt: at(i) });
        await store.sessions.endEndpoint('e0', at(9), 'left');
        await store.sessions.endEndpoint('e2', at(9), 'left');

        const ids = async (filter: Parameters<Store['sessions']['listEndpoints']>[0]): Promise<string[]> =>
          (await store.sessions.listEndpoints(filter)).data.map((stay) => stay.id);
        assert.deepEqual(await ids({ limit: 10 }), ['e4', 'e3', 'e2', 'e1', 'e0']);
        assert.deepEqual(await ids({ limit: 10, sessionId: one.sessionId }), ['e3', 'e1', 'e0']);
        assert.deepEqual(await ids({ limit: 10, roomId: two.roomId }), ['e4', 'e2']);
        assert.deepEqual(await ids({ limit: 10, active: true }), ['e4', 'e3', 'e1']);
        assert.deepEqual(await ids({ limit: 10, active: false }), ['e2', 'e0']);
        assert.deepEqual(await ids({ limit: 10, name: 'Alice' }), ['e3', 'e2', 'e0']);
        assert.deepEqual(await ids({ limit: 10, endpointId: 'alice', sessionId: one.sessionId, active: true }), ['e3']);
        assert.deepEqual(await allPages((cursor) => store.sessions.listEndpoints({ limit: 2, cursor })), [['e4', 'e3'], ['e2', 'e1'], ['e0']]);
      });
    });

    describe('transactions', () => {
      const countEvents = async (): Promise<number> =>
        Number((await store.db.selectFrom('webhook_events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

      test('commit on success: the result is returned and the writes are visible', async () => {
        await freshStore();
        const room = makeRoom();
        const result = await store.transaction(async (tx) => {
          await tx.rooms.insert(room);
          assert.deepEqual(await tx.rooms.get(room.id), room);
          return 'done';
        });
        assert.equal(result, 'done');
        assert.deepEqual(await store.rooms.get(room.id), room);
      });

      test('roll back on throw: the error propagates and nothing is written', async () => {
        await freshStore();
        const room = makeRoom();
        const failure = new Error('boom');
        await assert.rejects(
          store.transaction(async (tx) => {
            await tx.rooms.insert(room);
            await tx.sessions.insertSession({ id: 's', roomId: room.id, startedAt: at(0) });
            throw failure;
          }),
          (error) => error === failure,
        );
        assert.equal(await store.rooms.get(room.id), undefined);
        assert.equal(await store.sessions.getSession('s'), undefined);
      });

      test('a nested transaction joins the outer one', async () => {
        await freshStore();
        const outer = makeRoom();
        const inner = makeRoom();
        await assert.rejects(
          store.transaction(async (tx) => {
            await tx.rooms.insert(outer);
            await tx.transaction(async (nested) => {
              assert.equal(nested, tx);
              await nested.rooms.insert(inner);
            });
            throw new Error('after the inner one finished');
          }),
        );
        assert.equal(await store.rooms.get(outer.id), undefined);
        assert.equal(await store.rooms.get(inner.id), undefined, 'the inner transaction must not have committed on its own');

        await store.transaction((tx) => tx.transaction((nested) => nested.rooms.insert(inner)));
        assert.deepEqual(await store.rooms.get(inner.id), inner);
      });

      test('webhook events commit and roll back with the change that caused them', async () => {
        await freshStore();
        const room = makeRoom();
        const enqueue = (tx: Store): Promise<unknown> =>
          tx.webhooks.enqueue({ type: 'session-started', roomId: room.id, sessionId: 's', data: { sessionId: 's' } });
        await assert.rejects(
          store.transaction(async (tx) => {
            await tx.rooms.insert(room);
            await enqueue(tx);
            throw new Error('roll back');
          }),
        );
        assert.equal(await countEvents(), 0);

        await store.transaction(async (tx) => {
          await tx.rooms.insert(room);
          await enqueue(tx);
        });
        assert.equal(await countEvents(), 1);
      });

      test('a conflict caught inside a transaction leaves the transaction usable', async () => {
        await freshStore();
        await store.rooms.insert(makeRoom({ name: 'taken' }));
        const fallback = makeRoom({ name: 'free' });
        await store.transaction(async (tx) => {
          await assert.rejects(tx.rooms.insert(makeRoom({ name: 'taken' })), StoreConflictError);
          await tx.rooms.insert(fallback);
          await assert.rejects(tx.rooms.update(fallback.id, { name: 'taken' }), StoreConflictError);
          await tx.rooms.update(fallback.id, { title: 'still usable' });
        });
        assert.equal((await store.rooms.get(fallback.id))?.title, 'still usable');
      });
    });
  });
}
