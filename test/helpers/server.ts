/**
 * @module Starts a real Atrium server on port 0 with a throwaway data directory, for tests.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../packages/server/src/config.js';
import { createServer, type AtriumServer } from '../../packages/server/src/server.js';

export interface TestServer {
  server: AtriumServer;
  url: string;
  dataDir: string;
  /** `Authorization` header value for the API. */
  auth: string;
  /** fetch against the API with JSON and auth. */
  api(method: string, pathname: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  createRoom(body?: Record<string, unknown>): Promise<{ id: string }>;
  token(endpointId: string, roomId: string, extra?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrium-test-'));
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env.ATRIUM_TEST_LOG_LEVEL ?? 'silent',
    ATRIUM_ICE_ALLOWED_NETWORKS: process.env.ATRIUM_TEST_ICE_NETWORKS ?? '127.0.0.0/8',
    ...env,
  });
  const server = await createServer(config);
  const url = await server.listen();
  const { apiKey, apiSecret } = server.credentials;
  const auth = `Basic ${Buffer.from(`${apiKey}:${apiSecret}`).toString('base64')}`;
  const api: TestServer['api'] = (method, pathname, body, headers = {}) =>
    fetch(`${url}${pathname}`, {
      method,
      headers: {
        authorization: auth,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  return {
    server,
    url,
    dataDir,
    auth,
    api,
    async createRoom(body = {}) {
      const res = await api('POST', '/api/v1/rooms', { title: 'test room', ...body });
      if (res.status !== 201) throw new Error(`create room: ${res.status} ${await res.text()}`);
      return (await res.json()) as { id: string };
    },
    async token(endpointId, roomId, extra = {}) {
      const res = await api('POST', `/api/v1/endpoints/${endpointId}/access-tokens`, { roomId, ...extra });
      if (res.status !== 201) throw new Error(`token: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { token: string }).token;
    },
    async close() {
      await server.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes (then throws `what`). */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 15_000, everyMs = 100): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
