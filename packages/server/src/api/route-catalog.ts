/**
 * @module The catalog of every REST route under `/api/v1`: method, path, auth, and the protocol's
 * zod schemas of its parameters, body, answers and error codes. `openapi.ts` turns it into the
 * OpenAPI document; `test/openapi.test.ts` checks it against the routes the server registered.
 */
import { z } from 'zod';
import {
  ErrorCode,
  accessTokenParamsSchema,
  accessTokenResponseSchema,
  actionResultSchema,
  apiKeyParamsSchema,
  apiKeySchema,
  createAccessTokenBodySchema,
  createApiKeyBodySchema,
  createRoomBodySchema,
  createWebhookSubscriptionBodySchema,
  createdApiKeySchema,
  endpointMuteBodySchema,
  endpointSelectionSchema,
  listEndpointsQuerySchema,
  listRoomsQuerySchema,
  listSessionEndpointsQuerySchema,
  listSessionsQuerySchema,
  listWebhookDeliveriesQuerySchema,
  listWebhookSubscriptionsQuerySchema,
  pageSchema,
  refreshAccessTokenBodySchema,
  roomFieldAliases,
  roomIdParamsSchema,
  roomSchema,
  sessionEndpointParamsSchema,
  sessionEndpointSchema,
  sessionIdParamsSchema,
  sessionMuteBodySchema,
  sessionSchema,
  updateRoomBodySchema,
  updateWebhookSubscriptionBodySchema,
  webhookDeliveryIdParamsSchema,
  webhookDeliverySchema,
  webhookEventDetailSchema,
  webhookEventIdParamsSchema,
  webhookIdParamsSchema,
  webhookSubscriptionSchema,
  bulkDeleteRecordingsBodySchema,
  bulkDeleteRecordingsResultSchema,
  downloadRecordingQuerySchema,
  listRecordingsQuerySchema,
  recordingIdParamsSchema,
  recordingSchema,
  startRecordingBodySchema,
  liveStreamParamsSchema,
  liveStreamSchema,
  startLiveStreamBodySchema,
  compositionIdParamsSchema,
  compositionSchema,
  createCompositionBodySchema,
  listCompositionsQuerySchema,
} from '@atrium/protocol';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

export interface ResponseDoc {
  description: string;
  /** The JSON body; a response without one (204, 101) omits it. */
  body?: z.ZodType;
  /** Headers worth knowing, name → description. */
  headers?: Readonly<Record<string, string>>;
}

export interface RouteDoc {
  method: HttpMethod;
  /** OpenAPI style: `/api/v1/rooms/{roomId}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: readonly string[];
  /** `apiKey`: HTTP Basic `key:secret` or a JWT signed with the secret; `none`: no credentials. */
  auth: 'apiKey' | 'none';
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** Input spellings the body also accepts (alias → canonical field), e.g. `max-endpoints`. */
  bodyAliases?: Readonly<Record<string, string>>;
  /** Successful answers by status. */
  responses: Readonly<Record<number, ResponseDoc>>;
  /**
   * Error codes particular to this route; their statuses come from `errorStatus`. Those every
   * route of a kind may answer are added by the document builder (`impliedErrors`).
   */
  errors: readonly ErrorCode[];
}

/** Tags in the order the docs page shows them. */
export const routeTags: ReadonlyArray<{ name: string; description: string }> = [
  { name: 'rooms', description: 'Rooms and their settings. `{roomId}` is the UUID or your `customRoomId`.' },
  { name: 'sessions', description: 'Room sessions (one per stretch of activity in a room) and moderation actions.' },
  { name: 'endpoints', description: 'The endpoints that joined room sessions: join/leave times, streams.' },
  { name: 'live', description: 'Live streams of a room session’s composite: RTMP(S) pushes and HLS served by Atrium.' },
  { name: 'recordings', description: 'Recordings of room sessions: per-track files, pause/resume, download with range requests.' },
  { name: 'compositions', description: 'Compositions: one MP4 (or M4A) of a recorded room session in a layout, rendered as a queued job.' },
  { name: 'access-tokens', description: 'Access tokens an endpoint joins with, and their refresh.' },
  { name: 'api-keys', description: 'API keys your backend calls this API with.' },
  { name: 'webhooks', description: 'Account-wide webhook subscriptions, the delivery log and redelivery.' },
  { name: 'signaling', description: 'The WebSocket endpoints join and signal over (JSON-RPC 2.0).' },
  { name: 'meta', description: 'This document.' },
];

