/**
 * A server killed with SIGKILL mid-session leaves its room session open in the database; the next
 * start ends it with reason `server-restart` (and its endpoints' stays), and puts the matching
 * webhook events in the outbox.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../packages/server/src/config.js';
import { createServer } from '../packages/server/src/server.js';
import { startChildServer } from './helpers/child-server.js';
import { connect } from './helpers/signal.js';

const credentials = { ATRIUM_API_KEY: 'crash-test-key', ATRIUM_API_SECRET: 'crash-test-secret-0123456789' };
const auth = `Basic ${Buffer.from(`${credentials.ATRIUM_API_KEY}:${credentials.ATRIUM_API_SECRET}`).toString('base64')}`;

async function post<T>(url: string, body: unknown): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  assert.ok(res.status < 300, `${url}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

test('sessions left open by a crash end with server-restart at the next start', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrium-crash-'));
  try {
    const child = await startChildServer({ DATA_DIR: dataDir, ...credentials });
    const room = await post<{ id: string }>(`${child.url}/api/v1/rooms`, { title: 'crash' });
    const { token } = await post<{ token: string }>(`${child.url}/api/v1/endpoints/survivor/access-tokens`, { roomId: room.id });
    const client = await connect(child.url);
    const joined = await client.call('join', { roomId: room.id, token });
    const sessionId = joined.room.sessionId;
    await child.kill9();
    await client.closed;

    const server = await createServer(loadConfig({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ATRIUM_DEMO: '0', ...credentials }));
    try {
      const session = await server.sessionManager.getSession(sessionId);
      assert.equal(session.active, false);
      assert.equal(session.endReason, 'server-restart');
      const stays = await server.store.sessions.listEndpoints({ sessionId, limit: 10 });
      assert.equal(stays.data.length, 1);
      assert.equal(stays.data[0]?.leaveReason, 'server-restart');
      const events = await server.store.db.selectFrom('webhook_events').select(['type']).where('session_id', '=', sessionId).orderBy('seq').execute();
      assert.deepEqual(events.map((e) => e.type), ['session-started', 'participant-joined', 'participant-left', 'session-ended']);
      // A new join opens a new session.
      assert.equal(server.sessions.get(room.id), undefined);
    } finally {
      await server.close();
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
