/**
 * @module Tests for REST authentication: Basic key:secret and short-lived Bearer JWTs.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SignJWT, UnsecuredJWT } from 'jose';
import { AtriumError, ErrorCode } from '@atrium/protocol';
import { AccessTokens } from './access-tokens.js';
import { ApiAuthenticator } from './api-auth.js';

const API_KEY = 'AKtestkey123';
const API_SECRET = 'test-secret-0123456789abcdef';

const auth = new ApiAuthenticator({ apiKey: API_KEY, apiSecret: API_SECRET });

function basic(credentials: string): string {
  return `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** An HS256 bearer token; `exp` is absolute seconds, or omitted when undefined. */
async function bearer(options: { iss?: string; exp?: number; secret?: string } = {}): Promise<string> {
  let jwt = new SignJWT({}).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt();
  jwt = jwt.setIssuer(options.iss ?? API_KEY);
  if (options.exp !== undefined) jwt = jwt.setExpirationTime(options.exp);
  return `Bearer ${await jwt.sign(new TextEncoder().encode(options.secret ?? API_SECRET))}`;
}

/** Asserts the header is refused with exactly this code. */
async function assertRefused(header: string | undefined, code: ErrorCode): Promise<void> {
  await assert.rejects(auth.authenticate(header), (error: unknown) => {
    assert.ok(AtriumError.is(error), `expected an AtriumError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.equal(error.status, 401);
    return true;
  });
}

describe('ApiAuthenticator: Basic', () => {
  test('the right key and secret authenticate as that key', async () => {
    assert.equal(await auth.authenticate(basic(`${API_KEY}:${API_SECRET}`)), API_KEY);
  });

  test('the scheme name is case-insensitive and surrounding spaces are ignored', async () => {
    const value = Buffer.from(`${API_KEY}:${API_SECRET}`).toString('base64');
    assert.equal(await auth.authenticate(`  basic   ${value}  `), API_KEY);
  });

  test('a wrong secret is refused', async () => {
    await assertRefused(basic(`${API_KEY}:wrong-secret`), ErrorCode.UNAUTHORIZED);
  });

  test('a wrong key is refused', async () => {
    await assertRefused(basic(`AKsomeoneelse:${API_SECRET}`), ErrorCode.UNAUTHORIZED);
  });

  test('the secret alone, or the pair with an extra character, is refused', async () => {
    await assertRefused(basic(API_SECRET), ErrorCode.UNAUTHORIZED);
    await assertRefused(basic(`${API_KEY}:${API_SECRET}x`), ErrorCode.UNAUTHORIZED);
    await assertRefused(basic(`:${API_SECRET}`), ErrorCode.UNAUTHORIZED);
  });

  test('malformed base64 is refused', async () => {
    await assertRefused('Basic !!!not base64!!!', ErrorCode.UNAUTHORIZED);
    await assertRefused('Basic', ErrorCode.UNAUTHORIZED);
  });

  test('a missing header is refused', async () => {
    await assertRefused(undefined, ErrorCode.UNAUTHORIZED);
    await assertRefused('', ErrorCode.UNAUTHORIZED);
  });

  test('an unknown scheme is refused', async () => {
    const value = Buffer.from(`${API_KEY}:${API_SECRET}`).toString('base64');
    await assertRefused(`Digest ${value}`, ErrorCode.UNAUTHORIZED);
    await assertRefused(`${API_KEY}:${API_SECRET}`, ErrorCode.UNAUTHORIZED);
  });
});

describe('ApiAuthenticator: Bearer', () => {
  test('an HS256 JWT signed with the secret, iss = key, exp in 5 minutes authenticates', async () => {
    assert.equal(await auth.authenticate(await bearer({ exp: nowSeconds() + 300 })), API_KEY);
  });

  test('a JWT with exp just under an hour away is still accepted', async () => {
    assert.equal(await auth.authenticate(await bearer({ exp: nowSeconds() + 3590 })), API_KEY);
  });

  test('a JWT without exp is refused', async () => {
    await assertRefused(await bearer(), ErrorCode.UNAUTHORIZED);
  });

  test('a JWT whose exp is more than an hour away is refused', async () => {
    await assertRefused(await bearer({ exp: nowSeconds() + 2 * 3600 }), ErrorCode.UNAUTHORIZED);
  });

  test('an expired JWT is refused with TOKEN_EXPIRED', async () => {
    await assertRefused(await bearer({ exp: nowSeconds() - 60 }), ErrorCode.TOKEN_EXPIRED);
  });

  test('a JWT issued by another key is refused', async () => {
    await assertRefused(await bearer({ iss: 'AKsomeoneelse', exp: nowSeconds() + 300 }), ErrorCode.UNAUTHORIZED);
  });

  test('a JWT signed with another secret is refused', async () => {
    await assertRefused(
      await bearer({ secret: 'another-secret-0123456789abcdef', exp: nowSeconds() + 300 }),
      ErrorCode.UNAUTHORIZED,
    );
  });

  test('an unsigned (alg: none) JWT is refused', async () => {
    const unsigned = new UnsecuredJWT({}).setIssuer(API_KEY).setIssuedAt().setExpirationTime('5m').encode();
    await assertRefused(`Bearer ${unsigned}`, ErrorCode.UNAUTHORIZED);
  });

  test('an endpoint access token is not an API credential', async () => {
    const accessTokens = new AccessTokens(API_KEY, API_SECRET);
    const { token } = await accessTokens.issue({ roomId: 'room-1', endpointId: 'mohsen', name: 'Mohsen', ttlSeconds: 300 });
    await assertRefused(`Bearer ${token}`, ErrorCode.UNAUTHORIZED);
  });

  test('garbage after Bearer is refused', async () => {
    await assertRefused('Bearer not.a.jwt', ErrorCode.UNAUTHORIZED);
    await assertRefused('Bearer', ErrorCode.UNAUTHORIZED);
  });
});
