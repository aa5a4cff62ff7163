/**
 * @module REST: recordings (`/api/v1/recordings`, `POST /api/v1/sessions/{sessionId}/recordings`):
 * start, stop, pause, resume, list, read, download (with HTTP range requests), delete, bulk delete.
 */
import fs from 'node:fs';
import type { FastifyInstance, FastifyReply } from 'fastify';
import {
  bulkDeleteRecordingsBodySchema,
  downloadRecordingQuerySchema,
  ErrorCode,
  listRecordingsQuerySchema,
  recordingIdParamsSchema,
  sessionIdParamsSchema,
  startRecordingBodySchema,
  type ErrorBody,
} from '@atrium/protocol';
import type { RecordingManager } from '../service/recording-manager.js';
import type { RoomManager } from '../service/room-manager.js';
import { bodyOf, parse } from './validate.js';

/** A single `bytes=` range of a file of `size` bytes: inclusive bounds, or 'unsatisfiable'; undefined when absent or not parseable (whole file). */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

/** Sends a file with `accept-ranges`: 200 whole, 206 for one `bytes=` range, 416 outside it. */
export function sendFile(reply: FastifyReply, file: { path: string; size: number; name: string; contentType: string }, rangeHeader: string | undefined): FastifyReply {
  reply
    .header('accept-ranges', 'bytes')
    .header('content-type', file.contentType)
    .header('content-disposition', `attachment; filename="${file.name}"`);
  const range = parseRange(rangeHeader, file.size);
  if (range === 'unsatisfiable') {
    const body: ErrorBody = { error: { code: ErrorCode.VALIDATION_FAILED, message: `the range is outside the file (${file.size} bytes)` } };
    return reply.status(416).header('content-range', `bytes */${file.size}`).header('content-type', 'application/json').send(body);
  }
  if (range) {
    return reply
      .status(206)
      .header('content-range', `bytes ${range.start}-${range.end}/${file.size}`)
      .header('content-length', range.end - range.start + 1)
      .send(fs.createReadStream(file.path, { start: range.start, end: range.end }));
  }
  return reply.status(200).header('content-length', file.size).send(fs.createReadStream(file.path));
}

export function registerRecordingRoutes(app: FastifyInstance, rooms: RoomManager, recordings: RecordingManager): void {
  app.post('/api/v1/sessions/:sessionId/recordings', async (request, reply) => {
    const { sessionId } = parse(sessionIdParamsSchema, request.params, 'path');
    const body = parse(startRecordingBodySchema, bodyOf(request.body), 'recording');
    const recording = await recordings.start(sessionId, body);
    return reply.status(201).header('location', recording.links.self).send(recording);
  });

  app.get('/api/v1/recordings', async (request) => {
    const query = parse(listRecordingsQuerySchema, request.query, 'query');
    const roomId = query.roomId === undefined ? undefined : (await rooms.getRoom(query.roomId)).id;
    return recordings.list({ ...query, roomId });
  });

  app.post('/api/v1/recordings/actions/delete', async (request) => {
    const { ids } = parse(bulkDeleteRecordingsBodySchema, bodyOf(request.body), 'bulk delete');
    const deleted: string[] = [];
    const notFound: string[] = [];
    for (const id of new Set(ids)) ((await recordings.delete(id)) ? deleted : notFound).push(id);
    return { deleted, notFound };
  });

  app.get('/api/v1/recordings/:recordingId', async (request) => {
    const { recordingId } = parse(recordingIdParamsSchema, request.params, 'path');
    return recordings.get(recordingId);
  });

  app.get('/api/v1/recordings/:recordingId/download', async (request, reply) => {
    const { recordingId } = parse(recordingIdParamsSchema, request.params, 'path');
    const { track } = parse(downloadRecordingQuerySchema, request.query, 'query');
    const file = await recordings.fileForDownload(recordingId, track);
    return sendFile(reply, file, request.headers.range);
  });

  app.post('/api/v1/recordings/:recordingId/actions/stop', async (request) => {
    const { recordingId } = parse(recordingIdParamsSchema, request.params, 'path');
    return recordings.stop(recordingId);
  });

  for (const action of ['pause', 'resume'] as const) {
    app.post(`/api/v1/recordings/:recordingId/actions/${action}`, async (request) => {
      const { recordingId } = parse(recordingIdParamsSchema, request.params, 'path');
      return recordings.setPaused(recordingId, action === 'pause');
    });
  }

  app.delete('/api/v1/recordings/:recordingId', async (request, reply) => {
    const { recordingId } = parse(recordingIdParamsSchema, request.params, 'path');
    if (!(await recordings.delete(recordingId))) {
      const body: ErrorBody = { error: { code: ErrorCode.RECORDING_NOT_FOUND, message: `recording "${recordingId}" does not exist` } };
      return reply.status(404).send(body);
    }
    return reply.status(204).send();
  });
}
