/**
 * Signaling over a real WebSocket (`/api/v1/signal`, JSON-RPC 2.0) without WebRTC: joining and
 * presence, refused joins, malformed and out-of-order messages, room limits and page reloads.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, describe, test } from 'node:test';
import { JsonRpcCode, roomSchema, type Room } from '@atrium/protocol';
import { AccessTokens } from '../packages/server/src/auth/access-tokens.js';
import { fixedApiKey } from '../packages/server/src/auth/api-key-secrets.js';
import { SignalCloseCode } from '../packages/server/src/signaling/signal-connection.js';
import { startTestServer, waitFor, type TestServer } from './helpers/server.js';
import { connect, joinRoom, type JoinedEndpoint, type RpcResponse, type SignalTestClient } from './helpers/signal.js';

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => {
  await t.close();
});

/** Every socket a test opened; closed after it, and none may have broken JSON-RPC. */
const clients: SignalTestClient[] = [];
afterEach(async () => {
  const opened = clients.splice(0);
  await Promise.all(opened.map((c) => c.close()));
  assert.deepEqual(opened.flatMap((c) => c.violations), [], 'the server only sent JSON-RPC 2.0');
});

async function open(): Promise<SignalTestClient> {
  const client = await connect(t.url);
  clients.push(client);
  return client;
}

async function join(roomId: string, endpointId: string, name?: string): Promise<JoinedEndpoint> {
  const joined = await joinRoom(t, roomId, endpointId, name);
  clients.push(joined.client);
  return joined;
}

async function createRoom(body: Record<string, unknown> = {}): Promise<Room> {
  return roomSchema.parse(await t.createRoom(body));
}

/** Asserts an error response with this JSON-RPC code and Atrium code; returns its message. */
function expectRpcError(response: RpcResponse, rpcCode: number, code: string): string {
  assert.equal(response.result, undefined, `expected ${code}, got result ${JSON.stringify(response.result)}`);
  assert.ok(response.error, 'the response is an error');
  assert.equal(response.error.data?.code, code, response.error.message);
  assert.equal(response.error.code, rpcCode);
  return response.error.message;
}

/** Sends `join` on a fresh socket and asserts it is refused with `code` and the socket closed with 4001. */
async function expectJoinRefused(roomId: string, token: string, code: string): Promise<void> {
  const client = await open();
  const response = await client.request('join', { roomId, token });
  expectRpcError(response, JsonRpcCode.APPLICATION_ERROR, code);
  assert.deepEqual(await client.closed, { code: SignalCloseCode.JOIN_FAILED, reason: 'join failed' });
}

function endpointIds(roomId: string): string[] {
  return (t.server.sessions.get(roomId)?.listEndpoints() ?? []).map((e) => e.id).sort();
}

describe('join, presence and leave', () => {
  test('join answers the room, the endpoint and who else is there; others hear about joins and leaves', async () => {
    const room = await createRoom({ title: 'Standup' });
    const alice = await join(room.id, 'alice', 'Alice');
    assert.equal(alice.joined.room.id, room.id);
    assert.equal(alice.joined.room.title, 'Standup');
    assert.ok(alice.joined.room.sessionId.length > 0);
    assert.deepEqual(alice.joined.endpoint, { id: 'alice', name: 'Alice', streams: [] });
    assert.deepEqual(alice.joined.endpoints, []);

    const bob = await join(room.id, 'bob', 'Bob');
    assert.equal(bob.joined.room.sessionId, alice.joined.room.sessionId, 'both are in the same room session');
    assert.deepEqual(bob.joined.endpoint, { id: 'bob', name: 'Bob', streams: [] });
    assert.deepEqual(bob.joined.endpoints, [{ id: 'alice', name: 'Alice', streams: [] }]);
    assert.deepEqual(await alice.client.waitForNotification('endpoint.joined'), {
      endpoint: { id: 'bob', name: 'Bob', streams: [] },
    });
    assert.deepEqual(bob.client.notifications, [], 'an endpoint is not told about its own join');
    assert.deepEqual(endpointIds(room.id), ['alice', 'bob']);

    // The server closes the socket before answering `leave` (see the report), so its answer is not awaited.
    const leaving = bob.client.request('leave', {});
    assert.deepEqual(await alice.client.waitForNotification('endpoint.left'), { endpointId: 'bob', reason: 'left' });
    assert.deepEqual(await bob.client.waitForNotification('room.finished'), { reason: 'left' });
    assert.equal((await bob.client.closed).code, SignalCloseCode.NORMAL);
    await leaving.catch(() => undefined);
    assert.deepEqual(endpointIds(room.id), ['alice']);
    assert.ok(alice.client.open, 'the one who stays keeps the connection');
  });

  test('closing the socket without leave tells the others the endpoint disconnected', async () => {
    const room = await createRoom();
    const alice = await join(room.id, 'alice');
    const bob = await join(room.id, 'bob');
    await bob.client.close();
    assert.deepEqual(await alice.client.waitForNotification('endpoint.left'), { endpointId: 'bob', reason: 'disconnected' });
    assert.deepEqual(endpointIds(room.id), ['alice']);
  });

  test('a room can be joined by its customRoomId', async () => {
    const customRoomId = `weekly-${randomUUID().slice(0, 8)}`;
    const room = await createRoom({ customRoomId });
    const token = await t.token('carol', customRoomId);
    const client = await open();
    const joined = await client.call('join', { roomId: customRoomId, token });
    assert.equal(joined.room.id, room.id);
  });
});

