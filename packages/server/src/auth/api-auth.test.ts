/**
 * @module Tests for REST authentication: Basic key:secret, short-lived JWTs as Bearer or bare,
 * several keys at once, and a revoked key refused from the next request on.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SignJWT, UnsecuredJWT } from 'jose';
import { AtriumError, ErrorCode } from '@atrium/protocol';
import { AccessTokens } from './access-tokens.js';
import { ApiAuthenticator } from './api-auth.js';
import { fixedApiKey, type ApiKeySecrets } from './api-key-secrets.js';

const API_KEY = 'AKtestkey123';
const API_SECRET = 'test-secret-0123456789abcdef';

const auth = new ApiAuthenticator(fixedApiKey(API_KEY, API_SECRET));

function basic(credentials: string): string {
  return `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** An HS256 API JWT; `exp` is absolute seconds, or omitted when undefined. */
async function apiJwt(options: { iss?: string; exp?: number; secret?: string } = {}): Promise<string> {
  let jwt = new SignJWT({}).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt();
  jwt = jwt.setIssuer(options.iss ?? API_KEY);
  if (options.exp !== undefined) jwt = jwt.setExpirationTime(options.exp);
  return jwt.sign(new TextEncoder().encode(options.secret ?? API_SECRET));
}

/** The same, as an `Authorization: Bearer …` value. */
async function bearer(options: { iss?: string; exp?: number; secret?: string } = {}): Promise<string> {
  return `Bearer ${await apiJwt(options)}`;
}

/** Keys that can be added and revoked while a test runs, like the store's. */
class MutableKeys implements ApiKeySecrets {
  readonly secrets = new Map<string, string>();
  async activeSecret(apiKey: string): Promise<string | undefined> {
    return this.secrets.get(apiKey);
  }
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
    const accessTokens = new AccessTokens(fixedApiKey(API_KEY, API_SECRET));
    const { token } = await accessTokens.issue({ apiKey: API_KEY, roomId: 'room-1', endpointId: 'mohsen', name: 'Mohsen', ttlSeconds: 300 });
    await assertRefused(`Bearer ${token}`, ErrorCode.UNAUTHORIZED);
  });

  test('garbage after Bearer is refused', async () => {
    await assertRefused('Bearer not.a.jwt', ErrorCode.UNAUTHORIZED);
    await assertRefused('Bearer', ErrorCode.UNAUTHORIZED);
  });
});

describe('ApiAuthenticator: bare JWT (no scheme)', () => {
  test('a JWT sent without a scheme authenticates like a Bearer one', async () => {
    assert.equal(await auth.authenticate(await apiJwt({ exp: nowSeconds() + 300 })), API_KEY);
    assert.equal(await auth.authenticate(`  ${await apiJwt({ exp: nowSeconds() + 300 })} `), API_KEY);
  });

  test('the Bearer rules hold: exp required, at most an hour, right key and secret', async () => {
    await assertRefused(await apiJwt(), ErrorCode.UNAUTHORIZED);
    await assertRefused(await apiJwt({ exp: nowSeconds() + 2 * 3600 }), ErrorCode.UNAUTHORIZED);
    await assertRefused(await apiJwt({ exp: nowSeconds() - 60 }), ErrorCode.TOKEN_EXPIRED);
    await assertRefused(await apiJwt({ iss: 'AKsomeoneelse', exp: nowSeconds() + 300 }), ErrorCode.UNAUTHORIZED);
    await assertRefused(
      await apiJwt({ secret: 'another-secret-0123456789abcdef', exp: nowSeconds() + 300 }),
      ErrorCode.UNAUTHORIZED,
    );
  });

  test('an unsigned JWT or an endpoint access token sent bare is refused', async () => {
    const unsigned = new UnsecuredJWT({}).setIssuer(API_KEY).setIssuedAt().setExpirationTime('5m').encode();
    await assertRefused(unsigned, ErrorCode.UNAUTHORIZED);
    const { token } = await new AccessTokens(fixedApiKey(API_KEY, API_SECRET)).issue({
      apiKey: API_KEY,
      roomId: 'room-1',
      endpointId: 'mohsen',
      name: 'Mohsen',
      ttlSeconds: 300,
    });
    await assertRefused(token, ErrorCode.UNAUTHORIZED);
  });
});

describe('ApiAuthenticator: several keys, revocation', () => {
  test('each active key authenticates as itself with Basic, Bearer and a bare JWT', async () => {
    const keys = new MutableKeys();
    keys.secrets.set('AKalpha000001', 'alpha-secret-0123456789abcdef');
    keys.secrets.set('AKbeta0000001', 'beta-secret-0123456789abcdef');
    const multi = new ApiAuthenticator(keys);
    for (const [key, secret] of keys.secrets) {
      assert.equal(await multi.authenticate(basic(`${key}:${secret}`)), key);
      assert.equal(await multi.authenticate(await bearer({ iss: key, secret, exp: nowSeconds() + 300 })), key);
      assert.equal(await multi.authenticate(await apiJwt({ iss: key, secret, exp: nowSeconds() + 300 })), key);
    }
    // One key's secret does not open another key.
    await assert.rejects(multi.authenticate(basic('AKalpha000001:beta-secret-0123456789abcdef')), (error: unknown) =>
      AtriumError.is(error, ErrorCode.UNAUTHORIZED),
    );
    await assert.rejects(
      multi.authenticate(await bearer({ iss: 'AKalpha000001', secret: 'beta-secret-0123456789abcdef', exp: nowSeconds() + 300 })),
      (error: unknown) => AtriumError.is(error, ErrorCode.UNAUTHORIZED),
    );
  });

  test('a key revoked between two requests is refused on the second, in every form', async () => {
    const keys = new MutableKeys();
    const key = 'AKrevoked0001';
    const secret = 'revoked-secret-0123456789abcdef';
    keys.secrets.set(key, secret);
    const multi = new ApiAuthenticator(keys);
    const headers = [
      basic(`${key}:${secret}`),
      await bearer({ iss: key, secret, exp: nowSeconds() + 300 }),
      await apiJwt({ iss: key, secret, exp: nowSeconds() + 300 }),
    ];
    for (const header of headers) assert.equal(await multi.authenticate(header), key);
    keys.secrets.delete(key);
    for (const header of headers) {
      await assert.rejects(multi.authenticate(header), (error: unknown) => AtriumError.is(error, ErrorCode.UNAUTHORIZED));
    }
  });
});
