/**
 * What the reference RoomSession does to media, enforced by the SFU, with real WebRTC peers
 * (@roamhq/wrtc): a member's mute stops its media being forwarded and mutes its client's track
 * (a client that re-enables its track by itself still sends nothing through); deaf stops audio
 * towards the member and mutes its microphone, undeaf restores both; screen shares and extra
 * sources are streams of their own (with their permissions); updateCamera/updateMicrophone switch
 * tracks on the same connection.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { GUEST_PERMISSIONS } from '@atrium/protocol';
import { join, type Room, type RoomEvents, type Subscription } from '../packages/sdk/src/index.js';
import { startTestServer, waitFor, type TestServer } from './helpers/server.js';
import { countFrames, inboundStats, syntheticCamera, wrtcImpl, type SyntheticMedia } from './helpers/wrtc-media.js';

let t: TestServer;
const media: SyntheticMedia[] = [];
before(async () => {
  t = await startTestServer();
});
after(async () => {
  for (const m of media) m.stop();
  await t.close();
});

function camera(options: Parameters<typeof syntheticCamera>[0] = {}): SyntheticMedia {
  const m = syntheticCamera(options);
  media.push(m);
  return m;
}

async function enter(roomId: string, endpointId: string, extra: Record<string, unknown> = {}): Promise<Room> {
  const { room } = await join(roomId, await t.token(endpointId, roomId, extra), { url: t.url, wrtc: wrtcImpl });
  return room;
}

function next<E extends keyof RoomEvents>(room: Room, name: E, match: (...args: RoomEvents[E]) => boolean = () => true): Promise<RoomEvents[E]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${String(name)} event`)), 10_000);
    const listener = ((...args: RoomEvents[E]) => {
      if (!match(...args)) return;
      clearTimeout(timer);
      room.off(name, listener as never);
      resolve(args);
    }) as never;
    room.on(name, listener);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Packets of `kind` received on the subscription. */
async function packets(subscription: Subscription, kind: 'audio' | 'video'): Promise<number> {
  const stats = inboundStats(await subscription.getStats());
  return kind === 'audio' ? stats.audioPackets : stats.videoPackets;
}

/** Asserts that (after in-flight packets landed) no more than a stray packet or two arrive. */
async function assertStopped(subscription: Subscription, kind: 'audio' | 'video', what: string): Promise<void> {
  await sleep(500);
  const at = await packets(subscription, kind);
  await sleep(1500);
  const later = await packets(subscription, kind);
  assert.ok(later - at <= 2, `${what}: ${later - at} ${kind} packets kept arriving`);
}

async function assertFlowing(subscription: Subscription, kind: 'audio' | 'video', what: string): Promise<void> {
  const at = await packets(subscription, kind);
  await waitFor(what, async () => (await packets(subscription, kind)) > at + 30, 15_000);
}

