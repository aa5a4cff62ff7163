/**
 * @module Signaling over WebSocket (`/api/v1/signal`): JSON-RPC 2.0 requests from the SDK, their
 * results, and the server's notifications. Every message is defined here once.
 */
import { z } from 'zod';
import { endpointIdSchema } from './access-tokens.js';
import type { ErrorCode } from './errors.js';
import { layoutNameSchema } from './rooms.js';
import {
  chatContentSchema,
  chatMessageEventSchema,
  memberJoinedEventSchema,
  memberLeftEventSchema,
  memberMediaEventSchema,
  memberStateSchema,
  memberTalkingEventSchema,
  layoutChangedEventSchema,
  memberUpdatedEventSchema,
  metaSchema,
  roomJoinedEventSchema,
  roomUpdatedEventSchema,
  sensitivitySchema,
  volumeSchema,
} from './room-state.js';
import { videoPositionSchema, videoPositionsSchema } from './layouts/types.js';
import { liveStreamSchema, rtmpUrlSchema } from './live-streams.js';
import { recordingSchema } from './recordings.js';
import { playbackEventSchema, playbackSchema } from './playbacks.js';

export const SIGNAL_PATH = '/api/v1/signal';

/** A stream tag: `camera`, `screen`, `camera-2`, … */
export const streamTagSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits and _ . - only');

export const trackKindSchema = z.enum(['audio', 'video']);
export type TrackKind = z.infer<typeof trackKindSchema>;

/** One media track of a stream. `id` is `<tag>:<kind>`, unique within its endpoint. */
export const trackInfoSchema = z.object({
  id: z.string(),
  kind: trackKindSchema,
  muted: z.boolean(),
});
export type TrackInfo = z.infer<typeof trackInfoSchema>;

export const streamInfoSchema = z.object({
  tag: streamTagSchema,
  tracks: z.array(trackInfoSchema),
});
export type StreamInfo = z.infer<typeof streamInfoSchema>;

export const endpointInfoSchema = z.object({
  id: endpointIdSchema,
  name: z.string(),
  streams: z.array(streamInfoSchema),
});
export type EndpointInfo = z.infer<typeof endpointInfoSchema>;

const sdpSchema = z.string().min(1).max(64 * 1024);

/** Given by `join` (and renewed by `resume`): the secret that lets this endpoint `resume`. */
export const resumeInfoSchema = z.object({
  /** Random secret bound to this endpoint in this room session; send it with `resume`. */
  token: z.string(),
  /** How long the server keeps the endpoint after its socket drops, in seconds. */
  graceSeconds: z.number(),
});
export type ResumeInfo = z.infer<typeof resumeInfoSchema>;

/** Which member a call affects: another member's id, or oneself when omitted. */
const memberTarget = { memberId: endpointIdSchema.optional() };
const empty = z.object({});
const optionalEmpty = z.object({}).optional();
const metaKeysSchema = z.array(z.string().max(256)).min(1).max(100);
/** What the egress calls will answer once wired (egress issue); until then they fail with NOT_IMPLEMENTED. */
const egressEntity = z.object({ id: z.string() }).passthrough();

/** `recording.*` notifications: the recording as the REST API shows it. */
const recordingEventSchema = z.object({ room_session_id: z.string(), room_id: z.string(), recording: recordingSchema });

/** `stream.started` / `stream.ended`: an RTMP stream of the room session, as the REST API shows it. */
const liveStreamEventSchema = z.object({ room_session_id: z.string(), room_id: z.string(), stream: liveStreamSchema });

/**
 * The room-session calls of the reference RoomSession (moderation, levels, metadata, layouts,
 * chat, egress). Each is checked against the caller's permissions on the server.
 */
