/**
 * @module The signaling WebSocket endpoint (`GET /api/v1/signal`) on the Fastify app, with a
 * heartbeat that drops sockets whose peer vanished without closing.
 */
import type { FastifyInstance } from 'fastify';
import websocket from '@fastify/websocket';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { MAX_SIGNAL_MESSAGE_BYTES, SIGNAL_PATH } from '@atrium/protocol';
import type { SessionManager } from '../service/session-manager.js';
import type { RecordingManager } from '../service/recording-manager.js';
import type { LiveManager } from '../service/live-manager.js';
import type { PlaybackManager } from '../service/playback-manager.js';
import type { AccessTokens } from '../auth/access-tokens.js';
import { SignalConnection } from './signal-connection.js';

export interface SignalServerOptions {
  sessions: SessionManager;
  recordings: RecordingManager;
  live: LiveManager;
  playbacks: PlaybackManager;
  /** Verifies the access tokens of `token.refresh`. */
  tokens: AccessTokens;
  log: Logger;
  /** Interval between pings; a socket that has not answered the previous ping is dropped. */
  heartbeatMs?: number;
  /** How long an endpoint whose socket dropped may `resume` (default 20 s). */
  reconnectGraceMs?: number;
}

export async function registerSignaling(app: FastifyInstance, options: SignalServerOptions): Promise<void> {
  const alive = new WeakMap<WebSocket, boolean>();
  const sockets = new Set<WebSocket>();
  await app.register(websocket, { options: { maxPayload: MAX_SIGNAL_MESSAGE_BYTES } });

  const heartbeat = setInterval(() => {
    for (const socket of sockets) {
      if (alive.get(socket) === false) {
        socket.terminate();
        continue;
      }
      alive.set(socket, false);
      socket.ping();
    }
  }, options.heartbeatMs ?? 10_000);
  heartbeat.unref();
  app.addHook('onClose', async () => {
    clearInterval(heartbeat);
    for (const socket of sockets) socket.terminate();
  });

  app.get(SIGNAL_PATH, { websocket: true }, (socket) => {
    sockets.add(socket);
    alive.set(socket, true);
    socket.on('pong', () => alive.set(socket, true));
    socket.on('close', () => sockets.delete(socket));
    new SignalConnection(socket, {
      sessions: options.sessions,
      recordings: options.recordings,
      live: options.live,
      playbacks: options.playbacks,
      tokens: options.tokens,
      log: options.log,
      reconnectGraceMs: options.reconnectGraceMs ?? 20_000,
    });
  });
}
