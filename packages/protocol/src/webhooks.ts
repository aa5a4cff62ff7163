/**
 * @module Webhooks on the wire: the envelope every event is delivered in, the `data` of each event
 * type, the signature header, and the REST bodies of account-wide subscriptions and the delivery log.
 */
import { z } from 'zod';
import { httpUrlSchema, webhookEventTypeSchema, webhookEventTypes, type WebhookEventType } from './rooms.js';
import { trackInfoSchema } from './signaling.js';

/** Header carrying `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. */
export const WEBHOOK_SIGNATURE_HEADER = 'Atrium-Signature';
/** Header carrying the envelope `id` (the same on every retry and redelivery: dedupe on it). */
export const WEBHOOK_EVENT_ID_HEADER = 'Atrium-Event-Id';
/** Header carrying the envelope `type`. */
export const WEBHOOK_EVENT_TYPE_HEADER = 'Atrium-Event-Type';

const isoTime = z.string().describe('ISO 8601 time.');

// ---------------------------------------------------------------------------------------------
// Event payloads. Objects are loose: later versions may add fields, receivers should keep them.
// ---------------------------------------------------------------------------------------------

/** `participant-joined`, `participant-left`. */
export const participantEventDataSchema = z
  .looseObject({
    endpointId: z.string().describe('The endpoint id from its access token.'),
    name: z.string().describe('Display name of the endpoint.'),
    joinedAt: isoTime.describe('When the endpoint joined the room session.'),
    leftAt: isoTime.optional().describe('When it left (participant-left only).'),
    reason: z
      .string()
      .optional()
      .describe('Why it left (participant-left only), e.g. `left`, `kicked`, `disconnected`, `connection-lost` (not resumed within the reconnect grace period; `leftAt` is when the connection dropped), `session-ended`, `server-restart`.'),
  })
  .describe('An endpoint joined or left a room session.');

/** `session-started`, `session-ended`. */
export const sessionEventDataSchema = z
  .looseObject({
    sessionId: z.string().describe('Id of the room session.'),
    roomId: z.string().describe('Id of the room.'),
    startedAt: isoTime.describe('When the first endpoint joined.'),
    endedAt: isoTime.optional().describe('When the session ended (session-ended only).'),
    reason: z
      .string()
      .optional()
      .describe('Why it ended (session-ended only), e.g. `timeout`, `max-duration`, `auto-close`, `api`, `server-restart`.'),
  })
  .describe('A room session started or ended.');

/** `stream-published`, `stream-unpublished`. */
export const streamEventDataSchema = z
  .looseObject({
    endpointId: z.string().describe('The publishing endpoint.'),
    tag: z.string().describe('The stream tag (`camera`, `screen`, …).'),
    tracks: z.array(trackInfoSchema).optional().describe('The stream’s tracks (stream-published only).'),
  })
  .describe('An endpoint published or unpublished a stream.');

const egressStatusSchema = z
  .enum(['starting', 'started', 'playable', 'stopping', 'stopped', 'failed', 'completed'])
  .describe('State of the egress this event reports; matches the event type’s suffix.');

const egressCommon = {
  status: egressStatusSchema,
  startedAt: isoTime.optional().describe('When the egress started producing output.'),
  stoppedAt: isoTime.optional().describe('When it stopped (stopped/failed).'),
  error: z.string().optional().describe('What went wrong (failed only).'),
};

/** `recording-*`: a composite recording of the room session. */
export const recordingEventDataSchema = z
  .looseObject({
    recordingId: z.string().describe('Id of the recording.'),
    ...egressCommon,
    fileUrl: z.string().optional().describe('Where the finished file can be fetched (stopped only).'),
    durationSeconds: z.number().optional().describe('Length of the recording (stopped only).'),
  })
  .describe('A room session recording changed state.');

/** `participant-recording-*`: a recording of one endpoint’s streams. */
export const participantRecordingEventDataSchema = recordingEventDataSchema
  .extend({ endpointId: z.string().describe('The recorded endpoint.') })
  .describe('A per-endpoint recording changed state.');