function roomSessionMethods() {
  return {
    'member.audioMute': { params: z.object(memberTarget), result: empty },
    'member.audioUnmute': { params: z.object(memberTarget), result: empty },
    'member.videoMute': { params: z.object(memberTarget), result: empty },
    'member.videoUnmute': { params: z.object(memberTarget), result: empty },
    /** The member hears nobody (the SFU pauses its audio subscriptions) and its microphone is muted. */
    'member.deaf': { params: z.object(memberTarget), result: empty },
    'member.undeaf': { params: z.object(memberTarget), result: empty },
    'member.setInputVolume': { params: z.object({ ...memberTarget, volume: volumeSchema }), result: empty },
    'member.setOutputVolume': { params: z.object({ ...memberTarget, volume: volumeSchema }), result: empty },
    'member.setInputSensitivity': { params: z.object({ ...memberTarget, value: sensitivitySchema }), result: empty },
    'member.setPosition': { params: z.object({ ...memberTarget, position: videoPositionSchema }), result: empty },
    'member.remove': { params: z.object({ memberId: endpointIdSchema }), result: empty },
    'member.setMeta': { params: z.object({ ...memberTarget, meta: metaSchema }), result: empty },
    'member.updateMeta': { params: z.object({ ...memberTarget, meta: metaSchema }), result: empty },
    'member.deleteMeta': { params: z.object({ ...memberTarget, keys: metaKeysSchema }), result: empty },
    'member.getMeta': { params: z.object(memberTarget).optional(), result: z.object({ meta: metaSchema }) },
    'room.getMembers': { params: optionalEmpty, result: z.object({ members: z.array(memberStateSchema) }) },
    /** Removes every member; the room session ends. */
    'room.removeAllMembers': { params: optionalEmpty, result: empty },
    'room.setMeta': { params: z.object({ meta: metaSchema }), result: empty },
    'room.updateMeta': { params: z.object({ meta: metaSchema }), result: empty },
    'room.deleteMeta': { params: z.object({ keys: metaKeysSchema }), result: empty },
    'room.getMeta': { params: optionalEmpty, result: z.object({ meta: metaSchema }) },
    'room.getLayouts': { params: optionalEmpty, result: z.object({ layouts: z.array(z.string()) }) },
    'room.setLayout': { params: z.object({ name: layoutNameSchema, positions: videoPositionsSchema.optional() }), result: empty },
    'room.setPositions': { params: z.object({ positions: videoPositionsSchema }), result: empty },
    'room.setHideVideoMuted': { params: z.object({ value: z.boolean() }), result: empty },
    /** No new endpoint may join while locked (`ROOM_LOCKED`). */
    'room.lock': { params: optionalEmpty, result: empty },
    'room.unlock': { params: optionalEmpty, result: empty },
    /** A chat message to everyone, or to the member `to`. */
    'chat.send': {
      params: z.object({ content: chatContentSchema, to: endpointIdSchema.optional() }),
      result: z.object({ id: z.string(), sent_at: z.string() }),
    },
    'recording.start': { params: optionalEmpty, result: recordingSchema },
    'recording.list': { params: optionalEmpty, result: z.object({ recordings: z.array(recordingSchema) }) },
    'recording.stop': { params: z.object({ recordingId: z.string().min(1).max(64) }), result: recordingSchema },
    'recording.pause': { params: z.object({ recordingId: z.string().min(1).max(64) }), result: recordingSchema },
    'recording.resume': { params: z.object({ recordingId: z.string().min(1).max(64) }), result: recordingSchema },
    /** An RTMP(S) stream of the room (the reference's `startStream`). */
    'rtmp.start': { params: z.object({ url: rtmpUrlSchema }), result: liveStreamSchema },
    'rtmp.list': { params: optionalEmpty, result: z.object({ streams: z.array(liveStreamSchema) }) },
    /** Stops one RTMP stream of the caller's room session (the SDK stream object's `stop()`). */
    'rtmp.stop': { params: z.object({ streamId: z.string().min(1).max(64) }), result: liveStreamSchema },
    /** A URL played into the room (the reference's `play`). */
    'playback.start': {
      params: z.object({
        url: z.string().min(1).max(2048),
        volume: volumeSchema.optional(),
        currentTimecode: z.number().int().min(0).optional(),
        positions: videoPositionsSchema.optional(),
        layout: layoutNameSchema.optional(),
      }),
      result: playbackSchema,
    },
    'playback.list': { params: optionalEmpty, result: z.object({ playbacks: z.array(playbackSchema) }) },
    'playback.stop': { params: z.object({ playbackId: z.string().min(1).max(64) }), result: playbackSchema },
    /** Stops ffmpeg, keeping the position. */
    'playback.pause': { params: z.object({ playbackId: z.string().min(1).max(64) }), result: playbackSchema },
    /** Restarts ffmpeg at the kept position. */
    'playback.resume': { params: z.object({ playbackId: z.string().min(1).max(64) }), result: playbackSchema },
    /** Moves to `position` ms (needs `room.playback_seek`). */
    'playback.seek': {
      params: z.object({ playbackId: z.string().min(1).max(64), position: z.number().int().min(0) }),
      result: playbackSchema,
    },
    'playback.setVolume': { params: z.object({ playbackId: z.string().min(1).max(64), volume: volumeSchema }), result: playbackSchema },
  } as const;
}

