/**
 * End-to-end with two Node endpoints (@roamhq/wrtc): each publishes synthetic camera + microphone
 * through our SFU and decodes the other's video and receives its audio.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { join } from '../packages/sdk/src/index.js';
import { startTestServer, waitFor, type TestServer } from './helpers/server.js';
import { countFrames, inboundStats, syntheticCamera, wrtcImpl } from './helpers/wrtc-media.js';

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => {
  await t.close();
});

test('two Node endpoints see and hear each other through the SFU', async () => {
  const room = await t.createRoom();
  const alice = await join(room.id, await t.token('alice', room.id, { name: 'Alice' }), { url: t.url, wrtc: wrtcImpl });
  const bob = await join(room.id, await t.token('bob', room.id, { name: 'Bob' }), { url: t.url, wrtc: wrtcImpl });
  const aliceMedia = syntheticCamera();
  const bobMedia = syntheticCamera();
  try {
    assert.deepEqual(bob.room.endpoints.map((e) => e.name), ['Alice']);
    const bobSeesAlicePublish = new Promise<void>((resolve) => bob.room.on('stream.published', () => resolve()));
    await alice.room.publish('camera', aliceMedia.stream);
    await bobSeesAlicePublish;
    await bob.room.publish('camera', bobMedia.stream);
    const aliceEndpoint = bob.room.getEndpoint('alice');
    assert.ok(aliceEndpoint, 'bob knows alice');
    assert.deepEqual(aliceEndpoint.tracks.map((tr) => tr.kind).sort(), ['audio', 'video']);

    const bobGetsAlice = await bob.endpoint.subscribe(aliceEndpoint, 'camera');
    const aliceGetsBob = await alice.endpoint.subscribe('bob', 'camera');
    const bobVideo = await waitFor('video track at bob', () => bobGetsAlice.track('video'));
    const counter = countFrames(bobVideo);
    await waitFor('bob decodes alice', () => counter.frames > 30, 20_000);
    assert.equal(counter.width, 640);
    const stats = await waitFor('alice decodes bob and hears audio', async () => {
      const s = inboundStats(await aliceGetsBob.getStats());
      return s.framesDecoded > 30 && s.audioPackets > 50 ? s : null;
    }, 20_000);
    assert.ok(stats.framesDecoded > 30);
    const bobStats = inboundStats(await bobGetsAlice.getStats());
    assert.ok(bobStats.audioPackets > 50, `bob got ${bobStats.audioPackets} audio packets`);
    counter.stop();
    assert.deepEqual(t.server.sfu.stats(), { publishers: 2, subscribers: 2, peerConnections: 4 });
  } finally {
    aliceMedia.stop();
    bobMedia.stop();
    await alice.room.leave();
    await bob.room.leave();
  }
  await waitFor('all peer connections closed', () => t.server.sfu.stats().peerConnections === 0, 5000);
});
