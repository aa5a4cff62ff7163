/**
 * Recording end to end: Node endpoints (@roamhq/wrtc) publish through the SFU, REST starts a
 * recording, ffmpeg writes one WebM per track; the files are checked with ffprobe (codec, frames
 * decoded, duration), a late joiner's files start later on the timeline, download honours Range,
 * webhooks report each step, a killed ffmpeg fails the recording with a webhook.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Recording, WebhookEnvelope } from '@atrium/protocol';
import { join, type Room } from '../packages/sdk/src/index.js';
import { cpuSeconds, longestGap, packetTimes, probe } from './helpers/ffprobe.js';
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

/** Joins `endpointId` and publishes a synthetic camera + microphone as `camera`. */
async function publisher(roomId: string, endpointId: string, noise?: number): Promise<{ room: Room; media: SyntheticMedia; close(): Promise<void> }> {
  const { room } = await join(roomId, await t.token(endpointId, roomId), { url: t.url, wrtc: wrtcImpl });
  const media = syntheticCamera(noise === undefined ? {} : { noise });
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

function eventsOf(recordingId: string): WebhookEnvelope[] {
  return hooks.delivered().map((r) => r.envelope).filter((e) => e.data.recordingId === recordingId);
}

const fileOnDisk = (recordingId: string, fileName: string): string => path.join(t.dataDir, 'recordings', recordingId, fileName);

test('per-track files of two publishers, one joining late: vp8/opus, frames, durations, offsets, range download, webhooks', async () => {
  const room = await t.createRoom({ webhook: hooks.url });
  const alice = await publisher(room.id, 'alice');
  let bob: Awaited<ReturnType<typeof publisher>> | undefined;
  try {
    const sessionId = alice.room.sessionId;
    const recording = await json<Recording>(await t.api('POST', `/api/v1/sessions/${sessionId}/recordings`, {}), 201);
    assert.equal(recording.status, 'recording');
    assert.deepEqual(recording.outputs, ['tracks']);
    // A second start of the same session is refused.
    const again = await t.api('POST', `/api/v1/sessions/${sessionId}/recordings`, {});
    assert.equal(again.status, 409);
    assert.equal(((await again.json()) as { error: { code: string } }).error.code, 'RECORDING_ACTIVE');

    // CPU of each ffmpeg over a 3 s window while alice alone is recorded.
    const pids = t.server.recordings.ffmpegPids(recording.id);
    assert.equal(pids.length, 2);
    const cpuBefore = pids.map(cpuSeconds);
    await sleep(1500);
    bob = await publisher(room.id, 'bob');
    await sleep(1500);
    const cpuAfter = pids.map(cpuSeconds);
    const perTrack = cpuAfter.map((c, i) => ((c - cpuBefore[i]!) / 3) * 100);
    console.log(`ffmpeg CPU per recorded track over 3 s: ${perTrack.map((p) => `${p.toFixed(2)}%`).join(', ')} of one core`);
    await sleep(2000);

    const stopped = await json<Recording>(await t.api('POST', `/api/v1/recordings/${recording.id}/actions/stop`), 200);
    assert.equal(stopped.status, 'stopped');
    assert.equal(stopped.endReason, 'api');
    assert.equal(stopped.files.length, 4);
    for (const file of stopped.files) assert.equal(file.status, 'finished', JSON.stringify(file));

    const byOwner = (endpointId: string, kind: string) => stopped.files.find((f) => f.endpointId === endpointId && f.kind === kind)!;
    for (const endpointId of ['alice', 'bob']) {
      const video = byOwner(endpointId, 'video');
      const audio = byOwner(endpointId, 'audio');
      assert.equal(video.codec, 'vp8');
      assert.equal(audio.codec, 'opus');
      // The file is finished and probe-able right after stop answered (no UDP timeout wait).
      const videoProbe = await probe(fileOnDisk(recording.id, fileName(video)));
      const videoStream = videoProbe.streams.find((s) => s.codec_type === 'video');
      assert.equal(videoStream?.codec_name, 'vp8');
      assert.equal(videoStream?.width, 640);
      assert.ok(Number(videoStream?.nb_read_frames) > 30, `${endpointId} video frames: ${videoStream?.nb_read_frames}`);
      const audioProbe = await probe(fileOnDisk(recording.id, fileName(audio)));
      const audioStream = audioProbe.streams.find((s) => s.codec_type === 'audio');
      assert.equal(audioStream?.codec_name, 'opus');
      assert.ok(Number(audioStream?.nb_read_frames) > 50, `${endpointId} audio frames: ${audioStream?.nb_read_frames}`);
      // Durations: ffprobe agrees with what the API reports, within half a second.
      for (const [file, probed] of [[video, videoProbe], [audio, audioProbe]] as const) {
        assert.ok(file.durationMs !== null && Math.abs(probed.durationSeconds * 1000 - file.durationMs) < 500, `${file.kind} ${probed.durationSeconds}s vs ${file.durationMs}ms`);
      }
    }
    // alice was recorded ~5 s, bob (joined ~1.5 s in) ~3.5 s and later on the timeline.
    const aliceVideo = byOwner('alice', 'video');
    const bobVideo = byOwner('bob', 'video');
    assert.ok(aliceVideo.durationMs! > 3500 && aliceVideo.durationMs! < 7000, `alice ${aliceVideo.durationMs}`);
    assert.ok(bobVideo.offsetMs > aliceVideo.offsetMs + 1000, `bob offset ${bobVideo.offsetMs} vs alice ${aliceVideo.offsetMs}`);
    assert.ok(bobVideo.durationMs! < aliceVideo.durationMs!, `bob ${bobVideo.durationMs} alice ${aliceVideo.durationMs}`);

    // Download: whole file, a range, a suffix range, an unsatisfiable range.
    const onDisk = fs.readFileSync(fileOnDisk(recording.id, fileName(bobVideo)));
    const whole = await t.api('GET', bobVideo.downloadUrl);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get('accept-ranges'), 'bytes');
    assert.equal(whole.headers.get('content-type'), 'video/webm');
    assert.deepEqual(Buffer.from(await whole.arrayBuffer()), onDisk);
    const part = await t.api('GET', bobVideo.downloadUrl, undefined, { range: 'bytes=100-1099' });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 100-1099/${onDisk.length}`);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), onDisk.subarray(100, 1100));
    const tail = await t.api('GET', bobVideo.downloadUrl, undefined, { range: 'bytes=-500' });
    assert.equal(tail.status, 206);
    assert.deepEqual(Buffer.from(await tail.arrayBuffer()), onDisk.subarray(onDisk.length - 500));
    const outside = await t.api('GET', bobVideo.downloadUrl, undefined, { range: `bytes=${onDisk.length}-` });
    assert.equal(outside.status, 416);
    assert.equal(outside.headers.get('content-range'), `bytes */${onDisk.length}`);
    // Several files: the plain download asks which one.
    assert.equal((await t.api('GET', `/api/v1/recordings/${recording.id}/download`)).status, 400);

    // Webhooks, in order per recording.
    const events = await waitFor('recording-stopped webhook', () => {
      const got = eventsOf(recording.id);
      return got.some((e) => e.type === 'recording-stopped') && got.filter((e) => e.type === 'participant-track-recording-stopped').length === 4 ? got : null;
    });
    const types = events.map((e) => e.type);
    assert.deepEqual(types.filter((ty) => ty.startsWith('recording-')), ['recording-starting', 'recording-started', 'recording-stopping', 'recording-stopped']);
    assert.equal(types.filter((ty) => ty === 'participant-recording-started').length, 2);
    assert.equal(types.filter((ty) => ty === 'participant-recording-stopped').length, 2);
    assert.equal(types.filter((ty) => ty === 'participant-track-recording-started').length, 4);
    const bobTrackStopped = events.find((e) => e.type === 'participant-track-recording-stopped' && e.data.endpointId === 'bob' && e.data.kind === 'video');
    assert.equal(bobTrackStopped?.data.trackId, bobVideo.id);
    const stoppedEvent = events.find((e) => e.type === 'recording-stopped');
    assert.equal(stoppedEvent?.data.status, 'stopped');
    assert.equal(typeof stoppedEvent?.data.durationSeconds, 'number');

    // List with filters; get; delete removes the files.
    const listed = await json<{ data: Recording[] }>(await t.api('GET', `/api/v1/recordings?sessionId=${sessionId}&status=stopped`), 200);
    assert.deepEqual(listed.data.map((r) => r.id), [recording.id]);
    const byRoom = await json<{ data: Recording[] }>(await t.api('GET', `/api/v1/recordings?roomId=${room.id}`), 200);
    assert.deepEqual(byRoom.data.map((r) => r.id), [recording.id]);
    assert.equal((await json<{ data: Recording[] }>(await t.api('GET', `/api/v1/recordings?roomId=${room.id}&status=failed`), 200)).data.length, 0);
  } finally {
    await alice.close();
    await bob?.close();
  }
});

test('an unpublished track closes its file while the rest keep recording; pause/resume are recorded', async () => {
  const room = await t.createRoom();
  const alice = await publisher(room.id, 'alice');
  const bob = await publisher(room.id, 'bob');
  try {
    const recording = await json<Recording>(await t.api('POST', `/api/v1/sessions/${alice.room.sessionId}/recordings`), 201);
    await sleep(1500);
    await bob.close();
    const afterLeave = await waitFor('bob files finished', async () => {
      const r = await json<Recording>(await t.api('GET', `/api/v1/recordings/${recording.id}`), 200);
      const bobFiles = r.files.filter((f) => f.endpointId === 'bob');
      return bobFiles.length === 2 && bobFiles.every((f) => f.status === 'finished') ? r : null;
    });
    assert.ok(afterLeave.files.filter((f) => f.endpointId === 'alice').every((f) => f.status === 'recording'));
    const paused = await json<Recording>(await t.api('POST', `/api/v1/recordings/${recording.id}/actions/pause`), 200);
    assert.equal(paused.status, 'paused');
    // Longer than ffmpeg's default 10 s RTP input timeout: the files must still take the rest.
    await sleep(11_000);
    const resumed = await json<Recording>(await t.api('POST', `/api/v1/recordings/${recording.id}/actions/resume`), 200);
    assert.equal(resumed.status, 'recording');
    await sleep(1500);
    const stopped = await json<Recording>(await t.api('POST', `/api/v1/recordings/${recording.id}/actions/stop`), 200);
    assert.equal(stopped.pauses.length, 1);
    assert.ok(stopped.pauses[0]!.resumedAt !== null);
    const aliceVideo = stopped.files.find((f) => f.endpointId === 'alice' && f.kind === 'video')!;
    const probed = await probe(fileOnDisk(recording.id, fileName(aliceVideo)));
    assert.ok(Number(probed.streams[0]?.nb_read_frames) > 30);
    // The paused stretch is a hole in each file's timeline (no frozen frames written), and the
    // stored pause interval says where it is.
    const pausedMs = Date.parse(stopped.pauses[0]!.resumedAt!) - Date.parse(stopped.pauses[0]!.pausedAt);
    for (const file of stopped.files.filter((f) => f.endpointId === 'alice')) {
      const gap = longestGap(await packetTimes(fileOnDisk(recording.id, fileName(file))));
      // The synthetic microphone is fed by a Node timer that runs late, so its sample clock (the
      // audio RTP timestamps) runs slower than the wall clock: its hole is shorter.
      const least = file.kind === 'video' ? pausedMs / 1000 - 0.3 : (pausedMs / 1000) * 0.5;
      assert.ok(gap > least && gap < pausedMs / 1000 + 1.5, `${file.kind}: longest gap ${gap}s, paused ${pausedMs}ms`);
    }
    // Stopping twice is refused; the bulk delete removes it and its directory.
    assert.equal((await t.api('POST', `/api/v1/recordings/${recording.id}/actions/stop`)).status, 409);
    const bulk = await json<{ deleted: string[]; notFound: string[] }>(
      await t.api('POST', '/api/v1/recordings/actions/delete', { ids: [recording.id, '00000000-0000-4000-8000-000000000000'] }),
      200,
    );
    assert.deepEqual(bulk, { deleted: [recording.id], notFound: ['00000000-0000-4000-8000-000000000000'] });
    assert.equal(fs.existsSync(path.join(t.dataDir, 'recordings', recording.id)), false);
    assert.equal((await t.api('GET', `/api/v1/recordings/${recording.id}`)).status, 404);
  } finally {
    await alice.close();
  }
});

test('a detailed picture (big keyframes) joining late is recorded whole: it decodes, with no long hole', async () => {
  const room = await t.createRoom();
  const alice = await publisher(room.id, 'alice');
  try {
    const recording = await json<Recording>(await t.api('POST', `/api/v1/sessions/${alice.room.sessionId}/recordings`), 201);
    await sleep(1000);
    // Half of each frame is noise: keyframes of tens of packets, the burst a busy ffmpeg loses (the
    // encoder, capped near 1 Mbps, sends such frames at a few per second).
    const bob = await publisher(room.id, 'bob', 0.5);
    await waitFor('bob is recorded', async () => {
      const r = await json<Recording>(await t.api('GET', `/api/v1/recordings/${recording.id}`), 200);
      return r.files.some((f) => f.endpointId === 'bob' && f.kind === 'video') ? r : null;
    });
    await sleep(8000);
    await bob.close();
    const stopped = await json<Recording>(await t.api('POST', `/api/v1/recordings/${recording.id}/actions/stop`), 200);
    const bobVideo = stopped.files.find((f) => f.endpointId === 'bob' && f.kind === 'video')!;
    const file = fileOnDisk(recording.id, fileName(bobVideo));
    const probed = await probe(file);
    const frames = Number(probed.streams[0]?.nb_read_frames);
    const times = await packetTimes(file);
    assert.ok(frames > 15, `bob's video decodes (${frames} frames, ${bobVideo.sizeBytes} bytes)`);
    assert.ok(longestGap(times) < 2.5, `no long hole in bob's video: longest gap ${longestGap(times)} s over ${times.length} packets`);
  } finally {
    await alice.close();
  }
});

