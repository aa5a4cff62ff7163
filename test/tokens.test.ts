/**
 * Access tokens over a real socket: rooms named by `roomName` (found, auto-created, or 404 when
 * the server does not auto-create), permissions (given, aliases, moderator, guest default) and
 * meta in the claims, and refresh tokens: rotation, single use, family revocation on reuse, and
 * expiry. The refresh route needs no API key.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  GUEST_PERMISSIONS,
  MAX_TOKEN_META_BYTES,
  MODERATOR_PERMISSIONS,
  accessTokenClaimsSchema,
  accessTokenResponseSchema,
  errorBodySchema,
  roomSchema,
  type AccessTokenClaims,
  type AccessTokenResponse,
  type ErrorBody,
  type Room,
} from '@atrium/protocol';
import { startTestServer, type TestServer } from './helpers/server.js';
import { connect } from './helpers/signal.js';

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => {
  await t.close();
});

async function expectError(res: Response, status: number, code: string): Promise<ErrorBody['error']> {
  const text = await res.text();
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status} ${text}`);
  const body = errorBodySchema.parse(JSON.parse(text));
  assert.equal(body.error.code, code, body.error.message);
  return body.error;
}

/** Issues a token through `server` and checks the response shape strictly. */
async function issue(server: TestServer, endpointId: string, body: Record<string, unknown>): Promise<AccessTokenResponse> {
  const res = await server.api('POST', `/api/v1/endpoints/${endpointId}/access-tokens`, body);
  const text = await res.text();
  assert.equal(res.status, 201, text);
  return accessTokenResponseSchema.strict().parse(JSON.parse(text));
}

/** The verified-shape claims of a token (decoded; the server's signature is checked by joining). */
function claimsOf(token: string): AccessTokenClaims & { iss: string } {
  const payload: unknown = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
  const claims = accessTokenClaimsSchema.extend({ iss: accessTokenClaimsSchema.shape.roomId }).parse(payload);
  return claims;
}

/** POST /api/v1/access-tokens/refresh without any Authorization header. */
function refresh(refreshToken: unknown, server: TestServer = t): Promise<Response> {
  return fetch(`${server.url}/api/v1/access-tokens/refresh`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ refreshToken }),
  });
}

async function refreshed(refreshToken: string): Promise<AccessTokenResponse> {
  const res = await refresh(refreshToken);
  const text = await res.text();
  assert.equal(res.status, 201, text);
  return accessTokenResponseSchema.strict().parse(JSON.parse(text));
}

async function getRoom(idOrCustomId: string, server: TestServer = t): Promise<Room> {
  const res = await server.api('GET', `/api/v1/rooms/${idOrCustomId}`);
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return roomSchema.parse(JSON.parse(text));
}

/** Joins over signaling with `token`; resolves with the join error code, or 'joined'. */
async function tryJoin(roomId: string, token: string): Promise<string> {
  const client = await connect(t.url);
  try {
    const response = await client.request('join', { roomId, token });
    return response.error ? (response.error.data?.code ?? String(response.error.code)) : 'joined';
  } finally {
    await client.close();
  }
}

