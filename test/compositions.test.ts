/**
 * Compositions end to end: Node endpoints (@roamhq/wrtc) publish through the SFU, a recording
 * makes per-track files, `POST /api/v1/compositions` renders ONE MP4 from them. Checked on the
 * file: H.264 at the asked resolution + AAC, its length (the recorded time, pause cut out), and
 * WHO is on screen WHEN — a late joiner's tile is black before the join and after the leave,
 * filled in between (luma of the tile in frames extracted by ffmpeg). Also the webhooks, the
 * range download, list/get/delete, and the 4xx answers.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { computeLayout, layerToPixels, type Composition, type Recording, type WebhookEnvelope } from '@atrium/protocol';
import { join, type Room } from '../packages/sdk/src/index.js';
import { cpuSeconds, grayStats, probe } from './helpers/ffprobe.js';
import { startTestServer, waitFor, type TestServer } from './helpers/server.js';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.js';
import { syntheticCamera, wrtcImpl, type SyntheticMedia } from './helpers/wrtc-media.js';

let t: TestServer;
let hooks: WebhookReceiver;
before(async () => {
  hooks = await startWebhookReceiver();
  t = await startTestServer({ ATRIUM_WEBHOOK_POLL_MS: '50' });
});
after(async () => {
  await t.close();
  await hooks.close();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function json<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  return JSON.parse(text) as T;
}

async function errorCode(res: Response, status: number): Promise<string> {
  return (await json<{ error: { code: string } }>(res, status)).error.code;
}

/**
 * Joins `endpointId` and publishes a synthetic camera + tone as `camera`. Its picture is black
 * but for noisy top rows and a moving white bar, so a tile showing it has a spread of luma.
 * (Much more noise makes keyframes so large that the recording loses them on this machine.)
 */
async function publisher(roomId: string, endpointId: string): Promise<{ room: Room; media: SyntheticMedia; close(): Promise<void> }> {
  const { room } = await join(roomId, await t.token(endpointId, roomId), { url: t.url, wrtc: wrtcImpl });
  const media = syntheticCamera();
  await room.publish('camera', media.stream);
  return {
    room,
    media,
    async close() {
      media.stop();
      await room.leave();
    },
  };
}

/** Polls the composition until it is completed or failed; samples its ffmpeg's CPU time and the progress seen. */
async function awaitComposition(id: string): Promise<{ composition: Composition; cpu: number; progress: number[] }> {
  let cpu = 0;
  const progress: number[] = [];
  const composition = await waitFor(
    `composition ${id} done`,
    async () => {
      const pid = t.server.compositions.renderingPid();
      if (pid !== undefined) {
        try {
          cpu = Math.max(cpu, cpuSeconds(pid));
        } catch {
          // ffmpeg exited between the two reads.
        }
      }
      const c = await json<Composition>(await t.api('GET', `/api/v1/compositions/${id}`), 200);
      if (c.status === 'processing') progress.push(c.progress);
      return c.status === 'completed' || c.status === 'failed' ? c : null;
    },
    180_000,
    100,
  );
  return { composition, cpu, progress };
}

