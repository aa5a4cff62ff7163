/**
 * @module Wires the server together: store, auth, SFU, room sessions, REST, signaling and the
 * demo page. `createServer` does not listen; call `listen()`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { AtriumError, ErrorCode, type ErrorBody } from '@atrium/protocol';
import type { Config } from './config.js';
import { createLogger } from './log.js';
import { loadOrCreateCredentials, type ApiCredentials } from './auth/credentials.js';
import { AccessTokens } from './auth/access-tokens.js';
import { ApiAuthenticator } from './auth/api-auth.js';
import { Store } from './store/store.js';
import { Sfu } from './sfu/sfu.js';
import { RoomSessions } from './rtc/room-sessions.js';
import { RoomManager } from './service/room-manager.js';
import { ApiKeyManager } from './service/api-key-manager.js';
import { AccessTokenManager } from './service/access-token-manager.js';
import { SessionManager } from './service/session-manager.js';
import { RecordingManager } from './service/recording-manager.js';
import { PlaybackManager } from './service/playback-manager.js';
import { registerRecordingRoutes } from './api/recordings.js';
import { LiveManager } from './service/live-manager.js';
import { registerLiveFileRoutes, registerLiveStreamRoutes } from './api/live-streams.js';
import { CompositionManager } from './service/composition-manager.js';
import { registerCompositionRoutes } from './api/compositions.js';
import { CompositeRecordings } from './service/composite-recording.js';
import { errorHandler } from './api/errors.js';
import { requireApiKey } from './api/auth-hook.js';
import { registerRoomRoutes } from './api/rooms.js';
import { registerAccessTokenRefreshRoute, registerAccessTokenRoutes } from './api/access-tokens.js';
import { registerApiKeyRoutes } from './api/api-keys.js';
import { registerSessionRoutes } from './api/sessions.js';
import { registerDemo } from './api/demo.js';
import { recordRoutes, registerOpenApi, type RegisteredRoute } from './api/openapi.js';
import { registerWebhookRoutes } from './api/webhooks.js';
import { WebhookDispatcher } from './webhooks/dispatcher.js';
import { WebhookAdmin } from './webhooks/webhook-admin.js';
import { registerSignaling } from './signaling/signal-server.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const DEMO_DIST_DIR = path.resolve(here, '../../../apps/demo/dist');

/** Largest REST body accepted, in bytes. */
export const REST_BODY_LIMIT = 64 * 1024;

export interface AtriumServer {
  app: FastifyInstance;
  config: Config;
  credentials: ApiCredentials & { generated: boolean };
  store: Store;
  sfu: Sfu;
  /** Live room sessions on this node. */
  sessions: RoomSessions;
  rooms: RoomManager;
  /** API keys: create, list, revoke; the store-backed key lookup of REST auth and tokens. */
  apiKeys: ApiKeyManager;
  /** Access and refresh tokens. */
  accessTokens: AccessTokenManager;
  /** Room session use cases: joins, history, moderation, crash recovery. */
  sessionManager: SessionManager;
  /** Recordings: start/stop/pause, files, crash recovery. */
  recordings: RecordingManager;
  /** Live composites: RTMP streams, HLS, room previews. */
  live: LiveManager;
  /** Playbacks: URLs played into room sessions as virtual endpoints. */
  playbacks: PlaybackManager;
  /** Compositions: the queue of renders from recordings' track files. */
  compositions: CompositionManager;
  /** Delivers the webhook outbox (started by createServer). */
  webhooks: WebhookDispatcher;
  /** Every route the app registered (HEAD twins of GETs left out); the OpenAPI test checks the catalog against it. */
  routes: readonly RegisteredRoute[];
  log: Logger;
  /** Starts listening; resolves to the base URL (e.g. `http://127.0.0.1:7880`). */
  listen(): Promise<string>;
  /** Ends every room session, closes peer connections, sockets and the store. Idempotent. */
  close(): Promise<void>;
}