/** `participant-track-recording-*`: a recording of one track of one endpoint. */
export const participantTrackRecordingEventDataSchema = participantRecordingEventDataSchema
  .extend({
    tag: z.string().optional().describe('Tag of the stream the track belongs to.'),
    trackId: z.string().optional().describe('Id of the recorded track.'),
    kind: z.enum(['audio', 'video']).optional().describe('Kind of the recorded track.'),
  })
  .describe('A per-track recording changed state.');

/** `transcription-completed`. */
export const transcriptionEventDataSchema = z
  .looseObject({
    transcriptionId: z.string().describe('Id of the transcription.'),
    status: z.literal('completed').describe('Always `completed`.'),
    recordingId: z.string().optional().describe('The recording that was transcribed, if any.'),
    fileUrl: z.string().optional().describe('Where the transcript can be fetched.'),
    summaryUrl: z.string().optional().describe('Where the summary can be fetched, when one was asked for.'),
  })
  .describe('A transcription finished.');

/** `livestream-*`: an RTMP stream of the room session’s composite. */
export const livestreamEventDataSchema = z
  .looseObject({
    livestreamId: z.string().describe('Id of the livestream.'),
    ...egressCommon,
    outputs: z.array(z.string()).optional().describe('RTMP URLs streamed to (stream keys removed).'),
  })
  .describe('An RTMP livestream changed state.');

/** `hls-*`: an HLS stream of the room session’s composite. */
export const hlsEventDataSchema = z
  .looseObject({
    hlsId: z.string().describe('Id of the HLS stream.'),
    ...egressCommon,
    playbackUrl: z.string().optional().describe('The playlist URL (playable and later).'),
    recordingId: z.string().optional().describe('The recording made alongside, when enabled.'),
  })
  .describe('An HLS stream changed state.');

/** `composition-*`: a composition job of a room session (`/api/v1/compositions`). */
export const compositionEventDataSchema = z
  .looseObject({
    compositionId: z.string().describe('Id of the composition.'),
    status: z.enum(['started', 'completed', 'failed']).describe('Matches the event type’s suffix.'),
    recordingId: z.string().optional().describe('The recording composed, when the composition is of one recording (a composite recording output).'),
    format: z.string().optional().describe('`mp4` or `m4a`.'),
    startedAt: isoTime.optional().describe('When rendering started.'),
    completedAt: isoTime.optional().describe('When it completed or failed.'),
    fileUrl: z.string().optional().describe('Where the file can be fetched (completed only).'),
    durationSeconds: z.number().optional().describe('Length of the file (completed only).'),
    sizeBytes: z.number().optional().describe('Bytes of the file (completed only).'),
    error: z.string().optional().describe('What went wrong (failed only).'),
  })
  .describe('A composition started, completed or failed.');

/** The `data` schema of every event type. */
export const webhookEventDataSchemas = {
  'participant-joined': participantEventDataSchema,
  'participant-left': participantEventDataSchema,
  'session-started': sessionEventDataSchema,
  'session-ended': sessionEventDataSchema,
  'recording-starting': recordingEventDataSchema,
  'recording-started': recordingEventDataSchema,
  'recording-stopping': recordingEventDataSchema,
  'recording-stopped': recordingEventDataSchema,
  'recording-failed': recordingEventDataSchema,
  'participant-recording-starting': participantRecordingEventDataSchema,
  'participant-recording-started': participantRecordingEventDataSchema,
  'participant-recording-stopping': participantRecordingEventDataSchema,
  'participant-recording-stopped': participantRecordingEventDataSchema,
  'participant-recording-failed': participantRecordingEventDataSchema,
  'participant-track-recording-starting': participantTrackRecordingEventDataSchema,
  'participant-track-recording-started': participantTrackRecordingEventDataSchema,
  'participant-track-recording-stopping': participantTrackRecordingEventDataSchema,
  'participant-track-recording-stopped': participantTrackRecordingEventDataSchema,
  'participant-track-recording-failed': participantTrackRecordingEventDataSchema,
  'transcription-completed': transcriptionEventDataSchema,
  'livestream-starting': livestreamEventDataSchema,
  'livestream-started': livestreamEventDataSchema,
  'livestream-stopping': livestreamEventDataSchema,
  'livestream-stopped': livestreamEventDataSchema,
  'livestream-failed': livestreamEventDataSchema,
  'hls-starting': hlsEventDataSchema,
  'hls-started': hlsEventDataSchema,
  'hls-playable': hlsEventDataSchema,
  'hls-stopping': hlsEventDataSchema,
  'hls-stopped': hlsEventDataSchema,
  'hls-failed': hlsEventDataSchema,
  'composition-started': compositionEventDataSchema,
  'composition-completed': compositionEventDataSchema,
  'composition-failed': compositionEventDataSchema,
  'stream-published': streamEventDataSchema,
  'stream-unpublished': streamEventDataSchema,
} as const satisfies Record<WebhookEventType, z.ZodType>;

