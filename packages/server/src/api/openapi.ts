/**
 * @module The OpenAPI 3.1 document of the REST API, generated from the route catalog and the
 * protocol's zod schemas, served at `GET /api/v1/openapi.json` with a docs page at `GET /docs`
 * (Swagger UI from local assets). Both need no credentials.
 */
import fs from 'node:fs';
import type { FastifyInstance } from 'fastify';
import fastifySwagger, { type StaticDocumentSpec } from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { z } from 'zod';
import {
  ErrorCode,
  accessTokenResponseSchema,
  actionResultSchema,
  apiKeySchema,
  autoCloseConfigSchema,
  autoStartConfigSchema,
  createRoomBodySchema,
  createdApiKeySchema,
  endpointMuteBodySchema,
  endpointSelectionSchema,
  errorBodySchema,
  errorStatus,
  hlsEventDataSchema,
  livestreamEventDataSchema,
  participantEventDataSchema,
  participantRecordingEventDataSchema,
  participantTrackRecordingEventDataSchema,
  recordingEventDataSchema,
  compositionEventDataSchema,
  compositionSchema,
  roomSchema,
  roomWebhookInputSchema,
  sessionEndpointSchema,
  sessionEventDataSchema,
  sessionMuteBodySchema,
  sessionSchema,
  streamEventDataSchema,
  transcriptionEventDataSchema,
  updateRoomBodySchema,
  webhookDeliverySchema,
  webhookEnvelopeSchema,
  webhookEventDataSchemas,
  webhookEventDetailSchema,
  webhookSubscriptionSchema,
  webhookEventTypes,
  WEBHOOK_EVENT_ID_HEADER,
  WEBHOOK_EVENT_TYPE_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
} from '@atrium/protocol';
import {
  apiKeyPage,
  compositionPage,
  openApiDocumentSchema,
  roomPage,
  routeCatalog,
  routeTags,
  sessionEndpointPage,
  sessionPage,
  webhookDeliveryPage,
  webhookSubscriptionPage,
  type RouteDoc,
} from './route-catalog.js';

export const OPENAPI_PATH = '/api/v1/openapi.json';
export const DOCS_PATH = '/docs';

type JsonObject = { [key: string]: unknown };

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description: string };
  tags: ReadonlyArray<{ name: string; description: string }>;
  security: JsonObject[];
  paths: Record<string, Record<string, JsonObject>>;
  webhooks: Record<string, { post: JsonObject }>;
  components: { schemas: Record<string, JsonObject>; securitySchemes: Record<string, JsonObject> };
}

/** The error body with its code spelled out: the one table of `errors.ts`. */
const documentedErrorBodySchema = errorBodySchema
  .extend({
    error: errorBodySchema.shape.error.extend({
      code: z
        .enum(Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]])
        .describe(`The error code; its HTTP status: ${Object.entries(errorStatus).map(([code, status]) => `${code} ${status}`).join(', ')}.`),
      message: z.string().describe('What went wrong, for people (generic for 500s).'),
      details: z.unknown().optional().describe('For VALIDATION_FAILED: `[{path, message}]`, one per invalid field, named as sent.'),
    }),
  })
  .describe('Every error answer.');

/** Names of the shared schemas under `components/schemas`. A body or answer without one is named after its operation. */
const requestSchemaNames: ReadonlyArray<[z.ZodType, string]> = [
  [createRoomBodySchema, 'CreateRoomBody'],
  [updateRoomBodySchema, 'UpdateRoomBody'],
  [roomWebhookInputSchema, 'RoomWebhookInput'],
  [autoCloseConfigSchema, 'AutoCloseConfig'],
  [autoStartConfigSchema, 'AutoStartConfig'],
  [endpointSelectionSchema, 'EndpointSelection'],
  [sessionMuteBodySchema, 'SessionMuteBody'],
  [endpointMuteBodySchema, 'EndpointMuteBody'],
];
const responseSchemaNames: ReadonlyArray<[z.ZodType, string]> = [
  [documentedErrorBodySchema, 'ErrorBody'],
  [roomSchema, 'Room'],
  [roomPage, 'RoomPage'],
  [sessionSchema, 'Session'],
  [sessionPage, 'SessionPage'],
  [sessionEndpointSchema, 'SessionEndpoint'],
  [sessionEndpointPage, 'SessionEndpointPage'],
  [actionResultSchema, 'ActionResult'],
  [accessTokenResponseSchema, 'AccessTokenResponse'],
  [apiKeySchema, 'ApiKey'],
  [apiKeyPage, 'ApiKeyPage'],
  [createdApiKeySchema, 'CreatedApiKey'],
  [webhookSubscriptionSchema, 'WebhookSubscription'],
  [webhookSubscriptionPage, 'WebhookSubscriptionPage'],
  [webhookDeliverySchema, 'WebhookDelivery'],
  [webhookDeliveryPage, 'WebhookDeliveryPage'],
  [webhookEventDetailSchema, 'WebhookEventDetail'],
  [openApiDocumentSchema, 'OpenApiDocument'],
  [webhookEnvelopeSchema, 'WebhookEnvelope'],
  [participantEventDataSchema, 'ParticipantEventData'],
  [sessionEventDataSchema, 'SessionEventData'],
  [streamEventDataSchema, 'StreamEventData'],
  [recordingEventDataSchema, 'RecordingEventData'],
  [participantRecordingEventDataSchema, 'ParticipantRecordingEventData'],
  [participantTrackRecordingEventDataSchema, 'ParticipantTrackRecordingEventData'],
  [transcriptionEventDataSchema, 'TranscriptionEventData'],
  [livestreamEventDataSchema, 'LivestreamEventData'],
  [hlsEventDataSchema, 'HlsEventData'],
  [compositionEventDataSchema, 'CompositionEventData'],
  [compositionSchema, 'Composition'],
  [compositionPage, 'CompositionPage'],
];

