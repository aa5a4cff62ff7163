/**
 * @module REST: live streams of a room session — RTMP pushes (`/api/v1/sessions/{id}/livestreams`)
 * and HLS (`/api/v1/sessions/{id}/hls`) — and, without API credentials, the HLS files
 * (`/hls/{hlsId}/…`, the id is an unguessable capability) and room previews
 * (`/previews/{sessionId}/preview.jpg`).
 */
import fs from 'node:fs';
import type { FastifyInstance, FastifyReply } from 'fastify';
import {
  ErrorCode,
  hlsFileParamsSchema,
  liveStreamParamsSchema,
  previewParamsSchema,
  sessionIdParamsSchema,
  startLiveStreamBodySchema,
  type ErrorBody,
} from '@atrium/protocol';
import type { LiveManager } from '../service/live-manager.js';
import { bodyOf, parse } from './validate.js';

function notFound(reply: FastifyReply, message: string): FastifyReply {
  const body: ErrorBody = { error: { code: ErrorCode.NOT_FOUND, message } };
  return reply.status(404).send(body);
}

/** Routes behind the API key. */
export function registerLiveStreamRoutes(app: FastifyInstance, live: LiveManager): void {
  app.post('/api/v1/sessions/:sessionId/livestreams', async (request, reply) => {
    const { sessionId } = parse(sessionIdParamsSchema, request.params, 'path');
    const { url } = parse(startLiveStreamBodySchema, bodyOf(request.body), 'livestream');
    const stream = await live.startRtmp(sessionId, url);
    return reply.status(201).header('location', `/api/v1/sessions/${sessionId}/livestreams/${stream.id}`).send(stream);
  });

  app.post('/api/v1/sessions/:sessionId/hls', async (request, reply) => {
    const { sessionId } = parse(sessionIdParamsSchema, request.params, 'path');
    const stream = await live.startHls(sessionId);
    return reply.status(201).header('location', `/api/v1/sessions/${sessionId}/hls/${stream.id}`).send(stream);
  });

  for (const [segment, kind] of [['livestreams', 'rtmp'], ['hls', 'hls']] as const) {
    app.get(`/api/v1/sessions/:sessionId/${segment}`, async (request) => {
      const { sessionId } = parse(sessionIdParamsSchema, request.params, 'path');
      return { data: await live.listOfSession(sessionId, kind) };
    });
    app.get(`/api/v1/sessions/:sessionId/${segment}/:streamId`, async (request) => {
      const { sessionId, streamId } = parse(liveStreamParamsSchema, request.params, 'path');
      return live.get(sessionId, streamId, kind);
    });
    app.post(`/api/v1/sessions/:sessionId/${segment}/:streamId/actions/stop`, async (request) => {
      const { sessionId, streamId } = parse(liveStreamParamsSchema, request.params, 'path');
      live.get(sessionId, streamId, kind);
      return live.stop(sessionId, streamId);
    });
  }
}

/** Routes without credentials: HLS files and previews. */
export function registerLiveFileRoutes(app: FastifyInstance, live: LiveManager): void {
  app.get('/hls/:hlsId/:file', async (request, reply) => {
    const { hlsId, file } = parse(hlsFileParamsSchema, request.params, 'path');
    const found = live.hlsFile(hlsId, file);
    if (!found) return notFound(reply, `no HLS file "${file}" for "${hlsId}"`);
    const playlist = file.endsWith('.m3u8');
    return reply
      .header('content-type', playlist ? 'application/vnd.apple.mpegurl' : 'video/mp2t')
      .header('cache-control', playlist ? 'no-cache' : 'max-age=60')
      .header('access-control-allow-origin', '*')
      .send(fs.readFileSync(found));
  });

  app.get('/previews/:sessionId/preview.jpg', async (request, reply) => {
    const { sessionId } = parse(previewParamsSchema, request.params, 'path');
    const found = live.previewFile(sessionId);
    if (!found) return notFound(reply, `no preview of room session "${sessionId}" (previews off, the session ended, or the first image is not ready)`);
    return reply.header('content-type', 'image/jpeg').header('cache-control', 'no-cache').send(fs.readFileSync(found));
  });
}
