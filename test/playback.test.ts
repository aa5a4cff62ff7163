/**
 * Playback from the SDK: `room.play()` (permission `room.playback`) brings a virtual member into
 * the room that publishes the URL's media (stream `playback`, VP8 + Opus from ffmpeg over an RTP
 * ingest); a Node endpoint subscribes and decodes it like any publisher. Pause stops the frames,
 * resume brings them back, seek moves the position, stop makes the member leave; the end of the
 * media ends the playback (`finished`), a dead ffmpeg ends it `failed`, the last real endpoint
 * leaving ends it (`session-ended`). URLs the operator has not
 * allowed are refused (PLAYBACK_URL_REFUSED), and so is a caller without `room.playback`.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import type { LayoutChangedEvent, MemberJoinedEvent, MemberLeftEvent } from '@atrium/protocol';
import { join, RequestError, type Room, type RoomSessionPlayback } from '../packages/sdk/src/index.js';
import { cpuSeconds } from './helpers/ffprobe.js';
import { startTestServer, waitFor, type TestServer } from './helpers/server.js';
import { countFrames, inboundStats, wrtcImpl } from './helpers/wrtc-media.js';

const run = promisify(execFile);

let t: TestServer;
let clipDir: string;
/** 6 s, 640x360@30, 440 Hz tone. */
let shortClip: string;
/** 30 s, same picture: long enough for pause/resume/seek on a loaded machine. */
let longClip: string;

async function makeClip(file: string, seconds: number): Promise<void> {
  await run('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=30:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '30',
    '-c:a', 'aac', '-movflags', '+faststart', '-shortest', file,
  ]);
}

before(async () => {
  clipDir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrium-playback-'));
  shortClip = path.join(clipDir, 'short.mp4');
  longClip = path.join(clipDir, 'long.mp4');
  await makeClip(shortClip, 6);
  await makeClip(longClip, 30);
  // A symlink inside the directory that leads out of it.
  fs.symlinkSync('/etc/passwd', path.join(clipDir, 'escape.mp4'));
  t = await startTestServer({ ATRIUM_PLAYBACK_FILE_DIR: clipDir });
});
after(async () => {
  await t.close();
  fs.rmSync(clipDir, { recursive: true, force: true });
});

async function enter(server: TestServer, roomId: string, endpointId: string, extra: Record<string, unknown>): Promise<Room> {
  const { room } = await join(roomId, await server.token(endpointId, roomId, extra), { url: server.url, wrtc: wrtcImpl });
  return room;
}

function playbackEvents(room: Room): Array<{ event: string; state: string; endReason: string | null; error: string | null }> {
  const seen: Array<{ event: string; state: string; endReason: string | null; error: string | null }> = [];
  for (const event of ['playback.started', 'playback.updated', 'playback.ended'] as const) {
    room.on(event, (p: RoomSessionPlayback) => seen.push({ event, state: p.state, endReason: p.endReason, error: p.playback.error }));
  }
  return seen;
}