/** Error codes every route of a kind may answer, besides its own. */
function impliedErrors(route: RouteDoc): ErrorCode[] {
  const codes: ErrorCode[] = [];
  if (route.auth === 'apiKey') codes.push(ErrorCode.UNAUTHORIZED, ErrorCode.TOKEN_EXPIRED);
  if (route.params || route.query || route.body) codes.push(ErrorCode.VALIDATION_FAILED);
  if (route.body) codes.push(ErrorCode.MALFORMED_JSON, ErrorCode.PAYLOAD_TOO_LARGE, ErrorCode.UNSUPPORTED_MEDIA_TYPE);
  return codes;
}

/**
 * The schema JSON Schema can describe: a `z.preprocess` wrapper (the room bodies rename kebab-case
 * aliases first) is a function JSON Schema cannot express, so its inner schema stands for it.
 */
export function unwrapPreprocess(schema: z.ZodType): z.ZodType {
  let current = schema;
  while (current instanceof z.ZodPipe && current.in instanceof z.ZodTransform) current = current.out as z.ZodType;
  return current;
}

const schemaRef = (name: string): JsonObject => ({ $ref: `#/components/schemas/${name}` });
const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** Drops what only adds noise: int64-safe bounds on every integer, regexes restating a format. */
function tidy(ctx: { jsonSchema: JsonObject }): void {
  const schema = ctx.jsonSchema;
  if (schema.minimum === Number.MIN_SAFE_INTEGER) delete schema.minimum;
  if (schema.maximum === Number.MAX_SAFE_INTEGER) delete schema.maximum;
  if (schema.format === 'date-time' || schema.format === 'uuid') delete schema.pattern;
}

/**
 * Options of every conversion. Something JSON Schema cannot express (a transform, a custom type)
 * becomes `{}` rather than an exception: the docs must never keep the server from starting.
 */
const jsonSchemaOptions = { target: 'draft-2020-12', unrepresentable: 'any', override: tidy } as const;

function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonObject {
  const { $schema: _, ...rest } = z.toJSONSchema(unwrapPreprocess(schema), { io, ...jsonSchemaOptions }) as JsonObject;
  return rest;
}

/**
 * Named schemas of one direction (requests are read as input, answers as output), with `$ref`s
 * between them. Both directions draw names from one set, so `components/schemas` has no clash.
 */
class ComponentRegistry {
  private readonly registry = z.registry<{ id: string }>();
  private readonly names = new Map<z.ZodType, string>();

  constructor(
    private readonly io: 'input' | 'output',
    named: ReadonlyArray<[z.ZodType, string]>,
    private readonly usedNames: Set<string>,
  ) {
    for (const [schema, name] of named) this.name(schema, name);
  }

  /** Names `schema` (unless it has a name) and answers its name. */
  name(schema: z.ZodType, fallback: string): string {
    const target = unwrapPreprocess(schema);
    const existing = this.names.get(target);
    if (existing) return existing;
    let name = fallback;
    for (let n = 2; this.usedNames.has(name); n++) name = `${fallback}${n}`;
    this.usedNames.add(name);
    this.names.set(target, name);
    this.registry.add(target, { id: name });
    return name;
  }

  toSchemas(): Record<string, JsonObject> {
    const { schemas } = z.toJSONSchema(this.registry, {
      io: this.io,
      ...jsonSchemaOptions,
      uri: (id) => `#/components/schemas/${id}`,
    }) as { schemas: Record<string, JsonObject> };
    const out: Record<string, JsonObject> = {};
    for (const [name, { $schema: _s, $id: _i, ...schema }] of Object.entries(schemas)) out[name] = schema;
    return out;
  }
}

