/**
 * The OpenAPI document and the docs page, on the real server: the document's shape and `$ref`s,
 * that it lists exactly the routes the server registered under /api/v1 (no route missing, none
 * stale), that its `auth` tells the truth, and that /docs loads with every asset from this server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ErrorCode } from '@atrium/protocol';
import { launchChromium } from './helpers/browser.js';
import { startTestServer, type TestServer } from './helpers/server.js';

type Json = { [key: string]: unknown };

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

let t: TestServer;
let doc: Json;
before(async () => {
  t = await startTestServer();
  const res = await fetch(`${t.url}/api/v1/openapi.json`);
  assert.equal(res.status, 200, 'the document needs no credentials');
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  doc = (await res.json()) as Json;
});
after(async () => {
  await t.close();
});

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

function objectAt(value: unknown, what: string): Json {
  assert.ok(isObject(value), `${what} is an object`);
  return value;
}

/** Every operation of the document: `{ key: 'POST /api/v1/rooms', path, method, op }`. */
function operations(): Array<{ key: string; path: string; method: string; op: Json }> {
  const out = [];
  for (const [path, item] of Object.entries(objectAt(doc.paths, 'paths'))) {
    for (const [method, op] of Object.entries(objectAt(item, path))) {
      if (!HTTP_METHODS.includes(method)) continue;
      out.push({ key: `${method.toUpperCase()} ${path}`, path, method, op: objectAt(op, `${method} ${path}`) });
    }
  }
  return out;
}

/** Follows a local `$ref` (`#/components/schemas/Room`) to its target, or undefined. */
function resolveRef(ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const part = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(node) && !Array.isArray(node)) return undefined;
    node = (node as Json)[part];
    if (node === undefined) return undefined;
  }
  return node;
}

function collectRefs(node: unknown, at: string, out: Array<{ ref: string; at: string }>): void {
  if (Array.isArray(node)) node.forEach((item, i) => collectRefs(item, `${at}/${i}`, out));
  else if (isObject(node)) {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') out.push({ ref: value, at });
      else collectRefs(value, `${at}/${key}`, out);
    }
  }
}

/** A request body's schema, its `$ref` followed. */
function requestSchema(op: Json): Json {
  const content = objectAt(objectAt(op.requestBody, 'requestBody').content, 'content');
  const schema = objectAt(objectAt(content['application/json'], 'application/json').schema, 'schema');
  return typeof schema.$ref === 'string' ? objectAt(resolveRef(schema.$ref), schema.$ref) : schema;
}

