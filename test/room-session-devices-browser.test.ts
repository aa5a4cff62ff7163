/**
 * In Chromium (fake camera, microphones, speakers and screen), what the reference RoomSession does
 * with devices, seen and heard from the other side:
 * - `stopCameraWhileMuted` / `stopMicrophoneWhileMuted` (default on): a muted device track is
 *   stopped (readyState `ended`, the camera light goes off) and reopened on unmute, the other
 *   side decoding again on the same subscription; off, the track only gets disabled.
 * - `cameraId`/`cameraLabel`/`microphoneId`/`microphoneLabel`, `updateCamera`/`updateMicrophone` by
 *   constraints, `addCamera`/`addMicrophone`/`addDevice`, `startScreenShare` from getDisplayMedia.
 * - With `rootElement`: remote audio elements play at the member's output volume (new elements
 *   too) on the chosen speaker (`speakerId`, `updateSpeaker`); the local video overlay.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { GUEST_PERMISSIONS } from '@atrium/protocol';
import type { JoinOptions, Room } from '../packages/sdk/src/index.js';
import { bundleSdk, launchChromium, newEndpointPage } from './helpers/browser.js';
import { startTestServer, waitFor, type TestServer } from './helpers/server.js';

let t: TestServer;
let browser: Browser;
let bundle = '';
before(async () => {
  t = await startTestServer();
  browser = await launchChromium();
  bundle = await bundleSdk();
});
after(async () => {
  await browser?.close();
  await t?.close();
});

/** The page's globals: the SDK bundle and the joined room. */
interface PageGlobals {
  AtriumSdk: typeof import('../packages/sdk/src/index.js');
  room: Room;
}

/** Join options a test can pass into the page (no elements, no functions). */
type PageJoinOptions = Pick<
  JoinOptions,
  'audio' | 'video' | 'logLevel' | 'applyLocalVideoOverlay' | 'stopCameraWhileMuted' | 'stopMicrophoneWhileMuted' | 'speakerId'
> & {
  rootElement?: boolean;
  /** Sets `speakerId` to the output device with this label (device ids differ from page to page). */
  speakerLabel?: string;
};

/** A page on the server's origin (a secure context for getUserMedia) joined as `endpointId`. */
async function joinPage(roomId: string, endpointId: string, options: PageJoinOptions, tokenExtra: Record<string, unknown> = {}): Promise<Page> {
  const page = await newEndpointPage(browser, { viewport: { width: 800, height: 600 } });
  await page.goto(`${t.url}/api/v1/openapi.json`);
  await page.setContent('<!doctype html><html><body style="margin:0"><div id="stage" style="width:640px;height:360px"></div></body></html>');
  await page.addScriptTag({ content: bundle });
  const token = await t.token(endpointId, roomId, { name: endpointId, ...tokenExtra });
  await page.evaluate(
    async ({ roomId, token, url, options }) => {
      const w = window as unknown as PageGlobals;
      const { rootElement, speakerLabel, ...rest } = options;
      const stage = document.getElementById('stage');
      const speaker = (await navigator.mediaDevices.enumerateDevices()).find((d) => d.kind === 'audiooutput' && d.label === speakerLabel);
      const { room } = await w.AtriumSdk.join(roomId, token, {
        url,
        ...rest,
        ...(rootElement && stage ? { rootElement: stage } : {}),
        ...(speaker ? { speakerId: speaker.deviceId } : {}),
      });
      w.room = room;
    },
    { roomId, token, url: t.url, options },
  );
  return page;
}

/** Device ids of the fake devices of one kind, in enumeration order. */
function devicesOf(page: Page, kind: MediaDeviceKind): Promise<Array<{ deviceId: string; label: string }>> {
  return page.evaluate(async (k) => {
    const devices = await navigator.mediaDevices.enumerateDevices();
    return devices.filter((d) => d.kind === k).map((d) => ({ deviceId: d.deviceId, label: d.label }));
  }, kind);
}

interface ReceivedMedia {
  framesDecoded: number;
  audioPackets: number;
  frameWidth: number;
}

/** What `page` received so far on its subscription to `endpointId`'s stream `tag`. */
function received(page: Page, endpointId: string, tag: string): Promise<ReceivedMedia> {
  return page.evaluate(
    async ({ endpointId, tag }) => {
      const { room } = window as unknown as PageGlobals;
      const result = { framesDecoded: 0, audioPackets: 0, frameWidth: 0 };
      const subscription = room.activeSubscriptions.find((s) => s.endpoint.id === endpointId && s.tag === tag);
      if (!subscription) return result;
      (await subscription.getStats()).forEach((s: Record<string, unknown>) => {
        if (s['type'] !== 'inbound-rtp') return;
        if (s['kind'] === 'video') {
          result.framesDecoded += typeof s['framesDecoded'] === 'number' ? s['framesDecoded'] : 0;
          if (typeof s['frameWidth'] === 'number') result.frameWidth = s['frameWidth'];
        } else if (s['kind'] === 'audio') {
          result.audioPackets += typeof s['packetsReceived'] === 'number' ? s['packetsReceived'] : 0;
        }
      });
      return result;
    },
    { endpointId, tag },
  );
}

