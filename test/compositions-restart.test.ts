/**
 * A server killed with SIGKILL while rendering a composition leaves its ffmpeg running and the job
 * `processing`; the next start kills that ffmpeg, removes its partial file and re-queues the job,
 * which then completes (with `composition-started` twice and `composition-completed` once).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { Composition, Recording } from '@atrium/protocol';
import { join } from '../packages/sdk/src/index.js';
import { loadConfig } from '../packages/server/src/config.js';
import { createServer } from '../packages/server/src/server.js';
import { startChildServer } from './helpers/child-server.js';
import { processesWith } from './helpers/processes.js';
import { probe } from './helpers/ffprobe.js';
import { waitFor } from './helpers/server.js';
import { syntheticCamera, wrtcImpl } from './helpers/wrtc-media.js';

const credentials = { ATRIUM_API_KEY: 'restart-comp-key', ATRIUM_API_SECRET: 'restart-comp-secret-0123456789' };
const auth = `Basic ${Buffer.from(`${credentials.ATRIUM_API_KEY}:${credentials.ATRIUM_API_SECRET}`).toString('base64')}`;

async function call<T>(method: string, url: string, body?: unknown): Promise<T> {
  const res = await fetch(url, {
    method,
    headers: { authorization: auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  assert.ok(res.status < 300, `${method} ${url}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}


test('a composition rendering at a crash is re-queued at the next start and completes', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrium-comp-crash-'));
  const media = syntheticCamera();
  try {
    const child = await startChildServer({ DATA_DIR: dataDir, ATRIUM_ICE_ALLOWED_NETWORKS: '127.0.0.0/8', ...credentials });
    const room = await call<{ id: string }>('POST', `${child.url}/api/v1/rooms`, { title: 'crash while composing' });
    const { token } = await call<{ token: string }>('POST', `${child.url}/api/v1/endpoints/alice/access-tokens`, { roomId: room.id });
    const { room: joined } = await join(room.id, token, { url: child.url, wrtc: wrtcImpl });
    await joined.publish('camera', media.stream);
    const recording = await call<Recording>('POST', `${child.url}/api/v1/sessions/${joined.sessionId}/recordings`, {});
    await new Promise((r) => setTimeout(r, 5000));
    await call<Recording>('POST', `${child.url}/api/v1/recordings/${recording.id}/actions/stop`);
    // 1080p so the render lasts long enough to be caught in the middle.
    const queued = await call<Composition>('POST', `${child.url}/api/v1/compositions`, { sessionId: joined.sessionId, resolution: '1920x1080' });
    const partial = path.join(dataDir, 'compositions', `${queued.id}.mp4.part`);
    await waitFor('rendering', async () => (await call<Composition>('GET', `${child.url}/api/v1/compositions/${queued.id}`)).status === 'processing' && processesWith(partial).length > 0, 30_000, 20);
    await child.kill9();
    media.stop();
    void joined.leave().catch(() => undefined);
    // The orphan ffmpeg outlives its server.
    assert.ok(processesWith(partial).length > 0, 'ffmpeg still renders after the crash');

    const server = await createServer(
      loadConfig({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ATRIUM_DEMO: '0', ...credentials }),
    );
    try {
      assert.deepEqual(processesWith(partial), [], 'the orphan ffmpeg is gone');
      const done = await waitFor('completed after the restart', async () => {
        const c = await server.compositions.get(queued.id);
        return c.status === 'completed' || c.status === 'failed' ? c : null;
      }, 180_000, 200);
      assert.equal(done.status, 'completed', done.error ?? '');
      assert.equal(fs.existsSync(partial), false);
      const probed = await probe(path.join(dataDir, 'compositions', `${queued.id}.mp4`));
      assert.equal(probed.streams.find((s) => s.codec_type === 'video')?.width, 1920);
      assert.ok(Math.abs(probed.durationSeconds * 1000 - done.durationMs!) < 500, `${probed.durationSeconds}s vs ${done.durationMs}ms`);
      const events = await server.store.db.selectFrom('webhook_events').select(['type']).where('session_id', '=', joined.sessionId).orderBy('seq').execute();
      const types = events.map((e) => e.type).filter((type) => type.startsWith('composition-'));
      assert.deepEqual(types, ['composition-started', 'composition-started', 'composition-completed']);
    } finally {
      await server.close();
    }
  } finally {
    media.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
