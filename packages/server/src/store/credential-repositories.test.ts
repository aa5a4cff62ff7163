/**
 * @module API keys and refresh tokens in the store, run on a SQLite file and on a real Postgres
 * server: insert and look up, revoke (only active ones counted), and refresh-token single use and
 * family revocation, which must hold in both databases.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, describe, test } from 'node:test';
import type { RefreshTokenRecord } from './refresh-token-repository.js';
import { at, storeBackends } from '../../../../test/helpers/store-backends.js';
import { Store, StoreConflictError } from './store.js';

/** One database per backend for the whole file; each test uses its own keys and families. */
const backends = storeBackends('credentials-test');

function refreshToken(fields: Partial<RefreshTokenRecord> = {}): RefreshTokenRecord {
  return {
    id: randomUUID(),
    familyId: randomUUID(),
    tokenHash: randomUUID(),
    apiKey: 'AKkey',
    roomId: randomUUID(),
    endpointId: 'mohsen',
    grant: '{"name":"Mohsen","permissions":[],"meta":{},"ttlSeconds":60}',
    createdAt: at(0),
    expiresAt: at(3600),
    usedAt: null,
    revokedAt: null,
    ...fields,
  };
}

for (const backend of backends) {
  describe(`credentials on ${backend.name}`, () => {
    let store: Store;
    let close: () => Promise<void>;
    before(async () => {
      const opened = await backend.open();
      close = opened.close;
      store = await Store.open(opened.location);
    });
    after(async () => {
      await store?.close();
      await close?.();
    });
    afterEach(async () => {
      await store.db.deleteFrom('api_keys').execute();
      await store.db.deleteFrom('refresh_tokens').execute();
    });

    test('API keys: insert, get, getActive, list oldest first, a duplicate key is a conflict', async () => {
      await store.apiKeys.insert({ key: 'AKsecond', secret: 's2', name: null, createdAt: at(2), revokedAt: null });
      await store.apiKeys.insert({ key: 'AKfirst', secret: 's1', name: 'first', createdAt: at(1), revokedAt: null });
      assert.deepEqual(await store.apiKeys.get('AKfirst'), { key: 'AKfirst', secret: 's1', name: 'first', createdAt: at(1), revokedAt: null });
      assert.equal((await store.apiKeys.getActive('AKsecond'))?.secret, 's2');
      assert.equal(await store.apiKeys.get('AKnone'), undefined);
      assert.deepEqual((await store.apiKeys.list()).map((k) => k.key), ['AKfirst', 'AKsecond']);
      await assert.rejects(
        store.apiKeys.insert({ key: 'AKfirst', secret: 'other', name: null, createdAt: at(3), revokedAt: null }),
        StoreConflictError,
      );
      assert.equal(await store.apiKeys.countActive(), 2);
    });

    test('API keys: revoke keeps the first time, hides the key from getActive, and changes no secret after', async () => {
      await store.apiKeys.insert({ key: 'AKgone', secret: 's', name: null, createdAt: at(1), revokedAt: null });
      assert.equal(await store.apiKeys.revoke('AKgone', at(10)), true);
      assert.equal(await store.apiKeys.revoke('AKgone', at(20)), true, 'a revoked key is still known');
      assert.equal(await store.apiKeys.revoke('AKnone', at(20)), false);
      assert.equal((await store.apiKeys.get('AKgone'))?.revokedAt, at(10));
      assert.equal(await store.apiKeys.getActive('AKgone'), undefined);
      assert.equal(await store.apiKeys.countActive(), 0);
      await store.apiKeys.updateSecret('AKgone', 'new');
      assert.equal((await store.apiKeys.get('AKgone'))?.secret, 's', 'a revoked key keeps its secret');
    });

    test('refresh tokens: found by hash; markUsed succeeds once; revoked tokens cannot be used', async () => {
      const token = refreshToken();
      await store.refreshTokens.insert(token);
      assert.deepEqual(await store.refreshTokens.getByHash(token.tokenHash), token);
      assert.equal(await store.refreshTokens.getByHash('nope'), undefined);
      const results = await Promise.all([store.refreshTokens.markUsed(token.id, at(5)), store.refreshTokens.markUsed(token.id, at(6))]);
      assert.deepEqual(results.sort(), [false, true], 'of two concurrent uses exactly one wins');

      const revoked = refreshToken();
      await store.refreshTokens.insert(revoked);
      await store.refreshTokens.revokeFamily(revoked.familyId, at(7));
      assert.equal(await store.refreshTokens.markUsed(revoked.id, at(8)), false);
    });

    test('refresh tokens: revoking a family revokes all its tokens and no other; expired ones are swept', async () => {
      const familyId = randomUUID();
      const a = refreshToken({ familyId, usedAt: at(1) });
      const b = refreshToken({ familyId });
      const other = refreshToken();
      const old = refreshToken({ expiresAt: at(-10) });
      for (const t of [a, b, other, old]) await store.refreshTokens.insert(t);

      assert.equal(await store.refreshTokens.familyRevoked(familyId), false);
      await store.refreshTokens.revokeFamily(familyId, at(2));
      assert.equal(await store.refreshTokens.familyRevoked(familyId), true);
      assert.equal((await store.refreshTokens.getByHash(a.tokenHash))?.revokedAt, at(2));
      assert.equal((await store.refreshTokens.getByHash(b.tokenHash))?.revokedAt, at(2));
      assert.equal((await store.refreshTokens.getByHash(other.tokenHash))?.revokedAt, null);

      assert.equal(await store.refreshTokens.deleteExpired(at(0)), 1);
      assert.equal(await store.refreshTokens.getByHash(old.tokenHash), undefined);
      assert.ok(await store.refreshTokens.getByHash(other.tokenHash));
    });
  });
}
