/**
 * @module Compositions on the wire: `/api/v1/compositions`. A composition is a queued job that
 * renders ONE file of a room session from its recordings' per-track files, in a layout, each track
 * placed at its offset on the recording timeline (late joiners appear, early leavers disappear).
 */
import { z } from 'zod';
import { compositionLayoutSchema, layoutNameSchema } from './rooms.js';

export const compositionStatuses = ['queued', 'processing', 'completed', 'failed'] as const;
export const compositionStatusSchema = z
  .enum(compositionStatuses)
  .describe(
    '`queued`: waiting for its turn (one composition renders at a time); `processing`: ffmpeg is rendering (see `progress`); ' +
      '`completed`: the file can be downloaded; `failed`: see `error`.',
  );
export type CompositionStatus = z.infer<typeof compositionStatusSchema>;

export const compositionFormats = ['mp4', 'm4a'] as const;
export const compositionFormatSchema = z
  .enum(compositionFormats)
  .describe('`mp4`: H.264 video of the layout + AAC audio of every track mixed; `m4a`: the mixed audio only (AAC).');
export type CompositionFormat = z.infer<typeof compositionFormatSchema>;

export const compositionLayoutSpecSchema = z
  .union([layoutNameSchema, compositionLayoutSchema])
  .describe('A layout name (`grid-responsive`, `2x2`, `GRID`, …) or `{type: GRID|SPOTLIGHT|SIDEBAR, priority, gridSize}`; default the room’s layout.');

/** `WIDTHxHEIGHT`, even numbers between 160x90 and 3840x2160 (H.264 in 4:2:0 needs even sizes). */
export const resolutionSchema = z
  .string()
  .regex(/^\d{2,4}x\d{2,4}$/, 'WIDTHxHEIGHT, e.g. 1280x720')
  .refine((value) => {
    const [width, height] = value.split('x').map(Number) as [number, number];
    return width % 2 === 0 && height % 2 === 0 && width >= 160 && height >= 90 && width <= 3840 && height <= 2160;
  }, 'even width and height within 160x90..3840x2160')
  .describe('Canvas size `WIDTHxHEIGHT` (even numbers, 160x90 to 3840x2160); default `1280x720`.');

export function parseResolution(value: string): { width: number; height: number } {
  const [width, height] = value.split('x').map(Number) as [number, number];
  return { width, height };
}

export const createCompositionBodySchema = z
  .object({
    sessionId: z.uuid().describe('The room session to compose; its recordings must have stopped.'),
    recordingId: z.uuid().optional().describe('Compose only this recording of the session; default every recording of it.'),
    layout: compositionLayoutSpecSchema.optional(),
    resolution: resolutionSchema.default('1280x720'),
    format: compositionFormatSchema.default('mp4'),
  })
  .strict();
export type CreateCompositionBody = z.output<typeof createCompositionBodySchema>;

export const compositionSchema = z.object({
  id: z.uuid().describe('Id of the composition.'),
  sessionId: z.uuid().describe('The room session composed.'),
  roomId: z.uuid().describe('The room.'),
  recordingId: z.uuid().nullable().describe('The one recording composed, when one was named; null for every recording of the session.'),
  status: compositionStatusSchema,
  layout: compositionLayoutSpecSchema,
  resolution: z.string().describe('Canvas size, `WIDTHxHEIGHT`.'),
  format: compositionFormatSchema,
  progress: z.number().min(0).max(100).describe('Percent of the output rendered (from ffmpeg’s progress); 100 once completed.'),
  createdAt: z.string().describe('ISO 8601 time it was queued.'),
  startedAt: z.string().nullable().describe('ISO 8601 time rendering started.'),
  completedAt: z.string().nullable().describe('ISO 8601 time it completed or failed.'),
  durationMs: z.number().int().nullable().describe('Length of the file (the recorded time, paused stretches left out); null until completed.'),
  sizeBytes: z.number().int().nullable().describe('Bytes of the file once completed.'),
  error: z.string().nullable().describe('Why it failed: ffmpeg’s last error lines, a missing input file, `server-restart`, …'),
  links: z.object({ self: z.string(), download: z.string(), session: z.string() }),
});
export type Composition = z.infer<typeof compositionSchema>;

export const compositionIdParamsSchema = z.object({ compositionId: z.uuid() });

export const listCompositionsQuerySchema = z
  .object({
    roomId: z.string().max(200).optional().describe('Only compositions of this room (UUID or customRoomId).'),
    sessionId: z.uuid().optional().describe('Only compositions of this room session.'),
    status: compositionStatusSchema.optional().describe('Only compositions in this state.'),
    limit: z.coerce.number().int().min(1).max(100).default(20).describe('Page size (1..100, default 20).'),
    cursor: z.string().max(500).optional().describe("Opaque cursor from the previous page's `nextCursor`."),
  })
  .strict();
