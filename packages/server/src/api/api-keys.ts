/**
 * @module REST: API keys (`/api/v1/api-keys`): create (the secret is answered once), list
 * (never secrets), revoke.
 */
import type { FastifyInstance } from 'fastify';
import { apiKeyParamsSchema, createApiKeyBodySchema } from '@atrium/protocol';
import type { ApiKeyManager } from '../service/api-key-manager.js';
import { parse } from './validate.js';

export function registerApiKeyRoutes(app: FastifyInstance, apiKeys: ApiKeyManager): void {
  app.post('/api/v1/api-keys', async (request, reply) => {
    const body = parse(createApiKeyBodySchema, request.body === undefined ? {} : request.body, 'API key');
    return reply.status(201).send(await apiKeys.create(body));
  });

  app.get('/api/v1/api-keys', async () => ({ data: await apiKeys.list(), nextCursor: null }));

  app.delete('/api/v1/api-keys/:key', async (request, reply) => {
    const { key } = parse(apiKeyParamsSchema, request.params, 'path');
    await apiKeys.revoke(key);
    return reply.status(204).send();
  });
}
