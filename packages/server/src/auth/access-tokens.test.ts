/**
 * @module Tests for endpoint access tokens: the round trip, expiry, and every forgery we refuse.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, test } from 'node:test';
import { SignJWT, UnsecuredJWT, decodeJwt } from 'jose';
import { AtriumError, ErrorCode } from '@atrium/protocol';
import { AccessTokens } from './access-tokens.js';

const API_KEY = 'AKtestkey123';
const API_SECRET = 'test-secret-0123456789abcdef';

const tokens = new AccessTokens(API_KEY, API_SECRET);

function issueFor(overrides: { roomId?: string; ttlSeconds?: number; now?: Date } = {}) {
  return tokens.issue({
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
    assert.deepEqual(claims, issued.claims);
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
    const other = new AccessTokens(API_KEY, 'another-secret-0123456789abcdef');
    const { token } = await other.issue({ roomId: 'room-1', endpointId: 'mohsen', name: 'Mohsen', ttlSeconds: 600 });
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
      .setAudience('atrium:endpoint')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(derivedKey);
    await assertRefused(notAccess, ErrorCode.TOKEN_INVALID);
  });

  test('garbage is refused with TOKEN_INVALID', async () => {
    await assertRefused('not-a-jwt', ErrorCode.TOKEN_INVALID);
    await assertRefused('', ErrorCode.TOKEN_INVALID);
  });
});
