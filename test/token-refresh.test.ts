/**
 * Access-token lifetime on a signaling connection (real server, real WebSocket): an endpoint
 * whose token expires is removed (`room.finished {reason: 'token-expired'}`, close 4003) and the
 * others see it leave; `token.refresh` with a new token for the same room and endpoint keeps the
 * connection, and refuses tokens for another room or endpoint, expired or invalid ones.
 * Tokens live at least 10 s, so the expiry test takes about that long.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { JsonRpcCode, roomSchema, type Room } from '@atrium/protocol';
import { AccessTokens } from '../packages/server/src/auth/access-tokens.js';
import { fixedApiKey } from '../packages/server/src/auth/api-key-secrets.js';
import { SignalCloseCode } from '../packages/server/src/signaling/signal-connection.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { connect, type RpcResponse, type SignalTestClient } from './helpers/signal.js';

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => {
  await t.close();
});

const clients: SignalTestClient[] = [];
afterEach(async () => {
  const opened = clients.splice(0);
  await Promise.all(opened.map((c) => c.close()));
  assert.deepEqual(opened.flatMap((c) => c.violations), [], 'the server only sent JSON-RPC 2.0');
});

async function joinWith(roomId: string, token: string): Promise<SignalTestClient> {
  const client = await connect(t.url);
  clients.push(client);
  await client.call('join', { roomId, token });
  return client;
}

function expectRpcError(response: RpcResponse, code: string): void {
  assert.equal(response.result, undefined, `expected ${code}, got ${JSON.stringify(response.result)}`);
  assert.equal(response.error?.data?.code, code, response.error?.message);
  assert.equal(response.error?.code, JsonRpcCode.APPLICATION_ERROR);
}

function expSeconds(token: string): number {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp: number };
  return payload.exp;
}

describe('token expiry and token.refresh', () => {
  let room: Room;
  before(async () => {
    room = roomSchema.parse(await t.createRoom({ title: 'expiry' }));
  });

  test('an unrefreshed token ends the connection at expiry; a refreshed one keeps it', async () => {
    const observer = await joinWith(room.id, await t.token('observer', room.id, { ttlSeconds: 120 }));
    const refresher = await joinWith(room.id, await t.token('refresher', room.id, { ttlSeconds: 10 }));
    const joinedAt = Date.now();
    const lapser = await joinWith(room.id, await t.token('lapser', room.id, { ttlSeconds: 10 }));

    const fresh = await t.token('refresher', room.id, { ttlSeconds: 60 });
    const { expiresAt } = await refresher.call('token.refresh', { token: fresh });
    assert.equal(expiresAt, new Date(expSeconds(fresh) * 1000).toISOString());

    // The lapser is told why, and its socket closes.
    assert.deepEqual(await lapser.waitForNotification('room.finished', 15_000), { reason: 'token-expired' });
    assert.deepEqual(await lapser.closed, { code: SignalCloseCode.FINISHED, reason: 'token-expired' });
    const lapsedAfter = Date.now() - joinedAt;
    assert.ok(lapsedAfter >= 8_500 && lapsedAfter < 13_000, `removed at expiry (after ${lapsedAfter} ms)`);
    const left = observer.notifications.filter((n) => n.method === 'endpoint.left').map((n) => n.params);
    assert.deepEqual(left, [{ endpointId: 'lapser', reason: 'token-expired' }]);

    // The refresher's first token expired at the same moment, yet it is still in the room.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.ok(refresher.open, 'the refreshed connection is open');
    assert.equal(refresher.notifications.filter((n) => n.method === 'room.finished').length, 0);
    expectRpcError(await refresher.request('unpublish', { tag: 'camera' }), 'STREAM_NOT_FOUND');
    assert.ok(!observer.notifications.some((n) => n.method === 'endpoint.left' && (n.params as { endpointId: string }).endpointId === 'refresher'));
  });

  test('token.refresh refuses a token for another room or endpoint, an expired one and garbage; the connection stays', async () => {
    const client = await joinWith(room.id, await t.token('keeper', room.id, { ttlSeconds: 600 }));
    const otherRoom = roomSchema.parse(await t.createRoom({ title: 'elsewhere' }));

    expectRpcError(await client.request('token.refresh', { token: await t.token('keeper', otherRoom.id) }), 'TOKEN_INVALID');
    expectRpcError(await client.request('token.refresh', { token: await t.token('someone-else', room.id) }), 'TOKEN_INVALID');
    const { apiKey, apiSecret } = t.server.credentials;
    const expired = await new AccessTokens(fixedApiKey(apiKey, apiSecret)).issue({
      apiKey,
      roomId: room.id,
      endpointId: 'keeper',
      name: 'keeper',
      ttlSeconds: 60,
      now: new Date(Date.now() - 3600_000),
    });
    expectRpcError(await client.request('token.refresh', { token: expired.token }), 'TOKEN_EXPIRED');
    expectRpcError(await client.request('token.refresh', { token: 'not-a-jwt' }), 'TOKEN_INVALID');
    const invalidParams = await client.request('token.refresh', {});
    assert.equal(invalidParams.error?.code, JsonRpcCode.INVALID_PARAMS);

    assert.ok(client.open, 'refused refreshes do not disconnect');
    const ok = await client.call('token.refresh', { token: await t.token('keeper', room.id, { ttlSeconds: 300 }) });
    assert.ok(Date.parse(ok.expiresAt) > Date.now() + 290_000);
  });

  test('token.refresh before join is NOT_JOINED', async () => {
    const client = await connect(t.url);
    clients.push(client);
    expectRpcError(await client.request('token.refresh', { token: await t.token('early', room.id) }), 'NOT_JOINED');
  });

  test('a connection that leaves or drops leaves no expiry behind to act later', async () => {
    const leaver = await joinWith(room.id, await t.token('leaver', room.id, { ttlSeconds: 10 }));
    await leaver.call('leave', {});
    await leaver.closed;
    // The same endpoint joins again with a long token and must not be removed by the old timer.
    const again = await joinWith(room.id, await t.token('leaver', room.id, { ttlSeconds: 600 }));
    await new Promise((resolve) => setTimeout(resolve, 10_500));
    assert.ok(again.open, 'still connected after the first token would have expired');
    assert.equal(again.notifications.filter((n) => n.method === 'room.finished').length, 0);
  });
});
