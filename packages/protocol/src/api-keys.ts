/**
 * @module API keys (`/api/v1/api-keys`): the credentials a customer's backend calls the REST API
 * with. Several can be active at once; a revoked one stops working immediately.
 */
import { z } from 'zod';

/** API keys are `AK` followed by letters, digits, `_` and `-`. */
export const apiKeyIdSchema = z.string().min(1).max(200);

export const apiKeyParamsSchema = z.object({ key: apiKeyIdSchema });

export const createApiKeyBodySchema = z
  .object({
    /** A label to tell keys apart (e.g. which backend uses it). */
    name: z.string().trim().min(1).max(100).optional().describe('A label to tell keys apart.'),
  })
  .strict();
export type CreateApiKeyBody = z.output<typeof createApiKeyBodySchema>;

/** An API key as listed: never its secret. */
export const apiKeySchema = z.object({
  key: z.string().describe('The key: the Basic auth user name and the `iss` of bearer tokens.'),
  name: z.string().nullable(),
  createdAt: z.string().describe('ISO 8601 time of creation.'),
  /** ISO 8601 time of revocation; null while the key is active. */
  revokedAt: z.string().nullable().describe('ISO 8601 time of revocation; null while active.'),
});
export type ApiKey = z.infer<typeof apiKeySchema>;

/** The answer to creating a key: the only time its secret is shown. */
export const createdApiKeySchema = z.object({
  key: z.string(),
  /** Shown once; store it now. */
  secret: z.string().describe('Shown only in this response.'),
  name: z.string().nullable(),
  createdAt: z.string(),
});
export type CreatedApiKey = z.infer<typeof createdApiKeySchema>;