/** The room an endpoint joined (join and resume answers). */
const joinedRoomSchema = z.object({
  id: z.string(),
  title: z.string().nullable(),
  sessionId: z.string(),
  /** The session's preview image (path on the server) when the room has `enableRoomPreviews`. */
  previewUrl: z.string().nullable().optional(),
});

/** Request params and results, by method. */
export const signalMethods = {
  join: {
    params: z.object({
      /** The room the SDK was asked to join; must match the token's room. */
      roomId: z.string().min(1).max(200),
      token: z.string().min(1).max(8192),
    }),
    result: z.object({
      room: joinedRoomSchema,
      endpoint: endpointInfoSchema,
      endpoints: z.array(endpointInfoSchema),
      /** The room session's state with every member (the SDK's `room.joined` payload). */
      state: roomJoinedEventSchema,
      /** What `resume` needs after the socket drops (see `resume`). */
      resume: resumeInfoSchema,
    }),
  },
  /**
   * Reattaches a new socket to an endpoint whose socket dropped, within the grace period: the
   * endpoint, its streams and subscriptions are kept and nobody sees it leave. Needs a valid
   * access token of the same room and endpoint AND the `resume.token` of its `join`. Notifications
   * numbered after `lastSeq` are sent again after the reply; when they no longer fit the server's
   * buffer, `replayed` is false and the result's state is the snapshot to start from.
   */
  resume: {
    params: z.object({
      roomId: z.string().min(1).max(200),
      token: z.string().min(1).max(8192),
      resumeToken: z.string().min(1).max(200),
      /** `seq` of the last notification the client received (0 for none). */
      lastSeq: z.number().int().min(0),
    }),
    result: z.object({
      room: joinedRoomSchema,
      endpoint: endpointInfoSchema,
      endpoints: z.array(endpointInfoSchema),
      state: roomJoinedEventSchema,
      resume: resumeInfoSchema,
      /** Subscriptions the endpoint still has on the server (ids). */
      subscriptionIds: z.array(z.string()),
      /** True: the missed notifications follow the reply. False: too many were missed; use this state. */
      replayed: z.boolean(),
    }),
  },
  publish: {
    params: z.object({ tag: streamTagSchema, sdp: sdpSchema }),
    result: z.object({ sdp: sdpSchema, stream: streamInfoSchema }),
  },
  unpublish: {
    params: z.object({ tag: streamTagSchema }),
    result: z.object({}),
  },
  'track.setMuted': {
    params: z.object({ tag: streamTagSchema, kind: trackKindSchema, muted: z.boolean() }),
    result: z.object({}),
  },
  subscribe: {
    params: z.object({ endpointId: endpointIdSchema, tag: streamTagSchema }),
    /** The server offers; the SDK answers with `subscription.answer`. */
    result: z.object({
      subscriptionId: z.string(),
      sdp: sdpSchema,
      stream: streamInfoSchema,
    }),
  },
  /** ICE restart of a published stream: the SDK's offer with new ICE credentials; the SFU answers. */
  'stream.restartIce': {
    params: z.object({ tag: streamTagSchema, sdp: sdpSchema }),
    result: z.object({ sdp: sdpSchema }),
  },
  /** ICE restart of a subscription: the SFU offers with new ICE credentials; answer with `subscription.answer`. */
  'subscription.restartIce': {
    params: z.object({ subscriptionId: z.string().min(1).max(100) }),
    result: z.object({ sdp: sdpSchema }),
  },
  'subscription.answer': {
    params: z.object({ subscriptionId: z.string().min(1).max(100), sdp: sdpSchema }),
    result: z.object({}),
  },
  'subscription.setPaused': {
    params: z.object({
      subscriptionId: z.string().min(1).max(100),
      kind: trackKindSchema,
      paused: z.boolean(),
    }),
    result: z.object({}),
  },
  /**
   * The size this endpoint shows a subscription's video at, in device pixels (0×0: not shown).
   * For a simulcast stream the SFU sends the smallest layer that fills it (bandwidth permitting).
   */
  'subscription.setVideoSize': {
    params: z.object({
      subscriptionId: z.string().min(1).max(100),
      width: z.number().int().min(0).max(16_384),
      height: z.number().int().min(0).max(16_384),
    }),
    result: z.object({}),
  },
  unsubscribe: {
    params: z.object({ subscriptionId: z.string().min(1).max(100) }),
    result: z.object({}),
  },
  leave: {
    params: z.object({}).optional(),
    result: z.object({}),
  },
  /** Replaces the connection's access token before it expires (same room and endpoint). */
  'token.refresh': {
    params: z.object({ token: z.string().min(1).max(8192) }),
    /** When the new token, and so this connection, expires (ISO 8601). */
    result: z.object({ expiresAt: z.string() }),
  },
  ...roomSessionMethods(),
} as const;
export type SignalMethod = keyof typeof signalMethods;
export type SignalParams<M extends SignalMethod> = z.input<(typeof signalMethods)[M]['params']>;
export type SignalResult<M extends SignalMethod> = z.output<(typeof signalMethods)[M]['result']>;

