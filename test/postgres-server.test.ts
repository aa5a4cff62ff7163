/**
 * The whole server on Postgres (DATABASE_URL): rooms, a session with its stays and webhook
 * events recorded, and crash recovery, against a real throwaway Postgres cluster.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startPostgres } from './helpers/postgres.js';
import { startTestServer, waitFor, type TestServer } from './helpers/server.js';
import { joinRoom } from './helpers/signal.js';

let postgres: Awaited<ReturnType<typeof startPostgres>>;
let t: TestServer;
before(async () => {
  postgres = await startPostgres();
  t = await startTestServer({ DATABASE_URL: postgres.url });
});
after(async () => {
  await t?.close();
  await postgres?.stop();
});

test('a room session on Postgres is recorded with its endpoints and events', async () => {
  assert.equal(t.server.store.kind, 'postgres');
  const room = await t.createRoom({ customRoomId: 'pg-room', timeout: 1 });
  const { client, joined } = await joinRoom(t, 'pg-room', 'pat', 'Pat');
  const sessionId = joined.room.sessionId;
  await client.call('leave', {});
  const session = await waitFor('session ended', async () => {
    const res = await t.api('GET', `/api/v1/sessions/${sessionId}`);
    const body = (await res.json()) as { endReason: string | null; roomId: string };
    return body.endReason ? body : null;
  });
  assert.equal(session.endReason, 'timeout');
  assert.equal(session.roomId, room.id);
  const stays = (await (await t.api('GET', `/api/v1/endpoints?sessionId=${sessionId}`)).json()) as { data: Array<{ endpointId: string; leaveReason: string }> };
  assert.deepEqual(stays.data.map((s) => [s.endpointId, s.leaveReason]), [['pat', 'left']]);
  const events = await t.server.store.db.selectFrom('webhook_events').select('type').where('session_id', '=', sessionId).orderBy('seq').execute();
  assert.deepEqual(events.map((e) => e.type), ['session-started', 'participant-joined', 'participant-left', 'session-ended']);
});
