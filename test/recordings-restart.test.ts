/**
 * A server killed with SIGKILL while recording leaves its ffmpeg processes running and its
 * recording active in the database; the next start stops those ffmpeg (they close their files),
 * keeps the readable files under their final names and marks the recording stopped with reason
 * `server-restart`, with the webhook events in the outbox.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { Recording } from '@atrium/protocol';
import { join } from '../packages/sdk/src/index.js';
import { loadConfig } from '../packages/server/src/config.js';
import { createServer } from '../packages/server/src/server.js';
import { startChildServer } from './helpers/child-server.js';
import { processesWith } from './helpers/processes.js';
import { probe } from './helpers/ffprobe.js';
import { waitFor } from './helpers/server.js';
import { syntheticCamera, wrtcImpl } from './helpers/wrtc-media.js';

const credentials = { ATRIUM_API_KEY: 'restart-rec-key', ATRIUM_API_SECRET: 'restart-rec-secret-0123456789' };
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

test('recordings in progress at a crash are finished at the next start', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrium-rec-crash-'));
  const media = syntheticCamera();
  try {
    const child = await startChildServer({ DATA_DIR: dataDir, ATRIUM_ICE_ALLOWED_NETWORKS: '127.0.0.0/8', ...credentials });
    const room = await call<{ id: string }>('POST', `${child.url}/api/v1/rooms`, { title: 'crash while recording' });
    const { token } = await call<{ token: string }>('POST', `${child.url}/api/v1/endpoints/alice/access-tokens`, { roomId: room.id });
    const { room: joined } = await join(room.id, token, { url: child.url, wrtc: wrtcImpl });
    await joined.publish('camera', media.stream);
    const recording = await call<Recording>('POST', `${child.url}/api/v1/sessions/${joined.sessionId}/recordings`, {});
    await new Promise((r) => setTimeout(r, 2500));
    const during = await call<Recording>('GET', `${child.url}/api/v1/recordings/${recording.id}`);
    assert.equal(during.files.length, 2);
    await child.kill9();
    media.stop();
    void joined.leave().catch(() => undefined);

    const server = await createServer(
      loadConfig({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ATRIUM_DEMO: '0', ...credentials }),
    );
    try {
      const after = await server.recordings.get(recording.id);
      assert.equal(after.status, 'stopped', JSON.stringify(after));
      assert.equal(after.endReason, 'server-restart');
      assert.equal(after.files.length, 2);
      for (const file of after.files) {
        assert.equal(file.status, 'finished', JSON.stringify(file));
        const dir = path.join(dataDir, 'recordings', recording.id);
        const name = fs.readdirSync(dir).find((n) => n.includes(file.id.slice(0, 8)) && n.endsWith('.webm'));
        assert.ok(name, `file of ${file.id} renamed into place: ${fs.readdirSync(dir).join(', ')}`);
        const probed = await probe(path.join(dir, name));
        assert.equal(probed.streams[0]?.codec_name, file.kind === 'video' ? 'vp8' : 'opus');
        assert.ok(Number(probed.streams[0]?.nb_read_frames) > 10, `${file.kind}: ${probed.streams[0]?.nb_read_frames} frames`);
        assert.ok(probed.durationSeconds > 1, `${file.kind}: ${probed.durationSeconds}s`);
      }
      // No ffmpeg of that recording is left running.
      const rows = await server.store.db.selectFrom('recording_files').select(['ffmpeg_pid']).where('recording_id', '=', recording.id).execute();
      assert.ok(rows.every((r) => r.ffmpeg_pid === null));
      const events = await server.store.db.selectFrom('webhook_events').select(['type']).where('session_id', '=', joined.sessionId).orderBy('seq').execute();
      const types = events.map((e) => e.type);
      assert.ok(types.includes('recording-stopped'), types.join(', '));
      assert.equal(types.filter((ty) => ty === 'participant-track-recording-stopped').length, 2);
      await waitFor('no orphan ffmpeg', () => processesWith(recording.id).length === 0, 5000);
    } finally {
      await server.close();
    }
  } finally {
    media.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
