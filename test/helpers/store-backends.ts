/**
 * @module The two databases every store contract test runs on: a throwaway SQLite file and a real
 * Postgres (test/helpers/postgres.ts), plus the fixtures those tests share.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DatabaseLocation } from '../../packages/server/src/store/database.js';
import type { Store } from '../../packages/server/src/store/store.js';
import { startPostgres } from './postgres.js';

export interface StoreBackend {
  name: 'sqlite' | 'postgres';
  open(): Promise<{ location: DatabaseLocation; close(): Promise<void> }>;
}

/** SQLite (in a temporary directory named `atrium-<prefix>-…`) and Postgres. */
export function storeBackends(prefix: string): StoreBackend[] {
  return [
    {
      name: 'sqlite',
      async open() {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), `atrium-${prefix}-`));
        return { location: { kind: 'sqlite', file: path.join(dir, 'atrium.sqlite') }, close: async () => fs.rmSync(dir, { recursive: true, force: true }) };
      },
    },
    {
      name: 'postgres',
      async open() {
        const server = await startPostgres();
        return { location: { kind: 'postgres', url: server.url }, close: () => server.stop() };
      },
    },
  ];
}

/** An ISO time `seconds` after 2026-01-01T00:00:00Z. */
export const at = (seconds: number): string => new Date(Date.parse('2026-01-01T00:00:00.000Z') + seconds * 1000).toISOString();

/** A room with one session (started at `at(1)`); returns their ids. */
export async function insertRoomWithSession(store: Store): Promise<{ roomId: string; sessionId: string }> {
  const roomId = randomUUID();
  const sessionId = randomUUID();
  await store.rooms.insert({
    id: roomId, customRoomId: null, name: null, displayName: null, title: 'r', type: 'small-room', timeout: 60, webhook: null,
    maxEndpoints: null, maxDuration: null, recording: false, recordOnStart: false, quality: '720p', layout: 'grid-responsive',
    enableChat: true, enableRoomPreviews: false, autoCloseConfig: null, autoStartConfig: null, disabled: false, deactivatedAt: null,
    createdAt: at(0), updatedAt: at(0),
  });
  await store.sessions.insertSession({ id: sessionId, roomId, startedAt: at(1) });
  return { roomId, sessionId };
}
