/**
 * @module REST: rooms (`/api/v1/rooms`): create, list, read, change, delete.
 */
import type { FastifyInstance } from 'fastify';
import {
  createRoomBodySchema,
  listRoomsQuerySchema,
  roomFieldAliases,
  roomIdParamsSchema,
  updateRoomBodySchema,
} from '@atrium/protocol';
import type { RoomManager } from '../service/room-manager.js';
import type { SessionManager } from '../service/session-manager.js';
import { parse } from './validate.js';

const bodyOf = (body: unknown): unknown => (body === undefined ? {} : body);

export function registerRoomRoutes(app: FastifyInstance, rooms: RoomManager, sessions: SessionManager): void {
  app.post('/api/v1/rooms', async (request, reply) => {
    const body = parse(createRoomBodySchema, bodyOf(request.body), 'room', roomFieldAliases);
    const room = await rooms.createRoom(body);
    return reply.status(201).header('location', `/api/v1/rooms/${room.id}`).send(room);
  });

  app.get('/api/v1/rooms', async (request) => {
    const query = parse(listRoomsQuerySchema, request.query, 'query');
    return rooms.listRooms(query);
  });

  app.get('/api/v1/rooms/:roomId', async (request) => {
    const { roomId } = parse(roomIdParamsSchema, request.params, 'path');
    return rooms.getRoom(roomId);
  });

  app.patch('/api/v1/rooms/:roomId', async (request) => {
    const { roomId } = parse(roomIdParamsSchema, request.params, 'path');
    const body = parse(updateRoomBodySchema, bodyOf(request.body), 'room changes', roomFieldAliases);
    return rooms.updateRoom(roomId, body);
  });

  app.delete('/api/v1/rooms/:roomId', async (request, reply) => {
    const { roomId } = parse(roomIdParamsSchema, request.params, 'path');
    const room = await rooms.getRoom(roomId);
    await sessions.endRoomSession(room.id, 'room-deleted');
    await rooms.deleteRoom(room.id);
    return reply.status(204).send();
  });
}