const noContent = (description: string): ResponseDoc => ({ description });
const json = (description: string, body: z.ZodType): ResponseDoc => ({ description, body });

export const roomPage = pageSchema(roomSchema);
export const sessionPage = pageSchema(sessionSchema);
export const sessionEndpointPage = pageSchema(sessionEndpointSchema);
export const apiKeyPage = pageSchema(apiKeySchema);
export const webhookSubscriptionPage = pageSchema(webhookSubscriptionSchema);
export const webhookDeliveryPage = pageSchema(webhookDeliverySchema);
export const recordingPage = pageSchema(recordingSchema);
export const compositionPage = pageSchema(compositionSchema);

const RECORDING_ERRORS = [ErrorCode.RECORDING_NOT_FOUND] as const;

/** Live streams: RTMP pushes (`livestreams`) and HLS, each started, listed, read and stopped. */
function liveStreamRoutes(): RouteDoc[] {
  const kinds = [
    { segment: 'livestreams', noun: 'RTMP live stream', id: 'Livestream' },
    { segment: 'hls', noun: 'HLS stream', id: 'Hls' },
  ] as const;
  const errors = [ErrorCode.SESSION_NOT_FOUND, ErrorCode.LIVESTREAM_NOT_FOUND];
  return [
    {
      method: 'POST',
      path: '/api/v1/sessions/{sessionId}/livestreams',
      operationId: 'startLivestream',
      summary: 'Stream a live room session to an RTMP(S) server',
      description:
        'The session’s composite (its current layout, H.264 + AAC) is pushed to `url`. Answers at once with status `starting`; ' +
        '`livestream-started` (and the SDK’s `stream.started`) follow when the server accepted the stream, `livestream-failed` with ffmpeg’s reason otherwise.',
      tags: ['live', 'sessions'],
      auth: 'apiKey',
      params: sessionIdParamsSchema,
      body: startLiveStreamBodySchema,
      responses: { 201: { description: 'The live stream, starting.', body: liveStreamSchema, headers: { location: 'URL of the live stream.' } } },
      errors: [ErrorCode.SESSION_NOT_FOUND, ErrorCode.SESSION_ENDED, ErrorCode.LIVESTREAM_ACTIVE, ErrorCode.LIVESTREAM_FAILED],
    },
    {
      method: 'POST',
      path: '/api/v1/sessions/{sessionId}/hls',
      operationId: 'startHls',
      summary: 'Publish a live room session as HLS',
      description:
        'The composite is segmented (2 s segments, the last 6 listed) and served without credentials at `playlistUrl` (its id is the capability). ' +
        '`hls-playable` fires when the first segment is listed. One HLS stream per session.',
      tags: ['live', 'sessions'],
      auth: 'apiKey',
      params: sessionIdParamsSchema,
      responses: { 201: { description: 'The HLS stream, starting.', body: liveStreamSchema, headers: { location: 'URL of the HLS stream.' } } },
      errors: [ErrorCode.SESSION_NOT_FOUND, ErrorCode.SESSION_ENDED, ErrorCode.LIVESTREAM_ACTIVE, ErrorCode.LIVESTREAM_FAILED],
    },
    ...kinds.flatMap(({ segment, noun, id }): RouteDoc[] => [
      {
        method: 'GET',
        path: `/api/v1/sessions/{sessionId}/${segment}`,
        operationId: `list${id}s`,
        summary: `List a session’s ${noun}s`,
        description: 'Active and ended ones this server process ran, oldest first.',
        tags: ['live'],
        auth: 'apiKey',
        params: sessionIdParamsSchema,
        responses: { 200: json(`The ${noun}s.`, z.object({ data: z.array(liveStreamSchema) })) },
        errors: [ErrorCode.SESSION_NOT_FOUND],
      },
      {
        method: 'GET',
        path: `/api/v1/sessions/{sessionId}/${segment}/{streamId}`,
        operationId: `get${id}`,
        summary: `Read a ${noun}`,
        tags: ['live'],
        auth: 'apiKey',
        params: liveStreamParamsSchema,
        responses: { 200: json(`The ${noun}.`, liveStreamSchema) },
        errors,
      },
      {
        method: 'POST',
        path: `/api/v1/sessions/{sessionId}/${segment}/{streamId}/actions/stop`,
        operationId: `stop${id}`,
        summary: `Stop a ${noun}`,
        description: 'Ends its ffmpeg (HLS: the playlist gets its end marker); the composite goes on for the session’s other outputs.',
        tags: ['live'],
        auth: 'apiKey',
        params: liveStreamParamsSchema,
        responses: { 200: json(`The ${noun}, stopped.`, liveStreamSchema) },
        errors,
      },
    ]),
  ];
}

