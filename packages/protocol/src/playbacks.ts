/**
 * @module Playbacks on the wire: a URL's media played into a room session as a virtual endpoint
 * (the reference's `RoomSessionPlayback`), as `playback.*` calls answer and `playback.*` events carry.
 */
import { z } from 'zod';

/** The stream tag a playback's virtual endpoint publishes under. */
export const PLAYBACK_STREAM_TAG = 'playback';

export const playbackStates = ['playing', 'paused', 'completed'] as const;
export const playbackStateSchema = z
  .enum(playbackStates)
  .describe('`playing`; `paused` (ffmpeg stopped, position kept); `completed`: ended for good (see `endReason`).');
export type PlaybackState = z.infer<typeof playbackStateSchema>;

export const playbackEndReasons = ['stopped', 'finished', 'failed', 'removed', 'session-ended'] as const;
export const playbackEndReasonSchema = z
  .enum(playbackEndReasons)
  .describe(
    '`stopped`: someone called stop; `finished`: the media ended; `failed`: ffmpeg died (see `error`); ' +
      '`removed`: its member was removed from the room; `session-ended`: the room session ended or every real endpoint left.',
  );
export type PlaybackEndReason = z.infer<typeof playbackEndReasonSchema>;

export const playbackSchema = z.object({
  id: z.uuid().describe('Id of the playback; also the id of the member that plays it (`self` in `positions`).'),
  roomId: z.uuid().describe('The room.'),
  sessionId: z.uuid().describe('The room session played into.'),
  url: z.string().describe('What is played (credentials in the URL are redacted).'),
  memberId: z.string().describe('The virtual member publishing the media (stream tag `playback`).'),
  state: playbackStateSchema,
  volume: z.number().describe('Audio volume, -50..50 (0 = unchanged; v/2 dB).'),
  position: z.number().int().describe('Position in the media, in ms, when this was sent.'),
  seekable: z.boolean().describe('Whether `seek` works (files and HTTP; not RTMP).'),
  startedAt: z.string().describe('ISO 8601 time the playback started.'),
  endedAt: z.string().nullable().describe('ISO 8601 time it ended; null while active.'),
  endReason: playbackEndReasonSchema.nullable(),
  error: z.string().nullable().describe('Why it failed: ffmpeg’s last stderr lines.'),
});
export type Playback = z.infer<typeof playbackSchema>;

/** `playback.*` notifications: the playback as it stands. */
export const playbackEventSchema = z.object({ room_session_id: z.string(), room_id: z.string(), playback: playbackSchema });
export type PlaybackEvent = z.infer<typeof playbackEventSchema>;
