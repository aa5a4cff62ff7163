/**
 * @module Room REST bodies. Canonical JSON is camelCase; the primary design's kebab-case
 * spellings (`max-endpoints`, `max-duration`, …) are accepted on input as aliases.
 */
import { z } from 'zod';

/** Kebab-case spellings accepted on input, mapped to their canonical camelCase field. */
export const roomFieldAliases: Readonly<Record<string, string>> = {
  'max-endpoints': 'maxEndpoints',
  'max-duration': 'maxDuration',
  'custom-room-id': 'customRoomId',
  'display-name': 'displayName',
  'auto-close-config': 'autoCloseConfig',
  'auto-start-config': 'autoStartConfig',
  'record-on-start': 'recordOnStart',
  'enable-chat': 'enableChat',
  'enable-room-previews': 'enableRoomPreviews',
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

export const httpUrlSchema = z
  .string()
  .max(2048)
  .url()
  .refine((u) => /^https?:\/\//i.test(u), { message: 'must be an http(s) URL' });

/** Every webhook event type (the reference vendor's 30, plus stream events). */
export const webhookEventTypes = [
  'participant-joined',
  'participant-left',
  'session-started',
  'session-ended',
  'recording-starting',
  'recording-started',
  'recording-stopping',
  'recording-stopped',
  'recording-failed',
  'participant-recording-starting',
  'participant-recording-started',
  'participant-recording-stopping',
  'participant-recording-stopped',
  'participant-recording-failed',
  'participant-track-recording-starting',
  'participant-track-recording-started',
  'participant-track-recording-stopping',
  'participant-track-recording-stopped',
  'participant-track-recording-failed',
  'transcription-completed',
  'livestream-starting',
  'livestream-started',
  'livestream-stopping',
  'livestream-stopped',
  'livestream-failed',
  'hls-starting',
  'hls-started',
  'hls-playable',
  'hls-stopping',
  'hls-stopped',
  'hls-failed',
  'composition-started',
  'composition-completed',
  'composition-failed',
  'stream-published',
  'stream-unpublished',
] as const;
export const webhookEventTypeSchema = z.enum(webhookEventTypes);
export type WebhookEventType = z.infer<typeof webhookEventTypeSchema>;

/** A room's webhook: a plain URL (all events) or `{endPoint, events}`. */
export const roomWebhookInputSchema = z.union([
  httpUrlSchema,
  z
    .object({
      endPoint: httpUrlSchema.describe('URL that receives the events (POST).'),
      events: z.array(webhookEventTypeSchema).min(1).optional().describe('Event types to send; all when omitted.'),
    })
    .strict(),
]);

export const roomWebhookSchema = z.object({
  endPoint: z.string(),
  /** Event types sent to it; null means all. */
  events: z.array(z.string()).nullable().describe('Event types sent to it; null means all.'),
});
export type RoomWebhook = z.infer<typeof roomWebhookSchema>;

export function normalizeRoomWebhook(input: z.infer<typeof roomWebhookInputSchema> | null): RoomWebhook | null {
  if (input === null) return null;
  if (typeof input === 'string') return { endPoint: input, events: null };
  return { endPoint: input.endPoint, events: input.events ?? null };
}

export const roomQualitySchema = z.enum(['720p', '1080p', '1440p']);

/** Layout names a room (and later `setLayout`) accepts. */
export const layoutNames = [
  'grid-responsive',
  'highlight-1-responsive',
  'highlight-2-responsive',
  'full-screen',
  'screen-share',
  '1x1',
  '2x1',
  '2x2',
  '3x3',
  '4x4',
  '5x5',
  '6x6',
  '8x8',
  '10x10',
  '5up',
  'GRID',
  'SPOTLIGHT',
  'SIDEBAR',
] as const;
export const layoutNameSchema = z.enum(layoutNames);

export const autoCloseConfigSchema = z
  .object({
    type: z.enum(['session-ends', 'session-end-and-deactivate']),
    /** Minutes after the session starts; default 480. */
    duration: z.number().int().min(1).max(7 * 24 * 60).default(480).describe('Minutes after the session starts; default 480.'),
  })
  .strict();
export type AutoCloseConfig = z.output<typeof autoCloseConfigSchema>;

const transcriptionSchema = z
  .object({
    enabled: z.boolean(),
    summary: z.object({ enabled: z.boolean(), prompt: z.string().max(2000).optional() }).strict().optional(),
  })
  .strict();

export const compositionLayoutSchema = z
  .object({
    type: z.enum(['GRID', 'SPOTLIGHT', 'SIDEBAR']).default('GRID'),
    priority: z.enum(['SPEAKER', 'PIN']).default('SPEAKER'),
    gridSize: z.number().int().min(1).max(25).default(4),
  })
  .strict();

const egressConfigSchema = z
  .object({
    layout: compositionLayoutSchema.optional(),
    theme: z.enum(['DARK', 'LIGHT', 'DEFAULT']).optional(),
    mode: z.enum(['video-and-audio', 'audio']).optional(),
    quality: z.enum(['low', 'med', 'high']).optional(),
    orientation: z.enum(['portrait', 'landscape']).optional(),
  })
  .strict();

export const autoStartConfigSchema = z
  .object({
    recording: z
      .object({
        templateUrl: httpUrlSchema.optional(),
        transcription: transcriptionSchema.optional(),
        config: egressConfigSchema.optional(),
      })
      .strict()
      .optional(),
    hls: z
      .object({
        templateUrl: httpUrlSchema.optional(),
        transcription: transcriptionSchema.optional(),
        config: egressConfigSchema
          .extend({ recording: z.object({ enabled: z.union([z.boolean(), z.enum(['true', 'false'])]) }).strict().optional() })
          .optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type AutoStartConfig = z.output<typeof autoStartConfigSchema>;

export const roomTypeSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'lower-case letters, digits and dashes, at most 32')
  .describe('Free-form room type, e.g. `small-room` (the default) or `large-room`.');

export const customRoomIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,128}$/, 'letters, digits, _ and - only, at most 128')
  .refine((id) => !UUID_PATTERN.test(id), { message: 'must not look like a UUID (room ids are UUIDs)' })
  .describe("The customer's own id for the room; unique; usable wherever a room id is.");

export const roomNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,100}$/, 'letters, digits, _ . and - only, at most 100')
  .refine((id) => !UUID_PATTERN.test(id), { message: 'must not look like a UUID' })
  .describe('Unique machine name of the room (what `roomName` in a token request refers to).');

/** Every settable room field, without defaults (PATCH uses it as is). */
const roomFields = {
  title: z.string().trim().min(1).max(200).nullable().describe('Human-readable title.'),
  type: roomTypeSchema,
  timeout: z.number().int().min(0).max(86_400).describe('Seconds the room session stays open after the last endpoint leaves.'),
  webhook: roomWebhookInputSchema.nullable().describe('Webhook for this room: a URL (all events) or {endPoint, events}.'),
  maxEndpoints: z.number().int().min(1).max(10_000).nullable().describe('Most endpoints connected at once; null for no limit.'),
  maxDuration: z.number().int().min(1).max(7 * 86_400).nullable().describe('Longest a room session may last, in seconds; null for no limit.'),
  recording: z.boolean().describe('Record every room session of this room.'),
  customRoomId: customRoomIdSchema.nullable(),
  name: roomNameSchema.nullable(),
  displayName: z.string().trim().min(1).max(200).nullable().describe('Name shown to people.'),
  quality: roomQualitySchema.describe('Video quality of compositions and streams.'),
  layout: layoutNameSchema.describe('Initial layout of the room.'),
  enableChat: z.boolean().describe('Endpoints may send chat messages.'),
  enableRoomPreviews: z.boolean().describe('Keep a periodically refreshed preview image of live sessions.'),
  recordOnStart: z.boolean().describe('Start recording when a session starts.'),
  autoCloseConfig: autoCloseConfigSchema.nullable().describe('Close (and optionally deactivate) the session after a duration in minutes.'),
  autoStartConfig: autoStartConfigSchema.nullable().describe('Start recording and/or HLS automatically with a layout.'),
  disabled: z.boolean().describe('A disabled room refuses joins.'),
};

export const createRoomBodySchema = z.preprocess(
  (input) => canonicalizeAliases(input, roomFieldAliases),
  z
    .object({
      title: roomFields.title.default(null),
      type: roomFields.type.default('small-room'),
      timeout: roomFields.timeout.default(60),
      webhook: roomFields.webhook.default(null),
      maxEndpoints: roomFields.maxEndpoints.default(null),
      maxDuration: roomFields.maxDuration.default(null),
      recording: roomFields.recording.default(false),
      customRoomId: roomFields.customRoomId.default(null),
      name: roomFields.name.default(null),
      displayName: roomFields.displayName.default(null),
      quality: roomFields.quality.default('720p'),
      layout: roomFields.layout.default('grid-responsive'),
      enableChat: roomFields.enableChat.default(true),
      enableRoomPreviews: roomFields.enableRoomPreviews.default(false),
      recordOnStart: roomFields.recordOnStart.default(false),
      autoCloseConfig: roomFields.autoCloseConfig.default(null),
      autoStartConfig: roomFields.autoStartConfig.default(null),
      disabled: roomFields.disabled.default(false),
    })
    .strict(),
);
export type CreateRoomBody = z.output<typeof createRoomBodySchema>;

export const updateRoomBodySchema = z.preprocess(
  (input) => canonicalizeAliases(input, roomFieldAliases),
  z
    .object(Object.fromEntries(Object.entries(roomFields).map(([k, v]) => [k, v.optional()])) as {
      [K in keyof typeof roomFields]: z.ZodOptional<(typeof roomFields)[K]>;
    })
    .strict()
    .refine((body) => Object.keys(body).length > 0, { message: 'give at least one field to change' }),
);
export type UpdateRoomBody = z.output<typeof updateRoomBodySchema>;

export const roomSchema = z.object({
  id: z.uuid().describe('UUID of the room.'),
  customRoomId: z.string().nullable(),
  name: z.string().nullable(),
  displayName: z.string().nullable(),
  title: z.string().nullable(),
  type: z.string(),
  timeout: z.number().int(),
  webhook: roomWebhookSchema.nullable(),
  maxEndpoints: z.number().int().nullable(),
  maxDuration: z.number().int().nullable(),
  recording: z.boolean(),
  recordOnStart: z.boolean(),
  quality: roomQualitySchema,
  layout: z.string(),
  enableChat: z.boolean(),
  enableRoomPreviews: z.boolean(),
  autoCloseConfig: z.object({ type: z.string(), duration: z.number().int() }).nullable(),
  autoStartConfig: z.record(z.string(), z.unknown()).nullable(),
  disabled: z.boolean(),
  /** True once a `session-end-and-deactivate` auto-close ended its session; joins are refused. */
  deactivated: z.boolean().describe('True once a `session-end-and-deactivate` auto-close ended its session; joins are refused.'),
  createdAt: z.string().describe('ISO 8601 time of creation.'),
  updatedAt: z.string().describe('ISO 8601 time of the last change.'),
  links: z.object({ self: z.string(), sessions: z.string() }),
});
export type Room = z.infer<typeof roomSchema>;

export const roomIdParamsSchema = z.object({ roomId: z.string().min(1).max(200) });

const booleanQuery = z.enum(['true', 'false']).transform((v) => v === 'true');

export const listRoomsQuerySchema = z
  .object({
    /** Only rooms with (true) or without (false) a live session. */
    active: booleanQuery.optional().describe('Only rooms with (true) or without (false) a live session.'),
    customRoomId: z.string().max(128).optional().describe('Only the room with this customRoomId.'),
    createdAfter: z.iso.datetime({ offset: true }).optional().describe('Only rooms created after this ISO 8601 time.'),
    createdBefore: z.iso.datetime({ offset: true }).optional().describe('Only rooms created before this ISO 8601 time.'),
    limit: z.coerce.number().int().min(1).max(100).default(20).describe('Page size (1..100, default 20).'),
    /** Opaque cursor from the previous page's `nextCursor`. */
    cursor: z.string().max(500).optional().describe("Opaque cursor from the previous page's `nextCursor`."),
  })
  .strict();
export type ListRoomsQuery = z.output<typeof listRoomsQuerySchema>;

/** A page of a list: `data`, and `nextCursor` when more follow. */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({
    data: z.array(item),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page.'),
  });
}