test('a killed ffmpeg fails the recording with its reason and a recording-failed webhook; the server lives on', async () => {
  const room = await t.createRoom({ webhook: hooks.url });
  const alice = await publisher(room.id, 'alice');
  const ended: Recording[] = [];
  t.server.recordings.on('recording.ended', (r) => ended.push(r));
  try {
    const recording = await json<Recording>(await t.api('POST', `/api/v1/sessions/${alice.room.sessionId}/recordings`), 201);
    await sleep(1000);
    const [victim] = t.server.recordings.ffmpegPids(recording.id);
    assert.ok(victim);
    process.kill(victim, 'SIGKILL');
    const failed = await waitFor('recording failed', async () => {
      const r = await json<Recording>(await t.api('GET', `/api/v1/recordings/${recording.id}`), 200);
      return r.status === 'failed' ? r : null;
    });
    assert.match(failed.error ?? '', /SIGKILL/);
    assert.equal(failed.endReason, 'failed');
    assert.ok(failed.files.some((f) => f.status === 'failed' && /SIGKILL/.test(f.error ?? '')));
    const webhook = await waitFor('recording-failed webhook', () => eventsOf(recording.id).find((e) => e.type === 'recording-failed'));
    assert.equal(webhook.data.status, 'failed');
    assert.match(String(webhook.data.error), /SIGKILL/);
    // Signaling hears it too (the SDK's recording.ended).
    assert.equal(ended.find((r) => r.id === recording.id)?.status, 'failed');
    // The session can be recorded again.
    const next = await json<Recording>(await t.api('POST', `/api/v1/sessions/${alice.room.sessionId}/recordings`), 201);
    assert.equal((await t.api('POST', `/api/v1/recordings/${next.id}/actions/stop`)).status, 200);
  } finally {
    await alice.close();
  }
});

