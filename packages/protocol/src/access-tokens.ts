/**
 * @module Endpoint access tokens: the REST requests and responses (issue, refresh) and the JWT
 * claims they carry.
 */
import { z } from 'zod';
import { permissionInputSchema, permissionSchema } from './permissions.js';
import { roomNameSchema } from './rooms.js';

/** Endpoint ids are chosen by the customer (e.g. `mohsen`); they appear in URLs and tokens. */
export const endpointIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.@:-]+$/, 'letters, digits and _ . @ : - only');

export const accessTokenParamsSchema = z.object({ endpointId: endpointIdSchema });

/** Largest `meta` object a token may carry, in bytes of JSON. */
export const MAX_TOKEN_META_BYTES = 2048;

/** Free-form data about the endpoint (a JSON object of at most 2 KiB), carried in the token. */
export const endpointMetaSchema = z
  .record(z.string(), z.unknown())
  .refine((meta) => new TextEncoder().encode(JSON.stringify(meta)).length <= MAX_TOKEN_META_BYTES, {
    message: `must be at most ${MAX_TOKEN_META_BYTES} bytes of JSON`,
  });
export type EndpointMeta = z.infer<typeof endpointMetaSchema>;

export const createAccessTokenBodySchema = z
  .object({
    /** The room this token admits to: its UUID or `customRoomId`. Give this or `roomName`. */
    roomId: z.string().min(1).max(200).optional().describe('The room (UUID or customRoomId). Give this or roomName.'),
    /** The room's unique `name`; created with defaults when missing and the server auto-creates rooms. */
    roomName: roomNameSchema
      .optional()
      .describe("The room's name; a missing room is created when the server allows auto-create. Give this or roomId."),
    /** Display name shown to other endpoints (defaults to the endpoint id). */
    name: z.string().trim().min(1).max(100).optional().describe('Display name shown to others.'),
    /** What the endpoint may do; the guest default when omitted. */
    permissions: z
      .array(permissionInputSchema)
      .max(100)
      .optional()
      .describe('Permission names (room.self.audio_mute, room.member.remove, …); the guest default when omitted.'),
    /** Grant every permission. */
    moderator: z.boolean().default(false).describe('Grant every permission (a moderator token).'),
    /** Data about the endpoint carried in the token (JSON object, at most 2 KiB). */
    meta: endpointMetaSchema.default({}).describe('JSON object about the endpoint, at most 2 KiB.'),
    /** Lifetime in seconds (default 3600, at most 86400). */
    ttlSeconds: z
      .number()
      .int()
      .min(10)
      .max(86_400)
      .default(3_600)
      .describe('Lifetime in seconds (10..86400, default 3600).'),
  })
  .strict()
  .superRefine((body, ctx) => {
    if ((body.roomId === undefined) === (body.roomName === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['roomId'], message: 'give exactly one of roomId and roomName' });
    }
    if (body.moderator && body.permissions !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['permissions'], message: 'a moderator has every permission: give permissions or moderator, not both' });
    }
  });
export type CreateAccessTokenBody = z.output<typeof createAccessTokenBodySchema>;

export const accessTokenResponseSchema = z.object({
  /** JWT to pass to the SDK's `join(roomId, token)`. */
  token: z.string().describe('JWT to pass to the SDK `join(roomId, token)`.'),
  /** ISO 8601 expiry time of the token. */
  expiresAt: z.string().describe('ISO 8601 expiry time.'),
  /** Opaque, single-use: exchange it at `POST /api/v1/access-tokens/refresh` for a new token. */
  refreshToken: z.string().describe('Single-use; exchange at POST /api/v1/access-tokens/refresh for a new token and refresh token.'),
  /** ISO 8601 expiry time of the refresh token. */
  refreshTokenExpiresAt: z.string().describe('ISO 8601 expiry time of the refresh token.'),
});
export type AccessTokenResponse = z.infer<typeof accessTokenResponseSchema>;

export const refreshAccessTokenBodySchema = z
  .object({
    /** The refresh token from the previous issue or refresh; it can be used once. */
    refreshToken: z.string().min(1).max(8192).describe('The refresh token; each can be used once.'),
  })
  .strict();
export type RefreshAccessTokenBody = z.output<typeof refreshAccessTokenBodySchema>;

/** The JWT payload of an endpoint access token (HS256; `iss` is the issuing API key). */
export const accessTokenClaimsSchema = z.object({
  typ: z.literal('access'),
  roomId: z.string(),
  endpoint: z.object({ id: endpointIdSchema, name: z.string() }),
  /** What the endpoint may do (moderator: all of them). */
  permissions: z.array(permissionSchema),
  meta: z.record(z.string(), z.unknown()),
  jti: z.string(),
  iat: z.number(),
  exp: z.number(),
});
export type AccessTokenClaims = z.infer<typeof accessTokenClaimsSchema>;
