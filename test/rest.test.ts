/**
 * REST over a real socket: rooms as the primary design creates them, the error body for every
 * kind of bad request, Basic and Bearer API auth, and endpoint access tokens.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { errorBodySchema, roomSchema, type ErrorBody, type Room } from '@atrium/protocol';
import { startTestServer, type TestServer } from './helpers/server.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => {
  await t.close();
});

/** Asserts `res` is an error with this status and code in the `{ error: { code, message } }` shape. */
async function expectError(res: Response, status: number, code: string): Promise<ErrorBody['error']> {
  const text = await res.text();
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status} ${text}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const body = errorBodySchema.strict().parse(JSON.parse(text));
  assert.equal(body.error.code, code);
  assert.ok(body.error.message.length > 0, 'the error has a message');
  return body.error;
}

async function readRoom(res: Response, status: number): Promise<Room> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  return roomSchema.strict().parse(JSON.parse(text));
}

/** The JWT payload, decoded without verifying the signature. */
function jwtPayload(token: string): Record<string, unknown> {
  const parts = token.split('.');
  assert.equal(parts.length, 3, 'a JWT has three parts');
  const payload: unknown = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8'));
  assert.ok(typeof payload === 'object' && payload !== null && !Array.isArray(payload));
  return payload as Record<string, unknown>;
}