describe('refused joins', () => {
  let roomA: Room;
  let bystander: JoinedEndpoint;

  before(async () => {
    roomA = await createRoom({ title: 'A' });
    const roomB = await createRoom({ title: 'B' });
    bystander = await joinRoom(t, roomB.id, 'bystander');
  });
  after(async () => {
    await bystander.client.close();
  });

  test('a token for another room is TOKEN_INVALID and the socket is closed', async () => {
    const otherRoom = await createRoom();
    const token = await t.token('mallory', otherRoom.id);
    await expectJoinRefused(roomA.id, token, 'TOKEN_INVALID');
    assert.deepEqual(endpointIds(roomA.id), []);
  });

  test('an expired token is TOKEN_EXPIRED and the socket is closed', async () => {
    const { apiKey, apiSecret } = t.server.credentials;
    const { token } = await new AccessTokens(fixedApiKey(apiKey, apiSecret)).issue({
      apiKey,
      roomId: roomA.id,
      endpointId: 'late',
      name: 'Late',
      ttlSeconds: 60,
      now: new Date(Date.now() - 2 * 3600_000),
    });
    await expectJoinRefused(roomA.id, token, 'TOKEN_EXPIRED');
  });

  test('a token whose signature was changed is TOKEN_INVALID and the socket is closed', async () => {
    const token = await t.token('mallory', roomA.id);
    const [header = '', payload = '', signature = ''] = token.split('.');
    // A middle character: the last one of a base64url signature partly encodes padding bits.
    const i = Math.floor(signature.length / 2);
    const flipped = signature[i] === 'A' ? 'B' : 'A';
    const tampered = `${header}.${payload}.${signature.slice(0, i)}${flipped}${signature.slice(i + 1)}`;
    assert.notEqual(tampered, token);
    await expectJoinRefused(roomA.id, tampered, 'TOKEN_INVALID');
  });

  test('a garbage token is TOKEN_INVALID and the socket is closed', async () => {
    await expectJoinRefused(roomA.id, 'not-a-jwt', 'TOKEN_INVALID');
  });

  test('a valid token with an unknown room id is ROOM_NOT_FOUND and the socket is closed', async () => {
    const token = await t.token('wanderer', roomA.id);
    await expectJoinRefused(randomUUID(), token, 'ROOM_NOT_FOUND');
  });

  test('an endpoint joined elsewhere keeps working through all of that', async () => {
    assert.ok(bystander.client.open, 'its socket is still open');
    const response = await bystander.client.request('unpublish', { tag: 'camera' });
    expectRpcError(response, JsonRpcCode.APPLICATION_ERROR, 'STREAM_NOT_FOUND');
    assert.ok(bystander.client.open, 'an application error does not disconnect');
    assert.deepEqual(bystander.client.notifications, []);
    assert.deepEqual(endpointIds(roomA.id), [], 'no refused join entered room A');
  });
});