export async function createServer(config: Config, options: { log?: Logger } = {}): Promise<AtriumServer> {
  const log = options.log ?? createLogger(config.logLevel);
  const credentials = loadOrCreateCredentials(config.dataDir, { apiKey: config.apiKey, apiSecret: config.apiSecret });
  const store = await Store.open(
    config.databaseUrl ? { kind: 'postgres', url: config.databaseUrl } : { kind: 'sqlite', file: path.join(config.dataDir, 'atrium.sqlite') },
  );
  const apiKeys = new ApiKeyManager({ store, log: log.child({ module: 'api-keys' }) });
  await apiKeys.ensureBootstrapKey(credentials);
  const tokens = new AccessTokens(apiKeys);
  const sfu = new Sfu(config.rtc, log.child({ module: 'sfu' }));
  const sessions = new RoomSessions(sfu);
  const rooms = new RoomManager({ store, sessions });
  const accessTokens = new AccessTokenManager({
    store,
    tokens,
    rooms,
    log: log.child({ module: 'access-tokens' }),
    autoCreateRooms: config.autoCreateRooms,
    refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
  });
  const recordings = new RecordingManager({ store, live: sessions, log: log.child({ module: 'recordings' }), config: config.recordings });
  const live = new LiveManager({ store, live: sessions, log: log.child({ module: 'live' }), config: config.live });
  const sessionManager = new SessionManager({
    store, tokens, rooms, live: sessions, log: log.child({ module: 'sessions' }), autoCloseMinuteMs: config.autoCloseMinuteMs,
    onSessionStarted: (session, room) => {
      recordings.onSessionStarted(session, room);
      live.onSessionStarted(session, room);
    },
  });
  // The SDK's recording.* events: every endpoint of the recorded session hears of each change.
  for (const event of ['recording.started', 'recording.updated', 'recording.ended'] as const) {
    recordings.on(event, (recording) => {
      const live = sessions.get(recording.roomId);
      if (live?.id === recording.sessionId) live.announce(event, { room_session_id: live.id, room_id: live.roomId, recording }, ['room.recording']);
    });
  }
  // The SDK's stream.* events (RTMP streams), to the session's endpoints allowed to stream.
  for (const event of ['stream.started', 'stream.ended'] as const) {
    live.on(event, (stream) => {
      const session = sessions.get(stream.roomId);
      if (session?.id === stream.sessionId) session.announce(event, { room_session_id: session.id, room_id: session.roomId, stream }, ['room.stream', 'room.stream.start']);
    });
  }
  const playbacks = new PlaybackManager({ config: config.playback, log: log.child({ module: 'playbacks' }) });
  // The SDK's playback.* events, to the session's endpoints allowed `room.playback`.
  for (const event of ['playback.started', 'playback.updated', 'playback.ended'] as const) {
    playbacks.on(event, (playback) => {
      const session = sessions.get(playback.roomId);
      if (session?.id === playback.sessionId) session.announce(event, { room_session_id: session.id, room_id: session.roomId, playback }, ['room.playback']);
    });
  }
  const compositions = new CompositionManager({
    store,
    log: log.child({ module: 'compositions' }),
    config: { dir: config.compositions.dir, recordingsDir: config.recordings.dir, ffmpegPath: config.recordings.ffmpegPath, ffprobePath: config.recordings.ffprobePath },
  });
  // A recording's `composite` output: composed when the recording stops (also one a crash stopped).
  new CompositeRecordings({
    store,
    recordings,
    compositions,
    config: { recordingsDir: config.recordings.dir, compositionsDir: config.compositions.dir },
    log: log.child({ module: 'composite-recordings' }),
  });
  await recordings.recoverAfterCrash();
  await live.recoverAfterCrash();
  await compositions.recoverAfterCrash();
  compositions.start();
  await sessionManager.recoverAfterCrash();

  const webhooks = new WebhookDispatcher({
    webhooks: store.webhooks,
    secret: credentials.apiSecret,
    log: log.child({ module: 'webhooks' }),
    ...config.webhooks,
  });

  const fastifyLogger: FastifyBaseLogger = log;
  const app = Fastify({
    loggerInstance: fastifyLogger,
    bodyLimit: REST_BODY_LIMIT,
    // Room and endpoint ids go up to 200 characters in paths.
    routerOptions: { maxParamLength: 256 },
    frameworkErrors: (error, request, reply) => errorHandler(error, request, reply),
  });
  // REST bodies are JSON only: anything else is 415, not a string handed to validation.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler(errorHandler);
  const routes = recordRoutes(app);
  app.setNotFoundHandler((request, reply) => {
    const body: ErrorBody = { error: { code: ErrorCode.NOT_FOUND, message: `no route ${request.method} ${request.url.split('?')[0]}` } };
    void reply.status(404).send(body);
  });

  await app.register(async (api) => {
    api.addHook('onRequest', requireApiKey(new ApiAuthenticator(apiKeys)));
    registerAccessTokenRoutes(api, accessTokens);
    registerApiKeyRoutes(api, apiKeys);
    registerRoomRoutes(api, rooms, sessionManager);
    registerWebhookRoutes(api, new WebhookAdmin({ webhooks: store.webhooks, onRedeliver: () => webhooks.notify() }));
    registerSessionRoutes(api, rooms, sessionManager);
    registerRecordingRoutes(api, rooms, recordings);
    registerLiveStreamRoutes(api, live);
    registerCompositionRoutes(api, rooms, compositions);
  });
  // HLS files and previews: their unguessable ids are the credential (players and <img> send no key).
  registerLiveFileRoutes(app, live);
  // The refresh token is the credential here: no API key, so browsers can refresh.
  await registerAccessTokenRefreshRoute(app, accessTokens);
  // The OpenAPI document and the docs page need no credentials either.
  await registerOpenApi(app);
  await registerSignaling(app, { sessions: sessionManager, recordings, live, playbacks, tokens, log: log.child({ module: 'signaling' }), heartbeatMs: config.signalHeartbeatMs, reconnectGraceMs: config.reconnectGraceMs });
  if (config.demo) await registerDemo(app, { rooms, accessTokens, apiKey: credentials.apiKey }, DEMO_DIST_DIR);

  // Events left in the outbox by a previous run (or a crash) go out now.
  webhooks.start();

  let closing: Promise<void> | undefined;
  return {
    app,
    config,
    credentials,
    store,
    sfu,
    sessions,
    rooms,
    apiKeys,
    accessTokens,
    sessionManager,
    recordings,
    live,
    playbacks,
    compositions,
    webhooks,
    routes,
    log,
    async listen() {
      await app.listen({ port: config.port, host: config.host });
      const address = app.server.address();
      if (address === null || typeof address === 'string') throw new AtriumError(ErrorCode.INTERNAL, 'no TCP address');
      const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
      return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
    },
    close() {
      closing ??= (async () => {
        await recordings.close();
        await live.close();
        playbacks.close();
        await compositions.close();
        sessions.endAll('server-shutdown');
        sfu.close();
        await sessionManager.flush();
        await app.close();
        await webhooks.close();
        await store.close();
      })();
      return closing;
    },
  };
}