/** Path or query parameters from a zod object, each with its field's description. */
function parameters(schema: z.ZodObject, location: 'path' | 'query'): JsonObject[] {
  const json = toJsonSchema(schema, 'input');
  const properties = (json.properties ?? {}) as Record<string, JsonObject>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, { description, ...property }]) => ({
    name,
    in: location,
    required: location === 'path' || required.has(name),
    ...(typeof description === 'string' ? { description } : {}),
    schema: property,
  }));
}

/** Error answers grouped by status, each naming the codes this route may give with it. */
function errorResponses(route: RouteDoc): Record<string, JsonObject> {
  const byStatus = new Map<number, Set<ErrorCode>>();
  for (const code of [...impliedErrors(route), ...route.errors]) {
    const status = errorStatus[code];
    byStatus.set(status, (byStatus.get(status) ?? new Set()).add(code));
  }
  const out: Record<string, JsonObject> = {};
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    out[String(status)] = {
      description: [...codes].map((c) => `\`${c}\``).join(', '),
      content: { 'application/json': { schema: schemaRef('ErrorBody') } },
    };
  }
  return out;
}

function operation(route: RouteDoc, requests: ComponentRegistry, responses: ComponentRegistry): { op: JsonObject; body?: string } {
  const op: JsonObject = {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: route.tags,
  };
  if (route.auth === 'none') op.security = [];
  const params = [
    ...(route.params ? parameters(route.params, 'path') : []),
    ...(route.query ? parameters(route.query, 'query') : []),
  ];
  if (params.length > 0) op.parameters = params;
  let body: string | undefined;
  if (route.body) {
    body = requests.name(route.body, `${capitalize(route.operationId)}Body`);
    op.requestBody = { content: { 'application/json': { schema: schemaRef(body) } } };
  }
  const answers: Record<string, JsonObject> = {};
  for (const [status, response] of Object.entries(route.responses)) {
    answers[status] = {
      description: response.description,
      ...(response.headers
        ? { headers: Object.fromEntries(Object.entries(response.headers).map(([h, d]) => [h, { description: d, schema: { type: 'string' } }])) }
        : {}),
      ...(response.body
        ? { content: { 'application/json': { schema: schemaRef(responses.name(response.body, `${capitalize(route.operationId)}Response`)) } } }
        : {}),
    };
  }
  op.responses = { ...answers, ...errorResponses(route) };
  return body === undefined ? { op } : { op, body };
}

/** Alias spellings added beside their canonical field, so `additionalProperties: false` tells the truth. */
function addAliases(schema: JsonObject, aliases: Readonly<Record<string, string>>): void {
  const properties = schema.properties as Record<string, JsonObject> | undefined;
  if (!properties) return;
  for (const [alias, canonical] of Object.entries(aliases)) {
    const field = properties[canonical];
    if (!field || properties[alias]) continue;
    const { default: _default, description: _description, ...rest } = field;
    properties[alias] = { ...structuredClone(rest), description: `Alias of \`${canonical}\`.` };
  }
}

function webhookOperation(type: (typeof webhookEventTypes)[number], dataName: string): { post: JsonObject } {
  const header = (name: string, description: string): JsonObject => ({ name, in: 'header', required: true, description, schema: { type: 'string' } });
  return {
    post: {
      summary: `\`${type}\``,
      description: 'Sent to the room\'s own webhook and every subscription whose filter includes this type. Verify the signature on the raw body, then dedupe on `id`.',
      tags: ['webhooks'],
      parameters: [
        header(WEBHOOK_SIGNATURE_HEADER, '`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, keyed with the server\'s own API secret (`ATRIUM_API_SECRET`, or the one `npm start` printed; keys created later do not change it).'),
        header(WEBHOOK_EVENT_ID_HEADER, 'The envelope `id`; the same on every retry and redelivery.'),
        header(WEBHOOK_EVENT_TYPE_HEADER, `\`${type}\`.`),
      ],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              allOf: [
                schemaRef('WebhookEnvelope'),
                { type: 'object', properties: { type: { const: type }, data: schemaRef(dataName) }, required: ['type', 'data'] },
              ],
            },
          },
        },
      },
      responses: { '2XX': { description: 'Received. Any other answer, or none within the timeout, is retried with backoff.' } },
    },
  };
}

function serverVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
}

