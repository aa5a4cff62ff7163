/**
 * @module Room REST bodies. Canonical JSON is camelCase; the primary design's kebab-case
 * spellings (`max-endpoints`, `max-duration`) are accepted on input as aliases.
 */
import { z } from 'zod';

/** Kebab-case spellings accepted on input, mapped to their canonical camelCase field. */
export const roomFieldAliases: Readonly<Record<string, string>> = {
  'max-endpoints': 'maxEndpoints',
  'max-duration': 'maxDuration',
  'custom-room-id': 'customRoomId',
};

/** Renames alias keys to canonical ones; a body that uses both spellings of a field is refused. */
export function canonicalizeAliases(
  input: unknown,
  aliases: Readonly<Record<string, string>>,
): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    const canonical = Object.hasOwn(aliases, key) ? (aliases[key] ?? key) : key;
    if (Object.hasOwn(out, canonical)) {
      // Both spellings given: keep a marker that the schema reports precisely.
      out[`${key} (duplicate of ${canonical})`] = value;
      continue;
    }
    // defineProperty, so a "__proto__" key stays an (unknown, refused) field, never a prototype.
    Object.defineProperty(out, canonical, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Room ids are UUIDs; a `customRoomId` must not be one, so the two never collide. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const httpUrl = z
  .string()
  .max(2048)
  .url()
  .refine((u) => /^https?:\/\//i.test(u), { message: 'must be an http(s) URL' });

export const roomTypeSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'lower-case letters, digits and dashes, at most 32')
  .describe('Free-form room type, e.g. `small-room` (the default) or `large-room`.');

const roomFields = {
  /** Human-readable title. */
  title: z.string().trim().min(1).max(200).describe('Human-readable title.'),
  type: roomTypeSchema,
  timeout: z
    .number()
    .int()
    .min(0)
    .max(86_400)
    .describe('Seconds the room session stays open after the last endpoint leaves.'),
  webhook: httpUrl.nullable().describe('URL that receives this room\'s webhook events.'),
  maxEndpoints: z
    .number()
    .int()
    .min(1)
    .max(10_000)
    .nullable()
    .describe('Most endpoints connected at once; null for no limit.'),
  maxDuration: z
    .number()
    .int()
    .min(1)
    .max(7 * 86_400)
    .nullable()
    .describe('Longest a room session may last, in seconds; null for no limit.'),
  recording: z.boolean().describe('Record every room session of this room.'),
  customRoomId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,128}$/, 'letters, digits, _ and - only, at most 128')
    .refine((id) => !UUID_PATTERN.test(id), { message: 'must not look like a UUID (room ids are UUIDs)' })
    .nullable()
    .describe("The customer's own id for the room; unique; usable wherever a room id is."),
};

export const createRoomBodySchema = z.preprocess(
  (input) => canonicalizeAliases(input, roomFieldAliases),
  z
    .object({
      title: roomFields.title.optional(),
      type: roomFields.type.default('small-room'),
      timeout: roomFields.timeout.default(60),
      webhook: roomFields.webhook.default(null),
      maxEndpoints: roomFields.maxEndpoints.default(null),
      maxDuration: roomFields.maxDuration.default(null),
      recording: roomFields.recording.default(false),
      customRoomId: roomFields.customRoomId.default(null),
    })
    .strict(),
);
export type CreateRoomBody = z.output<typeof createRoomBodySchema>;

export const roomSchema = z.object({
  /** UUID of the room. */
  id: z.uuid().describe('UUID of the room.'),
  customRoomId: z.string().nullable(),
  title: z.string().nullable(),
  type: z.string(),
  timeout: z.number().int(),
  webhook: z.string().nullable(),
  maxEndpoints: z.number().int().nullable(),
  maxDuration: z.number().int().nullable(),
  recording: z.boolean(),
  createdAt: z.string().describe('ISO 8601 time of creation.'),
  updatedAt: z.string().describe('ISO 8601 time of the last change.'),
});
export type Room = z.infer<typeof roomSchema>;

export const roomIdParamsSchema = z.object({ roomId: z.string().min(1).max(200) });
