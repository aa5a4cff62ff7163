/**
 * @module The demo page at `/` and its dev-only token route (`POST /demo/api/join`), which lets
 * the page join without the API secret ever reaching the browser. Disabled with ATRIUM_DEMO=0.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import { z } from 'zod';
import { AtriumError, ErrorCode, createRoomBodySchema } from '@atrium/protocol';
import type { AccessTokenManager } from '../service/access-token-manager.js';
import type { RoomManager } from '../service/room-manager.js';
import { parse } from './validate.js';

const joinBodySchema = z
  .object({
    room: z.string().trim().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only, at most 64'),
    name: z.string().trim().min(1).max(64),
  })
  .strict();

export interface DemoDeps {
  rooms: RoomManager;
  accessTokens: AccessTokenManager;
  /** The API key the demo's tokens are issued under (the bootstrap key). */
  apiKey: string;
}

export async function registerDemo(app: FastifyInstance, deps: DemoDeps, distDir: string): Promise<void> {
  const { rooms, accessTokens } = deps;
  app.post('/demo/api/join', async (request, reply) => {
    const body = parse(joinBodySchema, request.body === undefined ? {} : request.body, 'demo join');
    const customRoomId = `demo-${body.room}`;
    let room;
    try {
      room = await rooms.getRoom(customRoomId);
    } catch (error) {
      if (!AtriumError.is(error, ErrorCode.ROOM_NOT_FOUND)) throw error;
      room = await rooms
        .createRoom(createRoomBodySchema.parse({ title: body.room, customRoomId }))
        .catch(async (e: unknown) => {
          // Two people created the same demo room at once: use the winner's.
          if (AtriumError.is(e, ErrorCode.ROOM_EXISTS)) return rooms.getRoom(customRoomId);
          throw e;
        });
    }
    const slug = body.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40) || 'guest';
    const endpointId = `${slug}-${crypto.randomBytes(3).toString('hex')}`;
    const { token, refreshToken } = await accessTokens.issue(deps.apiKey, endpointId, {
      roomId: room.id,
      name: body.name,
      moderator: false,
      meta: {},
      ttlSeconds: 3600,
    });
    return reply.status(201).send({ roomId: room.id, token, refreshToken, endpointId });
  });

  if (!fs.existsSync(distDir)) {
    app.log.warn({ distDir }, 'demo page not built; run `npm run build`');
    app.get('/', async (_request, reply) =>
      reply.status(503).type('text/plain').send('The demo page is not built yet: run `npm run build`.\n'),
    );
    return;
  }
  await app.register(fastifyStatic, { root: distDir, prefix: '/', index: ['index.html'] });
}