/** Why an endpoint left the room session. */
export const leaveReasonSchema = z.enum([
  'left',
  'disconnected',
  'replaced',
  'kicked',
  'session-ended',
  'server-shutdown',
  /** The access token expired and was not refreshed. */
  'token-expired',
  /** The connection dropped and was not resumed within the grace period. */
  'connection-lost',
]);
export type LeaveReason = z.infer<typeof leaveReasonSchema>;

/** Why the room session finished for this endpoint (`room.onFinished(reason)`). */
export const finishReasonSchema = z.enum([
  'left',
  'disconnected',
  'replaced',
  'kicked',
  'session-ended',
  'max-duration',
  'auto-close',
  'server-shutdown',
  /** The access token expired and was not refreshed (`token.refresh`). */
  'token-expired',
  /** The connection dropped and could not be resumed within the grace period. */
  'connection-lost',
]);
export type FinishReason = z.infer<typeof finishReasonSchema>;

/** Notification params, by method (server → SDK, no `id`). */
export const signalNotifications = {
  'endpoint.joined': z.object({ endpoint: endpointInfoSchema }),
  'endpoint.left': z.object({ endpointId: endpointIdSchema, reason: leaveReasonSchema }),
  'stream.published': z.object({ endpointId: endpointIdSchema, stream: streamInfoSchema }),
  'stream.unpublished': z.object({ endpointId: endpointIdSchema, tag: streamTagSchema }),
  'track.updated': z.object({
    endpointId: endpointIdSchema,
    tag: streamTagSchema,
    track: trackInfoSchema,
  }),
  /**
   * To the publishing endpoint of a simulcast stream: the layers (rids) someone receives. Send
   * these and pause the others until they are listed again.
   */
  'stream.layers': z.object({ tag: streamTagSchema, active: z.array(z.string().max(32)).max(8) }),
  'subscription.ended': z.object({
    subscriptionId: z.string(),
    reason: z.enum(['unsubscribed', 'unpublished', 'endpoint-left']),
  }),
  'room.finished': z.object({ reason: finishReasonSchema }),
  'member.joined': memberJoinedEventSchema,
  'member.left': memberLeftEventSchema,
  'member.updated': memberUpdatedEventSchema,
  'member.talking': memberTalkingEventSchema,
  'layout.changed': layoutChangedEventSchema,
  /** A recording of this room session started, changed (paused, resumed, a file began or ended) or ended. */
  'recording.started': recordingEventSchema,
  'recording.updated': recordingEventSchema,
  'recording.ended': recordingEventSchema,
  /** An RTMP stream of this room session started (media flowing) or ended (stopped or failed). */
  'stream.started': liveStreamEventSchema,
  'stream.ended': liveStreamEventSchema,
  /** A playback of this room session started, changed (paused, resumed, seeked, volume) or ended. */
  'playback.started': playbackEventSchema,
  'playback.updated': playbackEventSchema,
  'playback.ended': playbackEventSchema,
  'room.updated': roomUpdatedEventSchema,
  /** To one member only: another member (or the room) muted or unmuted its microphone or camera. */
  'member.media': memberMediaEventSchema,
  'chat.message': chatMessageEventSchema,
} as const;
export type SignalNotification = keyof typeof signalNotifications;
export type SignalNotificationParams<N extends SignalNotification> = z.output<
  (typeof signalNotifications)[N]
