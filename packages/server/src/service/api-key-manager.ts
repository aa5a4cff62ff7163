/**
 * @module API key use cases: create (the secret is shown once), list, revoke, and make sure the
 * bootstrap pair (environment or data-dir credentials) exists. Also the store-backed lookup that
 * REST authentication and access tokens use, so a revoked key stops working at once.
 */
import crypto from 'node:crypto';
import type { Logger } from 'pino';
import { AtriumError, ErrorCode, type ApiKey, type CreateApiKeyBody, type CreatedApiKey } from '@atrium/protocol';
import type { ApiKeySecrets } from '../auth/api-key-secrets.js';
import { generateApiSecret } from '../auth/credentials.js';
import type { ApiKeyRecord } from '../store/api-key-repository.js';
import { StoreConflictError, type Store } from '../store/store.js';

function toApiKey(record: ApiKeyRecord): ApiKey {
  return { key: record.key, name: record.name, createdAt: record.createdAt, revokedAt: record.revokedAt };
}

export class ApiKeyManager implements ApiKeySecrets {
  private readonly store: Store;
  private readonly log: Logger;

  constructor(deps: { store: Store; log: Logger }) {
    this.store = deps.store;
    this.log = deps.log;
  }

  async activeSecret(apiKey: string): Promise<string | undefined> {
    return (await this.store.apiKeys.getActive(apiKey))?.secret;
  }

  /**
   * Inserts the bootstrap pair when it is not stored yet. A revoked bootstrap key stays revoked;
   * a changed secret for the same key (new environment) replaces the stored one.
   */
  async ensureBootstrapKey(pair: { apiKey: string; apiSecret: string }): Promise<void> {
    const existing = await this.store.apiKeys.get(pair.apiKey);
    if (!existing) {
      try {
        await this.store.apiKeys.insert({
          key: pair.apiKey,
          secret: pair.apiSecret,
          name: 'bootstrap',
          createdAt: new Date().toISOString(),
          revokedAt: null,
        });
      } catch (error) {
        // Another server on the same database stored it first.
        if (!(error instanceof StoreConflictError)) throw error;
      }
      return;
    }
    if (existing.revokedAt !== null) {
      this.log.warn({ apiKey: pair.apiKey }, 'the bootstrap API key is revoked; use another key');
      return;
    }
    if (existing.secret !== pair.apiSecret) {
      await this.store.apiKeys.updateSecret(pair.apiKey, pair.apiSecret);
      this.log.info({ apiKey: pair.apiKey }, 'the bootstrap API key has a new secret');
    }
  }

  async create(body: CreateApiKeyBody): Promise<CreatedApiKey> {
    const record: ApiKeyRecord = {
      key: `AK${crypto.randomBytes(12).toString('base64url')}`,
      secret: generateApiSecret(),
      name: body.name ?? null,
      createdAt: new Date().toISOString(),
      revokedAt: null,
    };
    await this.store.apiKeys.insert(record);
    return { key: record.key, secret: record.secret, name: record.name, createdAt: record.createdAt };
  }

  async list(): Promise<ApiKey[]> {
    return (await this.store.apiKeys.list()).map(toApiKey);
  }

  /**
   * Revokes the key: from now on it authenticates nothing and the access tokens it issued no
   * longer verify. Revoking a revoked key is a no-op; the last active key cannot be revoked, so
   * the API never locks itself out.
   */
  async revoke(apiKey: string): Promise<void> {
    await this.store.transaction(async (store) => {
      const existing = await store.apiKeys.get(apiKey);
      if (!existing) throw new AtriumError(ErrorCode.API_KEY_NOT_FOUND, `API key "${apiKey}" does not exist`);
      if (existing.revokedAt !== null) return;
      if ((await store.apiKeys.countActive()) <= 1) {
        throw new AtriumError(ErrorCode.LAST_API_KEY, 'this is the last active API key; create another before revoking it');
      }
      await store.apiKeys.revoke(apiKey, new Date().toISOString());
    });
    this.log.info({ apiKey }, 'API key revoked');
  }
}
