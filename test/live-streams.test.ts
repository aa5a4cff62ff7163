/**
 * Live streams of a room session, end to end with real parts: @roamhq/wrtc publishers, Debian's
 * ffmpeg composing, node-media-server (npm) as the RTMP receiver, HLS fetched over HTTP; every
 * output pulled back and probed with ffprobe (H.264 1280×720 + AAC).
 *
 * - SDK `startStream` (permission `room.stream.start`): `stream.started` reaches every endpoint,
 *   the RTMP server plays the composite, `getStreams` lists it, `stop()` ends it with
 *   `stream.ended`, `livestream-*` webhooks in order; refused without the permission.
 * - REST HLS: `hls-playable` once the playlist lists a segment; the playlist and segments are
 *   served without credentials; stopping writes the playlist's end marker.
 * - An RTMP URL nobody listens on: the stream fails with ffmpeg's reason (`livestream-failed`,
 *   `stream.ended` with status `failed`); the server and the session's other outputs go on.
 * - Bad input: 400 for a non-RTMP URL, 404 unknown session/stream, 409 a second HLS, 502 without ffmpeg.
 * - Room previews (`enableRoomPreviews`): `previewUrl` serves a JPEG of the composite.
 * - `autoStartConfig.hls`: HLS starts with the session, at its quality and orientation.
 * - A server killed with SIGKILL leaves its live compositor (ffmpeg waiting on UDP forever): the
 *   next start kills it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import type { LiveStream, WebhookEnvelope } from '@atrium/protocol';
import { join, RequestError, type Room, type RoomStream } from '../packages/sdk/src/index.js';
import { probe } from './helpers/ffprobe.js';
import { playlistSegments } from '../packages/server/src/egress/live-output.js';
import { startChildServer } from './helpers/child-server.js';
import { processesWith } from './helpers/processes.js';
import { startRtmpServer, type TestRtmpServer } from './helpers/rtmp-server.js';
import { createServer } from '../packages/server/src/server.js';
import { loadConfig } from '../packages/server/src/config.js';
import { startTestServer, waitFor, type TestServer } from './helpers/server.js';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.js';
import { syntheticCamera, wrtcImpl, type SyntheticMedia } from './helpers/wrtc-media.js';

const run = promisify(execFile);

let t: TestServer;
let rtmp: TestRtmpServer;
let hooks: WebhookReceiver;
const media: SyntheticMedia[] = [];
const rooms: Room[] = [];

before(async () => {
  [t, rtmp, hooks] = await Promise.all([startTestServer({ ATRIUM_PREVIEW_INTERVAL_SECONDS: '1' }), startRtmpServer(), startWebhookReceiver()]);
});
after(async () => {
  for (const room of rooms) await room.leave().catch(() => undefined);
  for (const m of media) m.stop();
  await t.close();
  await Promise.all([rtmp.close(), hooks.close()]);
});

async function enter(roomId: string, endpointId: string, permissions: string[], publish: boolean): Promise<Room> {
  const { room } = await join(roomId, await t.token(endpointId, roomId, { name: endpointId, permissions }), { url: t.url, wrtc: wrtcImpl });
  rooms.push(room);
  if (publish) {
    const camera = syntheticCamera({ audio: true });
    media.push(camera);
    await room.publish('camera', camera.stream);
  }
  return room;
}

async function json<T>(response: Response, status: number): Promise<T> {
  const text = await response.text();
  assert.equal(response.status, status, text);
  return JSON.parse(text) as T;
}

/** The webhooks of one live stream, in delivery order. */
function eventsOf(key: 'livestreamId' | 'hlsId', id: string): WebhookEnvelope[] {
  return hooks.delivered().map((r) => r.envelope).filter((e) => e.data[key] === id);
}

