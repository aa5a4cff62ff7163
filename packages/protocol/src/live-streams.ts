/**
 * @module Live streams on the wire: the room session's composite sent to an RTMP(S) server
 * (`livestream`) or published as HLS on our HTTP server (`hls`). REST:
 * `/api/v1/sessions/{sessionId}/livestreams` and `/api/v1/sessions/{sessionId}/hls`; signaling:
 * `rtmp.start/list/stop` and the `stream.started` / `stream.ended` notifications.
 */
import { z } from 'zod';

export const liveStreamStatusSchema = z
  .enum(['starting', 'streaming', 'stopping', 'stopped', 'failed'])
  .describe(
    '`starting`: the composite or the output is starting; `streaming`: media is being written (RTMP: the server accepted it); ' +
      '`stopping`; `stopped`; `failed`: see `error`.',
  );
export type LiveStreamStatus = z.infer<typeof liveStreamStatusSchema>;

export const liveStreamSchema = z.object({
  id: z.uuid().describe('Id of the live stream.'),
  kind: z.enum(['rtmp', 'hls']).describe('`rtmp`: pushed to an RTMP(S) server; `hls`: served by Atrium at `playlistUrl`.'),
  sessionId: z.uuid().describe('The room session streamed.'),
  roomId: z.uuid().describe('The room.'),
  status: liveStreamStatusSchema,
  url: z.string().nullable().describe('RTMP: the URL streamed to, with its stream key (the last path segment) masked as `***`.'),
  playlistUrl: z.string().nullable().describe('HLS: the playlist (path on this server); playable once `hls-playable` fired.'),
  startedAt: z.string().describe('ISO 8601 time the stream was asked for.'),
  stoppedAt: z.string().nullable().describe('ISO 8601 time it stopped or failed.'),
  endReason: z.string().nullable().describe('Why it ended: api, session-ended, server-shutdown, failed.'),
  error: z.string().nullable().describe('Why it failed (ffmpeg’s last error lines).'),
});
export type LiveStream = z.infer<typeof liveStreamSchema>;

export const rtmpUrlSchema = z
  .string()
  .max(2048)
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'rtmp:' || url.protocol === 'rtmps:') && url.hostname !== '';
    } catch {
      return false;
    }
  }, 'an rtmp:// or rtmps:// URL with a host')
  .describe('RTMP(S) URL of a server accepting a stream, e.g. `rtmp://live.example.com/app/streamkey`.');

export const startLiveStreamBodySchema = z.object({ url: rtmpUrlSchema }).strict();
export type StartLiveStreamBody = z.output<typeof startLiveStreamBodySchema>;

/** The RTMP URL as the API and webhooks show it: the stream key (last path segment) masked. */
export function maskStreamKey(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    parsed.search = '';
    const segments = parsed.pathname.split('/');
    if (segments.length > 2 && segments.at(-1)) segments[segments.length - 1] = '***';
    parsed.pathname = segments.join('/');
    return parsed.toString().replace('%2A%2A%2A', '***');
  } catch {
    return '***';
  }
}

export const liveStreamParamsSchema = z.object({ sessionId: z.uuid(), streamId: z.uuid() });
export const hlsFileParamsSchema = z.object({ hlsId: z.uuid(), file: z.string().max(64) });
export const previewParamsSchema = z.object({ sessionId: z.uuid() });
