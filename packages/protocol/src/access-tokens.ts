/**
 * @module Endpoint access tokens: the REST request/response and the JWT claims they carry.
 */
import { z } from 'zod';

/** Endpoint ids are chosen by the customer (e.g. `mohsen`); they appear in URLs and tokens. */
export const endpointIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.@:-]+$/, 'letters, digits and _ . @ : - only');

export const accessTokenParamsSchema = z.object({ endpointId: endpointIdSchema });

export const createAccessTokenBodySchema = z
  .object({
    /** The room this token admits to (UUID). */
    roomId: z.string().min(1).max(200).describe('The room this token admits to.'),
    /** Display name shown to other endpoints. */
    name: z.string().trim().min(1).max(100).optional().describe('Display name shown to others.'),
    /** Lifetime in seconds (default 3600, at most 86400). */
    ttlSeconds: z
      .number()
      .int()
      .min(10)
      .max(86_400)
      .default(3_600)
      .describe('Lifetime in seconds (10..86400, default 3600).'),
  })
  .strict();
export type CreateAccessTokenBody = z.output<typeof createAccessTokenBodySchema>;

export const accessTokenResponseSchema = z.object({
  /** JWT to pass to the SDK's `join(roomId, token)`. */
  token: z.string().describe('JWT to pass to the SDK `join(roomId, token)`.'),
  /** ISO 8601 expiry time of the token. */
  expiresAt: z.string().describe('ISO 8601 expiry time.'),
});
export type AccessTokenResponse = z.infer<typeof accessTokenResponseSchema>;

/** The JWT payload of an endpoint access token (HS256). */
export const accessTokenClaimsSchema = z.object({
  typ: z.literal('access'),
  roomId: z.string(),
  endpoint: z.object({ id: endpointIdSchema, name: z.string() }),
  jti: z.string(),
  iat: z.number(),
  exp: z.number(),
});
export type AccessTokenClaims = z.infer<typeof accessTokenClaimsSchema>;