function withoutAuth(method: string, pathname: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${t.url}${pathname}`, { method, headers });
}

describe('rooms', () => {
  test('POST /api/v1/rooms accepts the primary design body and answers the room in camelCase', async () => {
    // The design's example, made valid JSON (it has comments and a missing comma).
    const res = await t.api('POST', '/api/v1/rooms', {
      title: 'My fancy room',
      type: 'small-room',
      timeout: 60,
      webhook: 'https://my-url',
      'max-endpoints': 2,
      'max-duration': 500,
      recording: true,
    });
    const location = res.headers.get('location');
    const room = await readRoom(res, 201);
    assert.match(room.id, UUID);
    assert.equal(room.title, 'My fancy room');
    assert.equal(room.type, 'small-room');
    assert.equal(room.timeout, 60);
    // A plain URL means every event.
    assert.deepEqual(room.webhook, { endPoint: 'https://my-url', events: null });
    assert.equal(room.maxEndpoints, 2);
    assert.equal(room.maxDuration, 500);
    assert.equal(room.recording, true);
    assert.equal(room.customRoomId, null);
    assert.equal(new Date(room.createdAt).toISOString(), room.createdAt, 'createdAt is ISO 8601');
    assert.ok(Math.abs(Date.parse(room.createdAt) - Date.now()) < 60_000, 'createdAt is now');
    assert.equal(location, `/api/v1/rooms/${room.id}`);

    const fetched = await readRoom(await t.api('GET', location), 200);
    assert.deepEqual(fetched, room);
  });

  test('a room is found by its customRoomId, which must be unique', async () => {
    const customRoomId = `class-${Date.now()}`;
    const created = await readRoom(await t.api('POST', '/api/v1/rooms', { title: 'Class', customRoomId }), 201);
    assert.equal(created.customRoomId, customRoomId);

    const byCustomId = await readRoom(await t.api('GET', `/api/v1/rooms/${customRoomId}`), 200);
    assert.deepEqual(byCustomId, created);

    const again = await t.api('POST', '/api/v1/rooms', { title: 'Another class', customRoomId });
    await expectError(again, 409, 'ROOM_EXISTS');
  });

  test('an unknown room is 404 ROOM_NOT_FOUND, by UUID and by custom id', async () => {
    await expectError(await t.api('GET', `/api/v1/rooms/${randomUUID()}`), 404, 'ROOM_NOT_FOUND');
    await expectError(await t.api('GET', '/api/v1/rooms/no-such-room'), 404, 'ROOM_NOT_FOUND');
  });
});

describe('REST errors', () => {
  let room: Room;
  const statuses: number[] = [];
  const record = (res: Response): Response => {
    statuses.push(res.status);
    return res;
  };

  before(async () => {
    room = await readRoom(await t.api('POST', '/api/v1/rooms', { title: 'still here' }), 201);
  });

  test('malformed JSON is 400 MALFORMED_JSON', async () => {
    const res = record(await t.api('POST', '/api/v1/rooms', '{"title": "half', { 'content-type': 'application/json' }));
    await expectError(res, 400, 'MALFORMED_JSON');
  });

  test('wrong types are 400 VALIDATION_FAILED with details naming each field', async () => {
    const res = record(await t.api('POST', '/api/v1/rooms', { title: 'ok', maxEndpoints: 'two', recording: 'yes' }));
    const error = await expectError(res, 400, 'VALIDATION_FAILED');
    assert.ok(Array.isArray(error.details), 'details is a list');
    const paths = (error.details as Array<{ path: string; message: string }>).map((d) => d.path).sort();
    assert.deepEqual(paths, ['maxEndpoints', 'recording']);
  });

  test('a kebab-case field is named in details as the client spelled it', async () => {
    const res = record(await t.api('POST', '/api/v1/rooms', { 'max-endpoints': 'two', maxDuration: -1 }));
    const error = await expectError(res, 400, 'VALIDATION_FAILED');
    const paths = (error.details as Array<{ path: string }>).map((d) => d.path).sort();
    assert.deepEqual(paths, ['max-endpoints', 'maxDuration']);
  });

  test('a nested field path is named in details', async () => {
    const res = record(await t.api('POST', '/api/v1/endpoints/mohsen/access-tokens', { roomId: room.id, ttlSeconds: 'long' }));
    const error = await expectError(res, 400, 'VALIDATION_FAILED');
    assert.deepEqual((error.details as Array<{ path: string }>).map((d) => d.path), ['ttlSeconds']);
  });

  test('an unknown field is 400 VALIDATION_FAILED', async () => {
    const res = record(await t.api('POST', '/api/v1/rooms', { title: 'ok', colour: 'red' }));
    const error = await expectError(res, 400, 'VALIDATION_FAILED');
    assert.match(error.message, /colour/);
  });

  test('no Authorization header is 401 UNAUTHORIZED', async () => {
    await expectError(record(await withoutAuth('GET', `/api/v1/rooms/${room.id}`)), 401, 'UNAUTHORIZED');
    const post = record(await fetch(`${t.url}/api/v1/rooms`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'sneaky' }),
    }));
    await expectError(post, 401, 'UNAUTHORIZED');
  });

  test('a wrong secret is 401 UNAUTHORIZED', async () => {
    const basic = `Basic ${Buffer.from(`${t.server.credentials.apiKey}:not-the-secret`).toString('base64')}`;
    await expectError(record(await withoutAuth('GET', `/api/v1/rooms/${room.id}`, { authorization: basic })), 401, 'UNAUTHORIZED');
    const wrongKey = `Basic ${Buffer.from(`AKsomeoneelse:${t.server.credentials.apiSecret}`).toString('base64')}`;
    await expectError(record(await withoutAuth('GET', `/api/v1/rooms/${room.id}`, { authorization: wrongKey })), 401, 'UNAUTHORIZED');
  });

  test('a body over 64 KiB is 413 PAYLOAD_TOO_LARGE', async () => {
    const res = record(await t.api('POST', '/api/v1/rooms', { title: 'x'.repeat(65 * 1024) }));
    await expectError(res, 413, 'PAYLOAD_TOO_LARGE');
  });

  test('a body that is not JSON is 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const xml = record(await t.api('POST', '/api/v1/rooms', '<room title="x"/>', { 'content-type': 'application/xml' }));
    await expectError(xml, 415, 'UNSUPPORTED_MEDIA_TYPE');
    const text = record(await t.api('POST', '/api/v1/rooms', 'title=x', { 'content-type': 'text/plain' }));
    await expectError(text, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  test('a JSON null body and over-long path ids get errors in our shape', async () => {
    await expectError(record(await t.api('POST', '/api/v1/rooms', 'null')), 400, 'VALIDATION_FAILED');
    await expectError(record(await t.api('GET', `/api/v1/rooms/${'r'.repeat(300)}`)), 404, 'NOT_FOUND');
    await expectError(record(await t.api('GET', `/api/v1/rooms/${'r'.repeat(150)}`)), 404, 'ROOM_NOT_FOUND');
    const longEndpoint = record(await t.api('POST', `/api/v1/endpoints/${'e'.repeat(129)}/access-tokens`, { roomId: room.id }));
    await expectError(longEndpoint, 400, 'VALIDATION_FAILED');
  });

  test('an unknown route is 404 NOT_FOUND, with or without auth', async () => {
    await expectError(record(await t.api('GET', '/api/v1/nothing-here')), 404, 'NOT_FOUND');
    await expectError(record(await withoutAuth('GET', '/api/v2/rooms')), 404, 'NOT_FOUND');
    await expectError(record(await t.api('PUT', `/api/v1/rooms/${room.id}`, {})), 404, 'NOT_FOUND');
  });

  test('after all of those the server still answers, and none of them was a 500', async () => {
    const fetched = await readRoom(await t.api('GET', `/api/v1/rooms/${room.id}`), 200);
    assert.deepEqual(fetched, room);
    assert.ok(statuses.length >= 10, 'every error case ran first');
    assert.deepEqual(statuses.filter((s) => s >= 500), []);
  });
});

describe('Bearer API auth', () => {
  let room: Room;
  before(async () => {
    room = await readRoom(await t.api('POST', '/api/v1/rooms', { title: 'bearer' }), 201);
  });

  function signApiJwt(issuer: string, expiresIn: string): Promise<string> {
    return new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(issuer)
      .setIssuedAt()
      .setExpirationTime(expiresIn)
      .sign(new TextEncoder().encode(t.server.credentials.apiSecret));
  }

  test('a short-lived HS256 JWT signed with the secret works', async () => {
    const jwt = await signApiJwt(t.server.credentials.apiKey, '5m');
    const get = await withoutAuth('GET', `/api/v1/rooms/${room.id}`, { authorization: `Bearer ${jwt}` });
    assert.deepEqual(await readRoom(get, 200), room);
    const post = await fetch(`${t.url}/api/v1/rooms`, {
      method: 'POST',
      headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'made with a bearer token' }),
    });
    assert.equal((await readRoom(post, 201)).title, 'made with a bearer token');
  });

  test('a JWT that lives a day is 401', async () => {
    const jwt = await signApiJwt(t.server.credentials.apiKey, '1d');
    await expectError(await withoutAuth('GET', `/api/v1/rooms/${room.id}`, { authorization: `Bearer ${jwt}` }), 401, 'UNAUTHORIZED');
  });

  test('a JWT issued for another API key is 401', async () => {
    const jwt = await signApiJwt('AKanotherkey', '5m');
    await expectError(await withoutAuth('GET', `/api/v1/rooms/${room.id}`, { authorization: `Bearer ${jwt}` }), 401, 'UNAUTHORIZED');
  });

  test('an endpoint access token is not an API credential', async () => {
    const token = await t.token('mohsen', room.id);
    await expectError(await withoutAuth('GET', `/api/v1/rooms/${room.id}`, { authorization: `Bearer ${token}` }), 401, 'UNAUTHORIZED');
  });
});

describe('endpoint access tokens', () => {
  let room: Room;
  before(async () => {
    room = await readRoom(await t.api('POST', '/api/v1/rooms', { title: 'tokens' }), 201);
  });

  async function issue(endpointId: string, body: Record<string, unknown>): Promise<{ token: string; expiresAt: string }> {
    const res = await t.api('POST', `/api/v1/endpoints/${endpointId}/access-tokens`, body);
    const text = await res.text();
    assert.equal(res.status, 201, text);
    const parsed: unknown = JSON.parse(text);
    assert.ok(typeof parsed === 'object' && parsed !== null);
    const { token, expiresAt } = parsed as Record<string, unknown>;
    assert.equal(typeof token, 'string');
    assert.equal(typeof expiresAt, 'string');
    assert.deepEqual(Object.keys(parsed).sort(), ['expiresAt', 'refreshToken', 'refreshTokenExpiresAt', 'token']);
    return { token: token as string, expiresAt: expiresAt as string };
  }

  test('POST /api/v1/endpoints/mohsen/access-tokens answers a JWT for that room and endpoint', async () => {
    const first = await issue('mohsen', { roomId: room.id, name: 'Mohsen', ttlSeconds: 120 });
    const claims = jwtPayload(first.token);
    assert.equal(claims.roomId, room.id);
    assert.deepEqual(claims.endpoint, { id: 'mohsen', name: 'Mohsen' });
    assert.equal(typeof claims.iat, 'number');
    assert.equal(typeof claims.exp, 'number');
    assert.equal((claims.exp as number) - (claims.iat as number), 120);
    assert.ok(Math.abs((claims.iat as number) - Date.now() / 1000) < 60, 'iat is now');
    assert.equal(first.expiresAt, new Date((claims.exp as number) * 1000).toISOString());
    assert.equal(typeof claims.jti, 'string');
    assert.ok((claims.jti as string).length > 0);

    const second = await issue('mohsen', { roomId: room.id, name: 'Mohsen', ttlSeconds: 120 });
    assert.notEqual(jwtPayload(second.token).jti, claims.jti, 'each token has its own jti');
  });

  test('a token can name the room by its customRoomId and still carries the UUID', async () => {
    const customRoomId = `tokens-${Date.now()}`;
    const custom = await readRoom(await t.api('POST', '/api/v1/rooms', { customRoomId }), 201);
    const { token } = await issue('guest', { roomId: customRoomId });
    const claims = jwtPayload(token);
    assert.equal(claims.roomId, custom.id);
    assert.deepEqual(claims.endpoint, { id: 'guest', name: 'guest' }, 'the name defaults to the endpoint id');
    assert.equal((claims.exp as number) - (claims.iat as number), 3600, 'the default lifetime is an hour');
  });

  test('an unknown room is 404 ROOM_NOT_FOUND', async () => {
    const res = await t.api('POST', '/api/v1/endpoints/mohsen/access-tokens', { roomId: randomUUID() });
    await expectError(res, 404, 'ROOM_NOT_FOUND');
  });

  test('an invalid endpoint id is 400', async () => {
    const res = await t.api('POST', '/api/v1/endpoints/bad%20id/access-tokens', { roomId: room.id });
    const error = await expectError(res, 400, 'VALIDATION_FAILED');
    assert.deepEqual((error.details as Array<{ path: string }>).map((d) => d.path), ['endpointId']);
  });

  test('a lifetime under 10 seconds is 400', async () => {
    const res = await t.api('POST', '/api/v1/endpoints/mohsen/access-tokens', { roomId: room.id, ttlSeconds: 5 });
    const error = await expectError(res, 400, 'VALIDATION_FAILED');
    assert.deepEqual((error.details as Array<{ path: string }>).map((d) => d.path), ['ttlSeconds']);
  });
});
