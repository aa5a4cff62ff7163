/**
 * @module The API-key authentication hook for `/api/v1` REST routes.
 */
import type { FastifyRequest } from 'fastify';
import type { ApiAuthenticator } from '../auth/api-auth.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The API key that authenticated this request. */
    apiKey?: string;
  }
}

export function requireApiKey(authenticator: ApiAuthenticator) {
  return async (request: FastifyRequest): Promise<void> => {
    request.apiKey = await authenticator.authenticate(request.headers.authorization);
  };
}