export function buildOpenApiDocument(routes: readonly RouteDoc[] = routeCatalog): OpenApiDocument {
  const usedNames = new Set<string>();
  const requests = new ComponentRegistry('input', requestSchemaNames, usedNames);
  const responses = new ComponentRegistry('output', responseSchemaNames, usedNames);

  const paths: OpenApiDocument['paths'] = {};
  const aliasedBodies = new Map<string, Readonly<Record<string, string>>>();
  for (const route of routes) {
    const { op, body } = operation(route, requests, responses);
    (paths[route.path] ??= {})[route.method.toLowerCase()] = op;
    if (body && route.bodyAliases) aliasedBodies.set(body, route.bodyAliases);
  }

  const webhooks: OpenApiDocument['webhooks'] = {};
  for (const type of webhookEventTypes) webhooks[type] = webhookOperation(type, responses.name(webhookEventDataSchemas[type], `${capitalize(type)}Data`));

  const requestSchemas = requests.toSchemas();
  for (const [name, aliases] of aliasedBodies) {
    const schema = requestSchemas[name];
    if (schema) addAliases(schema, aliases);
  }
  const responseSchemas = responses.toSchemas();

  return {
    openapi: '3.1.0',
    info: {
      title: 'Atrium REST API',
      version: serverVersion(),
      description: [
        'Create rooms, mint access tokens, watch room sessions and manage webhooks from your backend.',
        '',
        '**Auth.** Every route but a few (marked) takes an API key and its secret: HTTP Basic `key:secret`, or a JWT signed HS256 with the secret, `iss` = the key, `exp` at most one hour ahead — as `Authorization: Bearer <JWT>` or bare `Authorization: <JWT>`.',
        '',
        '**JSON.** Answers are camelCase; the room bodies also accept the kebab-case spellings of the primary design (`max-endpoints`, …).',
        '',
        '**Errors.** Every error answers `{"error": {"code", "message", "details"?}}`; the codes and their statuses are one table (`ErrorBody.error.code`).',
        '',
        '**Webhooks.** Each event is POSTed as an envelope `{id, type, createdAt, roomId, sessionId, data}`, signed; see *Webhooks* below.',
      ].join('\n'),
    },
    tags: routeTags,
    security: [{ basicAuth: [] }, { bearerJwt: [] }, { rawJwt: [] }],
    paths,
    webhooks,
    components: {
      schemas: { ...requestSchemas, ...responseSchemas },
      securitySchemes: {
        basicAuth: { type: 'http', scheme: 'basic', description: 'The API key as the user name, its secret as the password.' },
        bearerJwt: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'A JWT signed HS256 with the API secret: `iss` = the API key, `exp` at most one hour ahead.',
        },
        rawJwt: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: 'The same JWT without the `Bearer ` prefix: `Authorization: <JWT>`.',
        },
      },
    },
  };
}

/** The docs page's top-bar mark, in place of Swagger UI's default one. */
const DOCS_LOGO_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" viewBox="0 0 120 40">' +
  '<text x="0" y="29" font-family="sans-serif" font-size="26" font-weight="700" fill="#fff">Atrium</text></svg>';

/** Serves the document and the docs page; call outside the API-key scope. */
export async function registerOpenApi(app: FastifyInstance, document: OpenApiDocument = buildOpenApiDocument()): Promise<void> {
  app.get(OPENAPI_PATH, async () => document);
  await app.register(async (docs) => {
    // @fastify/swagger's types stop at OpenAPI 3.0; the document is 3.1, which Swagger UI reads.
    const specification = { document: document as unknown as StaticDocumentSpec['document'] };
    await docs.register(fastifySwagger, { mode: 'static', specification });
    await docs.register(fastifySwaggerUi, {
      routePrefix: DOCS_PATH,
      theme: { title: 'Atrium REST API' },
      logo: { type: 'image/svg+xml', content: Buffer.from(DOCS_LOGO_SVG), href: DOCS_PATH, target: '_self' },
      uiConfig: { docExpansion: 'list', deepLinking: true, defaultModelsExpandDepth: 0 },
    });
  });
}

/** A route as Fastify registered it: `{ method: 'GET', url: '/api/v1/rooms/:roomId' }`. */
export interface RegisteredRoute {
  method: string;
  url: string;
}

/**
 * Records every route registered on `app` from now on (call before any route exists), leaving out
 * the HEAD twin of each GET (Fastify's automatic one, or a plugin's `['HEAD', 'GET']`). The test
 * compares it with the catalog.
 */
export function recordRoutes(app: FastifyInstance): RegisteredRoute[] {
  const routes: RegisteredRoute[] = [];
  // `/docs` also answers at `/docs/`, for which Fastify reports only the HEAD twin.
  const sameUrl = (a: string, b: string): boolean => a === b || a.replace(/\/$/, '') === b.replace(/\/$/, '');
  const isTwin = (head: RegisteredRoute, get: RegisteredRoute): boolean => head.method === 'HEAD' && get.method === 'GET' && sameUrl(head.url, get.url);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      const added = { method, url: route.url };
      if (routes.some((r) => isTwin(added, r))) continue;
      const twin = routes.findIndex((r) => isTwin(r, added));
      if (twin >= 0) routes.splice(twin, 1);
      routes.push(added);
    }
  });
  return routes;
}