describe('rooms named by roomName', () => {
  test('an existing room is found by its name and the token carries its UUID', async () => {
    const room = roomSchema.parse(await t.createRoom({ name: 'weekly-standup' }));
    const { token } = await issue(t, 'mohsen', { roomName: 'weekly-standup' });
    assert.equal(claimsOf(token).roomId, room.id);
    assert.equal(await tryJoin(room.id, token), 'joined');
  });

  test('a missing room is created with that name and default settings, once', async () => {
    const name = `auto-${Date.now()}`;
    const first = await issue(t, 'ana', { roomName: name });
    const roomId = claimsOf(first.token).roomId;
    const room = await getRoom(roomId);
    assert.equal(room.name, name);
    assert.equal(room.type, 'small-room');
    assert.equal(room.timeout, 60);
    assert.equal(room.maxEndpoints, null);
    assert.equal(room.disabled, false);

    const second = await issue(t, 'bea', { roomName: name });
    assert.equal(claimsOf(second.token).roomId, roomId, 'the second request finds the room the first created');
    assert.equal(await tryJoin(roomId, second.token), 'joined');
  });

  test('requests racing to auto-create one name all get the same room', async () => {
    const name = `race-${Date.now()}`;
    const results = await Promise.all(['e1', 'e2', 'e3', 'e4'].map((id) => issue(t, id, { roomName: name })));
    assert.equal(new Set(results.map((r) => claimsOf(r.token).roomId)).size, 1);
  });

  test('exactly one of roomId and roomName must be given', async () => {
    const room = roomSchema.parse(await t.createRoom({ name: `both-${Date.now()}` }));
    const both = await expectError(
      await t.api('POST', '/api/v1/endpoints/x/access-tokens', { roomId: room.id, roomName: room.name }),
      400,
      'VALIDATION_FAILED',
    );
    assert.match(both.message, /exactly one of roomId and roomName/);
    await expectError(await t.api('POST', '/api/v1/endpoints/x/access-tokens', {}), 400, 'VALIDATION_FAILED');
  });

  test('a roomName that is not a valid room name is 400', async () => {
    const error = await expectError(
      await t.api('POST', '/api/v1/endpoints/x/access-tokens', { roomName: 'has spaces' }),
      400,
      'VALIDATION_FAILED',
    );
    assert.deepEqual((error.details as Array<{ path: string }>).map((d) => d.path), ['roomName']);
  });

  test('with auto-create off, a missing name is 404 ROOM_NOT_FOUND and creates nothing; existing names still work', async () => {
    const strict = await startTestServer({ ATRIUM_AUTO_CREATE_ROOMS: '0' });
    try {
      await expectError(
        await strict.api('POST', '/api/v1/endpoints/x/access-tokens', { roomName: 'nowhere' }),
        404,
        'ROOM_NOT_FOUND',
      );
      const list = (await (await strict.api('GET', '/api/v1/rooms')).json()) as { data: Room[] };
      assert.deepEqual(list.data, [], 'no room was created');
      const room = roomSchema.parse(await strict.createRoom({ name: 'somewhere' }));
      const { token } = await issue(strict, 'x', { roomName: 'somewhere' });
      assert.equal(claimsOf(token).roomId, room.id);
    } finally {
      await strict.close();
    }
  });
});

