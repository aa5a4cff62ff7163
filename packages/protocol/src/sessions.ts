/**
 * @module Room sessions and the endpoints in them, as the REST API shows them, and the bodies of
 * session actions (end, mute, unmute, kick).
 */
import { z } from 'zod';
import { endpointIdSchema } from './access-tokens.js';

export const sessionSchema = z.object({
  id: z.uuid().describe('UUID of the room session.'),
  roomId: z.uuid(),
  startedAt: z.string().describe('ISO 8601 time of the first join.'),
  endedAt: z.string().nullable().describe('ISO 8601 end time; null while live.'),
  /** `timeout`, `max-duration`, `auto-close`, `ended` (API), `all-removed`, `room-deleted`, `server-shutdown`, `server-restart`. */
  endReason: z.string().nullable().describe('Why it ended: timeout, max-duration, auto-close, ended, all-removed, room-deleted, server-shutdown, server-restart.'),
  active: z.boolean().describe('True while the session is live.'),
  /** Endpoints connected now (0 once ended). */
  endpointCount: z.number().int().describe('Endpoints connected now (0 once ended).'),
  links: z.object({ self: z.string(), endpoints: z.string(), room: z.string() }),
});
export type Session = z.infer<typeof sessionSchema>;

/** One endpoint's stay in a room session. */
export const sessionEndpointSchema = z.object({
  id: z.string().describe('Id of this stay (an endpoint may join a session more than once).'),
  endpointId: endpointIdSchema,
  name: z.string(),
  sessionId: z.uuid(),
  roomId: z.uuid(),
  joinedAt: z.string(),
  leftAt: z.string().nullable(),
  /** `left`, `disconnected`, `connection-lost` (not resumed within the reconnect grace period), `replaced`, `kicked`, `session-ended`, `server-shutdown`, `server-restart`. */
  leaveReason: z
    .string()
    .nullable()
    .describe('Why it left: left, disconnected, connection-lost (dropped and not resumed within the grace period; leftAt is when it dropped), replaced, kicked, session-ended, server-shutdown, server-restart; null while connected.'),
  active: z.boolean(),
  /** Tags of the streams it published during the stay. */
  streams: z.array(z.string()).describe('Tags of the streams it published during the stay.'),
  /** Streams it publishes now (live stays only). */
  publishing: z
    .array(z.object({ tag: z.string(), tracks: z.array(z.object({ kind: z.string(), muted: z.boolean() })) }))
    .describe('Streams it publishes now (live stays only).'),
});
export type SessionEndpoint = z.infer<typeof sessionEndpointSchema>;

const booleanQuery = z.enum(['true', 'false']).transform((v) => v === 'true');
const limit = z.coerce.number().int().min(1).max(100).default(20).describe('Page size (1..100, default 20).');

const cursor = z.string().max(500).optional().describe("Opaque cursor from the previous page's `nextCursor`.");

export const listSessionsQuerySchema = z
  .object({
    roomId: z.string().max(200).optional().describe('Only sessions of this room (UUID or customRoomId).'),
    active: booleanQuery.optional().describe('Only live (true) or ended (false) sessions.'),
    limit,
    cursor,
  })
  .strict();

export const listEndpointsQuerySchema = z
  .object({
    sessionId: z.uuid().optional().describe('Only stays in this room session.'),
    roomId: z.string().max(200).optional().describe('Only stays in sessions of this room (UUID or customRoomId).'),
    active: booleanQuery.optional().describe('Only connected (true) or departed (false) endpoints.'),
    name: z.string().max(100).optional().describe('Only endpoints with this display name.'),
    endpointId: endpointIdSchema.optional().describe('Only stays of this endpoint id.'),
    limit,
    cursor,
  })
  .strict();

/** `GET /api/v1/sessions/{sessionId}/endpoints`: the session comes from the path. */
export const listSessionEndpointsQuerySchema = listEndpointsQuerySchema.omit({ sessionId: true, roomId: true });

export const sessionIdParamsSchema = z.object({ sessionId: z.uuid() });
export const sessionEndpointParamsSchema = z.object({ sessionId: z.uuid(), endpointId: endpointIdSchema });

/** Which endpoints a session-wide action applies to: all, only some, or all but some. */
export const endpointSelectionSchema = z
  .object({
    endpointIds: z.array(endpointIdSchema).max(1000).optional().describe('Only these endpoints.'),
    exceptEndpointIds: z.array(endpointIdSchema).max(1000).optional().describe('All endpoints but these.'),
  })
  .strict()
  .refine((b) => !(b.endpointIds && b.exceptEndpointIds), { message: 'give endpointIds or exceptEndpointIds, not both' });

const muteKinds = z.enum(['audio', 'video', 'both']).default('audio').describe('What to mute: audio (default), video or both.');

export const sessionMuteBodySchema = z
  .object({
    kind: muteKinds,
    endpointIds: z.array(endpointIdSchema).max(1000).optional(),
    exceptEndpointIds: z.array(endpointIdSchema).max(1000).optional(),
  })
  .strict()
  .refine((b) => !(b.endpointIds && b.exceptEndpointIds), { message: 'give endpointIds or exceptEndpointIds, not both' });

export const endpointMuteBodySchema = z.object({ kind: muteKinds }).strict();

export const actionResultSchema = z.object({
  /** Endpoints the action applied to. */
  endpointIds: z.array(z.string()).describe('Endpoints the action applied to.'),
});