export type WebhookEventData<T extends WebhookEventType> = z.infer<(typeof webhookEventDataSchemas)[T]>;

const envelopeFields = {
  id: z.uuid().describe('Unique id of the event; the same on every retry and redelivery, so receivers can dedupe on it.'),
  createdAt: isoTime.describe('When the event happened.'),
  roomId: z.string().nullable().describe('The room the event is about, if any.'),
  sessionId: z.string().nullable().describe('The room session the event is about, if any.'),
};

/** Any event, with `data` unchecked: what the delivery log shows. */
export const webhookEnvelopeSchema = z
  .object({
    ...envelopeFields,
    type: webhookEventTypeSchema.describe('The event type.'),
    data: z.record(z.string(), z.unknown()).describe('The event’s payload; its shape depends on `type`.'),
  })
  .describe('The JSON body of every webhook request.');
export type WebhookEnvelope = z.infer<typeof webhookEnvelopeSchema>;

/** One event type's envelope with its typed `data`. */
export type WebhookEventOf<T extends WebhookEventType> = Omit<WebhookEnvelope, 'type' | 'data'> & {
  type: T;
  data: WebhookEventData<T>;
};
/** Every event, discriminated by `type`. */
export type WebhookEvent = { [T in WebhookEventType]: WebhookEventOf<T> }[WebhookEventType];

/**
 * Parses a received webhook body into a typed event (`switch (event.type)` narrows `data`).
 * Receivers: verify the signature on the raw body first, then parse.
 */
export const webhookEventSchema = z.discriminatedUnion(
  'type',
  webhookEventTypes.map((type) =>
    z.object({ ...envelopeFields, type: z.literal(type), data: webhookEventDataSchemas[type] }),
  ) as unknown as [z.ZodObject<{ type: z.ZodLiteral<WebhookEventType> }>, ...Array<z.ZodObject<{ type: z.ZodLiteral<WebhookEventType> }>>],
) as unknown as z.ZodType<WebhookEvent>;

// ---------------------------------------------------------------------------------------------
// REST: account-wide subscriptions (`/api/v1/webhooks`).
// ---------------------------------------------------------------------------------------------

const subscriptionFields = {
  url: httpUrlSchema.describe('URL that receives the events (POST, JSON body, signed).'),
  events: z
    .array(webhookEventTypeSchema)
    .min(1)
    .max(webhookEventTypes.length)
    .nullable()
    .describe('Event types to send; null or omitted means all.'),
  enabled: z.boolean().describe('A disabled subscription gets no new events (deliveries already queued still go out).'),
};

export const createWebhookSubscriptionBodySchema = z
  .object({
    url: subscriptionFields.url,
    events: subscriptionFields.events.default(null),
    enabled: subscriptionFields.enabled.default(true),
  })
  .strict();
export type CreateWebhookSubscriptionBody = z.output<typeof createWebhookSubscriptionBodySchema>;