describe('room session media enforced by the SFU', () => {
  test('a member mute stops forwarding and mutes the target client; unmute restores it', async () => {
    const created = await t.createRoom();
    const mod = await enter(created.id, 'mod', { moderator: true });
    const bob = await enter(created.id, 'bob');
    try {
      const published = next(mod, 'stream.published');
      await bob.publish('camera', camera().stream);
      await published;
      const sub = await mod.localEndpoint.subscribe('bob', 'camera');
      await assertFlowing(sub, 'audio', 'audio flows');

      const told = next(bob, 'local.media');
      await mod.audioMute({ memberId: 'bob' });
      assert.deepEqual((await told)[0], { kind: 'audio', muted: true, by: 'mod', cause: 'mute' });
      assert.equal(bob.localAudioTrack?.enabled, false, 'the target client muted its microphone');
      await assertStopped(sub, 'audio', 'after the mute');

      // A client that ignores the mute and re-enables its track still sends nothing through.
      const track = bob.localAudioTrack;
      assert.ok(track);
      track.enabled = true;
      await assert.rejects(bob.localStreams[0]!.track('audio')!.enable().then(() => bob.audioUnmute()), (e: { code?: string }) => e.code === 'PERMISSION_DENIED');
      await assertStopped(sub, 'audio', 'a modified client');
      await assertFlowing(sub, 'video', 'video is untouched');

      const unmuted = next(bob, 'local.media', (e) => !e.muted);
      await mod.audioUnmute({ memberId: 'bob' });
      await unmuted;
      assert.equal(bob.localAudioTrack?.enabled, true);
      await assertFlowing(sub, 'audio', 'audio flows after unmute');

      await mod.videoMute({ memberId: 'bob' });
      assert.equal((await waitFor('bob camera off', () => bob.localVideoTrack?.enabled === false)), true);
      await assertStopped(sub, 'video', 'after videoMute');
      await mod.videoUnmute({ memberId: 'bob' });
      await assertFlowing(sub, 'video', 'video after videoUnmute');
    } finally {
      await mod.leave();
      await bob.leave();
    }
  });

  test('deaf stops audio towards the member and mutes its microphone; undeaf restores both', async () => {
    const created = await t.createRoom();
    const mod = await enter(created.id, 'mod', { moderator: true });
    const bob = await enter(created.id, 'bob');
    try {
      const bobSees = next(bob, 'stream.published');
      await mod.publish('camera', camera().stream);
      await bobSees;
      const modSees = next(mod, 'stream.published');
      await bob.publish('camera', camera().stream);
      await modSees;
      const bobHears = await bob.localEndpoint.subscribe('mod', 'camera');
      const modHears = await mod.localEndpoint.subscribe('bob', 'camera');
      await assertFlowing(bobHears, 'audio', 'bob hears mod');
      await assertFlowing(modHears, 'audio', 'mod hears bob');
      // remoteStream gathers every received track (here: mod's camera stream).
      const ids = (stream: MediaStream | undefined) => (stream?.getTracks() ?? []).map((track) => track.id).sort();
      assert.deepEqual(ids(bob.remoteStream), ids(bobHears.mediaStream));
      assert.equal(bob.remoteStream?.getTracks().length, 2);

      const told = next(bob, 'local.media');
      await mod.deaf({ memberId: 'bob' });
      assert.deepEqual((await told)[0], { kind: 'audio', muted: true, by: 'mod', cause: 'deaf' });
      assert.equal(bob.localAudioTrack?.enabled, false, 'bob’s microphone is muted');
      await assertStopped(bobHears, 'audio', 'bob is deaf');
      await assertStopped(modHears, 'audio', 'bob’s microphone');
      await assertFlowing(bobHears, 'video', 'bob still sees mod');

      // Resuming the subscription from the client does not lift deaf.
      const remoteAudio = bob.getEndpoint('mod')?.tracksOf('camera').find((tr) => tr.kind === 'audio');
      assert.ok(remoteAudio);
      await remoteAudio.disable();
      await remoteAudio.enable();
      await assertStopped(bobHears, 'audio', 'bob resumed his subscription');

      await mod.undeaf({ memberId: 'bob' });
      await waitFor('bob’s microphone back', () => bob.localAudioTrack?.enabled === true);
      await assertFlowing(bobHears, 'audio', 'bob hears again');
      await assertFlowing(modHears, 'audio', 'bob is heard again');

      // Self deaf with the guest permissions.
      await bob.deaf();
      await assertStopped(bobHears, 'audio', 'bob deafened himself');
      await bob.undeaf();
      await assertFlowing(bobHears, 'audio', 'bob undeafened himself');
    } finally {
      await mod.leave();
      await bob.leave();
    }
  });

  test('screen shares and added sources are streams of their own; update* switch tracks in place', async () => {
    const created = await t.createRoom();
    const alice = await enter(created.id, 'alice');
    const bob = await enter(created.id, 'bob', { permissions: [...GUEST_PERMISSIONS, 'room.self.screenshare', 'room.self.additional_source', 'room.set_layout', 'room.set_position'] });
    const carol = await enter(created.id, 'carol');
    try {
      await bob.publish('camera', camera().stream);
      assert.equal(bob.localStream, bob.localStreams[0]?.mediaStream);
      assert.ok(bob.localVideoTrack);

      const screenSeen = next(alice, 'stream.published', (_e, s) => s.tag === 'screen');
      const screen = await bob.startScreenShare({ stream: camera({ width: 320, height: 180, audio: false }).stream, layout: 'screen-share', positions: { self: 'reserved-1' } });
      assert.equal(screen.id, 'screen');
      await screenSeen;
      assert.equal(bob.roomSession.layout_name, 'screen-share');
      const second = await bob.startScreenShare({ stream: camera({ width: 320, height: 180, audio: false }).stream });
      assert.equal(second.tag, 'screen-2');
      assert.deepEqual(bob.screenShareList.map((s) => s.tag), ['screen', 'screen-2']);

      const screenSub = await alice.localEndpoint.subscribe('bob', 'screen');
      const screenFrames = countFrames(await waitFor('screen video', () => screenSub.track('video')));
      await waitFor('alice decodes the screen', () => screenFrames.frames > 10 && screenFrames.width === 320, 20_000);
      screenFrames.stop();

      const camera2 = await bob.addCamera({ stream: camera({ audio: false }).stream });
      assert.equal(camera2.tag, 'camera-2');
      const micMedia = camera();
      const mic = await bob.addMicrophone({ stream: new wrtcImpl.MediaStream(micMedia.stream.getAudioTracks()), autoJoin: false });
      assert.equal(mic.active, false);
      await mic.join();
      assert.equal(mic.tag, 'microphone');
      const device = await bob.addDevice({ stream: camera().stream });
      assert.equal(device.tag, 'device');
      assert.deepEqual(bob.deviceList.map((d) => d.tag), ['camera-2', 'microphone', 'device']);
      await waitFor('alice sees every stream', () =>
        ['camera', 'screen', 'screen-2', 'camera-2', 'microphone', 'device'].every((tag) => alice.getEndpoint('bob')?.streamsByTag.has(tag)),
      );

      const gone = next(alice, 'stream.unpublished', (_e, tag) => tag === 'screen-2');
      await second.leave();
      await gone;
      assert.deepEqual(bob.screenShareList.map((s) => s.tag), ['screen']);

      // The deprecated createScreenShareObject is startScreenShare (autoJoin honoured).
      const legacy = await bob.createScreenShareObject({ stream: camera({ width: 320, height: 180, audio: false }).stream, autoJoin: false });
      assert.equal(legacy.active, false);
      const legacySeen = next(alice, 'stream.published', (_e, s) => s.tag === 'screen-2');
      await legacy.join();
      await legacySeen;
      assert.deepEqual(bob.screenShareList.map((s) => s.tag), ['screen', 'screen-2']);
      const legacyGone = next(alice, 'stream.unpublished', (_e, tag) => tag === 'screen-2');
      await legacy.hangup();
      await legacyGone;

      // Without the permissions: no screen, no second stream.
      const denied = (e: { code?: string }) => e.code === 'PERMISSION_DENIED';
      await assert.rejects(carol.startScreenShare({ stream: camera({ audio: false }).stream }), denied);
      await carol.publish('camera', camera().stream);
      await assert.rejects(carol.addCamera({ stream: camera({ audio: false }).stream }), denied);
      assert.deepEqual(carol.screenShareList, []);
      assert.deepEqual(carol.deviceList, []);

      // updateCamera: the same subscription now decodes the new camera.
      const cameraSub = await alice.localEndpoint.subscribe('bob', 'camera');
      const frames = countFrames(await waitFor('camera video', () => cameraSub.track('video')));
      await waitFor('640 wide', () => frames.width === 640, 20_000);
      const small = camera({ width: 320, height: 180, audio: false }).stream.getVideoTracks()[0];
      await bob.updateCamera({ track: small });
      assert.equal(bob.localVideoTrack, small);
      await waitFor('alice decodes the new camera', () => frames.width === 320, 20_000);
      frames.stop();
      const newMic = camera().stream.getAudioTracks()[0];
      await bob.updateMicrophone({ track: newMic });
      assert.equal(bob.localAudioTrack, newMic);
      await assertFlowing(cameraSub, 'audio', 'audio from the new microphone');
      assert.equal(await bob.updateSpeaker({ deviceId: 'speaker-2' }), undefined);
      assert.equal(bob.speakerId, 'speaker-2');
    } finally {
      await alice.leave();
      await bob.leave();
      await carol.leave();
    }
  });
});