test('a room with recording: true records from the session start, and the session end stops it', async () => {
  const room = await t.createRoom({ recording: true });
  const alice = await publisher(room.id, 'alice');
  const recording = await waitFor('automatic recording with files', async () => {
    const page = await json<{ data: Recording[] }>(await t.api('GET', `/api/v1/recordings?roomId=${room.id}`), 200);
    const r = page.data[0];
    return r && r.files.length === 2 ? r : null;
  });
  await sleep(1500);
  assert.equal((await t.api('POST', `/api/v1/sessions/${alice.room.sessionId}/actions/end`)).status, 200);
  alice.media.stop();
  const stopped = await waitFor('stopped by the session end', async () => {
    const r = await json<Recording>(await t.api('GET', `/api/v1/recordings/${recording.id}`), 200);
    return r.status === 'stopped' ? r : null;
  });
  assert.equal(stopped.endReason, 'session-ended');
  for (const file of stopped.files) {
    const probed = await probe(fileOnDisk(recording.id, fileName(file)));
    assert.ok(Number(probed.streams[0]?.nb_read_frames) > 0);
  }
});

test('bad input and missing ffmpeg give clear errors', async () => {
  assert.equal((await t.api('GET', '/api/v1/recordings/not-a-uuid')).status, 400);
  assert.equal((await t.api('GET', '/api/v1/recordings/00000000-0000-4000-8000-000000000000')).status, 404);
  assert.equal((await t.api('POST', '/api/v1/sessions/00000000-0000-4000-8000-000000000000/recordings')).status, 404);
  assert.equal((await t.api('GET', '/api/v1/recordings?status=nope')).status, 400);

  const broken = await startTestServer({ ATRIUM_FFMPEG_PATH: '/nonexistent/ffmpeg' });
  try {
    const room = await broken.createRoom();
    const { room: joined } = await join(room.id, await broken.token('alice', room.id), { url: broken.url, wrtc: wrtcImpl });
    try {
      const res = await broken.api('POST', `/api/v1/sessions/${joined.sessionId}/recordings`);
      const body = await json<{ error: { code: string; message: string } }>(res, 503);
      assert.equal(body.error.code, 'RECORDING_FAILED');
      assert.match(body.error.message, /ffmpeg is not installed/);
      const page = await json<{ data: Recording[] }>(await broken.api('GET', `/api/v1/recordings?status=failed`), 200);
      assert.match(page.data[0]?.error ?? '', /ffmpeg is not installed/);
    } finally {
      await joined.leave();
    }
  } finally {
    await broken.close();
  }
});

/** The file name of a recording file, from the recording's directory listing. */
function fileName(file: Recording['files'][number]): string {
  const dir = fs.readdirSync(path.join(t.dataDir, 'recordings')).find((d) => fs.existsSync(path.join(t.dataDir, 'recordings', d)) && fs.readdirSync(path.join(t.dataDir, 'recordings', d)).some((n) => n.includes(file.id.slice(0, 8))));
  assert.ok(dir, `no directory holds ${file.id}`);
  const name = fs.readdirSync(path.join(t.dataDir, 'recordings', dir)).find((n) => n.includes(file.id.slice(0, 8)) && n.endsWith('.webm'));
  assert.ok(name, `no file for ${file.id}`);
  return name;
}
