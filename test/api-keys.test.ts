/**
 * API keys over a real socket: create (secret shown once), several active at once, list without
 * secrets, and revocation that takes effect on the very next request, for Basic, Bearer and bare
 * JWTs, and for the access and refresh tokens the key issued. The bootstrap key lives in the
 * store and stays revoked across restarts.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { z } from 'zod';
import {
  JsonRpcCode,
  apiKeySchema,
  createdApiKeySchema,
  errorBodySchema,
  roomSchema,
  type CreatedApiKey,
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

function basic(key: string, secret: string): string {
  return `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`;
}

function apiJwt(key: string, secret: string): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(key)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(secret));
}

/** The three ways to authenticate with one key: Basic, Bearer JWT, bare JWT. */
async function authHeaders(key: string, secret: string): Promise<Record<'basic' | 'bearer' | 'bare', string>> {
  const jwt = await apiJwt(key, secret);
  return { basic: basic(key, secret), bearer: `Bearer ${jwt}`, bare: jwt };
}

function getRooms(server: TestServer, authorization: string): Promise<Response> {
  return fetch(`${server.url}/api/v1/rooms`, { headers: { authorization } });
}

async function createKey(server: TestServer, body: Record<string, unknown> = {}, authorization = server.auth): Promise<CreatedApiKey> {
  const res = await server.api('POST', '/api/v1/api-keys', body, { authorization });
  const text = await res.text();
  assert.equal(res.status, 201, text);
  return createdApiKeySchema.strict().parse(JSON.parse(text));
}

async function listKeys(server: TestServer, authorization = server.auth): Promise<unknown> {
  const res = await server.api('GET', '/api/v1/api-keys', undefined, { authorization });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return JSON.parse(text);
}

describe('creating and listing', () => {
  test('POST /api/v1/api-keys answers the key and its secret once', async () => {
    const created = await createKey(t, { name: 'billing backend' });
    assert.match(created.key, /^AK[A-Za-z0-9_-]{12,}$/);
    assert.ok(created.secret.length >= 32, 'a long random secret');
    assert.equal(created.name, 'billing backend');
    assert.ok(Math.abs(Date.parse(created.createdAt) - Date.now()) < 60_000);
    const unnamed = await createKey(t);
    assert.equal(unnamed.name, null);
    assert.notEqual(unnamed.key, created.key);
    assert.notEqual(unnamed.secret, created.secret);
  });

  test('several keys are active at once, each with Basic, Bearer and a bare JWT', async () => {
    const a = await createKey(t, { name: 'a' });
    const b = await createKey(t, { name: 'b' });
    const bootstrap = t.server.credentials;
    for (const { key, secret } of [a, b, { key: bootstrap.apiKey, secret: bootstrap.apiSecret }]) {
      for (const [form, header] of Object.entries(await authHeaders(key, secret))) {
        assert.equal((await getRooms(t, header)).status, 200, `${form} with ${key}`);
      }
    }
    // One key's secret does not open another key.
    await expectError(await getRooms(t, basic(a.key, b.secret)), 401, 'UNAUTHORIZED');
    await expectError(await getRooms(t, `Bearer ${await apiJwt(a.key, b.secret)}`), 401, 'UNAUTHORIZED');
  });

  test('a room made with one key is visible with another: keys share the account', async () => {
    const other = await createKey(t);
    const res = await fetch(`${t.url}/api/v1/rooms`, {
      method: 'POST',
      headers: { authorization: basic(other.key, other.secret), 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'made with another key' }),
    });
    const room = roomSchema.parse(await res.json());
    assert.equal((await t.api('GET', `/api/v1/rooms/${room.id}`)).status, 200);
  });

  test('GET /api/v1/api-keys lists every key, the bootstrap one included, and never a secret', async () => {
    const created = await createKey(t, { name: 'listed' });
    const body = await listKeys(t);
    const page = z.object({ data: apiKeySchema.strict().array(), nextCursor: z.null() }).strict().parse(body);
    const listed = page.data.find((k) => k.key === created.key);
    assert.deepEqual(listed, { key: created.key, name: 'listed', createdAt: created.createdAt, revokedAt: null });
    const bootstrap = page.data.find((k) => k.key === t.server.credentials.apiKey);
    assert.ok(bootstrap, 'the bootstrap key is stored');
    assert.equal(bootstrap.name, 'bootstrap');
    const text = JSON.stringify(body);
    assert.ok(!text.includes(created.secret), 'no created secret in the list');
    assert.ok(!text.includes(t.server.credentials.apiSecret), 'no bootstrap secret in the list');
  });

  test('bad create bodies are 400', async () => {
    await expectError(await t.api('POST', '/api/v1/api-keys', { name: '' }), 400, 'VALIDATION_FAILED');
    await expectError(await t.api('POST', '/api/v1/api-keys', { name: 'x', secret: 'mine' }), 400, 'VALIDATION_FAILED');
  });

  test('the API key routes need an API key', async () => {
    await expectError(await fetch(`${t.url}/api/v1/api-keys`), 401, 'UNAUTHORIZED');
    await expectError(await fetch(`${t.url}/api/v1/api-keys`, { method: 'POST' }), 401, 'UNAUTHORIZED');
  });
});