export const updateWebhookSubscriptionBodySchema = z
  .object({
    url: subscriptionFields.url.optional(),
    events: subscriptionFields.events.optional(),
    enabled: subscriptionFields.enabled.optional(),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, { message: 'give at least one field to change' });
export type UpdateWebhookSubscriptionBody = z.output<typeof updateWebhookSubscriptionBodySchema>;

export const webhookSubscriptionSchema = z.object({
  id: z.uuid().describe('Id of the subscription.'),
  url: z.string().describe('URL that receives the events.'),
  events: z.array(webhookEventTypeSchema).nullable().describe('Event types sent; null means all.'),
  enabled: z.boolean().describe('Whether new events are sent to it.'),
  createdAt: isoTime.describe('When it was created.'),
  updatedAt: isoTime.describe('When it last changed.'),
});
export type WebhookSubscription = z.infer<typeof webhookSubscriptionSchema>;

export const webhookIdParamsSchema = z.object({ webhookId: z.string().min(1).max(200) });

export const listWebhookSubscriptionsQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(20).describe('Page size (1..100, default 20).'),
    cursor: z.string().max(500).optional().describe("Opaque cursor from the previous page's `nextCursor`."),
  })
  .strict();
export type ListWebhookSubscriptionsQuery = z.output<typeof listWebhookSubscriptionsQuerySchema>;

// ---------------------------------------------------------------------------------------------
// REST: the delivery log (`/api/v1/webhooks/deliveries`, `/api/v1/webhooks/events/{id}`).
// ---------------------------------------------------------------------------------------------

export const webhookDeliveryStatuses = ['pending', 'delivered', 'failed', 'cancelled'] as const;
export const webhookDeliveryStatusSchema = z
  .enum(webhookDeliveryStatuses)
  .describe(
    '`pending`: queued or between retries; `delivered`: a 2xx answer; `failed`: retries gave up ' +
      '(the retry window passed); `cancelled`: its subscription was deleted before delivery.',
  );
export type WebhookDeliveryStatus = z.infer<typeof webhookDeliveryStatusSchema>;

export const webhookDeliverySchema = z.object({
  id: z.uuid().describe('Id of the delivery (one event to one URL).'),
  eventId: z.uuid().describe('The envelope `id` of the event.'),
  eventType: webhookEventTypeSchema.describe('The event type.'),
  url: z.string().describe('Where it is sent.'),
  subscriptionId: z.string().nullable().describe('The subscription it is for; null for the room’s own webhook.'),
  status: webhookDeliveryStatusSchema,
  attempts: z.number().int().describe('HTTP attempts made so far.'),
  nextAttemptAt: isoTime.nullable().describe('When the next attempt is due (pending only).'),
  lastAttemptAt: isoTime.nullable().describe('When the last attempt was made.'),
  lastStatusCode: z.number().int().nullable().describe('HTTP status of the last attempt; null when it got no answer.'),
  lastError: z.string().nullable().describe('Why the last attempt failed, when it did.'),
  deliveredAt: isoTime.nullable().describe('When a 2xx answer came.'),
  createdAt: isoTime.describe('When the delivery was queued.'),
});
export type WebhookDelivery = z.infer<typeof webhookDeliverySchema>;

export const webhookDeliveryIdParamsSchema = z.object({ deliveryId: z.string().min(1).max(200) });
export const webhookEventIdParamsSchema = z.object({ eventId: z.string().min(1).max(200) });

export const listWebhookDeliveriesQuerySchema = z
  .object({
    eventId: z.string().max(200).optional().describe('Only deliveries of this event.'),
    status: webhookDeliveryStatusSchema.optional().describe('Only deliveries in this state.'),
    url: z.string().max(2048).optional().describe('Only deliveries to this exact URL.'),
    subscriptionId: z.string().max(200).optional().describe('Only deliveries for this subscription.'),
    limit: z.coerce.number().int().min(1).max(100).default(20).describe('Page size (1..100, default 20).'),
    cursor: z.string().max(500).optional().describe("Opaque cursor from the previous page's `nextCursor`."),
  })
  .strict();
export type ListWebhookDeliveriesQuery = z.output<typeof listWebhookDeliveriesQuerySchema>;

/** `GET /api/v1/webhooks/events/{eventId}`: the envelope as delivered, and where it went. */
export const webhookEventDetailSchema = z.object({
  event: webhookEnvelopeSchema,
  deliveries: z.array(webhookDeliverySchema).describe('Every delivery of the event, oldest first.'),
});
export type WebhookEventDetail = z.infer<typeof webhookEventDetailSchema>;
