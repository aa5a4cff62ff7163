/**
 * @module REST: room sessions and their endpoints (`/api/v1/sessions`, `/api/v1/endpoints`), and
 * the moderation actions end, mute, unmute and kick.
 */
import type { FastifyInstance } from 'fastify';
import {
  endpointMuteBodySchema,
  endpointSelectionSchema,
  listEndpointsQuerySchema,
  listSessionEndpointsQuerySchema,
  listSessionsQuerySchema,
  sessionEndpointParamsSchema,
  sessionIdParamsSchema,
  sessionMuteBodySchema,
  type TrackKind,
} from '@atrium/protocol';
import type { RoomManager } from '../service/room-manager.js';
import type { SessionManager } from '../service/session-manager.js';
import { bodyOf, parse } from './validate.js';

const kindsOf = (kind: 'audio' | 'video' | 'both'): TrackKind[] => (kind === 'both' ? ['audio', 'video'] : [kind]);

export function registerSessionRoutes(app: FastifyInstance, rooms: RoomManager, sessions: SessionManager): void {
  /** A room filter may name the room by id or customRoomId. */
  const roomIdOf = async (roomId: string | undefined): Promise<string | undefined> =>
    roomId === undefined ? undefined : (await rooms.getRoom(roomId)).id;

  app.get('/api/v1/sessions', async (request) => {
    const query = parse(listSessionsQuerySchema, request.query, 'query');
    return sessions.listSessions({ ...query, roomId: await roomIdOf(query.roomId) });
  });

  app.get('/api/v1/sessions/:sessionId', async (request) => {
    const { sessionId } = parse(sessionIdParamsSchema, request.params, 'path');
    return sessions.getSession(sessionId);
  });

  app.get('/api/v1/sessions/:sessionId/endpoints', async (request) => {
    const { sessionId } = parse(sessionIdParamsSchema, request.params, 'path');
    const query = parse(listSessionEndpointsQuerySchema, request.query, 'query');
    await sessions.getSession(sessionId);
    return sessions.listEndpoints({ ...query, sessionId });
  });

  app.get('/api/v1/endpoints', async (request) => {
    const query = parse(listEndpointsQuerySchema, request.query, 'query');
    return sessions.listEndpoints({ ...query, roomId: await roomIdOf(query.roomId) });
  });

  app.post('/api/v1/sessions/:sessionId/actions/end', async (request) => {
    const { sessionId } = parse(sessionIdParamsSchema, request.params, 'path');
    await sessions.end(sessionId);
    return sessions.getSession(sessionId);
  });

  app.post('/api/v1/sessions/:sessionId/actions/kick', async (request) => {
    const { sessionId } = parse(sessionIdParamsSchema, request.params, 'path');
    const selection = parse(endpointSelectionSchema, bodyOf(request.body), 'kick');
    return { endpointIds: await sessions.kick(sessionId, selection) };
  });

  for (const action of ['mute', 'unmute'] as const) {
    app.post(`/api/v1/sessions/:sessionId/actions/${action}`, async (request) => {
      const { sessionId } = parse(sessionIdParamsSchema, request.params, 'path');
      const { kind, ...selection } = parse(sessionMuteBodySchema, bodyOf(request.body), action);
      return { endpointIds: await sessions.setMuted(sessionId, selection, kindsOf(kind), action === 'mute') };
    });

    app.post(`/api/v1/sessions/:sessionId/endpoints/:endpointId/actions/${action}`, async (request) => {
      const { sessionId, endpointId } = parse(sessionEndpointParamsSchema, request.params, 'path');
      const { kind } = parse(endpointMuteBodySchema, bodyOf(request.body), action);
      return { endpointIds: await sessions.setMuted(sessionId, { endpointIds: [endpointId] }, kindsOf(kind), action === 'mute', true) };
    });
  }

  app.post('/api/v1/sessions/:sessionId/endpoints/:endpointId/actions/kick', async (request) => {
    const { sessionId, endpointId } = parse(sessionEndpointParamsSchema, request.params, 'path');
    return { endpointIds: await sessions.kick(sessionId, { endpointIds: [endpointId] }, true) };
  });
}