/** H.264 1280×720 and AAC, by ffprobe of a URL or file. */
async function assertComposite(input: string): Promise<void> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-rw_timeout', '10000000', '-show_streams', '-of', 'json', input], { timeout: 30_000 });
  const streams = (JSON.parse(stdout) as { streams: Array<{ codec_type: string; codec_name: string; width?: number; height?: number }> }).streams;
  const video = streams.find((s) => s.codec_type === 'video');
  assert.equal(video?.codec_name, 'h264', stdout);
  assert.equal(video?.width, 1280);
  assert.equal(video?.height, 720);
  assert.equal(streams.find((s) => s.codec_type === 'audio')?.codec_name, 'aac', stdout);
}

test('SDK startStream to a real RTMP server: events to the members allowed to stream, playable composite, stop, webhooks; refused without room.stream.start', async () => {
  const created = await t.createRoom({ webhook: hooks.url });
  const alice = await enter(created.id, 'alice', ['room.stream'], true);
  const bob = await enter(created.id, 'bob', [], false);
  // Carol may start streams too, so she hears their events; Bob may not, so he hears none (as the reference).
  const carol = await enter(created.id, 'carol', ['room.stream.start'], false);

  await assert.rejects(bob.startStream({ url: rtmp.streamUrl() }), (error: unknown) => error instanceof RequestError && error.code === 'PERMISSION_DENIED');
  await assert.rejects(alice.startStream({ url: 'http://example.com/live' }), (error: unknown) => error instanceof RequestError && error.code === 'VALIDATION_FAILED');
  assert.deepEqual((await alice.getStreams()).streams, [], 'refused calls started nothing');

  const bobEvents: Array<{ event: string; state: string }> = [];
  const carolEvents: Array<{ event: string; state: string }> = [];
  for (const event of ['stream.started', 'stream.ended'] as const) {
    bob.on(event, (s: RoomStream) => bobEvents.push({ event, state: s.state }));
    carol.on(event, (s: RoomStream) => carolEvents.push({ event, state: s.state }));
  }

  const url = rtmp.streamUrl();
  const stream = await alice.startStream({ url });
  assert.equal(stream.state, 'starting');
  assert.equal(stream.url, url.replace(/[^/]+$/, '***'), 'the stream key is masked');
  await waitFor('carol hears stream.started', () => carolEvents.some((e) => e.event === 'stream.started' && e.state === 'streaming'), 40_000);
  await waitFor('alice’s stream object is streaming', () => stream.state === 'streaming', 5_000);

  // What the RTMP server received is the composite.
  await assertComposite(url);
  const listed = (await alice.getStreams()).streams;
  assert.deepEqual(listed.map((s) => s.id), [stream.id]);
  assert.equal(listed[0], stream, 'the same RoomStream object for the same stream');

  await stream.stop();
  assert.equal(stream.state, 'stopped');
  await waitFor('carol hears stream.ended', () => carolEvents.some((e) => e.event === 'stream.ended' && e.state === 'stopped'), 10_000);
  assert.deepEqual(bobEvents, [], 'bob, without a stream permission, hears no stream event');
  const types = await waitFor('livestream-stopped webhook', () => {
    const events = eventsOf('livestreamId', stream.id);
    return events.some((e) => e.type === 'livestream-stopped') ? events.map((e) => e.type) : undefined;
  });
  assert.deepEqual(types, ['livestream-starting', 'livestream-started', 'livestream-stopping', 'livestream-stopped']);
  const started = eventsOf('livestreamId', stream.id).find((e) => e.type === 'livestream-started')!;
  assert.equal(started.data.status, 'started');
  assert.deepEqual(started.data.outputs, [stream.url], 'webhooks carry the masked URL, never the key');
  assert.ok(!JSON.stringify(eventsOf('livestreamId', stream.id)).includes(url.split('/').at(-1)!), 'no stream key in any webhook');
});

