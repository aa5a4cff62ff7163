/**
 * @module Tests for endpoint access tokens: the round trip, permissions and meta, expiry, keys
 * that are revoked or unknown, and every forgery we refuse.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, test } from 'node:test';
import { SignJWT, UnsecuredJWT, decodeJwt } from 'jose';
import { AtriumError, ErrorCode, GUEST_PERMISSIONS } from '@atrium/protocol';
import { AccessTokens } from './access-tokens.js';
import { fixedApiKey, type ApiKeySecrets } from './api-key-secrets.js';

const API_KEY = 'AKtestkey123';
const API_SECRET = 'test-secret-0123456789abcdef';

const tokens = new AccessTokens(fixedApiKey(API_KEY, API_SECRET));

/** Keys that can be added and revoked while tests run, like the store's. */
class MutableKeys implements ApiKeySecrets {
  readonly secrets = new Map<string, string>();
  async activeSecret(apiKey: string): Promise<string | undefined> {
    return this.secrets.get(apiKey);
  }
}

function issueFor(overrides: { roomId?: string; ttlSeconds?: number; now?: Date } = {}) {
  return tokens.issue({
    apiKey: API_KEY,
    roomId: overrides.roomId ?? 'room-1',
    endpointId: 'mohsen',
    name: 'Mohsen',
    ttlSeconds: overrides.ttlSeconds ?? 600,
    now: overrides.now,
  });
}