describe('permissions and meta in the claims', () => {
  let room: Room;
  before(async () => {
    room = roomSchema.parse(await t.createRoom({ title: 'claims' }));
  });

  test('no permissions given: the guest default', async () => {
    const claims = claimsOf((await issue(t, 'guest', { roomId: room.id })).token);
    assert.deepEqual([...claims.permissions].sort(), [...GUEST_PERMISSIONS].sort());
    assert.ok(claims.permissions.includes('room.self.audio_mute'));
    assert.ok(!claims.permissions.includes('room.member.remove'), 'a guest cannot remove others');
    assert.deepEqual(claims.meta, {});
    assert.equal(claims.iss, t.server.credentials.apiKey, 'issued under the calling API key');
  });

  test('given permissions are carried exactly (aliases read as their canonical names)', async () => {
    const claims = claimsOf(
      (await issue(t, 'presenter', { roomId: room.id, permissions: ['room.recording', 'room.screen_share', 'room.member.remove', 'room.recording'] }))
        .token,
    );
    assert.deepEqual(claims.permissions, ['room.member.remove', 'room.recording', 'room.self.screenshare']);
  });

  test('an empty list grants nothing', async () => {
    assert.deepEqual(claimsOf((await issue(t, 'mute', { roomId: room.id, permissions: [] })).token).permissions, []);
  });

  test('moderator: true grants every permission', async () => {
    const claims = claimsOf((await issue(t, 'mod', { roomId: room.id, moderator: true })).token);
    assert.deepEqual([...claims.permissions].sort(), [...MODERATOR_PERMISSIONS].sort());
    for (const p of ['room.member.remove', 'room.set_layout', 'room.recording', 'room.stream', 'room.lock', 'room.playback_seek']) {
      assert.ok(claims.permissions.includes(p as never), `a moderator has ${p}`);
    }
  });

  test('an unknown permission, or moderator together with permissions, is 400', async () => {
    const unknown = await expectError(
      await t.api('POST', '/api/v1/endpoints/x/access-tokens', { roomId: room.id, permissions: ['room.self.audio_mute', 'room.fly'] }),
      400,
      'VALIDATION_FAILED',
    );
    assert.deepEqual((unknown.details as Array<{ path: string }>).map((d) => d.path), ['permissions.1']);
    await expectError(
      await t.api('POST', '/api/v1/endpoints/x/access-tokens', { roomId: room.id, moderator: true, permissions: ['room.recording'] }),
      400,
      'VALIDATION_FAILED',
    );
  });

  test('meta is carried in the claims', async () => {
    const meta = { seat: 12, badge: 'speaker', nested: { langs: ['fa', 'en'] } };
    assert.deepEqual(claimsOf((await issue(t, 'speaker', { roomId: room.id, meta })).token).meta, meta);
  });

  test('meta over 2 KiB of JSON is 400, at the limit it is accepted', async () => {
    const overhead = JSON.stringify({ x: '' }).length;
    const atLimit = { x: 'a'.repeat(MAX_TOKEN_META_BYTES - overhead) };
    assert.equal(Buffer.byteLength(JSON.stringify(atLimit)), MAX_TOKEN_META_BYTES);
    assert.deepEqual(claimsOf((await issue(t, 'big', { roomId: room.id, meta: atLimit })).token).meta, atLimit);

    const over = { x: 'a'.repeat(MAX_TOKEN_META_BYTES - overhead + 1) };
    const error = await expectError(
      await t.api('POST', '/api/v1/endpoints/x/access-tokens', { roomId: room.id, meta: over }),
      400,
      'VALIDATION_FAILED',
    );
    assert.deepEqual((error.details as Array<{ path: string }>).map((d) => d.path), ['meta']);
    // Multi-byte characters count as bytes, not characters.
    const wide = { x: 'é'.repeat(MAX_TOKEN_META_BYTES / 2) };
    await expectError(await t.api('POST', '/api/v1/endpoints/x/access-tokens', { roomId: room.id, meta: wide }), 400, 'VALIDATION_FAILED');
  });

  test('meta must be an object', async () => {
    for (const meta of [[1, 2], 'text', 5, null]) {
      await expectError(await t.api('POST', '/api/v1/endpoints/x/access-tokens', { roomId: room.id, meta }), 400, 'VALIDATION_FAILED');
    }
  });
});