/** `page` subscribes to `endpointId`'s stream `tag` (once the page knows it). */
async function subscribe(page: Page, endpointId: string, tag: string): Promise<void> {
  await waitFor(`${tag} of ${endpointId} announced`, () =>
    page.evaluate(({ endpointId, tag }) => (window as unknown as PageGlobals).room.getEndpoint(endpointId)?.streamsByTag.has(tag) ?? false, { endpointId, tag }),
  );
  await page.evaluate(({ endpointId, tag }) => (window as unknown as PageGlobals).room.localEndpoint.subscribe(endpointId, tag).then(() => undefined), {
    endpointId,
    tag,
  });
}

/** Waits until more video frames (or audio packets) than now arrive on the subscription. */
async function mediaFlows(page: Page, endpointId: string, tag: string, kind: 'video' | 'audio', what: string): Promise<ReceivedMedia> {
  const start = await received(page, endpointId, tag);
  return waitFor(
    what,
    async () => {
      const now = await received(page, endpointId, tag);
      const grew = kind === 'video' ? now.framesDecoded > start.framesDecoded + 30 : now.audioPackets > start.audioPackets + 50;
      return grew ? now : undefined;
    },
    30_000,
    250,
  );
}

interface LocalDeviceState {
  videoReadyState: string | null;
  videoEnabled: boolean | null;
  videoTrackId: string | null;
  audioReadyState: string | null;
  audioTrackId: string | null;
  cameraId: string | null;
  cameraLabel: string | null;
  microphoneId: string | null;
  microphoneLabel: string | null;
  settingsCameraId: string | null;
  settingsMicrophoneId: string | null;
}

function localDevices(page: Page): Promise<LocalDeviceState> {
  return page.evaluate(() => {
    const { room } = window as unknown as PageGlobals;
    const video = room.localVideoTrack;
    const audio = room.localAudioTrack;
    return {
      videoReadyState: video?.readyState ?? null,
      videoEnabled: video?.enabled ?? null,
      videoTrackId: video?.id ?? null,
      audioReadyState: audio?.readyState ?? null,
      audioTrackId: audio?.id ?? null,
      cameraId: room.cameraId,
      cameraLabel: room.cameraLabel,
      microphoneId: room.microphoneId,
      microphoneLabel: room.microphoneLabel,
      settingsCameraId: video?.getSettings().deviceId ?? null,
      settingsMicrophoneId: audio?.getSettings().deviceId ?? null,
    };
  });
}

function call(page: Page, method: 'videoMute' | 'videoUnmute' | 'audioMute' | 'audioUnmute', memberId?: string): Promise<void> {
  return page.evaluate(
    async ({ method, memberId }) => {
      const { room } = window as unknown as PageGlobals;
      await room[method](memberId === undefined ? {} : { memberId });
    },
    { method, memberId },
  );
}

test('stopCameraWhileMuted / stopMicrophoneWhileMuted: muted devices stop and reopen on unmute; the other side decodes again', async () => {
  const created = await t.createRoom();
  const alice = await joinPage(created.id, 'alice', { audio: true, video: true });
  const bob = await joinPage(created.id, 'bob', { audio: true, video: true, stopCameraWhileMuted: false, stopMicrophoneWhileMuted: false }, { moderator: true });
  try {
    const before = await localDevices(alice);
    assert.equal(before.videoReadyState, 'live');
    assert.equal(before.cameraId, before.settingsCameraId);
    assert.equal(before.cameraLabel, 'fake_device_0');
    assert.equal(before.microphoneId, before.settingsMicrophoneId);
    assert.ok(before.microphoneLabel?.startsWith('Fake'), `microphone label ${before.microphoneLabel}`);

    await subscribe(bob, 'alice', 'camera');
    await mediaFlows(bob, 'alice', 'camera', 'video', 'bob decodes alice');

    // Self video mute: the camera track is stopped.
    await call(alice, 'videoMute');
    const muted = await localDevices(alice);
    assert.equal(muted.videoReadyState, 'ended', 'the camera is off while muted');
    assert.equal(muted.audioReadyState, 'live', 'the microphone is untouched');

    await call(alice, 'videoUnmute');
    const unmuted = await localDevices(alice);
    assert.equal(unmuted.videoReadyState, 'live');
    assert.equal(unmuted.videoEnabled, true);
    assert.notEqual(unmuted.videoTrackId, before.videoTrackId, 'a new camera track');
    assert.equal(unmuted.cameraId, before.cameraId, 'the same camera');
    await mediaFlows(bob, 'alice', 'camera', 'video', 'bob decodes alice again after the unmute');

    // A moderator's audio mute stops alice's microphone too; the unmute reopens it.
    await call(bob, 'audioMute', 'alice');
    await waitFor('alice’s microphone stopped', async () => (await localDevices(alice)).audioReadyState === 'ended');
    await call(bob, 'audioUnmute', 'alice');
    await waitFor('alice’s microphone reopened', async () => (await localDevices(alice)).audioReadyState === 'live');
    assert.notEqual((await localDevices(alice)).audioTrackId, before.audioTrackId);
    await mediaFlows(bob, 'alice', 'camera', 'audio', 'bob hears alice again');

    // With the options off, muting only disables the track.
    const bobBefore = await localDevices(bob);
    await call(bob, 'videoMute');
    await call(bob, 'audioMute');
    const bobMuted = await localDevices(bob);
    assert.equal(bobMuted.videoReadyState, 'live');
    assert.equal(bobMuted.videoEnabled, false);
    assert.equal(bobMuted.audioReadyState, 'live');
    await call(bob, 'videoUnmute');
    assert.equal((await localDevices(bob)).videoTrackId, bobBefore.videoTrackId, 'the same track, enabled again');
  } finally {
    await alice.close();
    await bob.close();
  }
});