>;

/** JSON-RPC 2.0 envelopes. */
export const jsonRpcIdSchema = z.union([z.string().max(100), z.number().int()]);

export const jsonRpcRequestSchema = z.object({
  jsonrpc: z.literal('2.0'),
  id: jsonRpcIdSchema,
  method: z.string().max(100),
  params: z.unknown().optional(),
});
export type JsonRpcRequest = z.infer<typeof jsonRpcRequestSchema>;

export const jsonRpcNotificationSchema = z.object({
  jsonrpc: z.literal('2.0'),
  method: z.string(),
  params: z.unknown().optional(),
  /** Per-endpoint number of the notification (1, 2, …), for `resume`'s `lastSeq`. Our extension. */
  seq: z.number().int().optional(),
});

export const jsonRpcErrorSchema = z.object({
  code: z.number().int(),
  message: z.string(),
  data: z.object({ code: z.string(), details: z.unknown().optional() }).optional(),
});
export type JsonRpcError = z.infer<typeof jsonRpcErrorSchema>;

export const jsonRpcResponseSchema = z.union([
  z.object({ jsonrpc: z.literal('2.0'), id: jsonRpcIdSchema.nullable(), result: z.unknown() }),
  z.object({ jsonrpc: z.literal('2.0'), id: jsonRpcIdSchema.nullable(), error: jsonRpcErrorSchema }),
]);

/** JSON-RPC numeric codes; our string code travels in `error.data.code`. */
export const JsonRpcCode = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  APPLICATION_ERROR: -32000,
} as const;

export function jsonRpcCodeFor(code: ErrorCode): number {
  switch (code) {
    case 'VALIDATION_FAILED':
      return JsonRpcCode.INVALID_PARAMS;
    case 'MALFORMED_JSON':
      return JsonRpcCode.PARSE_ERROR;
    case 'METHOD_NOT_ALLOWED':
      return JsonRpcCode.METHOD_NOT_FOUND;
    case 'INTERNAL':
      return JsonRpcCode.INTERNAL_ERROR;
    default:
      return JsonRpcCode.APPLICATION_ERROR;
  }
}

/** Largest signaling message the server accepts, in bytes. */
export const MAX_SIGNAL_MESSAGE_BYTES = 256 * 1024;