describe('the OpenAPI document', () => {
  test('is OpenAPI 3.1 in shape: openapi, info, paths, components, security schemes', () => {
    assert.match(String(doc.openapi), /^3\.1\.\d+$/);
    const info = objectAt(doc.info, 'info');
    assert.equal(typeof info.title, 'string');
    assert.equal(typeof info.version, 'string');
    assert.ok(Object.keys(objectAt(doc.paths, 'paths')).length > 0);
    const components = objectAt(doc.components, 'components');
    const schemas = objectAt(components.schemas, 'components.schemas');
    for (const [name, schema] of Object.entries(schemas)) {
      assert.match(name, /^[A-Za-z0-9._-]+$/, `component name ${name}`);
      assert.ok(isObject(schema), `${name} is a schema object`);
      assert.equal(schema.$id, undefined, `${name} carries no $id`);
      assert.equal(schema.$schema, undefined, `${name} carries no $schema`);
    }
    const schemes = objectAt(components.securitySchemes, 'securitySchemes');
    assert.deepEqual(Object.values(schemes).map((s) => {
      const scheme = objectAt(s, 'scheme');
      return [scheme.type, scheme.scheme ?? scheme.in, scheme.bearerFormat ?? scheme.name ?? null];
    }), [
      ['http', 'basic', null],
      ['http', 'bearer', 'JWT'],
      ['apiKey', 'header', 'Authorization'],
    ]);
    const security = doc.security;
    assert.ok(Array.isArray(security) && security.length === 3, 'API-key routes accept any of the three');
    for (const requirement of security) {
      for (const name of Object.keys(objectAt(requirement, 'security requirement'))) assert.ok(name in schemes, `${name} is a scheme`);
    }
  });

  test('every $ref resolves', () => {
    const refs: Array<{ ref: string; at: string }> = [];
    collectRefs(doc, '#', refs);
    assert.ok(refs.length > 50, `the document shares schemas by $ref (${refs.length})`);
    const broken = refs.filter(({ ref }) => resolveRef(ref) === undefined);
    assert.deepEqual(broken, [], 'unresolved $refs');
  });

  test('lists exactly the routes the server registered under /api/v1, with the same method and path', () => {
    const registered = new Set(
      t.server.routes
        .filter((r) => r.url.startsWith('/api/v1/'))
        .map((r) => `${r.method} ${r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`),
    );
    const documented = new Set(operations().map((o) => o.key));
    assert.ok(registered.size >= 30, `the server registered its routes (${registered.size})`);
    assert.deepEqual([...registered].filter((k) => !documented.has(k)).sort(), [], 'registered routes missing from the document');
    assert.deepEqual([...documented].filter((k) => !registered.has(k)).sort(), [], 'documented routes the server does not have');
    for (const path of Object.keys(objectAt(doc.paths, 'paths'))) assert.ok(path.startsWith('/api/v1/'), path);
  });

  test('operations are complete: unique ids, summaries, tags, path parameters, answers', () => {
    const tags = new Set((doc.tags as Json[]).map((tag) => tag.name));
    const ids = new Set<string>();
    for (const { key, path, op } of operations()) {
      assert.equal(typeof op.operationId, 'string', key);
      assert.ok(!ids.has(String(op.operationId)), `${key}: operationId ${String(op.operationId)} is unique`);
      ids.add(String(op.operationId));
      assert.ok(typeof op.summary === 'string' && op.summary.length > 0, `${key} has a summary`);
      assert.ok(Array.isArray(op.tags) && op.tags.length > 0 && op.tags.every((tag) => tags.has(tag)), `${key} has declared tags`);
      const params = (Array.isArray(op.parameters) ? op.parameters : []).map((p) => objectAt(p, 'parameter'));
      const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      const declared = params.filter((p) => p.in === 'path').map((p) => String(p.name)).sort();
      assert.deepEqual(declared, inPath, `${key}: path parameters match the path`);
      for (const p of params) assert.ok(isObject(p.schema), `${key}: parameter ${String(p.name)} has a schema`);
      const responses = objectAt(op.responses, `${key} responses`);
      assert.ok(Object.keys(responses).some((status) => /^(1|2)\d\d$/.test(status)), `${key} documents its success`);
      for (const [status, response] of Object.entries(responses)) {
        const r = objectAt(response, `${key} ${status}`);
        assert.equal(typeof r.description, 'string', `${key} ${status} has a description`);
        if (Number(status) >= 400) {
          const schema = objectAt(objectAt(objectAt(r.content, 'content')['application/json'], 'json').schema, 'schema');
          assert.equal(schema.$ref, '#/components/schemas/ErrorBody', `${key} ${status} answers the error body`);
          for (const code of String(r.description).match(/[A-Z_]{4,}/g) ?? []) {
            assert.ok(code in ErrorCode, `${key} ${status}: ${code} is an error code`);
          }
        }
      }
    }
  });

  test('the error body lists every code of errors.ts', () => {
    const body = objectAt(resolveRef('#/components/schemas/ErrorBody'), 'ErrorBody');
    const error = objectAt(objectAt(body.properties, 'properties').error, 'error');
    const code = objectAt(objectAt(error.properties, 'error.properties').code, 'code');
    assert.deepEqual([...(code.enum as string[])].sort(), Object.values(ErrorCode).sort());
    assert.deepEqual([...(error.required as string[])].sort(), ['code', 'message']);
  });

  test('the create-room body lists title, maxEndpoints, autoCloseConfig, with descriptions and aliases', () => {
    const op = operations().find((o) => o.key === 'POST /api/v1/rooms');
    assert.ok(op, 'POST /api/v1/rooms is documented');
    const schema = requestSchema(op.op);
    assert.equal(schema.type, 'object');
    const properties = objectAt(schema.properties, 'properties');
    for (const field of ['title', 'maxEndpoints', 'autoCloseConfig']) {
      const property = objectAt(properties[field], field);
      assert.ok(typeof property.description === 'string' && property.description.length > 0, `${field} has a description`);
    }
    assert.ok('max-endpoints' in properties, 'the kebab-case alias is documented, so additionalProperties: false is true');
    const autoClose = JSON.stringify(properties.autoCloseConfig);
    const target = autoClose.includes('$ref') ? JSON.stringify(resolveRef('#/components/schemas/AutoCloseConfig')) : autoClose;
    assert.match(target, /session-end-and-deactivate/);
  });

  test('webhook events are documented with their data schemas', () => {
    const webhooks = objectAt(doc.webhooks, 'webhooks');
    assert.ok('participant-joined' in webhooks && 'hls-playable' in webhooks && 'stream-published' in webhooks);
    const joined = objectAt(objectAt(webhooks['participant-joined'], 'participant-joined').post, 'post');
    assert.match(JSON.stringify(joined), /ParticipantEventData/);
  });

  test('auth is as documented: API-key routes refuse a request without credentials, the others do not', async () => {
    const uuid = '6b20f348-0e99-48e8-8e82-5321a705b91b';
    for (const { key, path, method, op } of operations()) {
      if (path === '/api/v1/signal') continue; // a WebSocket upgrade; test/signaling.test.ts covers it
      const url = `${t.url}${path.replace(/\{[^}]+\}/g, uuid)}`;
      const res = await fetch(url, { method: method.toUpperCase(), ...(method === 'post' || method === 'patch' ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {}) });
      await res.arrayBuffer();
      if (Array.isArray(op.security) && op.security.length === 0) assert.notEqual(res.status, 401, `${key} needs no credentials`);
      else assert.equal(res.status, 401, `${key} needs an API key`);
    }
  });
});