test('devices from constraints: updateCamera, updateMicrophone, addCamera/addMicrophone/addDevice, startScreenShare', async () => {
  const created = await t.createRoom();
  const alice = await joinPage(created.id, 'alice', { audio: true, video: true }, {
    permissions: [...GUEST_PERMISSIONS, 'room.self.screenshare', 'room.self.additional_source'],
  });
  const bob = await joinPage(created.id, 'bob', {});
  try {
    await subscribe(bob, 'alice', 'camera');
    const first = await mediaFlows(bob, 'alice', 'camera', 'video', 'bob decodes alice');
    assert.equal(first.frameWidth, 640);

    await alice.evaluate(() => (window as unknown as PageGlobals).room.updateCamera({ width: 320, height: 180 }));
    await waitFor('bob decodes the 320-wide camera', async () => (await received(bob, 'alice', 'camera')).frameWidth === 320, 30_000, 250);

    const microphones = (await devicesOf(alice, 'audioinput')).filter((d) => d.deviceId !== 'default');
    const second = microphones.at(-1);
    assert.ok(second, 'a fake microphone');
    await alice.evaluate((deviceId) => (window as unknown as PageGlobals).room.updateMicrophone({ deviceId: { exact: deviceId } }), second.deviceId);
    const switched = await localDevices(alice);
    assert.equal(switched.microphoneId, second.deviceId);
    assert.equal(switched.microphoneLabel, second.label);
    await mediaFlows(bob, 'alice', 'camera', 'audio', 'bob hears the new microphone');

    const tags = await alice.evaluate(async () => {
      const { room } = window as unknown as PageGlobals;
      const camera = await room.addCamera({ width: 320, height: 180 });
      const microphone = await room.addMicrophone();
      const device = await room.addDevice({ audio: true });
      const screen = await room.startScreenShare();
      return {
        added: [camera.tag, microphone.tag, device.tag],
        screen: screen.tag,
        deviceList: room.deviceList.map((d) => d.tag),
        screenShareList: room.screenShareList.map((s) => s.tag),
        screenKinds: screen.mediaStream.getTracks().map((track) => track.kind),
      };
    });
    assert.deepEqual(tags.added, ['camera-2', 'microphone', 'device']);
    assert.deepEqual(tags.deviceList, ['camera-2', 'microphone', 'device']);
    assert.deepEqual(tags.screenShareList, ['screen']);
    assert.deepEqual(tags.screenKinds, ['video'], 'startScreenShare shares no audio by default');

    await subscribe(bob, 'alice', 'screen');
    const screen = await mediaFlows(bob, 'alice', 'screen', 'video', 'bob decodes the screen');
    assert.ok(screen.frameWidth > 320, `screen width ${screen.frameWidth}`);
    await subscribe(bob, 'alice', 'camera-2');
    await mediaFlows(bob, 'alice', 'camera-2', 'video', 'bob decodes the second camera');
    await subscribe(bob, 'alice', 'microphone');
    await mediaFlows(bob, 'alice', 'microphone', 'audio', 'bob hears the added microphone');
  } finally {
    await alice.close();
    await bob.close();
  }
});

interface StageAudio {
  volume: number;
  sinkId: string;
  playing: boolean;
}

function stageAudio(page: Page): Promise<StageAudio[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLAudioElement>('#stage audio')].map((element) => ({
      volume: element.volume,
      sinkId: (element as HTMLAudioElement & { sinkId: string }).sinkId,
      playing: !element.paused,
    })),
  );
}