describe('refresh tokens', () => {
  let room: Room;
  before(async () => {
    room = roomSchema.parse(await t.createRoom({ title: 'refresh' }));
  });

  test('a refresh (without API auth) answers a new token with the same grant, and a new refresh token', async () => {
    const first = await issue(t, 'rita', {
      roomId: room.id,
      name: 'Rita',
      permissions: ['room.self.audio_mute', 'room.set_layout'],
      meta: { team: 'blue' },
      ttlSeconds: 300,
    });
    assert.match(first.refreshToken, /^rt_[A-Za-z0-9_-]{40,}$/);
    const refreshTtl = Date.parse(first.refreshTokenExpiresAt) - Date.now();
    assert.ok(Math.abs(refreshTtl - 7 * 86_400_000) < 60_000, 'refresh tokens live 7 days by default');

    const second = await refreshed(first.refreshToken);
    assert.notEqual(second.token, first.token);
    assert.notEqual(second.refreshToken, first.refreshToken);
    const before = claimsOf(first.token);
    const after = claimsOf(second.token);
    assert.notEqual(after.jti, before.jti);
    assert.equal(after.exp - after.iat, 300, 'the same lifetime');
    assert.equal(second.expiresAt, new Date(after.exp * 1000).toISOString());
    for (const field of ['roomId', 'endpoint', 'permissions', 'meta', 'iss'] as const) {
      assert.deepEqual(after[field], before[field], `${field} is kept`);
    }
    assert.equal(await tryJoin(room.id, second.token), 'joined', 'the refreshed token joins');

    // And the new refresh token rotates again.
    const third = await refreshed(second.refreshToken);
    assert.deepEqual(claimsOf(third.token).endpoint, { id: 'rita', name: 'Rita' });
  });

  test('a used refresh token is refused with TOKEN_REVOKED, and its whole family is revoked', async () => {
    const first = await issue(t, 'eve', { roomId: room.id });
    const second = await refreshed(first.refreshToken);
    const third = await refreshed(second.refreshToken);

    await expectError(await refresh(first.refreshToken), 401, 'TOKEN_REVOKED');
    // The newest one, never used, stops working too: the thief and the owner are both out.
    await expectError(await refresh(third.refreshToken), 401, 'TOKEN_REVOKED');
    await expectError(await refresh(second.refreshToken), 401, 'TOKEN_REVOKED');

    // Other families are untouched.
    const other = await issue(t, 'eve', { roomId: room.id });
    await refreshed(other.refreshToken);
  });

  test('two requests racing with one refresh token: at most one wins, and the family ends up revoked', async () => {
    const { refreshToken } = await issue(t, 'racer', { roomId: room.id });
    const responses = await Promise.all([refresh(refreshToken), refresh(refreshToken)]);
    const winners = responses.filter((r) => r.status === 201);
    const losers = responses.filter((r) => r.status !== 201);
    assert.ok(winners.length <= 1, 'never two winners');
    assert.ok(losers.length >= 1);
    for (const loser of losers) await expectError(loser, 401, 'TOKEN_REVOKED');
    for (const winner of winners) {
      const fresh = accessTokenResponseSchema.parse(await winner.json());
      await expectError(await refresh(fresh.refreshToken), 401, 'TOKEN_REVOKED');
    }
  });

  test('the refresh route answers any origin (CORS), errors included', async () => {
    const preflight = await fetch(`${t.url}/api/v1/access-tokens/refresh`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), '*');
    assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /content-type/i);

    const { refreshToken } = await issue(t, 'cors', { roomId: room.id });
    const ok = await refresh(refreshToken);
    assert.equal(ok.status, 201);
    assert.equal(ok.headers.get('access-control-allow-origin'), '*');
    const refused = await refresh(refreshToken);
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('access-control-allow-origin'), '*');
    // The API-key routes stay same-origin only.
    const api = await t.api('GET', '/api/v1/rooms');
    assert.equal(api.headers.get('access-control-allow-origin'), null);
  });

  test('an unknown or malformed refresh token is refused', async () => {
    await expectError(await refresh('rt_not-a-real-token'), 401, 'TOKEN_INVALID');
    await expectError(await refresh(''), 400, 'VALIDATION_FAILED');
    await expectError(await refresh(42), 400, 'VALIDATION_FAILED');
    const noBody = await fetch(`${t.url}/api/v1/access-tokens/refresh`, { method: 'POST' });
    await expectError(noBody, 400, 'VALIDATION_FAILED');
  });

  test('an access token is not a refresh token', async () => {
    const { token } = await issue(t, 'x', { roomId: room.id });
    await expectError(await refresh(token), 401, 'TOKEN_INVALID');
  });

  test('a refresh token of a deleted room is refused with ROOM_NOT_FOUND', async () => {
    const doomed = roomSchema.parse(await t.createRoom({ title: 'doomed' }));
    const { refreshToken } = await issue(t, 'x', { roomId: doomed.id });
    assert.equal((await t.api('DELETE', `/api/v1/rooms/${doomed.id}`)).status, 204);
    await expectError(await refresh(refreshToken), 404, 'ROOM_NOT_FOUND');
  });

  test('an expired refresh token is refused with TOKEN_EXPIRED', async () => {
    const shortLived = await startTestServer({ ATRIUM_REFRESH_TOKEN_TTL_SECONDS: '1' });
    try {
      const target = roomSchema.parse(await shortLived.createRoom({ title: 'short' }));
      const { refreshToken, refreshTokenExpiresAt } = await issue(shortLived, 'x', { roomId: target.id });
      assert.ok(Date.parse(refreshTokenExpiresAt) - Date.now() <= 1_000);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await expectError(await refresh(refreshToken, shortLived), 401, 'TOKEN_EXPIRED');
      // Expiry is not a reuse: a fresh family still works.
      const fresh = await issue(shortLived, 'x', { roomId: target.id });
      assert.equal((await refresh(fresh.refreshToken, shortLived)).status, 201);
    } finally {
      await shortLived.close();
    }
  });
});
