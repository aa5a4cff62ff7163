/**
 * @module REST: rooms (`/api/v1/rooms`) and endpoint access tokens.
 */
import type { FastifyInstance } from 'fastify';
import {
  accessTokenParamsSchema,
  createAccessTokenBodySchema,
  createRoomBodySchema,
  roomFieldAliases,
  roomIdParamsSchema,
} from '@atrium/protocol';
import type { RoomManager } from '../service/room-manager.js';
import { parse } from './validate.js';

export function registerRoomRoutes(app: FastifyInstance, rooms: RoomManager): void {
  app.post('/api/v1/rooms', async (request, reply) => {
    const body = parse(createRoomBodySchema, request.body === undefined ? {} : request.body, 'room', roomFieldAliases);
    const room = await rooms.createRoom(body);
    return reply.status(201).header('location', `/api/v1/rooms/${room.id}`).send(room);
  });

  app.get('/api/v1/rooms/:roomId', async (request) => {
    const { roomId } = parse(roomIdParamsSchema, request.params, 'path');
    return rooms.getRoom(roomId);
  });

  app.post('/api/v1/endpoints/:endpointId/access-tokens', async (request, reply) => {
    const { endpointId } = parse(accessTokenParamsSchema, request.params, 'path');
    const body = parse(createAccessTokenBodySchema, request.body === undefined ? {} : request.body, 'access token request');
    return reply.status(201).send(await rooms.issueAccessToken(endpointId, body));
  });
}