/** Asserts that `verify` refuses the token with exactly this code. */
async function assertRefused(token: string, code: ErrorCode): Promise<void> {
  await assert.rejects(tokens.verify(token), (error: unknown) => {
    assert.ok(AtriumError.is(error), `expected an AtriumError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.equal(error.status, 401);
    return true;
  });
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('AccessTokens', () => {
  test('issue then verify carries the room and the endpoint', async () => {
    const issued = await issueFor();
    const claims = await tokens.verify(issued.token);
    assert.equal(claims.typ, 'access');
    assert.equal(claims.roomId, 'room-1');
    assert.deepEqual(claims.endpoint, { id: 'mohsen', name: 'Mohsen' });
    assert.deepEqual(claims, { ...issued.claims, iss: API_KEY });
  });

  test('exp is iat + ttl, and expiresAt matches exp', async () => {
    const now = new Date();
    const issued = await issueFor({ ttlSeconds: 900, now });
    const claims = await tokens.verify(issued.token);
    assert.equal(claims.iat, Math.floor(now.getTime() / 1000));
    assert.equal(claims.exp, claims.iat + 900);
    assert.equal(issued.expiresAt.getTime(), claims.exp * 1000);
  });

  test('every token gets its own jti', async () => {
    const a = await issueFor();
    const b = await issueFor();
    assert.notEqual(a.claims.jti, b.claims.jti);
    assert.notEqual((await tokens.verify(a.token)).jti, (await tokens.verify(b.token)).jti);
  });

  test('the JWT names the API key as issuer, the endpoint as subject and the endpoint audience', async () => {
    const payload = decodeJwt((await issueFor()).token);
    assert.equal(payload.iss, API_KEY);
    assert.equal(payload.sub, 'mohsen');
    assert.equal(payload.aud, 'atrium:endpoint');
  });

  test('an expired token is refused with TOKEN_EXPIRED', async () => {
    const issued = await issueFor({ ttlSeconds: 60, now: new Date(Date.now() - 2 * 3600 * 1000) });
    await assertRefused(issued.token, ErrorCode.TOKEN_EXPIRED);
  });

  test('a token whose roomId was changed (signature kept) is refused with TOKEN_INVALID', async () => {
    const { token } = await issueFor({ roomId: 'room-1' });
    const [header, payload, signature] = token.split('.');
    assert.ok(header && payload && signature);
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const forged = `${header}.${base64url({ ...claims, roomId: 'room-2' })}.${signature}`;
    await assertRefused(forged, ErrorCode.TOKEN_INVALID);
  });

  test('a token with a changed signature is refused with TOKEN_INVALID', async () => {
    const { token } = await issueFor();
    const [header, payload, signature] = token.split('.');
    assert.ok(header && payload && signature);
    const bytes = Buffer.from(signature, 'base64url');
    bytes[0] = (bytes[0] ?? 0) ^ 0xff;
    await assertRefused(`${header}.${payload}.${bytes.toString('base64url')}`, ErrorCode.TOKEN_INVALID);
  });

  test('a token issued under another API secret is refused with TOKEN_INVALID', async () => {
    const other = new AccessTokens(fixedApiKey(API_KEY, 'another-secret-0123456789abcdef'));
    const { token } = await other.issue({ apiKey: API_KEY, roomId: 'room-1', endpointId: 'mohsen', name: 'Mohsen', ttlSeconds: 600 });
    await assertRefused(token, ErrorCode.TOKEN_INVALID);
  });

  test('an unsigned (alg: none) token with the same claims is refused with TOKEN_INVALID', async () => {
    const { claims } = await issueFor();
    const unsigned = new UnsecuredJWT({ ...claims })
      .setIssuer(API_KEY)
      .setAudience('atrium:endpoint')
      .setSubject('mohsen')
      .encode();
    assert.equal(unsigned.split('.')[2], '');
    await assertRefused(unsigned, ErrorCode.TOKEN_INVALID);
  });

  test('an HS256 token signed with the raw API secret (an API bearer) is refused with TOKEN_INVALID', async () => {
    const { claims } = await issueFor();
    const bearer = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(API_KEY)
      .setAudience('atrium:endpoint')
      .setSubject('mohsen')
      .sign(new TextEncoder().encode(API_SECRET));
    await assertRefused(bearer, ErrorCode.TOKEN_INVALID);
  });

  test('a token signed with the derived key but without the endpoint audience is refused', async () => {
    const { claims } = await issueFor();
    const derivedKey = crypto.createHmac('sha256', API_SECRET).update('atrium access token v1').digest();
    const noAudience = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(API_KEY)
      .sign(derivedKey);
    await assertRefused(noAudience, ErrorCode.TOKEN_INVALID);
  });

  test('a correctly signed token whose claims are not an access token is refused', async () => {
    const derivedKey = crypto.createHmac('sha256', API_SECRET).update('atrium access token v1').digest();
    const notAccess = await new SignJWT({ typ: 'refresh', roomId: 'room-1' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(API_KEY)
      .setAudience('atrium:endpoint')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(derivedKey);
    await assertRefused(notAccess, ErrorCode.TOKEN_INVALID);
  });

  test('permissions default to the guest set, and meta to an empty object', async () => {
    const claims = await tokens.verify((await issueFor()).token);
    assert.deepEqual(claims.permissions, [...GUEST_PERMISSIONS]);
    assert.deepEqual(claims.meta, {});
  });

  test('given permissions and meta travel in the claims', async () => {
    const { token } = await tokens.issue({
      apiKey: API_KEY,
      roomId: 'room-1',
      endpointId: 'mohsen',
      name: 'Mohsen',
      permissions: ['room.member.remove', 'room.recording'],
      meta: { seat: 4, tags: ['vip'] },
      ttlSeconds: 600,
    });
    const claims = await tokens.verify(token);
    assert.deepEqual(claims.permissions, ['room.member.remove', 'room.recording']);
    assert.deepEqual(claims.meta, { seat: 4, tags: ['vip'] });
    assert.equal(claims.iss, API_KEY);
  });

  test('a token issued under a key that is then revoked is refused with TOKEN_INVALID', async () => {
    const keys = new MutableKeys();
    keys.secrets.set('AKfirst000001', 'first-secret-0123456789abcdef');
    keys.secrets.set('AKsecond00001', 'second-secret-0123456789abcdef');
    const multi = new AccessTokens(keys);
    const grant = { roomId: 'room-1', endpointId: 'mohsen', name: 'Mohsen', ttlSeconds: 600 };
    const first = await multi.issue({ apiKey: 'AKfirst000001', ...grant });
    const second = await multi.issue({ apiKey: 'AKsecond00001', ...grant });
    assert.equal((await multi.verify(first.token)).iss, 'AKfirst000001');
    assert.equal((await multi.verify(second.token)).iss, 'AKsecond00001');

    keys.secrets.delete('AKfirst000001');
    await assert.rejects(multi.verify(first.token), (error: unknown) => AtriumError.is(error, ErrorCode.TOKEN_INVALID));
    assert.equal((await multi.verify(second.token)).iss, 'AKsecond00001', 'the other key still verifies');
    await assert.rejects(multi.issue({ apiKey: 'AKfirst000001', ...grant }), (error: unknown) =>
      AtriumError.is(error, ErrorCode.UNAUTHORIZED),
    );
  });

  test('a token naming another key as issuer (signed with ours) is refused', async () => {
    const keys = new MutableKeys();
    keys.secrets.set(API_KEY, API_SECRET);
    keys.secrets.set('AKother00001', 'other-secret-0123456789abcdef');
    const multi = new AccessTokens(keys);
    const { claims } = await issueFor();
    const derivedKey = crypto.createHmac('sha256', API_SECRET).update('atrium access token v1').digest();
    const wrongIssuer = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer('AKother00001')
      .setAudience('atrium:endpoint')
      .sign(derivedKey);
    await assert.rejects(multi.verify(wrongIssuer), (error: unknown) => AtriumError.is(error, ErrorCode.TOKEN_INVALID));
  });

  test('a token without an issuer is refused with TOKEN_INVALID', async () => {
    const { claims } = await issueFor();
    const derivedKey = crypto.createHmac('sha256', API_SECRET).update('atrium access token v1').digest();
    const noIssuer = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setAudience('atrium:endpoint')
      .sign(derivedKey);
    await assertRefused(noIssuer, ErrorCode.TOKEN_INVALID);
  });

  test('garbage is refused with TOKEN_INVALID', async () => {
    await assertRefused('not-a-jwt', ErrorCode.TOKEN_INVALID);
    await assertRefused('', ErrorCode.TOKEN_INVALID);
  });
});
