/**
 * @module Room session state as endpoints see it (the reference's member and room entities), the
 * event payloads that carry its changes, metadata and chat limits. Field names are snake_case, as
 * in the reference's `getMembers()` / `room.joined` payloads.
 */
import { z } from 'zod';
import { endpointIdSchema } from './access-tokens.js';
import { layoutNameSchema } from './rooms.js';
import { videoLayoutLayerSchema, videoPositionSchema } from './layouts/types.js';

/** Largest room or member `meta` object, in bytes of JSON (`META_TOO_LARGE` above it). */
export const MAX_META_BYTES = 16 * 1024;
/** Largest chat message (text, or an object as JSON), in bytes (`MESSAGE_TOO_LARGE` above it). */
export const MAX_CHAT_MESSAGE_BYTES = 4 * 1024;

/** Byte length of a value's JSON (what the limits above count). */
export function jsonByteLength(value: unknown): number {
  return new TextEncoder().encode(JSON.stringify(value) ?? '').length;
}

/** Free-form metadata: a JSON object. The size limit is checked by the server (a clear error code). */
export const metaSchema = z.record(z.string().max(256), z.unknown());
export type Meta = z.infer<typeof metaSchema>;

/** Audio levels: volumes -50..50 (0 = unchanged), sensitivity 0..100. */
export const volumeSchema = z.number().min(-50).max(50);
export const sensitivitySchema = z.number().min(0).max(100);
export const DEFAULT_INPUT_SENSITIVITY = 30;

/** One member (endpoint) of the room session, as in `getMembers()` and `member.joined`. */
export const memberStateSchema = z.object({
  id: endpointIdSchema,
  type: z.literal('member'),
  name: z.string(),
  room_id: z.string(),
  room_session_id: z.string(),
  /** Its video is shown (false while video-muted). */
  visible: z.boolean(),
  audio_muted: z.boolean(),
  video_muted: z.boolean(),
  /** It hears nobody: the SFU sends it no audio. */
  deaf: z.boolean(),
  input_volume: volumeSchema,
  output_volume: volumeSchema,
  input_sensitivity: sensitivitySchema,
  talking: z.boolean(),
  /** Its position in the layout. */
  position: videoPositionSchema,
  meta: metaSchema,
});
export type MemberState = z.infer<typeof memberStateSchema>;

/** Member fields that change (what `member.updated`'s `updated` lists). */
export const memberUpdatableFields = [
  'visible',
  'audio_muted',
  'video_muted',
  'deaf',
  'input_volume',
  'output_volume',
  'input_sensitivity',
  'talking',
  'position',
  'meta',
] as const;
export type MemberUpdatableField = (typeof memberUpdatableFields)[number];

/** The room session, as in `room.joined`'s `room_session` (without `members`). */
export const roomStateSchema = z.object({
  room_id: z.string(),
  room_session_id: z.string(),
  name: z.string(),
  event_channel: z.string(),
  layout_name: z.string(),
  /** Positions assigned with `setPositions`/`setLayout` (member id → position). */
  positions: z.record(z.string(), videoPositionSchema),
  locked: z.boolean(),
  hide_video_muted: z.boolean(),
  recording: z.boolean(),
  streaming: z.boolean(),
  logos_visible: z.boolean(),
  blind_mode: z.boolean(),
  silent_mode: z.boolean(),
  meeting_mode: z.boolean(),
  /** Chat messages are allowed (the room's `enableChat`). */
  chat_enabled: z.boolean(),
  meta: metaSchema,
});
export type RoomState = z.infer<typeof roomStateSchema>;

export const roomUpdatableFields = ['layout_name', 'positions', 'locked', 'hide_video_muted', 'recording', 'streaming', 'meta'] as const;
export type RoomUpdatableField = (typeof roomUpdatableFields)[number];

/** `room.joined`: the room with every member, this connection's ids. */
const sessionRef = { room_session_id: z.string(), room_id: z.string() };