describe('bad messages', () => {
  test('malformed JSON is -32700 MALFORMED_JSON and the socket stays open', async () => {
    const client = await open();
    expectRpcError(await client.sendRaw('{"jsonrpc": "2.0", "id": 1, "method"'), JsonRpcCode.PARSE_ERROR, 'MALFORMED_JSON');
    assert.ok(client.open);
  });

  test('JSON that is not JSON-RPC is -32600 and the socket stays open', async () => {
    const client = await open();
    const response = await client.sendRaw('{"hello":1}');
    assert.equal(response.error?.code, JsonRpcCode.INVALID_REQUEST);
    assert.equal(response.id, null);
    assert.ok(client.open);
  });

  test('an unknown method is -32601', async () => {
    const client = await open();
    const response = await client.request('room.explode', {});
    assert.equal(response.error?.code, JsonRpcCode.METHOD_NOT_FOUND);
    assert.match(response.error?.message ?? '', /room\.explode/);
    assert.ok(client.open);
  });

  test('a request before join is NOT_JOINED, and the socket can still join afterwards', async () => {
    const room = await createRoom();
    const client = await open();
    const response = await client.request('publish', { tag: 'camera', sdp: 'v=0' });
    expectRpcError(response, JsonRpcCode.APPLICATION_ERROR, 'NOT_JOINED');
    assert.ok(client.open);
    const joined = await client.call('join', { roomId: room.id, token: await t.token('patient', room.id) });
    assert.equal(joined.endpoint.id, 'patient');
  });

  test('joining twice is ALREADY_JOINED and the first join stands', async () => {
    const room = await createRoom();
    const alice = await join(room.id, 'alice');
    const again = await alice.client.request('join', { roomId: room.id, token: await t.token('alice', room.id) });
    expectRpcError(again, JsonRpcCode.APPLICATION_ERROR, 'ALREADY_JOINED');
    assert.ok(alice.client.open);
    assert.deepEqual(endpointIds(room.id), ['alice']);
  });

  test('invalid params are -32602 VALIDATION_FAILED naming the field', async () => {
    const room = await createRoom();
    const alice = await join(room.id, 'alice');
    const response = await alice.client.request('subscribe', { endpointId: 'bob' });
    expectRpcError(response, JsonRpcCode.INVALID_PARAMS, 'VALIDATION_FAILED');
    const details = response.error?.data?.details;
    assert.ok(Array.isArray(details));
    assert.deepEqual((details as Array<{ path: string }>).map((d) => d.path), ['tag']);
    assert.ok(alice.client.open);
  });

  test('subscribing to an endpoint that is not in the room is ENDPOINT_NOT_FOUND', async () => {
    const room = await createRoom();
    const alice = await join(room.id, 'alice');
    const response = await alice.client.request('subscribe', { endpointId: 'nobody', tag: 'camera' });
    expectRpcError(response, JsonRpcCode.APPLICATION_ERROR, 'ENDPOINT_NOT_FOUND');
  });

  test('publishing a garbage SDP is an application error and the server keeps serving', async () => {
    const room = await createRoom();
    const alice = await join(room.id, 'alice');
    const bob = await join(room.id, 'bob');
    const response = await alice.client.request('publish', { tag: 'camera', sdp: 'v=0' });
    assert.ok(response.error, 'the publish is refused');
    assert.notEqual(response.error.code, JsonRpcCode.INTERNAL_ERROR);
    assert.notEqual(response.error.data?.code, 'INTERNAL');
    assert.ok(alice.client.open);
    assert.deepEqual(bob.client.notifications.filter((n) => n.method === 'stream.published'), []);
    assert.deepEqual(t.server.sfu.stats(), { publishers: 0, subscribers: 0, peerConnections: 0 }, 'nothing leaked');

    expectRpcError(await alice.client.request('unpublish', { tag: 'camera' }), JsonRpcCode.APPLICATION_ERROR, 'STREAM_NOT_FOUND');
    const carol = await join(room.id, 'carol');
    assert.deepEqual(carol.joined.endpoints.map((e) => e.id).sort(), ['alice', 'bob']);
    const rest = await t.api('GET', `/api/v1/rooms/${room.id}`);
    assert.equal(rest.status, 200);
  });
});

describe('room limits and reloads', () => {
  test('a room with maxEndpoints 1 refuses a second endpoint with ROOM_FULL until the first leaves', async () => {
    const room = await createRoom({ maxEndpoints: 1 });
    const first = await join(room.id, 'first');

    await expectJoinRefused(room.id, await t.token('second', room.id), 'ROOM_FULL');
    assert.deepEqual(endpointIds(room.id), ['first']);
    assert.deepEqual(first.client.notifications, [], 'the refused endpoint never appeared');

    void first.client.request('leave', {}).catch(() => undefined);
    await first.client.closed;
    await waitFor('the first endpoint to leave', () => endpointIds(room.id).length === 0, 5000);

    const second = await join(room.id, 'second');
    assert.deepEqual(second.joined.endpoints, []);
    assert.deepEqual(endpointIds(room.id), ['second']);
  });

  test('the same endpoint joining again replaces its old connection', async () => {
    const room = await createRoom();
    const bob = await join(room.id, 'bob', 'Bob');
    const oldTab = await join(room.id, 'alice', 'Alice');
    await bob.client.waitForNotification('endpoint.joined');

    const newTab = await join(room.id, 'alice', 'Alice');
    assert.deepEqual(await oldTab.client.waitForNotification('room.finished'), { reason: 'replaced' });
    assert.deepEqual(await oldTab.client.closed, { code: SignalCloseCode.FINISHED, reason: 'replaced' });
    assert.deepEqual(newTab.joined.endpoints.map((e) => e.id), ['bob']);
    assert.deepEqual(await bob.client.waitForNotification('endpoint.left'), { endpointId: 'alice', reason: 'replaced' });

    // The old socket's close must not take the new connection out of the room.
    expectRpcError(await newTab.client.request('unpublish', { tag: 'camera' }), JsonRpcCode.APPLICATION_ERROR, 'STREAM_NOT_FOUND');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(endpointIds(room.id), ['alice', 'bob'], 'the room session has one alice');
    assert.equal(t.server.sessions.get(room.id)?.getEndpoint('alice')?.name, 'Alice');
    assert.deepEqual(
      bob.client.notifications.map((n) => n.method).filter((m) => m.startsWith('endpoint.')),
      ['endpoint.joined', 'endpoint.left', 'endpoint.joined'],
      'bob saw alice join, be replaced and join again, and nothing more',
    );
    assert.ok(newTab.client.open);
  });
});