/** Recordings: start, list, read, download, actions, delete. */
function recordingRoutes(): RouteDoc[] {
  const action = (name: 'stop' | 'pause' | 'resume', summary: string, description: string): RouteDoc => ({
    method: 'POST',
    path: `/api/v1/recordings/{recordingId}/actions/${name}`,
    operationId: `${name}Recording`,
    summary,
    description,
    tags: ['recordings'],
    auth: 'apiKey',
    params: recordingIdParamsSchema,
    responses: { 200: json('The recording.', recordingSchema) },
    errors: [...RECORDING_ERRORS, ErrorCode.RECORDING_NOT_ACTIVE],
  });
  return [
    {
      method: 'POST',
      path: '/api/v1/sessions/{sessionId}/recordings',
      operationId: 'startRecording',
      summary: 'Start recording a live room session',
      description:
        'Each published track (and each one published later) is copied by ffmpeg into its own WebM file, with its offset on the recording timeline. RECORDING_FAILED (503) when ffmpeg is missing or the disk is full.',
      tags: ['recordings', 'sessions'],
      auth: 'apiKey',
      params: sessionIdParamsSchema,
      body: startRecordingBodySchema,
      responses: { 201: { description: 'The recording, started.', body: recordingSchema, headers: { location: 'URL of the recording.' } } },
      errors: [ErrorCode.SESSION_NOT_FOUND, ErrorCode.SESSION_ENDED, ErrorCode.RECORDING_ACTIVE, ErrorCode.RECORDING_FAILED],
    },
    {
      method: 'GET',
      path: '/api/v1/recordings',
      operationId: 'listRecordings',
      summary: 'List recordings',
      description: 'Newest first; filter by room, session and status.',
      tags: ['recordings'],
      auth: 'apiKey',
      query: listRecordingsQuerySchema,
      responses: { 200: json('A page of recordings.', recordingPage) },
      errors: [ErrorCode.ROOM_NOT_FOUND],
    },
    {
      method: 'GET',
      path: '/api/v1/recordings/{recordingId}',
      operationId: 'getRecording',
      summary: 'Read a recording with its files',
      tags: ['recordings'],
      auth: 'apiKey',
      params: recordingIdParamsSchema,
      responses: { 200: json('The recording.', recordingSchema) },
      errors: RECORDING_ERRORS,
    },
    {
      method: 'GET',
      path: '/api/v1/recordings/{recordingId}/download',
      operationId: 'downloadRecording',
      summary: 'Download a recording file',
      description:
        'The file named by `track` (a file id), or the recording’s only file. Supports `Range: bytes=…` (206 with `Content-Range`; 416 outside the file).',
      tags: ['recordings'],
      auth: 'apiKey',
      params: recordingIdParamsSchema,
      query: downloadRecordingQuerySchema,
      responses: {
        200: { description: 'The whole file (`video/webm` or `audio/webm`).', headers: { 'accept-ranges': '`bytes`.' } },
        206: { description: 'The requested byte range.', headers: { 'content-range': '`bytes start-end/size`.' } },
      },
      errors: [...RECORDING_ERRORS, ErrorCode.NOT_FOUND, ErrorCode.RECORDING_ACTIVE],
    },
    action('stop', 'Stop a recording', 'Every file is closed by ffmpeg and renamed into place before the answer.'),
    action('pause', 'Pause a recording', 'The files receive no media until resumed; the pause is listed in `pauses`.'),
    action('resume', 'Resume a paused recording', 'Video resumes at a keyframe.'),
    {
      method: 'DELETE',
      path: '/api/v1/recordings/{recordingId}',
      operationId: 'deleteRecording',
      summary: 'Delete a recording and its files',
      description: 'An active recording is stopped first.',
      tags: ['recordings'],
      auth: 'apiKey',
      params: recordingIdParamsSchema,
      responses: { 204: noContent('Deleted.') },
      errors: RECORDING_ERRORS,
    },
    {
      method: 'POST',
      path: '/api/v1/recordings/actions/delete',
      operationId: 'deleteRecordings',
      summary: 'Delete several recordings',
      tags: ['recordings'],
      auth: 'apiKey',
      body: bulkDeleteRecordingsBodySchema,
      responses: { 200: json('What was deleted.', bulkDeleteRecordingsResultSchema) },
      errors: [],
    },
  ];
}