interface OwnTile {
  local: string | undefined;
  overlayClass: boolean;
  showsLocalStream: boolean;
  videoWidth: number;
  placeholderShown: boolean;
}

function ownTile(page: Page, memberId: string): Promise<OwnTile | null> {
  return page.evaluate((id) => {
    const { room } = window as unknown as PageGlobals;
    const tile = document.querySelector<HTMLElement>(`#stage [data-member-id="${id}"][data-stream-tag="camera"]`);
    const video = tile?.querySelector('video');
    const placeholder = tile?.querySelector<HTMLElement>('.atrium-layout-placeholder');
    if (!tile || !video || !placeholder) return null;
    return {
      local: tile.dataset['local'],
      overlayClass: video.classList.contains('atrium-local-overlay'),
      showsLocalStream: video.srcObject !== null && video.srcObject === room.localStream,
      videoWidth: video.videoWidth,
      placeholderShown: placeholder.style.display !== 'none',
    };
  }, memberId);
}

test('rootElement: remote audio at the output volume (new elements too) on the chosen speaker; the local video overlay', async () => {
  const created = await t.createRoom({ layout: 'grid-responsive' });
  const alice = await joinPage(created.id, 'alice', { rootElement: true, audio: true, video: true, speakerLabel: 'Fake Audio Output 1' });
  let bob: Page | null = null;
  try {
    const speakers = (await devicesOf(alice, 'audiooutput')).filter((d) => d.deviceId !== 'default');
    const [speaker1, speaker2] = speakers;
    assert.ok(speaker1 && speaker2, 'two fake speakers');
    assert.equal(speaker1.label, 'Fake Audio Output 1');
    assert.equal(await alice.evaluate(() => (window as unknown as PageGlobals).room.speakerId), speaker1.deviceId);
    // The volume is set before bob's audio element exists: the new element gets it.
    await alice.evaluate(() => (window as unknown as PageGlobals).room.setOutputVolume({ volume: -20 }));
    await waitFor('alice has her output volume', () =>
      alice.evaluate(() => (window as unknown as PageGlobals).room.audioLevels.outputGain < 0.5),
    );
    bob = await joinPage(created.id, 'bob', { rootElement: true, audio: true, video: true, applyLocalVideoOverlay: false });
    const [element] = await waitFor('bob’s audio plays at alice', async () => {
      const audio = await stageAudio(alice);
      return audio.length === 1 && audio[0]?.playing ? audio : undefined;
    }, 30_000);
    assert.ok(element);
    assert.ok(Math.abs(element.volume - 10 ** (-20 / 40)) < 1e-3, `new element volume ${element.volume}`);
    assert.equal(element.sinkId, speaker1.deviceId, 'speakerId applies to new elements');

    await alice.evaluate(() => (window as unknown as PageGlobals).room.setOutputVolume({ volume: -40 }));
    await waitFor('the existing element follows', async () => Math.abs(((await stageAudio(alice))[0]?.volume ?? 0) - 0.1) < 1e-3);
    await alice.evaluate((deviceId) => (window as unknown as PageGlobals).room.updateSpeaker({ deviceId }), speaker2.deviceId);
    assert.equal((await stageAudio(alice))[0]?.sinkId, speaker2.deviceId);
    assert.equal(await alice.evaluate(() => (window as unknown as PageGlobals).room.speakerId), speaker2.deviceId);

    // applyLocalVideoOverlay (default true): alice's own layer shows her camera straight from the device.
    const aliceOwn = await waitFor('alice’s own tile shows her camera', async () => {
      const tile = await ownTile(alice, 'alice');
      return tile && tile.videoWidth > 0 ? tile : undefined;
    }, 30_000);
    assert.equal(aliceOwn.local, 'true');
    assert.equal(aliceOwn.overlayClass, true);
    assert.equal(aliceOwn.showsLocalStream, true);
    assert.equal(aliceOwn.placeholderShown, false);
    // applyLocalVideoOverlay: false: bob's own layer is there, with the placeholder instead.
    const page = bob;
    const bobOwn = await waitFor('bob’s own tile', () => ownTile(page, 'bob'), 30_000);
    assert.equal(bobOwn.local, 'true');
    assert.equal(bobOwn.overlayClass, false);
    assert.equal(bobOwn.showsLocalStream, false);
    assert.equal(bobOwn.placeholderShown, true);
    // While alice is video-muted her overlay gives way to the placeholder.
    await call(alice, 'videoMute');
    await waitFor('alice’s own tile shows the placeholder', async () => (await ownTile(alice, 'alice'))?.placeholderShown === true);
  } finally {
    await alice.close();
    await bob?.close();
  }
});
