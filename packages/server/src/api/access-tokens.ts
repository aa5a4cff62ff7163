/**
 * @module REST: endpoint access tokens. Minting (`POST /api/v1/endpoints/{endpointId}/access-tokens`)
 * needs an API key; refreshing (`POST /api/v1/access-tokens/refresh`) needs none, the refresh
 * token being the credential, so a browser can refresh without the API secret — from any origin
 * (CORS), since the SDK may run on a page served elsewhere and no cookie is involved.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  AtriumError,
  ErrorCode,
  accessTokenParamsSchema,
  createAccessTokenBodySchema,
  refreshAccessTokenBodySchema,
} from '@atrium/protocol';
import type { AccessTokenManager } from '../service/access-token-manager.js';
import { parse } from './validate.js';

const bodyOf = (request: FastifyRequest): unknown => (request.body === undefined ? {} : request.body);

/** Routes inside the API-key-authenticated scope. */
export function registerAccessTokenRoutes(app: FastifyInstance, accessTokens: AccessTokenManager): void {
  app.post('/api/v1/endpoints/:endpointId/access-tokens', async (request, reply) => {
    const { endpointId } = parse(accessTokenParamsSchema, request.params, 'path');
    const body = parse(createAccessTokenBodySchema, bodyOf(request), 'access token request');
    if (request.apiKey === undefined) throw new AtriumError(ErrorCode.UNAUTHORIZED, 'no API key');
    return reply.status(201).send(await accessTokens.issue(request.apiKey, endpointId, body));
  });
}

const REFRESH_PATH = '/api/v1/access-tokens/refresh';

/** Routes without API-key authentication, in their own scope so their CORS headers stay there. */
export async function registerAccessTokenRefreshRoute(app: FastifyInstance, accessTokens: AccessTokenManager): Promise<void> {
  await app.register(async (scope) => {
    // On every answer, errors included, so a page on another origin can read the error code.
    scope.addHook('onSend', async (_request, reply, payload) => {
      void reply.header('access-control-allow-origin', '*');
      return payload;
    });
    scope.options(REFRESH_PATH, async (_request, reply) =>
      reply
        .status(204)
        .header('access-control-allow-methods', 'POST')
        .header('access-control-allow-headers', 'content-type')
        .header('access-control-max-age', '600')
        .send(),
    );
    scope.post(REFRESH_PATH, async (request, reply) => {
      const { refreshToken } = parse(refreshAccessTokenBodySchema, bodyOf(request), 'refresh request');
      return reply.status(201).send(await accessTokens.refresh(refreshToken));
    });
  });
}