/** Compositions: queue, list, read, download, delete. */
function compositionRoutes(): RouteDoc[] {
  return [
    {
      method: 'POST',
      path: '/api/v1/compositions',
      operationId: 'createComposition',
      summary: 'Queue a composition of a recorded room session',
      description:
        'Renders ONE file from the per-track files of the session’s recordings (or of `recordingId`): each track at its offset, laid out by the same layout function as the live view, ' +
        'paused stretches left out; H.264 + AAC in MP4 (or AAC in M4A). Compositions render one at a time; follow `status` and `progress`, or the `composition-*` webhooks. ' +
        'SESSION_NOT_RECORDED (409) when there is no finished track file; RECORDING_ACTIVE (409) while a recording of the session is running.',
      tags: ['compositions', 'recordings'],
      auth: 'apiKey',
      body: createCompositionBodySchema,
      responses: { 202: { description: 'The composition, queued.', body: compositionSchema, headers: { location: 'URL of the composition.' } } },
      errors: [ErrorCode.SESSION_NOT_FOUND, ErrorCode.RECORDING_NOT_FOUND, ErrorCode.SESSION_NOT_RECORDED, ErrorCode.RECORDING_ACTIVE],
    },
    {
      method: 'GET',
      path: '/api/v1/compositions',
      operationId: 'listCompositions',
      summary: 'List compositions',
      description: 'Newest first; filter by room, session and status.',
      tags: ['compositions'],
      auth: 'apiKey',
      query: listCompositionsQuerySchema,
      responses: { 200: json('A page of compositions.', compositionPage) },
      errors: [ErrorCode.ROOM_NOT_FOUND],
    },
    {
      method: 'GET',
      path: '/api/v1/compositions/{compositionId}',
      operationId: 'getComposition',
      summary: 'Read a composition (status, progress)',
      tags: ['compositions'],
      auth: 'apiKey',
      params: compositionIdParamsSchema,
      responses: { 200: json('The composition.', compositionSchema) },
      errors: [ErrorCode.COMPOSITION_NOT_FOUND],
    },
    {
      method: 'GET',
      path: '/api/v1/compositions/{compositionId}/download',
      operationId: 'downloadComposition',
      summary: 'Download a completed composition',
      description: 'Supports `Range: bytes=…` (206 with `Content-Range`; 416 outside the file). COMPOSITION_NOT_READY (409) until completed.',
      tags: ['compositions'],
      auth: 'apiKey',
      params: compositionIdParamsSchema,
      responses: {
        200: { description: 'The whole file (`video/mp4` or `audio/mp4`).', headers: { 'accept-ranges': '`bytes`.' } },
        206: { description: 'The requested byte range.', headers: { 'content-range': '`bytes start-end/size`.' } },
      },
      errors: [ErrorCode.COMPOSITION_NOT_FOUND, ErrorCode.COMPOSITION_NOT_READY, ErrorCode.NOT_FOUND],
    },
    {
      method: 'DELETE',
      path: '/api/v1/compositions/{compositionId}',
      operationId: 'deleteComposition',
      summary: 'Delete a composition and its file',
      description: 'A composition rendering now is stopped first.',
      tags: ['compositions'],
      auth: 'apiKey',
      params: compositionIdParamsSchema,
      responses: { 204: noContent('Deleted.') },
      errors: [ErrorCode.COMPOSITION_NOT_FOUND],
    },
  ];
}