test('join({audio, video, stream, iceServers}) publishes the camera at once; every peer connection uses the ICE servers', async () => {
  const created = await t.createRoom();
  const alice = await enter(created.id, 'alice');
  const seen = next(alice, 'stream.published');
  // A WebRTC implementation that records the configuration of each peer connection made.
  const configurations: Array<RTCConfiguration | undefined> = [];
  class RecordingPeerConnection extends wrtcImpl.RTCPeerConnection {
    constructor(configuration?: RTCConfiguration) {
      configurations.push(configuration);
      super(configuration);
    }
  }
  const iceServers: RTCIceServer[] = [{ urls: 'turn:127.0.0.1:3478?transport=udp', username: 'atrium', credential: 'secret' }];
  const { room: bob } = await join(created.id, await t.token('bob', created.id), {
    url: t.url,
    wrtc: { RTCPeerConnection: RecordingPeerConnection, MediaStream: wrtcImpl.MediaStream },
    audio: true,
    video: true,
    stream: camera().stream,
    iceServers,
  });
  try {
    const [endpoint, stream] = await seen;
    assert.equal(endpoint.id, 'bob');
    assert.equal(stream.tag, 'camera');
    assert.ok(bob.localAudioTrack && bob.localVideoTrack);
    await alice.publish('camera', camera().stream);
    const sub = await bob.localEndpoint.subscribe('alice', 'camera');
    await assertFlowing(sub, 'video', 'bob receives with the TURN server configured (host candidates still connect)');
    assert.equal(configurations.length, 2, 'one publish and one subscription');
    for (const configuration of configurations) assert.deepEqual(configuration?.iceServers, iceServers);
  } finally {
    await alice.leave();
    await bob.leave();
  }
});
