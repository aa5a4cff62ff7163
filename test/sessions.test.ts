/**
 * Room session lifecycle, enforced by the server, and the sessions/endpoints REST API: a session
 * starts at the first join and ends after its timeout, at maxDuration, by auto-close, by the API,
 * or when all endpoints are removed; endpoints are told why; limits refuse joins; history is
 * listed with join/leave times and reasons; every step is a webhook event in the outbox.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sessionEndpointSchema, sessionSchema, type Session, type SessionEndpoint } from '@atrium/protocol';
import { connect, joinRoom } from './helpers/signal.js';
import { startTestServer, waitFor, type TestServer } from './helpers/server.js';

let t: TestServer;
before(async () => {
  t = await startTestServer({ ATRIUM_AUTO_CLOSE_MINUTE_MS: '1000' });
});
after(async () => {
  await t.close();
});

async function json<T>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  return JSON.parse(text) as T;
}

async function getSession(id: string): Promise<Session> {
  return sessionSchema.strict().parse(await json(await t.api('GET', `/api/v1/sessions/${id}`)));
}

async function eventsOf(sessionId: string): Promise<Array<{ type: string; data: Record<string, unknown> }>> {
  const rows = await t.server.store.db.selectFrom('webhook_events').select(['body']).where('session_id', '=', sessionId).orderBy('seq').execute();
  return rows.map((r) => JSON.parse(r.body) as { type: string; data: Record<string, unknown> });
}

describe('a room session ends', () => {
  test('timeout seconds after the last endpoint leaves', async () => {
    const room = await t.createRoom({ timeout: 1 });
    const { client, joined } = await joinRoom(t, room.id, 'alice', 'Alice');
    const sessionId = joined.room.sessionId;
    assert.equal((await getSession(sessionId)).active, true);
    await client.call('leave', {});
    // Still open during the timeout: a quick rejoin keeps the same session.
    const again = await joinRoom(t, room.id, 'alice');
    assert.equal(again.joined.room.sessionId, sessionId);
    await again.client.call('leave', {});
    const ended = await waitFor('session ended', async () => {
      const s = await getSession(sessionId);
      return s.endedAt ? s : null;
    });
    assert.equal(ended.endReason, 'timeout');
    assert.ok(Date.parse(ended.endedAt ?? '') - Date.parse(ended.startedAt) >= 1000);
    const types = (await eventsOf(sessionId)).map((e) => e.type);
    assert.deepEqual(types, ['session-started', 'participant-joined', 'participant-left', 'participant-joined', 'participant-left', 'session-ended']);
  });

  test('at maxDuration, telling endpoints max-duration', async () => {
    const room = await t.createRoom({ maxDuration: 1, timeout: 60 });
    const { client, joined } = await joinRoom(t, room.id, 'bob');
    assert.deepEqual(await client.waitForNotification('room.finished', 5000), { reason: 'max-duration' });
    const closed = await client.closed;
    assert.equal(closed.code, 4003);
    const ended = await waitFor('ended', async () => ((await getSession(joined.room.sessionId)).endedAt ? getSession(joined.room.sessionId) : null));
    assert.equal(ended.endReason, 'max-duration');
  });

  test('by auto-close after its duration, telling endpoints auto-close', async () => {
    // One auto-close "minute" is 1 s in this test server.
    const room = await t.createRoom({ autoCloseConfig: { type: 'session-ends', duration: 1 } });
    const { client, joined } = await joinRoom(t, room.id, 'carol');
    assert.deepEqual(await client.waitForNotification('room.finished', 5000), { reason: 'auto-close' });
    const ended = await waitFor('ended', async () => ((await getSession(joined.room.sessionId)).endedAt ? getSession(joined.room.sessionId) : null));
    assert.equal(ended.endReason, 'auto-close');
    // session-ends does not deactivate: the room can be joined again, in a new session.
    const next = await joinRoom(t, room.id, 'carol');
    assert.notEqual(next.joined.room.sessionId, joined.room.sessionId);
    await next.client.close();
  });

  test('session-end-and-deactivate deactivates the room after its session', async () => {
    const room = await t.createRoom({ 'auto-close-config': { type: 'session-end-and-deactivate', duration: 1 } });
    const { client } = await joinRoom(t, room.id, 'dave');
    await client.waitForNotification('room.finished', 5000);
    await waitFor('room deactivated', async () => (await json<{ deactivated: boolean }>(await t.api('GET', `/api/v1/rooms/${room.id}`))).deactivated);
    const late = await connect(t.url);
    const refused = await late.request('join', { roomId: room.id, token: await t.token('erin', room.id) });
    assert.equal(refused.error?.data?.code, 'ROOM_DISABLED');
    assert.equal((await late.closed).code, 4001);
  });

  test('by POST /sessions/{id}/actions/end, telling endpoints session-ended', async () => {
    const room = await t.createRoom();
    const a = await joinRoom(t, room.id, 'a');
    const b = await joinRoom(t, room.id, 'b');
    const sessionId = a.joined.room.sessionId;
    const session = sessionSchema.parse(await json(await t.api('POST', `/api/v1/sessions/${sessionId}/actions/end`)));
    assert.equal(session.endReason, 'ended');
    assert.equal(session.active, false);
    assert.deepEqual(await a.client.waitForNotification('room.finished'), { reason: 'session-ended' });
    assert.deepEqual(await b.client.waitForNotification('room.finished'), { reason: 'session-ended' });
    // Ending it again is a clear 409.
    const again = await t.api('POST', `/api/v1/sessions/${sessionId}/actions/end`);
    assert.equal(again.status, 409);
    assert.equal(((await again.json()) as { error: { code: string } }).error.code, 'SESSION_ENDED');
  });

  test('when all endpoints are removed, each told kicked', async () => {
    const room = await t.createRoom({ timeout: 600 });
    const a = await joinRoom(t, room.id, 'a');
    const b = await joinRoom(t, room.id, 'b');
    const sessionId = a.joined.room.sessionId;
    const result = await json<{ endpointIds: string[] }>(await t.api('POST', `/api/v1/sessions/${sessionId}/actions/kick`, {}));
    assert.deepEqual(result.endpointIds.sort(), ['a', 'b']);
    assert.deepEqual(await a.client.waitForNotification('room.finished'), { reason: 'kicked' });
    assert.deepEqual(await b.client.waitForNotification('room.finished'), { reason: 'kicked' });
    const ended = await waitFor('ended', async () => ((await getSession(sessionId)).endedAt ? getSession(sessionId) : null));
    assert.equal(ended.endReason, 'all-removed');
  });
});

describe('joins refused by the room', () => {
  test('a disabled room refuses joins with ROOM_DISABLED; enabling it admits them', async () => {
    const room = await t.createRoom({ disabled: true });
    const client = await connect(t.url);
    const refused = await client.request('join', { roomId: room.id, token: await t.token('x', room.id) });
    assert.equal(refused.error?.data?.code, 'ROOM_DISABLED');
    await json(await t.api('PATCH', `/api/v1/rooms/${room.id}`, { disabled: false }));
    const ok = await joinRoom(t, room.id, 'x');
    assert.equal(ok.joined.endpoint.id, 'x');
    await ok.client.close();
  });
});

describe('sessions and endpoints over REST', () => {
  test('lists sessions by room and activity, and endpoints with join/leave times, reasons and streams', async () => {
    const room = await t.createRoom({ timeout: 600, customRoomId: 'history-room' });
    const a = await joinRoom(t, room.id, 'anna', 'Anna');
    const b = await joinRoom(t, room.id, 'ben', 'Ben');
    const sessionId = a.joined.room.sessionId;
    await b.client.call('leave', {});

    const byRoom = await json<{ data: Session[]; nextCursor: string | null }>(await t.api('GET', '/api/v1/sessions?roomId=history-room'));
    assert.deepEqual(byRoom.data.map((s) => s.id), [sessionId]);
    assert.equal(byRoom.data[0]?.endpointCount, 1);
    const active = await json<{ data: Session[] }>(await t.api('GET', `/api/v1/sessions?roomId=${room.id}&active=true`));
    assert.equal(active.data.length, 1);
    const inactive = await json<{ data: Session[] }>(await t.api('GET', `/api/v1/sessions?roomId=${room.id}&active=false`));
    assert.equal(inactive.data.length, 0);

    const endpoints = await json<{ data: SessionEndpoint[] }>(await t.api('GET', `/api/v1/sessions/${sessionId}/endpoints`));
    const byId = new Map(endpoints.data.map((e) => [e.endpointId, sessionEndpointSchema.strict().parse(e)]));
    assert.equal(byId.get('anna')?.active, true);
    assert.equal(byId.get('anna')?.leftAt, null);
    assert.equal(byId.get('ben')?.active, false);
    assert.equal(byId.get('ben')?.leaveReason, 'left');
    assert.ok(Date.parse(byId.get('ben')?.leftAt ?? '') >= Date.parse(byId.get('ben')?.joinedAt ?? ''));

    const activeOnly = await json<{ data: SessionEndpoint[] }>(await t.api('GET', `/api/v1/endpoints?roomId=${room.id}&active=true`));
    assert.deepEqual(activeOnly.data.map((e) => e.endpointId), ['anna']);
    const byName = await json<{ data: SessionEndpoint[] }>(await t.api('GET', `/api/v1/endpoints?sessionId=${sessionId}&name=Ben`));
    assert.deepEqual(byName.data.map((e) => e.endpointId), ['ben']);
    await a.client.close();
  });

  test('kick and mute one endpoint; unknown sessions and endpoints are clear errors', async () => {
    const room = await t.createRoom({ timeout: 600 });
    const a = await joinRoom(t, room.id, 'keep');
    const b = await joinRoom(t, room.id, 'go');
    const sessionId = a.joined.room.sessionId;
    const kicked = await json<{ endpointIds: string[] }>(await t.api('POST', `/api/v1/sessions/${sessionId}/endpoints/go/actions/kick`));
    assert.deepEqual(kicked.endpointIds, ['go']);
    assert.deepEqual(await b.client.waitForNotification('room.finished'), { reason: 'kicked' });
    assert.deepEqual(await a.client.waitForNotification('endpoint.left'), { endpointId: 'go', reason: 'kicked' });
    assert.equal((await getSession(sessionId)).active, true, 'one endpoint remains: the session goes on');

    const missing = await t.api('POST', `/api/v1/sessions/${sessionId}/endpoints/nobody/actions/mute`, { kind: 'audio' });
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'ENDPOINT_NOT_FOUND');
    const unknown = await t.api('GET', '/api/v1/sessions/3f0b3c6e-0000-4000-8000-000000000000');
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { error: { code: string } }).error.code, 'SESSION_NOT_FOUND');
    const badBody = await t.api('POST', `/api/v1/sessions/${sessionId}/actions/mute`, { kind: 'everything' });
    assert.equal(badBody.status, 400);
    const both = await t.api('POST', `/api/v1/sessions/${sessionId}/actions/kick`, { endpointIds: ['a'], exceptEndpointIds: ['b'] });
    assert.equal(both.status, 400);
    await a.client.close();
  });
});