describe('revoking', () => {
  let room: Room;
  before(async () => {
    room = roomSchema.parse(await t.createRoom({ title: 'revocation' }));
  });

  test('a revoked key is refused on the very next request, in every form; other keys go on', async () => {
    const doomed = await createKey(t, { name: 'doomed' });
    const survivor = await createKey(t, { name: 'survivor' });
    const headers = await authHeaders(doomed.key, doomed.secret);
    for (const [form, header] of Object.entries(headers)) assert.equal((await getRooms(t, header)).status, 200, form);

    const res = await t.api('DELETE', `/api/v1/api-keys/${doomed.key}`);
    assert.equal(res.status, 204, await res.text());

    for (const header of Object.values(headers)) await expectError(await getRooms(t, header), 401, 'UNAUTHORIZED');
    assert.equal((await getRooms(t, basic(survivor.key, survivor.secret))).status, 200);

    const listed = ((await listKeys(t)) as { data: Array<{ key: string; revokedAt: string | null }> }).data.find((k) => k.key === doomed.key);
    assert.ok(listed?.revokedAt, 'the list shows when it was revoked');
    assert.ok(Math.abs(Date.parse(listed.revokedAt) - Date.now()) < 60_000);
  });

  test('a key can revoke itself; its next request is refused', async () => {
    const self = await createKey(t);
    const header = basic(self.key, self.secret);
    const res = await fetch(`${t.url}/api/v1/api-keys/${self.key}`, { method: 'DELETE', headers: { authorization: header } });
    assert.equal(res.status, 204);
    await expectError(await getRooms(t, header), 401, 'UNAUTHORIZED');
  });

  test('access tokens issued under a revoked key no longer join (TOKEN_INVALID); refresh tokens are revoked', async () => {
    const issuer = await createKey(t, { name: 'issuer' });
    const issueRes = await fetch(`${t.url}/api/v1/endpoints/orphan/access-tokens`, {
      method: 'POST',
      headers: { authorization: basic(issuer.key, issuer.secret), 'content-type': 'application/json' },
      body: JSON.stringify({ roomId: room.id }),
    });
    assert.equal(issueRes.status, 201);
    const { token, refreshToken } = (await issueRes.json()) as { token: string; refreshToken: string };
    // A token made by the bootstrap key at the same time keeps working.
    const other = await t.token('bystander', room.id);

    assert.equal((await t.api('DELETE', `/api/v1/api-keys/${issuer.key}`)).status, 204);

    const client = await connect(t.url);
    const response = await client.request('join', { roomId: room.id, token });
    assert.equal(response.error?.data?.code, 'TOKEN_INVALID', JSON.stringify(response));
    assert.equal(response.error?.code, JsonRpcCode.APPLICATION_ERROR);
    await client.closed;

    const refreshRes = await fetch(`${t.url}/api/v1/access-tokens/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken }),
    });
    await expectError(refreshRes, 401, 'TOKEN_REVOKED');

    const bystander = await connect(t.url);
    const joined = await bystander.request('join', { roomId: room.id, token: other });
    assert.ok(joined.result, JSON.stringify(joined.error));
    await bystander.close();
  });

  test('an endpoint already in a room with a revoked key\'s token cannot refresh it with another from that key', async () => {
    const issuer = await createKey(t);
    const mint = async (): Promise<string> => {
      const res = await fetch(`${t.url}/api/v1/endpoints/stayer/access-tokens`, {
        method: 'POST',
        headers: { authorization: basic(issuer.key, issuer.secret), 'content-type': 'application/json' },
        body: JSON.stringify({ roomId: room.id, ttlSeconds: 600 }),
      });
      return ((await res.json()) as { token: string }).token;
    };
    const first = await mint();
    const second = await mint();
    const client = await connect(t.url);
    assert.ok((await client.request('join', { roomId: room.id, token: first })).result);
    assert.equal((await t.api('DELETE', `/api/v1/api-keys/${issuer.key}`)).status, 204);
    const refreshed = await client.request('token.refresh', { token: second });
    assert.equal(refreshed.error?.data?.code, 'TOKEN_INVALID');
    await client.close();
  });

  test('revoking an unknown key is 404; revoking twice is a no-op', async () => {
    await expectError(await t.api('DELETE', '/api/v1/api-keys/AKnosuchkey000'), 404, 'API_KEY_NOT_FOUND');
    const twice = await createKey(t);
    assert.equal((await t.api('DELETE', `/api/v1/api-keys/${twice.key}`)).status, 204);
    const revokedAt = ((await listKeys(t)) as { data: Array<{ key: string; revokedAt: string | null }> }).data.find((k) => k.key === twice.key)?.revokedAt;
    assert.equal((await t.api('DELETE', `/api/v1/api-keys/${twice.key}`)).status, 204);
    const again = ((await listKeys(t)) as { data: Array<{ key: string; revokedAt: string | null }> }).data.find((k) => k.key === twice.key)?.revokedAt;
    assert.equal(again, revokedAt, 'the first revocation time stays');
  });
});

describe('the bootstrap key', () => {
  test('can be revoked; the last active key cannot; a revoked bootstrap key stays revoked after a restart', async () => {
    const first = await startTestServer();
    const dataDir = first.dataDir;
    const bootstrap = first.server.credentials;
    let second: TestServer | undefined;
    try {
      const replacement = await createKey(first, { name: 'replacement' });
      const asReplacement = basic(replacement.key, replacement.secret);
      const res = await first.api('DELETE', `/api/v1/api-keys/${bootstrap.apiKey}`, undefined, { authorization: asReplacement });
      assert.equal(res.status, 204, await res.text());
      await expectError(await getRooms(first, first.auth), 401, 'UNAUTHORIZED');

      // The replacement is now the only active key: revoking it would lock everyone out.
      await expectError(
        await first.api('DELETE', `/api/v1/api-keys/${replacement.key}`, undefined, { authorization: asReplacement }),
        409,
        'LAST_API_KEY',
      );

      // Restart on the same data directory: credentials.json still holds the bootstrap pair.
      await first.server.close();
      second = await startTestServer({ DATA_DIR: dataDir });
      assert.equal(second.server.credentials.apiKey, bootstrap.apiKey, 'the same bootstrap pair is loaded');
      await expectError(await getRooms(second, second.auth), 401, 'UNAUTHORIZED');
      assert.equal((await getRooms(second, asReplacement)).status, 200, 'the replacement key survived the restart');
    } finally {
      await second?.close();
      await first.close().catch(() => undefined);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('keys from the environment are stored at startup and work like created ones', async () => {
    const key = 'AKfromtheenv01';
    const secret = 'env-secret-0123456789abcdefghij';
    const server = await startTestServer({ ATRIUM_API_KEY: key, ATRIUM_API_SECRET: secret });
    try {
      assert.equal((await getRooms(server, basic(key, secret))).status, 200);
      const listed = ((await listKeys(server, basic(key, secret))) as { data: Array<{ key: string }> }).data.map((k) => k.key);
      assert.deepEqual(listed, [key]);
    } finally {
      await server.close();
    }
  });
});
