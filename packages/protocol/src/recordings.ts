/**
 * @module Recordings on the wire: the REST bodies and answers of `/api/v1/recordings` and
 * `POST /api/v1/sessions/{sessionId}/recordings`. A recording has outputs: per-track files
 * (`tracks`: each published track copied to its own WebM, with its offset on the recording's
 * timeline) and, when asked, a composite of the room in its layout rendered from them at the stop.
 */
import { z } from 'zod';

export const recordingStatuses = ['starting', 'recording', 'paused', 'stopping', 'stopped', 'failed'] as const;
export const recordingStatusSchema = z
  .enum(recordingStatuses)
  .describe(
    '`starting`: ffmpeg is being started; `recording`; `paused` (tracks receive nothing); `stopping`: files are being closed; ' +
      '`stopped`: every file is finished; `failed`: an ffmpeg process died or could not start (see `error`).',
  );
export type RecordingStatus = z.infer<typeof recordingStatusSchema>;

export const recordingOutputSchema = z
  .enum(['tracks', 'composite'])
  .describe(
    '`tracks`: one file per published track (`-c copy`, WebM with VP8 or Opus). `composite`: also ONE file of the room in its layout ' +
      '(MP4 H.264 + AAC, or M4A when the room’s `autoStartConfig.recording.config.mode` is `audio`), rendered from the track files when the recording stops, ' +
      'paused stretches left out; it is listed as a file with `output: composite` (status `recording` while it renders) and reported by `composition-*` webhooks with the `recordingId`.',
  );

export const recordingPauseSchema = z.object({
  pausedAt: z.string().describe('ISO 8601 time the recording was paused.'),
  resumedAt: z.string().nullable().describe('ISO 8601 time it resumed; null while paused.'),
});

export const recordingTrackFileSchema = z.object({
  id: z.string().describe('Id of the file; pass as `track` to the download route.'),
  output: z.enum(['track', 'composite']).describe('`track`: one published track; `composite`: the room in its layout, all tracks mixed.'),
  endpointId: z.string().nullable().describe('The endpoint whose track this is.'),
  tag: z.string().nullable().describe('Tag of the stream the track belongs to.'),
  kind: z.enum(['audio', 'video']).nullable().describe('Kind of the track.'),
  codec: z.string().describe('`vp8` or `opus` (copied, not transcoded); `h264` (or `aac` for audio only) for the composite.'),
  container: z.string().describe('`webm`; `mp4` for the composite.'),
  status: z.enum(['recording', 'finished', 'failed']).describe('`recording` while written; `finished` once closed and renamed into place.'),
  offsetMs: z
    .number()
    .int()
    .describe('Where the file starts on the recording timeline: ms after the recording started (a late joiner has a later offset).'),
  startedAt: z.string().describe('ISO 8601 time of the first media in the file.'),
  endedAt: z.string().nullable().describe('ISO 8601 time the file was closed.'),
  durationMs: z.number().int().nullable().describe('Media time the file covers (pauses included); null while recording.'),
  sizeBytes: z.number().int().nullable().describe('Bytes on disk once finished.'),
  error: z.string().nullable().describe('Why this file failed, when it did.'),
  downloadUrl: z.string().describe('Where to fetch the file (HTTP range requests supported).'),
});
export type RecordingTrackFile = z.infer<typeof recordingTrackFileSchema>;

export const recordingSchema = z.object({
  id: z.uuid().describe('Id of the recording.'),
  sessionId: z.uuid().describe('The room session recorded.'),
  roomId: z.uuid().describe('The room.'),
  status: recordingStatusSchema,
  outputs: z.array(recordingOutputSchema).describe('What the recording produces.'),
  startedAt: z.string().describe('ISO 8601 start of the recording timeline (file offsets count from it).'),
  stoppedAt: z.string().nullable().describe('ISO 8601 time it stopped or failed.'),
  endReason: z
    .string()
    .nullable()
    .describe('Why it stopped: api, session-ended, server-shutdown, server-restart, failed.'),
  error: z.string().nullable().describe('Why it failed (ffmpeg’s last error lines, disk full, ffmpeg missing).'),
  durationMs: z.number().int().nullable().describe('Stop minus start, in ms; null while active.'),
  pauses: z.array(recordingPauseSchema).describe('Paused stretches; track files have no media in them.'),
  files: z.array(recordingTrackFileSchema).describe('The files, in the order they started.'),
  links: z.object({ self: z.string(), download: z.string(), session: z.string() }),
});
export type Recording = z.infer<typeof recordingSchema>;

export const startRecordingBodySchema = z
  .object({
    outputs: z
      .array(recordingOutputSchema)
      .min(1)
      .default(['tracks'])
      .describe('What to produce; default `["tracks"]` (an automatic recording of a room with `autoStartConfig.recording` adds `composite`).'),
  })
  .strict();
export type StartRecordingBody = z.output<typeof startRecordingBodySchema>;

export const recordingIdParamsSchema = z.object({ recordingId: z.uuid() });

export const recordingActionParamsSchema = z.object({
  recordingId: z.uuid(),
  action: z.enum(['stop', 'pause', 'resume']),
});

export const listRecordingsQuerySchema = z
  .object({
    roomId: z.string().max(200).optional().describe('Only recordings of this room (UUID or customRoomId).'),
    sessionId: z.uuid().optional().describe('Only recordings of this room session.'),
    status: recordingStatusSchema.optional().describe('Only recordings in this state.'),
    limit: z.coerce.number().int().min(1).max(100).default(20).describe('Page size (1..100, default 20).'),
    cursor: z.string().max(500).optional().describe("Opaque cursor from the previous page's `nextCursor`."),
  })
  .strict();

export const downloadRecordingQuerySchema = z
  .object({
    track: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('Id of one file of the recording; without it, the finished composite, else the only file (required when there are several track files and no composite).'),
  })
  .strict();

export const bulkDeleteRecordingsBodySchema = z
  .object({
    ids: z.array(z.uuid()).min(1).max(100).describe('Recordings to delete (active ones are stopped first).'),
  })
  .strict();

export const bulkDeleteRecordingsResultSchema = z.object({
  deleted: z.array(z.string()).describe('Ids deleted.'),
  notFound: z.array(z.string()).describe('Ids that did not exist.'),
});
