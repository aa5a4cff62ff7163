/**
 * End-to-end talking detection: a Node endpoint (@roamhq/wrtc, real libwebrtc) publishes a
 * microphone through the real server; an AudioLevelMonitor on its PublishedTrack reads the
 * RFC 6464 levels libwebrtc writes, and follows the source from silence to a loud tone and back.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { join } from '../packages/sdk/src/index.js';
import type { Publisher } from '../packages/server/src/sfu/publisher.js';
import { AudioLevelMonitor } from '../packages/server/src/sfu/audio-level.js';
import { startTestServer, waitFor, type TestServer } from './helpers/server.js';
import { toneMicrophone, wrtcImpl } from './helpers/wrtc-media.js';

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => {
  await t.close();
});

test('the audio level of a real publisher moves between silence and a loud tone; talking follows', async (ctx) => {
  // Catch the publisher the SFU creates, through its public publish().
  const publishers: Publisher[] = [];
  const sfu = t.server.sfu;
  const publish = sfu.publish.bind(sfu);
  sfu.publish = async (offerSdp) => {
    const result = await publish(offerSdp);
    publishers.push(result.publisher);
    return result;
  };

  const room = await t.createRoom();
  const alice = await join(room.id, await t.token('alice', room.id, { name: 'Alice' }), { url: t.url, wrtc: wrtcImpl });
  const microphone = toneMicrophone();
  try {
    await alice.room.publish('camera', microphone.stream);
    const track = publishers[0]?.tracks.get('audio');
    assert.ok(track, 'the SFU has alice’s audio track');
    const sinksBefore = track.stats().sinks; // the room session's own talking monitor is one
    const monitor = AudioLevelMonitor.attach(track);
    assert.equal(monitor.measurable, true, 'the audio-level extension was negotiated');
    const changes: boolean[] = [];
    monitor.on('talking', (talking) => changes.push(talking));

    await waitFor('packets arrive', () => track.stats().packetsReceived > 50, 20_000);
    await waitFor('a silent source reads as silence', () => monitor.level < -90, 10_000);
    assert.equal(monitor.talking, false);
    const silentLevel = monitor.level;

    microphone.setAmplitude(16_000); // about −6 dBov peak
    await waitFor('a loud source reads loud', () => monitor.level > -30, 10_000);
    assert.equal(monitor.talking, true);
    const loudLevel = monitor.level;

    microphone.setAmplitude(0);
    await waitFor('talking stops when the source is silent again', () => !monitor.talking, 10_000);
    assert.deepEqual(changes, [true, false]);
    assert.ok(loudLevel - silentLevel > 60, `levels: silent ${silentLevel.toFixed(1)}, loud ${loudLevel.toFixed(1)} dBov`);
    ctx.diagnostic(`smoothed level: silent ${silentLevel.toFixed(1)} dBov, loud ${loudLevel.toFixed(1)} dBov`);
    monitor.close();
    assert.equal(track.stats().sinks, sinksBefore, 'the monitor removed itself');
  } finally {
    microphone.stop();
    await alice.room.leave();
    sfu.publish = publish;
  }
});