/** The body of `GET /api/v1/openapi.json`: this very document. */
export const openApiDocumentSchema = z
  .looseObject({ openapi: z.string().describe('The OpenAPI version, 3.1.x.') })
  .describe('An OpenAPI 3.1 document.');

const SESSION_LIVE_ERRORS = [ErrorCode.SESSION_NOT_FOUND, ErrorCode.SESSION_ENDED] as const;

/** Session-wide (`/actions/{mute|unmute}`) and per-endpoint moderation, generated for both verbs. */
function muteRoutes(action: 'mute' | 'unmute'): RouteDoc[] {
  const Verb = action === 'mute' ? 'Mute' : 'Unmute';
  return [
    {
      method: 'POST',
      path: `/api/v1/sessions/{sessionId}/actions/${action}`,
      operationId: `${action}Session`,
      summary: `${Verb} endpoints of a live session`,
      description: `${Verb}s the audio (default), video or both of every endpoint, only those in \`endpointIds\`, or all but those in \`exceptEndpointIds\`.`,
      tags: ['sessions'],
      auth: 'apiKey',
      params: sessionIdParamsSchema,
      body: sessionMuteBodySchema,
      responses: { 200: json(`The endpoints ${action}d.`, actionResultSchema) },
      errors: SESSION_LIVE_ERRORS,
    },
    {
      method: 'POST',
      path: `/api/v1/sessions/{sessionId}/endpoints/{endpointId}/actions/${action}`,
      operationId: `${action}Endpoint`,
      summary: `${Verb} one endpoint`,
      tags: ['sessions'],
      auth: 'apiKey',
      params: sessionEndpointParamsSchema,
      body: endpointMuteBodySchema,
      responses: { 200: json(`The endpoint ${action}d.`, actionResultSchema) },
      errors: [...SESSION_LIVE_ERRORS, ErrorCode.ENDPOINT_NOT_FOUND],
    },
  ];
}

