/**
 * Recording from the SDK: `room.startRecording()` (permission `room.recording`) resolves to a
 * recording with pause/resume/stop; every endpoint of the session gets `recording.started`,
 * `recording.updated` and `recording.ended`; the files it wrote decode (ffprobe). Without the
 * permission the call is refused and nothing is recorded.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { join, RequestError, type Room, type RoomRecording } from '../packages/sdk/src/index.js';
import { probe } from './helpers/ffprobe.js';
import { startTestServer, waitFor, type TestServer } from './helpers/server.js';
import { syntheticCamera, wrtcImpl } from './helpers/wrtc-media.js';

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => {
  await t.close();
});

async function enter(roomId: string, endpointId: string, extra: Record<string, unknown>): Promise<Room> {
  const { room } = await join(roomId, await t.token(endpointId, roomId, extra), { url: t.url, wrtc: wrtcImpl });
  return room;
}

function recordEvents(room: Room): Array<{ event: string; state: string }> {
  const seen: Array<{ event: string; state: string }> = [];
  for (const event of ['recording.started', 'recording.updated', 'recording.ended'] as const) {
    room.on(event, (recording: RoomRecording) => seen.push({ event, state: recording.state }));
  }
  return seen;
}

test('startRecording from the SDK: events to the members allowed room.recording (as the reference), pause/resume/stop, files that decode; refused without room.recording', async () => {
  const created = await t.createRoom();
  const alice = await enter(created.id, 'alice', { name: 'Alice', permissions: ['room.recording'] });
  const bob = await enter(created.id, 'bob', { name: 'Bob', permissions: [] });
  const carol = await enter(created.id, 'carol', { name: 'Carol', permissions: ['room.recording'] });
  const camera = syntheticCamera({ audio: true });
  try {
    await alice.publish('camera', camera.stream);

    await assert.rejects(bob.startRecording(), (error: unknown) => error instanceof RequestError && error.code === 'PERMISSION_DENIED');
    assert.deepEqual((await alice.getRecordings()).recordings, [], 'the refused call recorded nothing');

    const aliceEvents = recordEvents(alice);
    const bobEvents = recordEvents(bob);
    const carolEvents = recordEvents(carol);
    const recording = await alice.startRecording();
    assert.ok(['starting', 'recording'].includes(recording.state), recording.state);
    await waitFor('carol hears recording.started', () => carolEvents.some((e) => e.event === 'recording.started'), 20_000);
    await waitFor('the recording runs', () => recording.state === 'recording', 20_000);

    await new Promise((resolve) => setTimeout(resolve, 2000));
    await recording.pause();
    assert.equal(recording.state, 'paused');
    await recording.resume();
    assert.equal(recording.state, 'recording');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await recording.stop();
    await waitFor('recording.ended at alice', () => aliceEvents.some((e) => e.event === 'recording.ended'), 20_000);
    assert.equal(recording.state, 'stopped');
    assert.ok(carolEvents.some((e) => e.event === 'recording.updated' && e.state === 'paused'), 'carol heard the pause');
    await waitFor('carol hears the end', () => carolEvents.some((e) => e.event === 'recording.ended' && e.state === 'stopped'), 20_000);
    assert.deepEqual(bobEvents, [], 'bob, without room.recording, hears no recording event');

    const listed = (await alice.getRecordings()).recordings;
    assert.deepEqual(listed.map((r) => r.id), [recording.id]);
    assert.equal(listed[0], recording, 'the same RoomRecording object for the same recording');

    // The files: one per track, each decodes.
    const files = recording.recording.files;
    assert.deepEqual(files.map((file) => file.kind).sort(), ['audio', 'video']);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrium-rec-sdk-'));
    try {
      for (const file of files) {
        const response = await t.api('GET', `/api/v1/recordings/${recording.id}/download?track=${file.id}`);
        assert.equal(response.status, 200);
        const onDisk = path.join(dir, `${file.kind}.webm`);
        fs.writeFileSync(onDisk, Buffer.from(await response.arrayBuffer()));
        const probed = await probe(onDisk);
        const stream = probed.streams[0];
        assert.equal(stream?.codec_name, file.kind === 'video' ? 'vp8' : 'opus');
        assert.ok(Number(stream?.nb_read_frames ?? stream?.nb_read_packets ?? 0) > 30, `${file.kind} has frames`);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }

  } finally {
    camera.stop();
    await carol.leave();
    await bob.leave();
    await alice.leave();
  }
});