describe('the docs page', () => {
  for (const page of ['/docs', '/docs/']) {
    test(`GET ${page} answers HTML whose every asset loads from this server`, async () => {
      const res = await fetch(`${t.url}${page}`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
      const html = await res.text();
      const assets = [...html.matchAll(/\b(?:href|src)="([^"]+)"/g)].map((m) => m[1] ?? '');
      assert.ok(assets.some((a) => a.endsWith('.js')) && assets.some((a) => a.endsWith('.css')), `scripts and styles: ${assets.join(' ')}`);
      for (const asset of assets) {
        const url = new URL(asset, `${t.url}${page}`);
        assert.equal(url.origin, t.url, `${asset} is served by Atrium, not fetched from elsewhere`);
        const assetRes = await fetch(url);
        assert.equal(assetRes.status, 200, `${asset} loads`);
        assert.ok((await assetRes.arrayBuffer()).byteLength > 0, `${asset} is not empty`);
      }
    });
  }

  test('headless Chromium renders every operation and webhook, requesting nothing from elsewhere', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const requested: string[] = [];
      const pageErrors: string[] = [];
      page.on('request', (request) => requested.push(request.url()));
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.goto(`${t.url}/docs`);
      await page.waitForSelector('.opblock', { timeout: 15_000 });
      // An operation shows once under each of its tags; each webhook once.
      const expected =
        operations().reduce((n, { op }) => n + (op.tags as unknown[]).length, 0) + Object.keys(objectAt(doc.webhooks, 'webhooks')).length;
      assert.equal(await page.locator('.opblock').count(), expected);
      assert.match(await page.locator('.info .title').innerText(), /Atrium REST API/);
      assert.deepEqual(requested.filter((url) => !url.startsWith(`${t.url}/`) && !url.startsWith('data:')), [], 'requests to other origins');
      assert.deepEqual(pageErrors, []);
    } finally {
      await browser.close();
    }
  });

  test('the page reads this document, with no online validator', async () => {
    const init = await (await fetch(`${t.url}/docs/static/swagger-initializer.js`)).text();
    assert.match(init, /resolveUrl\('\.\/json'\)/);
    assert.match(init, /validatorUrl: null/);
    const res = await fetch(`${t.url}/docs/json`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), doc);
  });
});