function memberEvents(room: Room): { joined: MemberJoinedEvent[]; left: MemberLeftEvent[] } {
  const events = { joined: [] as MemberJoinedEvent[], left: [] as MemberLeftEvent[] };
  room.on('member.joined', (e) => events.joined.push(e));
  room.on('member.left', (e) => events.left.push(e));
  return events;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test('play a file: a virtual member others subscribe to; pause, resume, seek, stop; CPU of its ffmpeg', async () => {
  const created = await t.createRoom();
  const alice = await enter(t, created.id, 'alice', { name: 'Alice', permissions: ['room.playback', 'room.playback_seek'] });
  // Bob may list playbacks, so he hears their events; Carol may not, so she hears none (as the reference).
  const bob = await enter(t, created.id, 'bob', { name: 'Bob', permissions: ['room.playback'] });
  const carol = await enter(t, created.id, 'carol', { name: 'Carol', permissions: [] });
  const carolEvents = playbackEvents(carol);
  const aliceEvents = playbackEvents(alice);
  const bobEvents = playbackEvents(bob);
  const bobMembers = memberEvents(bob);
  try {
    const playback = await alice.play({ url: `file://${longClip}`, volume: -10 });
    assert.equal(playback.state, 'playing');
    assert.equal(playback.volume, -10);
    assert.equal(playback.seekable, true);
    assert.equal(playback.url, `file://${longClip}`);

    // The virtual member: joined, listed, publishing `playback`.
    const joined = await waitFor('bob hears member.joined', () => bobMembers.joined.find((e) => e.member.id === playback.memberId));
    assert.equal(joined.member.name, 'long.mp4');
    assert.ok((await bob.getMembers()).members.some((m) => m.id === playback.memberId), 'getMembers lists the playback');
    await waitFor('bob hears playback.started', () => bobEvents.some((e) => e.event === 'playback.started'));
    const endpoint = await waitFor('the playback stream', () => bob.getEndpoint(playback.memberId)?.streamsByTag.get('playback'));
    assert.deepEqual(endpoint.tracks.map((track) => track.kind).sort(), ['audio', 'video']);
    assert.deepEqual((await alice.getPlaybacks()).playbacks, [playback], 'the same object for the same playback');

    // Bob subscribes like to any publisher and decodes it.
    const subscription = await bob.localEndpoint.subscribe(playback.memberId, 'playback');
    const video = await waitFor('video track', () => subscription.track('video'));
    const frames = countFrames(video);
    await waitFor('bob decodes the playback', () => frames.frames > 15, 30_000);
    assert.equal(frames.width, 640);
    await waitFor('bob hears the playback', async () => inboundStats(await subscription.getStats()).audioPackets > 25, 20_000);

    // CPU of this playback's ffmpeg (decode H.264 640x360 + encode VP8 + Opus), over 3 s.
    const [pid] = t.server.playbacks.pids(playback.id);
    assert.ok(pid, 'ffmpeg runs');
    const cpuBefore = cpuSeconds(pid);
    await sleep(3000);
    const cpuShare = (cpuSeconds(pid) - cpuBefore) / 3;
    console.log(`# playback ffmpeg CPU: ${(cpuShare * 100).toFixed(1)}% of one core (640x360@30 H.264+AAC → VP8+Opus)`);

    // Pause: no new frames; the member stays.
    await playback.pause();
    assert.equal(playback.state, 'paused');
    const pausedAt = playback.position;
    assert.ok(pausedAt > 1000, `paused at ${pausedAt} ms`);
    assert.deepEqual(t.server.playbacks.pids(playback.id), [], 'no ffmpeg while paused');
    await sleep(1000);
    const framesPaused = frames.frames;
    await sleep(1500);
    assert.equal(frames.frames, framesPaused, 'no frames while paused');
    assert.ok(bob.members.some((m) => m.id === playback.memberId), 'the member stays while paused');
    await waitFor('bob hears the pause', () => bobEvents.some((e) => e.event === 'playback.updated' && e.state === 'paused'));

    // Resume: frames again, from where it paused.
    await playback.resume();
    assert.equal(playback.state, 'playing');
    assert.equal(playback.position, pausedAt);
    await waitFor('frames after resume', () => frames.frames > framesPaused + 15, 20_000);

    // Seek forward: the position moves; frames go on.
    await playback.seek(20_000);
    assert.equal(playback.position, 20_000);
    const framesSeek = frames.frames;
    await waitFor('frames after seek', () => frames.frames > framesSeek + 15, 20_000);
    await playback.setVolume(5);
    assert.equal(playback.volume, 5);
    assert.ok(playback.position >= 20_000, `position ${playback.position} after the volume restart`);

    // Stop: the member leaves, everyone hears playback.ended.
    const subscriptionEnded = new Promise<string>((resolve) => subscription.on('ended', (reason) => resolve(reason)));
    await playback.stop();
    assert.equal(playback.state, 'completed');
    assert.equal(playback.endReason, 'stopped');
    const left = await waitFor('bob hears member.left', () => bobMembers.left.find((e) => e.member.id === playback.memberId));
    assert.equal(left.member.name, 'long.mp4');
    assert.ok(['unpublished', 'endpoint-left'].includes(await subscriptionEnded));
    await waitFor('bob hears playback.ended', () => bobEvents.some((e) => e.event === 'playback.ended' && e.endReason === 'stopped'));
    assert.ok(aliceEvents.some((e) => e.event === 'playback.ended'));
    assert.deepEqual(carolEvents, [], 'carol, without room.playback, hears no playback event');
    assert.ok(!(await alice.getMembers()).members.some((m) => m.id === playback.memberId));
    const listed = (await alice.getPlaybacks()).playbacks;
    assert.deepEqual(listed.map((p) => [p.id, p.state]), [[playback.id, 'completed']]);
    await assert.rejects(playback.resume(), (e: unknown) => e instanceof RequestError && e.code === 'PLAYBACK_ENDED');
    frames.stop();
  } finally {
    await bob.leave();
    await alice.leave();
  }
  await waitFor('ingest publisher and subscriptions closed', () => t.server.sfu.stats().publishers === 0 && t.server.sfu.stats().subscribers === 0, 5000);
});

test('the end of the media ends the playback (finished); a dead ffmpeg ends it failed, with its reason; so does an empty room', async () => {
  const created = await t.createRoom();
  const alice = await enter(t, created.id, 'alice', { name: 'Alice', permissions: ['room.playback'] });
  const events = playbackEvents(alice);
  const members = memberEvents(alice);
  try {
    // From 3 s of a 6 s clip: about 3 s of media; the layout and the playback's position set at once.
    const layouts: LayoutChangedEvent[] = [];
    alice.on('layout.changed', (event) => layouts.push(event));
    const finishing = await alice.play({ url: shortClip, currentTimecode: 3000, layout: '2x2', positions: { self: 'standard-1' } });
    assert.equal(finishing.position, 3000);
    assert.equal((await alice.getMembers()).members.find((m) => m.id === finishing.memberId)?.position, 'standard-1');
    const layer = await waitFor('the playback in the layout', () =>
      layouts.find((e) => e.layout.name === '2x2')?.layout.layers.find((l) => l.memberId === finishing.memberId && l.streamTag === 'playback'));
    assert.equal(layer.playingFile, true);
    assert.equal(layer.reservation, 'standard-1');
    await waitFor('playback.ended finished', () => events.some((e) => e.event === 'playback.ended' && e.endReason === 'finished'), 30_000);
    assert.equal(finishing.state, 'completed');
    assert.ok(finishing.position >= 3000, `ended at ${finishing.position} ms`);
    await waitFor('member.left', () => members.left.some((e) => e.member.id === finishing.memberId));

    const failing = await alice.play({ url: `file://${longClip}` });
    const pid = await waitFor('ffmpeg runs', () => t.server.playbacks.pids(failing.id)[0]);
    process.kill(pid, 'SIGKILL');
    await waitFor('playback.ended failed', () => events.some((e) => e.event === 'playback.ended' && e.endReason === 'failed'), 10_000);
    assert.equal(failing.endReason, 'failed');
    assert.match(failing.playback.error ?? '', /SIGKILL/);
    await waitFor('member.left', () => members.left.some((e) => e.member.id === failing.memberId));

    // The last real endpoint leaves: the playback ends with the room (it would keep it alive otherwise).
    const orphan = await alice.play({ url: `file://${longClip}` });
    await waitFor('ffmpeg runs', () => t.server.playbacks.pids(orphan.id)[0]);
    const sessionId = alice.sessionId;
    await alice.leave();
    const ended = await waitFor('the playback ends', () => t.server.playbacks.list(sessionId).find((p) => p.id === orphan.id && p.state === 'completed'));
    assert.equal(ended.endReason, 'session-ended');
    assert.deepEqual(t.server.playbacks.pids(orphan.id), []);
    await waitFor('its stream is closed', () => t.server.sfu.stats().publishers === 0, 5000);
  } finally {
    await alice.leave();
  }
});

test('URLs the operator has not allowed are refused; play needs room.playback', async () => {
  const created = await t.createRoom();
  const alice = await enter(t, created.id, 'alice', { name: 'Alice', permissions: ['room.playback'] });
  const bob = await enter(t, created.id, 'bob', { name: 'Bob', permissions: [] });
  try {
    const refused = (pattern: RegExp) => (e: unknown) => e instanceof RequestError && e.code === 'PLAYBACK_URL_REFUSED' && pattern.test(e.message);
    await assert.rejects(alice.play({ url: 'file:///etc/passwd' }), refused(/playback directory/));
    await assert.rejects(alice.play({ url: `${clipDir}/../${path.basename(clipDir)}-other/a.mp4` }), refused(/playback directory/));
    await assert.rejects(alice.play({ url: '../../etc/passwd' }), refused(/playback directory/));
    await assert.rejects(alice.play({ url: path.join(clipDir, 'escape.mp4') }), refused(/playback directory/));
    await assert.rejects(alice.play({ url: 'http://127.0.0.1/a.mp4' }), refused(/127\.0\.0\.1.*ATRIUM_PLAYBACK_ALLOW_PRIVATE_HOSTS/));
    await assert.rejects(alice.play({ url: 'http://[::1]:8080/a.mp4' }), refused(/private/));
    await assert.rejects(alice.play({ url: 'ftp://example.com/a.mp4' }), refused(/"ftp:" is not allowed/));
    await assert.rejects(bob.play({ url: shortClip }), (e: unknown) => e instanceof RequestError && e.code === 'PERMISSION_DENIED');
    await assert.rejects(bob.getPlaybacks(), (e: unknown) => e instanceof RequestError && e.code === 'PERMISSION_DENIED');
    assert.deepEqual((await alice.getPlaybacks()).playbacks, [], 'nothing was played');
    assert.deepEqual((await alice.getMembers()).members.map((m) => m.id).sort(), ['alice', 'bob']);
  } finally {
    await bob.leave();
    await alice.leave();
  }
});

test('play over HTTP from a local server (private hosts allowed by the operator)', async () => {
  const files = http.createServer((request, response) => {
    if (request.url !== '/short.mp4') {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'video/mp4', 'content-length': fs.statSync(shortClip).size });
    fs.createReadStream(shortClip).pipe(response);
  });
  await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
  const server = await startTestServer({ ATRIUM_PLAYBACK_ALLOW_PRIVATE_HOSTS: 'true' });
  try {
    const created = await server.createRoom();
    const alice = await enter(server, created.id, 'alice', { name: 'Alice', permissions: ['room.playback'] });
    const events = playbackEvents(alice);
    try {
      await assert.rejects(alice.play({ url: `${base}/missing.mp4` }), (e: unknown) => e instanceof RequestError && e.code === 'PLAYBACK_FAILED' && /404/.test(e.message));
      await assert.rejects(alice.play({ url: shortClip }), (e: unknown) => e instanceof RequestError && e.code === 'PLAYBACK_URL_REFUSED' && /not enabled/.test(e.message));
      const playback = await alice.play({ url: `${base}/short.mp4` });
      const joined = await waitFor('the playback member', () => alice.getEndpoint(playback.memberId)?.streamsByTag.get('playback'));
      assert.ok(joined);
      assert.equal(alice.members.find((m) => m.id === playback.memberId)?.name, 'short.mp4');
      const subscription = await alice.localEndpoint.subscribe(playback.memberId, 'playback');
      const frames = countFrames(await waitFor('video track', () => subscription.track('video')));
      await waitFor('frames over HTTP', () => frames.frames > 10, 30_000);
      assert.equal(frames.width, 640);
      frames.stop();
      await waitFor('playback.ended finished', () => events.some((e) => e.event === 'playback.ended' && e.endReason === 'finished'), 30_000);
    } finally {
      await alice.leave();
    }
  } finally {
    await server.close();
    files.close();
  }
});