export const routeCatalog: readonly RouteDoc[] = [
  // Rooms.
  {
    method: 'POST',
    path: '/api/v1/rooms',
    operationId: 'createRoom',
    summary: 'Create a room',
    description:
      'Every field is optional. The primary design\'s kebab-case spellings (`max-endpoints`, `max-duration`, …) are accepted as aliases; answers are camelCase.',
    tags: ['rooms'],
    auth: 'apiKey',
    body: createRoomBodySchema,
    bodyAliases: roomFieldAliases,
    responses: { 201: { description: 'The room.', body: roomSchema, headers: { location: 'URL of the new room.' } } },
    errors: [ErrorCode.ROOM_EXISTS],
  },
  {
    method: 'GET',
    path: '/api/v1/rooms',
    operationId: 'listRooms',
    summary: 'List rooms',
    description: 'Newest first, a page at a time (`nextCursor`).',
    tags: ['rooms'],
    auth: 'apiKey',
    query: listRoomsQuerySchema,
    responses: { 200: json('A page of rooms.', roomPage) },
    errors: [],
  },
  {
    method: 'GET',
    path: '/api/v1/rooms/{roomId}',
    operationId: 'getRoom',
    summary: 'Read a room',
    tags: ['rooms'],
    auth: 'apiKey',
    params: roomIdParamsSchema,
    responses: { 200: json('The room.', roomSchema) },
    errors: [ErrorCode.ROOM_NOT_FOUND],
  },
  {
    method: 'PATCH',
    path: '/api/v1/rooms/{roomId}',
    operationId: 'updateRoom',
    summary: 'Change a room',
    description: 'Give only the fields to change (at least one); `null` clears a nullable field.',
    tags: ['rooms'],
    auth: 'apiKey',
    params: roomIdParamsSchema,
    body: updateRoomBodySchema,
    bodyAliases: roomFieldAliases,
    responses: { 200: json('The changed room.', roomSchema) },
    errors: [ErrorCode.ROOM_NOT_FOUND, ErrorCode.ROOM_EXISTS],
  },
  {
    method: 'DELETE',
    path: '/api/v1/rooms/{roomId}',
    operationId: 'deleteRoom',
    summary: 'Delete a room',
    description: 'Ends its live session (reason `room-deleted`) first.',
    tags: ['rooms'],
    auth: 'apiKey',
    params: roomIdParamsSchema,
    responses: { 204: noContent('Deleted.') },
    errors: [ErrorCode.ROOM_NOT_FOUND],
  },

  // Sessions and endpoints.
  {
    method: 'GET',
    path: '/api/v1/sessions',
    operationId: 'listSessions',
    summary: 'List room sessions',
    tags: ['sessions'],
    auth: 'apiKey',
    query: listSessionsQuerySchema,
    responses: { 200: json('A page of room sessions.', sessionPage) },
    errors: [ErrorCode.ROOM_NOT_FOUND],
  },
  {
    method: 'GET',
    path: '/api/v1/sessions/{sessionId}',
    operationId: 'getSession',
    summary: 'Read a room session',
    tags: ['sessions'],
    auth: 'apiKey',
    params: sessionIdParamsSchema,
    responses: { 200: json('The room session.', sessionSchema) },
    errors: [ErrorCode.SESSION_NOT_FOUND],
  },
  {
    method: 'GET',
    path: '/api/v1/sessions/{sessionId}/endpoints',
    operationId: 'listSessionEndpoints',
    summary: 'List the endpoints of a room session',
    tags: ['sessions', 'endpoints'],
    auth: 'apiKey',
    params: sessionIdParamsSchema,
    query: listSessionEndpointsQuerySchema,
    responses: { 200: json('A page of endpoint stays.', sessionEndpointPage) },
    errors: [ErrorCode.SESSION_NOT_FOUND],
  },
  {
    method: 'GET',
    path: '/api/v1/endpoints',
    operationId: 'listEndpoints',
    summary: 'List endpoints across room sessions',
    tags: ['endpoints'],
    auth: 'apiKey',
    query: listEndpointsQuerySchema,
    responses: { 200: json('A page of endpoint stays.', sessionEndpointPage) },
    errors: [ErrorCode.ROOM_NOT_FOUND],
  },
  {
    method: 'POST',
    path: '/api/v1/sessions/{sessionId}/actions/end',
    operationId: 'endSession',
    summary: 'End a live room session',
    description: 'Every endpoint is removed (`onFinished` with reason `ended`).',
    tags: ['sessions'],
    auth: 'apiKey',
    params: sessionIdParamsSchema,
    responses: { 200: json('The ended room session.', sessionSchema) },
    errors: SESSION_LIVE_ERRORS,
  },
  {
    method: 'POST',
    path: '/api/v1/sessions/{sessionId}/actions/kick',
    operationId: 'kickSession',
    summary: 'Remove endpoints from a live room session',
    description:
      'Removes every endpoint, only those in `endpointIds`, or all but those in `exceptEndpointIds`. A session left empty ends (`all-removed`).',
    tags: ['sessions'],
    auth: 'apiKey',
    params: sessionIdParamsSchema,
    body: endpointSelectionSchema,
    responses: { 200: json('The endpoints removed.', actionResultSchema) },
    errors: SESSION_LIVE_ERRORS,
  },
  ...muteRoutes('mute'),
  ...muteRoutes('unmute'),
  {
    method: 'POST',
    path: '/api/v1/sessions/{sessionId}/endpoints/{endpointId}/actions/kick',
    operationId: 'kickEndpoint',
    summary: 'Remove one endpoint from a live room session',
    tags: ['sessions'],
    auth: 'apiKey',
    params: sessionEndpointParamsSchema,
    responses: { 200: json('The endpoint removed.', actionResultSchema) },
    errors: [...SESSION_LIVE_ERRORS, ErrorCode.ENDPOINT_NOT_FOUND],
  },

  // Access tokens.
  {
    method: 'POST',
    path: '/api/v1/endpoints/{endpointId}/access-tokens',
    operationId: 'createAccessToken',
    summary: 'Mint an access token for an endpoint',
    description:
      'Admits `endpointId` to one room, named by `roomId` or `roomName` (a missing named room is created when the server auto-creates rooms). Answers a refresh token too.',
    tags: ['access-tokens'],
    auth: 'apiKey',
    params: accessTokenParamsSchema,
    body: createAccessTokenBodySchema,
    responses: { 201: json('The access token and its refresh token.', accessTokenResponseSchema) },
    errors: [ErrorCode.ROOM_NOT_FOUND],
  },
  {
    method: 'POST',
    path: '/api/v1/access-tokens/refresh',
    operationId: 'refreshAccessToken',
    summary: 'Exchange a refresh token for a new access token',
    description:
      'No API key: the refresh token is the credential, so a browser may call this (CORS allows any origin). Each refresh token works once; presenting a used one revokes its whole family.',
    tags: ['access-tokens'],
    auth: 'none',
    body: refreshAccessTokenBodySchema,
    responses: { 201: json('A new access token and refresh token.', accessTokenResponseSchema) },
    errors: [ErrorCode.TOKEN_INVALID, ErrorCode.TOKEN_EXPIRED, ErrorCode.TOKEN_REVOKED, ErrorCode.ROOM_NOT_FOUND],
  },
  {
    method: 'OPTIONS',
    path: '/api/v1/access-tokens/refresh',
    operationId: 'refreshAccessTokenPreflight',
    summary: 'CORS preflight of the refresh',
    tags: ['access-tokens'],
    auth: 'none',
    responses: {
      204: {
        description: 'POST with a JSON body is allowed from any origin.',
        headers: {
          'access-control-allow-origin': '`*`',
          'access-control-allow-methods': '`POST`',
          'access-control-allow-headers': '`content-type`',
          'access-control-max-age': 'Seconds a browser may cache this answer.',
        },
      },
    },
    errors: [],
  },

  // API keys.
  {
    method: 'POST',
    path: '/api/v1/api-keys',
    operationId: 'createApiKey',
    summary: 'Create an API key',
    description: 'The answer is the only time the secret is shown.',
    tags: ['api-keys'],
    auth: 'apiKey',
    body: createApiKeyBodySchema,
    responses: { 201: json('The key and its secret.', createdApiKeySchema) },
    errors: [],
  },
  {
    method: 'GET',
    path: '/api/v1/api-keys',
    operationId: 'listApiKeys',
    summary: 'List API keys',
    description: 'Revoked keys included (`revokedAt`); never secrets.',
    tags: ['api-keys'],
    auth: 'apiKey',
    responses: { 200: json('Every key, in one page.', apiKeyPage) },
    errors: [],
  },
  {
    method: 'DELETE',
    path: '/api/v1/api-keys/{key}',
    operationId: 'revokeApiKey',
    summary: 'Revoke an API key',
    description: 'Takes effect at once, for the key and every access and refresh token it issued. The last active key cannot be revoked.',
    tags: ['api-keys'],
    auth: 'apiKey',
    params: apiKeyParamsSchema,
    responses: { 204: noContent('Revoked.') },
    errors: [ErrorCode.API_KEY_NOT_FOUND, ErrorCode.LAST_API_KEY],
  },

  // Webhooks.
  {
    method: 'POST',
    path: '/api/v1/webhooks',
    operationId: 'createWebhookSubscription',
    summary: 'Subscribe a URL to webhook events',
    tags: ['webhooks'],
    auth: 'apiKey',
    body: createWebhookSubscriptionBodySchema,
    responses: {
      201: { description: 'The subscription.', body: webhookSubscriptionSchema, headers: { location: 'URL of the new subscription.' } },
    },
    errors: [],
  },
  {
    method: 'GET',
    path: '/api/v1/webhooks',
    operationId: 'listWebhookSubscriptions',
    summary: 'List webhook subscriptions',
    tags: ['webhooks'],
    auth: 'apiKey',
    query: listWebhookSubscriptionsQuerySchema,
    responses: { 200: json('A page of subscriptions.', webhookSubscriptionPage) },
    errors: [],
  },
  {
    method: 'GET',
    path: '/api/v1/webhooks/{webhookId}',
    operationId: 'getWebhookSubscription',
    summary: 'Read a webhook subscription',
    tags: ['webhooks'],
    auth: 'apiKey',
    params: webhookIdParamsSchema,
    responses: { 200: json('The subscription.', webhookSubscriptionSchema) },
    errors: [ErrorCode.WEBHOOK_NOT_FOUND],
  },
  {
    method: 'PATCH',
    path: '/api/v1/webhooks/{webhookId}',
    operationId: 'updateWebhookSubscription',
    summary: 'Change a webhook subscription',
    tags: ['webhooks'],
    auth: 'apiKey',
    params: webhookIdParamsSchema,
    body: updateWebhookSubscriptionBodySchema,
    responses: { 200: json('The changed subscription.', webhookSubscriptionSchema) },
    errors: [ErrorCode.WEBHOOK_NOT_FOUND],
  },
  {
    method: 'DELETE',
    path: '/api/v1/webhooks/{webhookId}',
    operationId: 'deleteWebhookSubscription',
    summary: 'Delete a webhook subscription',
    description: 'Its deliveries still pending are cancelled.',
    tags: ['webhooks'],
    auth: 'apiKey',
    params: webhookIdParamsSchema,
    responses: { 204: noContent('Deleted.') },
    errors: [ErrorCode.WEBHOOK_NOT_FOUND],
  },
  {
    method: 'GET',
    path: '/api/v1/webhooks/deliveries',
    operationId: 'listWebhookDeliveries',
    summary: 'The webhook delivery log',
    description: 'One delivery per event and URL (room webhook or subscription), newest first.',
    tags: ['webhooks'],
    auth: 'apiKey',
    query: listWebhookDeliveriesQuerySchema,
    responses: { 200: json('A page of deliveries.', webhookDeliveryPage) },
    errors: [],
  },
  {
    method: 'GET',
    path: '/api/v1/webhooks/deliveries/{deliveryId}',
    operationId: 'getWebhookDelivery',
    summary: 'Read a webhook delivery',
    tags: ['webhooks'],
    auth: 'apiKey',
    params: webhookDeliveryIdParamsSchema,
    responses: { 200: json('The delivery.', webhookDeliverySchema) },
    errors: [ErrorCode.DELIVERY_NOT_FOUND],
  },
  {
    method: 'POST',
    path: '/api/v1/webhooks/deliveries/{deliveryId}/redeliver',
    operationId: 'redeliverWebhook',
    summary: 'Send a delivery again',
    description: 'The same envelope (same event `id`) is queued for the same URL.',
    tags: ['webhooks'],
    auth: 'apiKey',
    params: webhookDeliveryIdParamsSchema,
    responses: { 202: json('The delivery, pending again.', webhookDeliverySchema) },
    errors: [ErrorCode.DELIVERY_NOT_FOUND],
  },
  {
    method: 'GET',
    path: '/api/v1/webhooks/events/{eventId}',
    operationId: 'getWebhookEvent',
    summary: 'Read an event and its deliveries',
    tags: ['webhooks'],
    auth: 'apiKey',
    params: webhookEventIdParamsSchema,
    responses: { 200: json('The envelope as delivered, and where it went.', webhookEventDetailSchema) },
    errors: [ErrorCode.WEBHOOK_EVENT_NOT_FOUND],
  },

  ...recordingRoutes(),
  ...liveStreamRoutes(),
  ...compositionRoutes(),

  // Signaling and this document.
  {
    method: 'GET',
    path: '/api/v1/signal',
    operationId: 'signal',
    summary: 'Signaling WebSocket',
    description:
      'Upgrade to a WebSocket carrying JSON-RPC 2.0: `join {roomId, token}` first (the access token is the credential), then `publish`, `subscribe`, … Every message is defined in `packages/protocol/src/signaling.ts`. A GET without an upgrade answers 404.',
    tags: ['signaling'],
    auth: 'none',
    responses: { 101: noContent('Switching Protocols: the signaling WebSocket.') },
    errors: [],
  },
  {
    method: 'GET',
    path: '/api/v1/openapi.json',
    operationId: 'getOpenApiDocument',
    summary: 'This OpenAPI document',
    tags: ['meta'],
    auth: 'none',
    responses: { 200: json('The OpenAPI 3.1 document of this API.', openApiDocumentSchema) },
    errors: [],
  },
];