test('a late joiner who leaves early appears and disappears at the right time in ONE MP4; pause cut; webhooks; range download', async () => {
  const room = await t.createRoom({ webhook: hooks.url });
  const alice = await publisher(room.id, 'alice');
  let bob: Awaited<ReturnType<typeof publisher>> | undefined;
  try {
    const sessionId = alice.room.sessionId;
    const recording = await json<Recording>(await t.api('POST', `/api/v1/sessions/${sessionId}/recordings`, {}), 201);
    // While the recording runs, composing it is refused.
    assert.equal(await errorCode(await t.api('POST', '/api/v1/compositions', { sessionId }), 409), 'RECORDING_ACTIVE');
    await sleep(3000);
    bob = await publisher(room.id, 'bob');
    await sleep(4000);
    await bob.close();
    await sleep(1500);
    assert.equal((await t.api('POST', `/api/v1/recordings/${recording.id}/actions/pause`)).status, 200);
    await sleep(2000);
    assert.equal((await t.api('POST', `/api/v1/recordings/${recording.id}/actions/resume`)).status, 200);
    await sleep(1500);
    const stopped = await json<Recording>(await t.api('POST', `/api/v1/recordings/${recording.id}/actions/stop`), 200);
    assert.ok(stopped.files.length === 4 && stopped.files.every((f) => f.status === 'finished'), JSON.stringify(stopped.files));

    const queued = await json<Composition>(
      await t.api('POST', '/api/v1/compositions', { sessionId, layout: '2x2', resolution: '1280x720', format: 'mp4' }),
      202,
    );
    assert.equal(queued.status, 'queued');
    assert.equal(queued.sessionId, sessionId);
    assert.equal(queued.layout, '2x2');
    assert.equal(queued.links.download, `/api/v1/compositions/${queued.id}/download`);
    // Rendering a 720p file takes seconds: it is not downloadable yet.
    assert.equal(await errorCode(await t.api('GET', queued.links.download), 409), 'COMPOSITION_NOT_READY');
    const { composition, cpu, progress } = await awaitComposition(queued.id);
    assert.equal(composition.status, 'completed', composition.error ?? '');
    assert.equal(composition.progress, 100);
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i]! >= progress[i - 1]!, `progress goes forward: ${progress.join(',')}`);

    const file = path.join(t.dataDir, 'compositions', `${composition.id}.mp4`);
    const probed = await probe(file);
    const video = probed.streams.find((s) => s.codec_type === 'video');
    const audio = probed.streams.find((s) => s.codec_type === 'audio');
    assert.equal(video?.codec_name, 'h264');
    assert.equal(video?.width, 1280);
    assert.equal(video?.height, 720);
    assert.equal(audio?.codec_name, 'aac');
    // The recorded time: the recording's span minus its pause.
    const pause = stopped.pauses[0]!;
    const pausedMs = Date.parse(pause.resumedAt!) - Date.parse(pause.pausedAt);
    const expectedSeconds = (stopped.durationMs! - pausedMs) / 1000;
    assert.ok(Math.abs(probed.durationSeconds - expectedSeconds) < 0.5, `duration ${probed.durationSeconds}s, expected ${expectedSeconds}s`);
    assert.ok(Math.abs(composition.durationMs! / 1000 - expectedSeconds) < 0.1, `reported ${composition.durationMs}ms`);
    const cpuPerMinute = (cpu / probed.durationSeconds) * 60;
    console.log(`composition ffmpeg CPU: ${cpu.toFixed(2)} s for ${probed.durationSeconds.toFixed(1)} s of 1280x720 output = ${cpuPerMinute.toFixed(1)} CPU-s per minute of output`);

    // Who is on screen when. In `2x2` alice has the top-left tile throughout, bob the top-right
    // one from his join to his leave (timeline = recording start; before the pause, output time
    // is timeline time).
    const canvas = { width: 1280, height: 720 };
    const layers = computeLayout('2x2', [
      { memberId: 'alice', name: 'alice', visible: true, audioMuted: false, videoMuted: false, order: 0 },
      { memberId: 'bob', name: 'bob', visible: true, audioMuted: false, videoMuted: false, order: 1 },
    ], {}, canvas);
    const tile = (id: string) => {
      const px = layerToPixels(layers.find((l) => l.memberId === id)!, canvas);
      // A margin inside the tile: the stats are about its content, not its edges.
      return { x: px.x + 8, y: px.y + 8, width: px.width - 16, height: px.height - 16 };
    };
    const bobVideo = stopped.files.find((f) => f.endpointId === 'bob' && f.kind === 'video')!;
    const bobIn = bobVideo.offsetMs / 1000;
    const bobOut = bobIn + bobVideo.durationMs! / 1000;
    assert.ok(Date.parse(pause.pausedAt) - Date.parse(stopped.startedAt) > bobOut * 1000 + 1000, 'the pause comes after bob left');
    const samples = { before: bobIn - 1.2, during: (bobIn + bobOut) / 2, after: bobOut + 1 };
    for (const [when, seconds] of Object.entries(samples)) {
      const bob = await grayStats(file, seconds, tile('bob'));
      const alice = await grayStats(file, seconds, tile('alice'));
      const message = `${when} (${seconds.toFixed(2)}s): bob tile mean ${bob.mean.toFixed(1)} sd ${bob.stddev.toFixed(1)}, alice tile mean ${alice.mean.toFixed(1)} sd ${alice.stddev.toFixed(1)}`;
      console.log(`luma ${message}`);
      // The canvas is flat black (luma spread 0); a camera tile is not.
      assert.ok(alice.stddev > 3, `alice is on screen ${message}`);
      if (when === 'during') assert.ok(bob.stddev > 3, `bob is on screen ${message}`);
      else assert.ok(bob.stddev < 1 && bob.mean < 2, `bob's tile is black ${message}`);
    }

    // Download: whole file and a range.
    const onDisk = fs.readFileSync(file);
    const whole = await t.api('GET', composition.links.download);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get('content-type'), 'video/mp4');
    assert.equal(whole.headers.get('accept-ranges'), 'bytes');
    assert.deepEqual(Buffer.from(await whole.arrayBuffer()), onDisk);
    const part = await t.api('GET', composition.links.download, undefined, { range: 'bytes=1000-4999' });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 1000-4999/${onDisk.length}`);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), onDisk.subarray(1000, 5000));
    assert.equal((await t.api('GET', composition.links.download, undefined, { range: `bytes=${onDisk.length}-` })).status, 416);

    // Webhooks: started then completed, with the file's URL and length.
    const events = await waitFor('composition-completed webhook', () => {
      const got = hooks.delivered().map((r) => r.envelope).filter((e: WebhookEnvelope) => e.data.compositionId === composition.id);
      return got.some((e) => e.type === 'composition-completed') ? got : null;
    });
    assert.deepEqual(events.map((e) => e.type), ['composition-started', 'composition-completed']);
    const completed = events[1]!;
    assert.equal(completed.sessionId, sessionId);
    assert.equal(completed.roomId, room.id);
    assert.equal(completed.data.status, 'completed');
    assert.equal(completed.data.fileUrl, composition.links.download);
    assert.equal(completed.data.durationSeconds, composition.durationMs! / 1000);
    assert.equal(completed.data.sizeBytes, onDisk.length);
    assert.equal(events[0]!.data.status, 'started');

    // An audio-only composition of the same session: AAC in M4A, same length.
    const m4a = await json<Composition>(await t.api('POST', '/api/v1/compositions', { sessionId, format: 'm4a' }), 202);
    const audioOnly = (await awaitComposition(m4a.id)).composition;
    assert.equal(audioOnly.status, 'completed', audioOnly.error ?? '');
    const audioProbe = await probe(path.join(t.dataDir, 'compositions', `${m4a.id}.m4a`));
    assert.deepEqual(audioProbe.streams.map((s) => s.codec_name), ['aac']);
    assert.ok(Math.abs(audioProbe.durationSeconds - expectedSeconds) < 0.5, `m4a ${audioProbe.durationSeconds}s`);

    // List with filters and pages; delete removes the file.
    const listed = await json<{ data: Composition[]; nextCursor: string | null }>(await t.api('GET', `/api/v1/compositions?sessionId=${sessionId}&limit=1`), 200);
    assert.deepEqual(listed.data.map((c) => c.id), [m4a.id]);
    assert.ok(listed.nextCursor);
    const next = await json<{ data: Composition[]; nextCursor: string | null }>(
      await t.api('GET', `/api/v1/compositions?sessionId=${sessionId}&limit=1&cursor=${listed.nextCursor}`),
      200,
    );
    assert.deepEqual(next.data.map((c) => c.id), [composition.id]);
    assert.equal(next.nextCursor, null);
    const byRoom = await json<{ data: Composition[] }>(await t.api('GET', `/api/v1/compositions?roomId=${room.id}&status=completed`), 200);
    assert.equal(byRoom.data.length, 2);
    assert.equal((await t.api('DELETE', `/api/v1/compositions/${m4a.id}`)).status, 204);
    assert.equal(fs.existsSync(path.join(t.dataDir, 'compositions', `${m4a.id}.m4a`)), false);
    assert.equal(await errorCode(await t.api('GET', `/api/v1/compositions/${m4a.id}`), 404), 'COMPOSITION_NOT_FOUND');
    assert.equal(await errorCode(await t.api('DELETE', `/api/v1/compositions/${m4a.id}`), 404), 'COMPOSITION_NOT_FOUND');

    // A track file that became unreadable is left out rather than failing the whole composition.
    const bobDir = path.join(t.dataDir, 'recordings', recording.id);
    const bobFile = fs.readdirSync(bobDir).find((n) => n.includes(bobVideo.id.slice(0, 8)))!;
    fs.writeFileSync(path.join(bobDir, bobFile), Buffer.alloc(4096, 0x42));
    const without = await json<Composition>(await t.api('POST', '/api/v1/compositions', { sessionId, layout: '2x2', resolution: '640x360' }), 202);
    const withoutBob = (await awaitComposition(without.id)).composition;
    assert.equal(withoutBob.status, 'completed', withoutBob.error ?? '');
    const small = path.join(t.dataDir, 'compositions', `${without.id}.mp4`);
    const half = { x: 324, y: 4, width: 312, height: 172 };
    assert.ok((await grayStats(small, samples.during, half)).stddev < 1, 'bob’s tile stays black without his video');

    // Deleting a composition while it renders stops its ffmpeg and leaves no partial file.
    const doomed = await json<Composition>(await t.api('POST', '/api/v1/compositions', { sessionId, resolution: '1920x1080' }), 202);
    const pid = await waitFor('rendering', () => t.server.compositions.renderingPid(), 60_000, 10);
    assert.equal((await t.api('DELETE', `/api/v1/compositions/${doomed.id}`)).status, 204);
    assert.equal(fs.existsSync(`/proc/${pid}`) && fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(doomed.id), false, 'its ffmpeg is gone');
    assert.deepEqual(fs.readdirSync(path.join(t.dataDir, 'compositions')).filter((n) => n.startsWith(doomed.id)), []);
    assert.equal(await errorCode(await t.api('GET', `/api/v1/compositions/${doomed.id}`), 404), 'COMPOSITION_NOT_FOUND');
  } finally {
    await alice.close();
    await bob?.close();
  }
});

test('bad input: unknown session 404, nothing recorded 409, bad layout/resolution/format 400, not ready 409', async () => {
  const unknown = '00000000-0000-4000-8000-000000000000';
  assert.equal(await errorCode(await t.api('POST', '/api/v1/compositions', {}), 400), 'VALIDATION_FAILED');
  assert.equal(await errorCode(await t.api('POST', '/api/v1/compositions', { sessionId: 'nope' }), 400), 'VALIDATION_FAILED');
  assert.equal(await errorCode(await t.api('POST', '/api/v1/compositions', { sessionId: unknown }), 404), 'SESSION_NOT_FOUND');
  for (const bad of [{ resolution: '1281x720' }, { resolution: 'big' }, { resolution: '8000x8000' }, { layout: 'nope' }, { layout: { type: 'MOSAIC' } }, { format: 'avi' }, { extra: 1 }]) {
    const res = await t.api('POST', '/api/v1/compositions', { sessionId: unknown, ...bad });
    assert.equal(await errorCode(res, 400), 'VALIDATION_FAILED', JSON.stringify(bad));
  }
  assert.equal(await errorCode(await t.api('GET', '/api/v1/compositions/not-a-uuid'), 400), 'VALIDATION_FAILED');
  assert.equal(await errorCode(await t.api('GET', `/api/v1/compositions/${unknown}`), 404), 'COMPOSITION_NOT_FOUND');
  assert.equal(await errorCode(await t.api('GET', `/api/v1/compositions/${unknown}/download`), 404), 'COMPOSITION_NOT_FOUND');
  assert.equal(await errorCode(await t.api('GET', '/api/v1/compositions?status=done'), 400), 'VALIDATION_FAILED');

  // A live session that was never recorded; then a recording whose only track never sent media.
  const room = await t.createRoom();
  const { room: joined } = await join(room.id, await t.token('alice', room.id), { url: t.url, wrtc: wrtcImpl });
  try {
    const sessionId = joined.sessionId;
    const res = await t.api('POST', '/api/v1/compositions', { sessionId });
    const body = await json<{ error: { code: string; message: string } }>(res, 409);
    assert.equal(body.error.code, 'SESSION_NOT_RECORDED');
    assert.match(body.error.message, /no recording/);
    const recording = await json<Recording>(await t.api('POST', `/api/v1/sessions/${sessionId}/recordings`, {}), 201);
    await json<Recording>(await t.api('POST', `/api/v1/recordings/${recording.id}/actions/stop`), 200);
    const empty = await json<{ error: { code: string; message: string } }>(await t.api('POST', '/api/v1/compositions', { sessionId }), 409);
    assert.equal(empty.error.code, 'SESSION_NOT_RECORDED');
    assert.match(empty.error.message, /no finished track file/);
    assert.equal(
      await errorCode(await t.api('POST', '/api/v1/compositions', { sessionId, recordingId: unknown }), 404),
      'RECORDING_NOT_FOUND',
    );
  } finally {
    await joined.leave();
  }
});

test('a recording with the composite output: one MP4 of the room in its autoStartConfig layout, pause cut, downloadable as the recording', async () => {
  const room = await t.createRoom({
    webhook: hooks.url,
    autoStartConfig: { recording: { config: { layout: { type: 'SPOTLIGHT', priority: 'SPEAKER', gridSize: 4 }, mode: 'video-and-audio', quality: 'low' } } },
  });
  const alice = await publisher(room.id, 'alice');
  try {
    const recording = await waitFor('automatic recording with files', async () => {
      const page = await json<{ data: Recording[] }>(await t.api('GET', `/api/v1/recordings?roomId=${room.id}`), 200);
      const r = page.data[0];
      return r && r.files.length === 2 ? r : null;
    });
    assert.deepEqual(recording.outputs, ['tracks', 'composite']);
    await sleep(2000);
    assert.equal((await t.api('POST', `/api/v1/recordings/${recording.id}/actions/pause`)).status, 200);
    await sleep(1500);
    assert.equal((await t.api('POST', `/api/v1/recordings/${recording.id}/actions/resume`)).status, 200);
    await sleep(2000);
    assert.equal((await t.api('POST', `/api/v1/sessions/${alice.room.sessionId}/actions/end`)).status, 200);
    alice.media.stop();

    const done = await waitFor(
      'the composite file',
      async () => {
        const r = await json<Recording>(await t.api('GET', `/api/v1/recordings/${recording.id}`), 200);
        const composite = r.files.find((f) => f.output === 'composite');
        return r.status === 'stopped' && composite && composite.status !== 'recording' ? { r, composite } : null;
      },
      180_000,
      200,
    );
    const { r: stopped, composite } = done;
    assert.equal(composite.status, 'finished', composite.error ?? '');
    assert.equal(composite.codec, 'h264');
    assert.equal(composite.container, 'mp4');
    assert.equal(stopped.files.filter((f) => f.output === 'track').length, 2);

    // The recording's plain download is the composite.
    const download = await t.api('GET', `/api/v1/recordings/${recording.id}/download`);
    assert.equal(download.status, 200);
    assert.equal(download.headers.get('content-type'), 'video/mp4');
    const bytes = Buffer.from(await download.arrayBuffer());
    assert.equal(bytes.length, composite.sizeBytes);
    const file = path.join(t.dataDir, 'composite-download.mp4');
    fs.writeFileSync(file, bytes);
    const probed = await probe(file);
    const video = probed.streams.find((s) => s.codec_type === 'video');
    assert.equal(video?.codec_name, 'h264');
    assert.deepEqual([video?.width, video?.height], [854, 480], 'quality low');
    assert.ok(probed.streams.some((s) => s.codec_name === 'aac'));
    const pause = stopped.pauses[0]!;
    const expectedSeconds = (stopped.durationMs! - (Date.parse(pause.resumedAt!) - Date.parse(pause.pausedAt))) / 1000;
    assert.ok(Math.abs(probed.durationSeconds - expectedSeconds) < 0.5, `duration ${probed.durationSeconds}s, expected ${expectedSeconds}s`);
    // SPOTLIGHT: alice fills the canvas.
    const middle = await grayStats(file, probed.durationSeconds / 2, { x: 8, y: 8, width: 838, height: 464 });
    assert.ok(middle.stddev > 3, `alice on screen: ${JSON.stringify(middle)}`);

    const completed = await waitFor('composition-completed of the recording', () =>
      hooks.delivered().map((h) => h.envelope).find((e) => e.type === 'composition-completed' && e.data.recordingId === recording.id),
    );
    assert.equal(completed.data.compositionId, composite.id);
    assert.equal(completed.data.format, 'mp4');
  } finally {
    await alice.close();
  }
});
