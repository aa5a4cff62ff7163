/**
 * The SDK keeps its access token fresh (real server, the SDK in Node over `ws`): given a refresh
 * token, `join` refreshes a little before expiry, again and again, and the endpoint stays in the
 * room past its first token's lifetime; when refreshing fails it reports an `error` and the call
 * goes on until the token expires; without a refresh token the app can call `updateToken`.
 * Nothing is published, so no WebRTC implementation is needed (the one passed is never used).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { accessTokenResponseSchema, roomSchema, type AccessTokenResponse, type Room as RoomInfo } from '@atrium/protocol';
import { RequestError, join, type Room, type TokenRefreshedEvent, type WebRtcImplementation } from '@atrium/sdk';
import { startTestServer, type TestServer } from './helpers/server.js';
import { connect, type SignalTestClient } from './helpers/signal.js';

/** Satisfies the SDK's environment check; these tests never open a peer connection. */
const noWebRtc = { RTCPeerConnection: class {}, MediaStream: class {} } as unknown as WebRtcImplementation;

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => {
  await t.close();
});

async function issue(endpointId: string, roomId: string, ttlSeconds: number): Promise<AccessTokenResponse> {
  const res = await t.api('POST', `/api/v1/endpoints/${endpointId}/access-tokens`, { roomId, ttlSeconds });
  assert.equal(res.status, 201);
  return accessTokenResponseSchema.parse(await res.json());
}

function next<T>(room: Room, event: 'token.refreshed' | 'error' | 'finished', timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
    room.once(event, ((value: T) => {
      clearTimeout(timer);
      resolve(value);
    }) as never);
  });
}

function expiryOf(token: string): number {
  return (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp: number }).exp * 1000;
}

describe('SDK token refresh', () => {
  let roomInfo: RoomInfo;
  let observer: SignalTestClient;
  before(async () => {
    roomInfo = roomSchema.parse(await t.createRoom({ title: 'sdk refresh' }));
    observer = await connect(t.url);
    await observer.call('join', { roomId: roomInfo.id, token: await t.token('observer', roomInfo.id, { ttlSeconds: 600 }) });
  });
  after(async () => {
    await observer.close();
  });

  test('with a refresh token the SDK refreshes before expiry, repeatedly, and the call outlives its first token', async () => {
    const issued = await issue('refreshing', roomInfo.id, 10);
    const { room } = await join(roomInfo.id, issued.token, { url: t.url, refreshToken: issued.refreshToken, wrtc: noWebRtc });
    const errors: Error[] = [];
    room.on('error', (error) => errors.push(error));
    try {
      const firstExpiry = expiryOf(issued.token);
      const first = await next<TokenRefreshedEvent>(room, 'token.refreshed', 12_000);
      const refreshedAt = Date.now();
      // 20% of a 10 s lifetime (less than a minute) before expiry: about 2 s ahead.
      assert.ok(firstExpiry - refreshedAt > 1_000 && firstExpiry - refreshedAt < 3_500, `refreshed ${firstExpiry - refreshedAt} ms before expiry`);
      assert.notEqual(first.token, issued.token);
      assert.equal(first.expiresAt.getTime(), expiryOf(first.token));
      assert.ok(first.refreshToken && first.refreshToken !== issued.refreshToken, 'a new refresh token is kept');

      const second = await next<TokenRefreshedEvent>(room, 'token.refreshed', 12_000);
      assert.notEqual(second.refreshToken, first.refreshToken, 'the rotated refresh token was used');
      assert.ok(Date.now() > firstExpiry + 3_000, 'well past the first token');
      assert.equal(room.finishedReason, null, 'still in the room');
      assert.ok(!observer.notifications.some((n) => n.method === 'endpoint.left'), 'the others never saw it leave');
      assert.deepEqual(errors, []);

      // The spent refresh tokens cannot be used again (and using one revokes the family).
      const reuse = await fetch(`${t.url}/api/v1/access-tokens/refresh`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken: issued.refreshToken }),
      });
      assert.equal(reuse.status, 401);
    } finally {
      await room.leave();
    }
  });

  test('when refreshing fails the room emits error and carries on until the token expires', async () => {
    const issued = await issue('doomed', roomInfo.id, 10);
    const { room } = await join(roomInfo.id, issued.token, { url: t.url, refreshToken: issued.refreshToken, wrtc: noWebRtc });
    // Someone else spends the refresh token first: the SDK's attempt is a reuse.
    const stolen = await fetch(`${t.url}/api/v1/access-tokens/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: issued.refreshToken }),
    });
    assert.equal(stolen.status, 201);
    const finished = next<string>(room, 'finished', 14_000);
    const error = await next<Error>(room, 'error', 12_000);
    assert.ok(error instanceof RequestError, String(error));
    assert.equal(error.code, 'TOKEN_REVOKED');
    assert.equal(room.finishedReason, null, 'a failed refresh does not end the call');
    assert.equal(await finished, 'token-expired');
    assert.ok(Date.now() >= expiryOf(issued.token) - 500, 'it ended at expiry');
  });

  test('without a refresh token the app refreshes with updateToken', async () => {
    const issued = await issue('manual', roomInfo.id, 10);
    const { room } = await join(roomInfo.id, issued.token, { url: t.url, wrtc: noWebRtc });
    try {
      const fresh = await issue('manual', roomInfo.id, 600);
      const event = next<TokenRefreshedEvent>(room, 'token.refreshed', 5_000);
      const expiresAt = await room.updateToken(fresh.token);
      assert.equal(expiresAt.getTime(), expiryOf(fresh.token));
      assert.deepEqual(await event, { token: fresh.token, expiresAt });

      const otherEndpoint = await issue('not-manual', roomInfo.id, 600);
      await assert.rejects(room.updateToken(otherEndpoint.token), (error: unknown) => error instanceof RequestError && error.code === 'TOKEN_INVALID');
      assert.equal(room.finishedReason, null);
    } finally {
      await room.leave();
    }
  });
});