/** The room's current layout: its name and the layers computed for the live view (16:9 canvas). */
export const currentLayoutSchema = z.object({
  name: z.string(),
  ...sessionRef,
  layers: z.array(videoLayoutLayerSchema),
});
export type CurrentLayout = z.infer<typeof currentLayoutSchema>;

/** `layout.changed`: the layers moved (joins, leaves, streams, speaker, positions, layout, mutes). */
export const layoutChangedEventSchema = z.object({ ...sessionRef, layout: currentLayoutSchema });
export type LayoutChangedEvent = z.infer<typeof layoutChangedEventSchema>;

export const roomJoinedEventSchema = z.object({
  room_session: roomStateSchema.extend({ members: z.array(memberStateSchema) }),
  call_id: z.string(),
  member_id: z.string(),
  /** The layout as it stands at the join (later changes come as `layout.changed`). */
  layout: currentLayoutSchema.optional(),
});
export type RoomJoinedEvent = z.infer<typeof roomJoinedEventSchema>;
const memberRef = { id: endpointIdSchema, type: z.literal('member'), ...sessionRef };

export const memberJoinedEventSchema = z.object({ ...sessionRef, member: memberStateSchema });
export type MemberJoinedEvent = z.infer<typeof memberJoinedEventSchema>;

export const memberLeftEventSchema = z.object({
  ...sessionRef,
  member: z.object({ ...memberRef, name: z.string() }),
  /** Why it left (left, disconnected, kicked, …). */
  reason: z.string(),
});
export type MemberLeftEvent = z.infer<typeof memberLeftEventSchema>;

/** `member.updated`: `updated` names the changed fields; their new values sit beside it. */
export const memberUpdatedEventSchema = z.object({
  ...sessionRef,
  member: memberStateSchema.partial().extend({ ...memberRef, updated: z.array(z.enum(memberUpdatableFields)) }),
});
export type MemberUpdatedEvent = z.infer<typeof memberUpdatedEventSchema>;

export const memberTalkingEventSchema = z.object({
  ...sessionRef,
  member: z.object({ id: endpointIdSchema, ...sessionRef, talking: z.boolean() }),
});
export type MemberTalkingEvent = z.infer<typeof memberTalkingEventSchema>;

/** `room.updated`: `updated` names the changed fields; their new values sit beside it. */
export const roomUpdatedEventSchema = z.object({
  ...sessionRef,
  room: roomStateSchema.partial().extend({ ...sessionRef, updated: z.array(z.enum(roomUpdatableFields)) }),
});
export type RoomUpdatedEvent = z.infer<typeof roomUpdatedEventSchema>;

/** Sent to a member whose microphone or camera another member (or the room) muted or unmuted:
 * its client mutes (or may unmute) the local track to match. */
export const memberMediaEventSchema = z.object({
  kind: z.enum(['audio', 'video']),
  muted: z.boolean(),
  /** The member who asked (absent when the REST API or the room did). */
  by: endpointIdSchema.optional(),
  /** Why: `mute` (audioMute/videoMute) or `deaf` (deaf/undeaf also mutes the microphone). */
  cause: z.enum(['mute', 'deaf']),
});
export type MemberMediaEvent = z.infer<typeof memberMediaEventSchema>;

/** A chat message's content: text, or a JSON object. */
export const chatContentSchema = z.union([z.string().min(1), z.record(z.string(), z.unknown())]);

export const chatMessageEventSchema = z.object({
  ...sessionRef,
  id: z.string(),
  /** The sending member. */
  from: z.object({ id: endpointIdSchema, name: z.string() }),
  /** The one member it was sent to; absent when sent to everyone. */
  to: endpointIdSchema.optional(),
  content: chatContentSchema,
  /** When the server accepted it (ISO 8601). */
  sent_at: z.string(),
});
export type ChatMessageEvent = z.infer<typeof chatMessageEventSchema>;

export { layoutNameSchema };
