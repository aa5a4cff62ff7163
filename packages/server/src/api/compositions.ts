/**
 * @module REST: compositions (`/api/v1/compositions`): queue one (202), list, read, download
 * (with HTTP range requests), delete.
 */
import type { FastifyInstance } from 'fastify';
import {
  compositionIdParamsSchema,
  createCompositionBodySchema,
  ErrorCode,
  listCompositionsQuerySchema,
  type ErrorBody,
} from '@atrium/protocol';
import type { CompositionManager } from '../service/composition-manager.js';
import type { RoomManager } from '../service/room-manager.js';
import { sendFile } from './recordings.js';
import { parse } from './validate.js';

export function registerCompositionRoutes(app: FastifyInstance, rooms: RoomManager, compositions: CompositionManager): void {
  app.post('/api/v1/compositions', async (request, reply) => {
    const body = parse(createCompositionBodySchema, request.body ?? {}, 'composition');
    const composition = await compositions.create(body);
    return reply.status(202).header('location', composition.links.self).send(composition);
  });

  app.get('/api/v1/compositions', async (request) => {
    const query = parse(listCompositionsQuerySchema, request.query, 'query');
    const roomId = query.roomId === undefined ? undefined : (await rooms.getRoom(query.roomId)).id;
    return compositions.list({ ...query, roomId });
  });

  app.get('/api/v1/compositions/:compositionId', async (request) => {
    const { compositionId } = parse(compositionIdParamsSchema, request.params, 'path');
    return compositions.get(compositionId);
  });

  app.get('/api/v1/compositions/:compositionId/download', async (request, reply) => {
    const { compositionId } = parse(compositionIdParamsSchema, request.params, 'path');
    return sendFile(reply, await compositions.fileForDownload(compositionId), request.headers.range);
  });

  app.delete('/api/v1/compositions/:compositionId', async (request, reply) => {
    const { compositionId } = parse(compositionIdParamsSchema, request.params, 'path');
    if (!(await compositions.delete(compositionId))) {
      const body: ErrorBody = { error: { code: ErrorCode.COMPOSITION_NOT_FOUND, message: `composition "${compositionId}" does not exist` } };
      return reply.status(404).send(body);
    }
    return reply.status(204).send();
  });
}
