/**
 * Muting from REST is enforced by the SFU: a muted endpoint's audio stops reaching subscribers
 * whatever its client does, the endpoint is told, it cannot unmute itself, and unmuting restores
 * the flow.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { join } from '../packages/sdk/src/index.js';
import { startTestServer, waitFor, type TestServer } from './helpers/server.js';
import { inboundStats, syntheticCamera, wrtcImpl } from './helpers/wrtc-media.js';

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => {
  await t.close();
});

test('REST mute stops the SFU forwarding an endpoint’s audio until unmute', async () => {
  const room = await t.createRoom({ timeout: 5 });
  const speaker = await join(room.id, await t.token('speaker', room.id), { url: t.url, wrtc: wrtcImpl });
  const listener = await join(room.id, await t.token('listener', room.id), { url: t.url, wrtc: wrtcImpl });
  const media = syntheticCamera();
  try {
    await speaker.room.publish('camera', media.stream);
    await waitFor('listener sees the stream', () => listener.room.getEndpoint('speaker')?.streams.length === 1);
    const subscription = await listener.endpoint.subscribe('speaker', 'camera');
    const audioPackets = async (): Promise<number> => inboundStats(await subscription.getStats()).audioPackets;
    await waitFor('audio flows', async () => (await audioPackets()) > 50, 20_000);

    const mutedEvent = new Promise<boolean>((resolve) =>
      listener.room.on('track.updated', (endpoint, track) => {
        if (endpoint.id === 'speaker' && track.kind === 'audio') resolve(track.muted);
      }),
    );
    const sessionId = speaker.room.sessionId;
    const res = await t.api('POST', `/api/v1/sessions/${sessionId}/endpoints/speaker/actions/mute`, { kind: 'audio' });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(await mutedEvent, true, 'others see the track muted');

    // Let in-flight packets land, then no more arrive.
    await new Promise((r) => setTimeout(r, 500));
    const atMute = await audioPackets();
    await new Promise((r) => setTimeout(r, 1500));
    const afterMute = await audioPackets();
    assert.ok(afterMute - atMute <= 2, `audio kept flowing while muted: ${afterMute - atMute} packets`);
    // Video is untouched.
    const videoBefore = inboundStats(await subscription.getStats()).videoPackets;
    await waitFor('video still flows', async () => inboundStats(await subscription.getStats()).videoPackets > videoBefore + 10);

    // The speaker's client cannot lift a server mute by itself.
    const audioTrack = speaker.room.localStreams[0]?.track('audio');
    assert.ok(audioTrack);
    await audioTrack.disable();
    await assert.rejects(audioTrack.enable(), (error: { code?: string }) => error.code === 'PERMISSION_DENIED');

    const unmute = await t.api('POST', `/api/v1/sessions/${sessionId}/endpoints/speaker/actions/unmute`, { kind: 'audio' });
    assert.equal(unmute.status, 200);
    await audioTrack.enable();
    const atUnmute = await audioPackets();
    await waitFor('audio flows again', async () => (await audioPackets()) > atUnmute + 50, 10_000);
  } finally {
    media.stop();
    await speaker.room.leave();
    await listener.room.leave();
  }
});