test('HLS over REST: playable playlist and segments served without credentials, end marker on stop, one per session; an RTMP failure is reported and HLS goes on', async () => {
  const created = await t.createRoom({ webhook: hooks.url });
  const alice = await enter(created.id, 'alice', [], true);
  const sessionId = alice.sessionId;

  const hls = await json<LiveStream>(await t.api('POST', `/api/v1/sessions/${sessionId}/hls`), 201);
  assert.equal(hls.kind, 'hls');
  assert.equal(hls.playlistUrl, `/hls/${hls.id}/index.m3u8`);
  const again = await json<{ error: { code: string } }>(await t.api('POST', `/api/v1/sessions/${sessionId}/hls`), 409);
  assert.equal(again.error.code, 'LIVESTREAM_ACTIVE');

  const playable = await waitFor('hls-playable webhook', () => eventsOf('hlsId', hls.id).find((e) => e.type === 'hls-playable'), 40_000);
  assert.equal(playable.data.playbackUrl, hls.playlistUrl);
  // No credentials: a player fetches it as is.
  const playlist = await fetch(`${t.url}${hls.playlistUrl}`);
  assert.equal(playlist.status, 200);
  assert.equal(playlist.headers.get('content-type'), 'application/vnd.apple.mpegurl');
  const segmentName = playlistSegments(await playlist.text())[0];
  assert.ok(segmentName, 'the playlist lists a segment');
  const segment = await fetch(`${t.url}/hls/${hls.id}/${segmentName}`);
  assert.equal(segment.status, 200);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrium-hls-'));
  try {
    const file = path.join(dir, 'segment.ts');
    fs.writeFileSync(file, Buffer.from(await segment.arrayBuffer()));
    await assertComposite(file);
    const probed = await probe(file);
    assert.ok(probed.durationSeconds > 0.5, `segment duration ${probed.durationSeconds}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.equal((await fetch(`${t.url}/hls/${hls.id}/../../atrium.sqlite`)).status, 404, 'only playlist and segment names are served');
  assert.equal((await fetch(`${t.url}/hls/${hls.id}/secret.txt`)).status, 404);

  // An RTMP server that is not there: the stream fails with ffmpeg's reason; HLS is unaffected.
  const dead = await json<LiveStream>(await t.api('POST', `/api/v1/sessions/${sessionId}/livestreams`, { url: 'rtmp://127.0.0.1:9/live/nobody' }), 201);
  const failed = await waitFor('livestream-failed webhook', () => eventsOf('livestreamId', dead.id).find((e) => e.type === 'livestream-failed'), 30_000);
  assert.match(String(failed.data.error), /ffmpeg|Connection refused|rtmp/i);
  const deadState = await json<LiveStream>(await t.api('GET', `/api/v1/sessions/${sessionId}/livestreams/${dead.id}`), 200);
  assert.equal(deadState.status, 'failed');
  assert.equal(deadState.endReason, 'failed');
  assert.equal((await json<LiveStream>(await t.api('GET', `/api/v1/sessions/${sessionId}/hls/${hls.id}`), 200)).status, 'streaming');

  const stopped = await json<LiveStream>(await t.api('POST', `/api/v1/sessions/${sessionId}/hls/${hls.id}/actions/stop`), 200);
  assert.equal(stopped.status, 'stopped');
  assert.match(await (await fetch(`${t.url}${hls.playlistUrl}`)).text(), /#EXT-X-ENDLIST/);
  const types = await waitFor('hls-stopped webhook', () => {
    const events = eventsOf('hlsId', hls.id);
    return events.some((e) => e.type === 'hls-stopped') ? events.map((e) => e.type) : undefined;
  });
  assert.deepEqual(types, ['hls-starting', 'hls-started', 'hls-playable', 'hls-stopping', 'hls-stopped']);
  const list = await json<{ data: LiveStream[] }>(await t.api('GET', `/api/v1/sessions/${sessionId}/hls`), 200);
  assert.deepEqual(list.data.map((s) => [s.id, s.status]), [[hls.id, 'stopped']]);
});

test('bad input: non-RTMP URL 400, unknown session 404, unknown stream 404, ended session 409, no ffmpeg 502', async () => {
  const created = await t.createRoom();
  const alice = await enter(created.id, 'alice', [], false);
  const sessionId = alice.sessionId;
  for (const url of ['http://example.com/x', 'rtmp://', 'not a url', 42]) {
    const body = await json<{ error: { code: string } }>(await t.api('POST', `/api/v1/sessions/${sessionId}/livestreams`, { url }), 400);
    assert.equal(body.error.code, 'VALIDATION_FAILED');
  }
  assert.equal((await json<{ error: { code: string } }>(await t.api('POST', `/api/v1/sessions/${sessionId}/livestreams`, '{"url":'), 400)).error.code, 'MALFORMED_JSON');
  const unknown = '00000000-0000-4000-8000-000000000000';
  assert.equal((await json<{ error: { code: string } }>(await t.api('POST', `/api/v1/sessions/${unknown}/hls`), 404)).error.code, 'SESSION_NOT_FOUND');
  assert.equal((await json<{ error: { code: string } }>(await t.api('GET', `/api/v1/sessions/${sessionId}/livestreams/${unknown}`), 404)).error.code, 'LIVESTREAM_NOT_FOUND');
  assert.equal((await json<{ error: { code: string } }>(await t.api('POST', `/api/v1/sessions/${sessionId}/hls/${unknown}/actions/stop`), 404)).error.code, 'LIVESTREAM_NOT_FOUND');
  const noFfmpeg = await startTestServer({ ATRIUM_FFMPEG_PATH: '/nonexistent/ffmpeg' });
  try {
    const room = await noFfmpeg.createRoom();
    const { room: carol } = await join(room.id, await noFfmpeg.token('carol', room.id), { url: noFfmpeg.url, wrtc: wrtcImpl });
    const refused = await json<{ error: { code: string; message: string } }>(await noFfmpeg.api('POST', `/api/v1/sessions/${carol.sessionId}/hls`), 502);
    assert.equal(refused.error.code, 'LIVESTREAM_FAILED');
    assert.match(refused.error.message, /ffmpeg is not installed/);
    assert.deepEqual((await json<{ data: LiveStream[] }>(await noFfmpeg.api('GET', `/api/v1/sessions/${carol.sessionId}/hls`), 200)).data, [], 'nothing was started');
    await carol.leave();
  } finally {
    await noFfmpeg.close();
  }
  await alice.leave();
  await waitFor('the session ends', async () => (await t.api('POST', `/api/v1/sessions/${sessionId}/hls`)).status === 409, 15_000);
});

test('room previews: previewUrl serves a JPEG of the composite; autoStartConfig.hls starts HLS with the session at its quality and orientation', async () => {
  const created = await t.createRoom({
    enableRoomPreviews: true,
    autoStartConfig: { hls: { config: { layout: { type: 'GRID', gridSize: 1 }, quality: 'low', orientation: 'portrait' } } },
  });
  const alice = await enter(created.id, 'alice', [], true);
  assert.equal(alice.previewUrl, `${t.url}/previews/${alice.sessionId}/preview.jpg`);
  const image = await waitFor('a preview image', async () => {
    const response = await fetch(alice.previewUrl!);
    return response.status === 200 ? response : undefined;
  }, 40_000);
  assert.equal(image.headers.get('content-type'), 'image/jpeg');
  const bytes = Buffer.from(await image.arrayBuffer());
  assert.deepEqual([...bytes.subarray(0, 2)], [0xff, 0xd8], 'JPEG magic');
  const hls = await json<{ data: LiveStream[] }>(await t.api('GET', `/api/v1/sessions/${alice.sessionId}/hls`), 200);
  assert.equal(hls.data.length, 1, 'HLS started automatically');
  const auto = hls.data[0]!;
  const segmentName = await waitFor('a listed segment', async () => {
    const playlist = await fetch(`${t.url}${auto.playlistUrl}`);
    return playlist.status === 200 ? playlistSegments(await playlist.text())[0] : undefined;
  }, 40_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrium-hls-auto-'));
  try {
    const file = path.join(dir, 'segment.ts');
    fs.writeFileSync(file, Buffer.from(await (await fetch(`${t.url}/hls/${auto.id}/${segmentName}`)).arrayBuffer()));
    const video = (await probe(file)).streams.find((s) => s.codec_type === 'video');
    assert.deepEqual([video?.width, video?.height], [480, 854], 'quality low, portrait');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const plain = await t.createRoom();
  const bob = await enter(plain.id, 'bob', [], false);
  assert.equal(bob.previewUrl, undefined);
  assert.equal((await fetch(`${t.url}/previews/${bob.sessionId}/preview.jpg`)).status, 404);
});

/** Mean brightness (0–255) of a 32×32 patch of a JPEG around (fx, fy), fractions of its size. */
async function brightnessAt(jpeg: Buffer, fx: number, fy: number): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrium-preview-'));
  try {
    const file = path.join(dir, 'p.jpg');
    fs.writeFileSync(file, jpeg);
    const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', file, '-vf', `crop=32:32:iw*${fx}-16:ih*${fy}-16,scale=1:1`, '-f', 'rawvideo', '-pix_fmt', 'gray', '-'], { encoding: 'buffer' });
    return stdout[0]!;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('the live composite follows the layout: a member where its layer is, moved without a restart when the layout changes', async () => {
  const created = await t.createRoom({ enableRoomPreviews: true });
  const alice = await enter(created.id, 'alice', ['room.set_position'], true);
  const bob = await enter(created.id, 'bob', [], false);
  const preview = async (): Promise<Buffer | undefined> => {
    const response = await fetch(alice.previewUrl!);
    return response.status === 200 ? Buffer.from(await response.arrayBuffer()) : undefined;
  };
  // grid-responsive with two members: alice's camera on the left, bob (no camera) on the right.
  const sideBySide = await waitFor('alice left, nothing right', async () => {
    const image = await preview();
    if (!image) return undefined;
    const [left, right] = [await brightnessAt(image, 0.25, 0.5), await brightnessAt(image, 0.75, 0.5)];
    return left > 40 && right < 20 ? { left, right } : undefined;
  }, 40_000);
  assert.ok(sideBySide.left > 40);
  // Bob off the canvas: alice alone takes all of it.
  await alice.setPositions({ positions: { bob: 'off-canvas' } });
  const alone = await waitFor('alice over the whole canvas', async () => {
    const image = await preview();
    if (!image) return undefined;
    const right = await brightnessAt(image, 0.75, 0.5);
    return right > 40 ? right : undefined;
  }, 20_000);
  assert.ok(alone > 40);
  await bob.leave();
});

test('a live compositor left by a server killed with SIGKILL is killed at the next start', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrium-live-crash-'));
  const credentials = { ATRIUM_API_KEY: 'live-crash-key', ATRIUM_API_SECRET: 'live-crash-secret-0123456789' };
  const auth = `Basic ${Buffer.from(`${credentials.ATRIUM_API_KEY}:${credentials.ATRIUM_API_SECRET}`).toString('base64')}`;
  const post = async <T>(url: string, body?: unknown): Promise<T> => {
    const res = await fetch(url, { method: 'POST', headers: { authorization: auth, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    const text = await res.text();
    assert.ok(res.status < 300, `${url}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  };
  try {
    const child = await startChildServer({ DATA_DIR: dataDir, ATRIUM_ICE_ALLOWED_NETWORKS: '127.0.0.0/8', ...credentials });
    const room = await post<{ id: string }>(`${child.url}/api/v1/rooms`, { title: 'live crash' });
    const { token } = await post<{ token: string }>(`${child.url}/api/v1/endpoints/alice/access-tokens`, { roomId: room.id });
    const { room: alice } = await join(room.id, token, { url: child.url, wrtc: wrtcImpl });
    await post(`${child.url}/api/v1/sessions/${alice.sessionId}/hls`);
    const liveDir = path.join(dataDir, 'live', 'sessions');
    const orphans = await waitFor('the compositor runs', () => {
      const pids = processesWith(liveDir);
      return pids.length > 0 ? pids : undefined;
    });
    await child.kill9();
    await alice.leave().catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.deepEqual(processesWith(liveDir), orphans, 'the compositor outlived its server');

    const server = await createServer(loadConfig({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ATRIUM_DEMO: '0', ...credentials }));
    try {
      await waitFor('the orphan is gone', () => processesWith(liveDir).length === 0, 5_000);
    } finally {
      await server.close();
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
