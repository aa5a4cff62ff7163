/**
 * The reference RoomSession's state and events through the Node SDK: room.joined, member and room
 * updates with their `updated` lists, memberList.updated, levels, metadata (with its size limit),
 * layouts and positions, lock, chat, removing members, talking, egress stubs and properties.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LayoutChangeReason } from '../packages/server/src/rtc/room-session.js';
import { join, type JoinOptions, type Room, type RoomEvents } from '../packages/sdk/src/index.js';
import { startTestServer, waitFor, type TestServer } from './helpers/server.js';
import { wrtcImpl } from './helpers/wrtc-media.js';

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => {
  await t.close();
});

async function enter(roomId: string, endpointId: string, extra: Record<string, unknown> = {}, options: JoinOptions = {}): Promise<Room> {
  const { room } = await join(roomId, await t.token(endpointId, roomId, extra), { url: t.url, wrtc: wrtcImpl, ...options });
  return room;
}

/** The SDK's console lines (`[atrium] …`) written while `run` runs, by console method. */
async function consoleLines(run: () => Promise<void>): Promise<Array<{ method: string; line: string; details: string }>> {
  const lines: Array<{ method: string; line: string; details: string }> = [];
  const methods = ['debug', 'info', 'warn', 'error'] as const;
  const originals = methods.map((method) => console[method]);
  methods.forEach((method, i) => {
    console[method] = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].startsWith('[atrium]')) lines.push({ method, line: args[0], details: JSON.stringify(args.slice(1)) });
      else originals[i]?.(...args);
    };
  });
  try {
    await run();
  } finally {
    methods.forEach((method, i) => {
      const original = originals[i];
      if (original) console[method] = original;
    });
  }
  return lines;
}

/** Every event `name` the room emits from now on. */
function record<E extends keyof RoomEvents>(room: Room, name: E): Array<RoomEvents[E][0]> {
  const seen: Array<RoomEvents[E][0]> = [];
  room.on(name, ((...args: RoomEvents[E]) => seen.push(args[0])) as never);
  return seen;
}

function next<E extends keyof RoomEvents>(room: Room, name: E, match: (e: RoomEvents[E][0]) => boolean = () => true): Promise<RoomEvents[E][0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${String(name)} event`)), 5000);
    const listener = ((...args: RoomEvents[E]) => {
      if (!match(args[0])) return;
      clearTimeout(timer);
      room.off(name, listener as never);
      resolve(args[0]);
    }) as never;
    room.on(name, listener);
  });
}

describe('room session state and events (Node SDK)', () => {
  test('room.joined, member.joined/left and memberList.updated carry the reference payloads', async () => {
    const created = await t.createRoom({ layout: '2x2' });
    const alice = await enter(created.id, 'alice', { name: 'Alice' });
    const joined = await next(alice, 'room.joined');
    assert.equal(joined.member_id, 'alice');
    assert.equal(joined.room_session.room_id, created.id);
    assert.equal(joined.room_session.room_session_id, alice.sessionId);
    assert.equal(joined.room_session.layout_name, '2x2');
    assert.equal(joined.room_session.locked, false);
    assert.equal(joined.room_session.hide_video_muted, false);
    assert.equal(joined.room_session.recording, false);
    assert.deepEqual(joined.room_session.meta, {});
    assert.deepEqual(joined.room_session.members.map((m) => m.id), ['alice']);

    const memberJoined = next(alice, 'member.joined');
    const lists = record(alice, 'memberList.updated');
    const bob = await enter(created.id, 'bob', { name: 'Bob', meta: { team: 'blue' } });
    const { member } = await memberJoined;
    assert.deepEqual(member, {
      id: 'bob',
      type: 'member',
      name: 'Bob',
      room_id: created.id,
      room_session_id: alice.sessionId,
      visible: true,
      audio_muted: false,
      video_muted: false,
      deaf: false,
      input_volume: 0,
      output_volume: 0,
      input_sensitivity: 30,
      talking: false,
      position: 'auto',
      meta: { team: 'blue' },
    });
    assert.deepEqual(lists.at(-1)?.members.map((m) => m.id), ['alice', 'bob']);
    assert.deepEqual((await bob.getMembers()).members.map((m) => m.name), ['Alice', 'Bob']);

    const left = next(alice, 'member.left');
    await bob.leave();
    const event = await left;
    assert.equal(event.member.id, 'bob');
    assert.equal(event.reason, 'left');
    assert.deepEqual(lists.at(-1)?.members.map((m) => m.id), ['alice']);
    assert.deepEqual(alice.members.map((m) => m.id), ['alice']);
    // A listener attached long after joining still gets room.joined (once).
    assert.equal((await next(alice, 'room.joined')).member_id, 'alice');
    await alice.leave();
  });

  test('moderation sends member.updated with the changed fields and tells the target to mute', async () => {
    const created = await t.createRoom();
    const mod = await enter(created.id, 'mod', { moderator: true });
    const bob = await enter(created.id, 'bob');
    try {
      const told = next(bob, 'local.media');
      const updated = next(mod, 'member.updated', (e) => e.member.id === 'bob');
      await mod.audioMute({ memberId: 'bob' });
      assert.deepEqual(await told, { kind: 'audio', muted: true, by: 'mod', cause: 'mute' });
      const update = await updated;
      assert.deepEqual(update.member.updated, ['audio_muted']);
      assert.equal(update.member.audio_muted, true);
      assert.equal(update.member.type, 'member');
      await waitFor('bob sees himself muted', () => bob.members.find((m) => m.id === 'bob')?.audio_muted === true);

      // A mute by someone else holds against the member's own unmute.
      await assert.rejects(bob.audioUnmute(), (e: { code?: string }) => e.code === 'PERMISSION_DENIED');
      await mod.audioUnmute({ memberId: 'bob' });
      await waitFor('bob unmuted', () => bob.members.find((m) => m.id === 'bob')?.audio_muted === false);

      const video = next(mod, 'member.updated', (e) => e.member.id === 'bob' && e.member.updated.includes('video_muted'));
      await mod.videoMute({ memberId: 'bob' });
      const v = await video;
      assert.deepEqual(v.member.updated, ['visible', 'video_muted']);
      assert.equal(v.member.visible, false);
      await mod.videoUnmute({ memberId: 'bob' });

      // Self mute and unmute need only the self permissions (guest).
      await bob.audioMute();
      await waitFor('bob self-muted', () => mod.members.find((m) => m.id === 'bob')?.audio_muted === true);
      await bob.audioUnmute();
      await waitFor('bob self-unmuted', () => mod.members.find((m) => m.id === 'bob')?.audio_muted === false);

      const deafUpdate = next(mod, 'member.updated', (e) => e.member.id === 'bob' && e.member.updated.includes('deaf'));
      await mod.deaf({ memberId: 'bob' });
      assert.deepEqual((await deafUpdate).member.updated, ['audio_muted', 'deaf']);
      await mod.undeaf({ memberId: 'bob' });
      await waitFor('undeaf', () => mod.members.find((m) => m.id === 'bob')?.deaf === false);
      assert.equal(mod.members.find((m) => m.id === 'bob')?.audio_muted, false);
    } finally {
      await mod.leave();
      await bob.leave();
    }
  });

  test('levels are stored in member state and reach the target SDK', async () => {
    const created = await t.createRoom();
    const mod = await enter(created.id, 'mod', { moderator: true });
    const bob = await enter(created.id, 'bob');
    try {
      await mod.setInputVolume({ memberId: 'bob', volume: -20 });
      await mod.setOutputVolume({ memberId: 'bob', volume: 20 });
      await mod.setInputSensitivity({ memberId: 'bob', value: 75 });
      await waitFor('bob got his levels', () => bob.audioLevels.inputSensitivity === 75);
      assert.ok(Math.abs(bob.audioLevels.inputGain - 10 ** (-20 / 40)) < 1e-9);
      assert.ok(Math.abs(bob.audioLevels.outputGain - 10 ** (20 / 40)) < 1e-9);
      const me = (await bob.getMembers()).members.find((m) => m.id === 'bob');
      assert.equal(me?.input_volume, -20);
      assert.equal(me?.output_volume, 20);
      await bob.setInputVolume({ volume: 5 });
      await waitFor('self level', () => mod.members.find((m) => m.id === 'bob')?.input_volume === 5);
      await assert.rejects(mod.setInputVolume({ memberId: 'bob', volume: 51 }), (e: { code?: string }) => e.code === 'VALIDATION_FAILED');
    } finally {
      await mod.leave();
      await bob.leave();
    }
  });

  test('room and member metadata: set, update, delete, get, broadcast, size limit', async () => {
    const created = await t.createRoom();
    const mod = await enter(created.id, 'mod', { moderator: true });
    const bob = await enter(created.id, 'bob');
    try {
      const roomUpdates = record(bob, 'room.updated');
      await mod.setMeta({ foo: 'bar', baz: true });
      await mod.updateMeta({ baz: false, t: 10 });
      await mod.deleteMeta(['foo']);
      assert.deepEqual(await bob.getMeta(), { meta: { baz: false, t: 10 } });
      await waitFor('three room.updated', () => roomUpdates.length === 3);
      assert.deepEqual(roomUpdates.map((e) => e.room.meta), [{ foo: 'bar', baz: true }, { foo: 'bar', baz: false, t: 10 }, { baz: false, t: 10 }]);
      assert.deepEqual(roomUpdates[0]?.room.updated, ['meta']);
      assert.deepEqual(bob.roomSession.meta, { baz: false, t: 10 });

      const memberUpdates = record(mod, 'member.updated');
      await bob.setMemberMeta({ meta: { email: 'bob@example.com' } });
      await bob.updateMemberMeta({ meta: { seat: 3 } });
      await mod.deleteMemberMeta({ memberId: 'bob', keys: ['email'] });
      assert.deepEqual(await mod.getMemberMeta({ memberId: 'bob' }), { meta: { seat: 3 } });
      assert.deepEqual(await bob.getMemberMeta(), { meta: { seat: 3 } });
      await waitFor('three member.updated', () => memberUpdates.length === 3);
      assert.deepEqual(memberUpdates.map((e) => e.member.updated), [['meta'], ['meta'], ['meta']]);

      // 16 KiB of JSON at most, for the room and for each member.
      const big = { blob: 'x'.repeat(16 * 1024) };
      await assert.rejects(mod.setMeta(big), (e: { code?: string }) => e.code === 'META_TOO_LARGE');
      await assert.rejects(bob.updateMemberMeta({ meta: big }), (e: { code?: string }) => e.code === 'META_TOO_LARGE');
      assert.deepEqual(await bob.getMeta(), { meta: { baz: false, t: 10 } });
      assert.deepEqual(await bob.getMemberMeta(), { meta: { seat: 3 } });
      await mod.setMeta({ blob: 'x'.repeat(16 * 1024 - 20) });
    } finally {
      await mod.leave();
      await bob.leave();
    }
  });

  test('layouts: names validated, layout and positions stored and broadcast, hook called', async () => {
    const created = await t.createRoom();
    const mod = await enter(created.id, 'mod', { moderator: true });
    const bob = await enter(created.id, 'bob');
    const session = t.server.sessions.get(created.id);
    assert.ok(session);
    const hook: LayoutChangeReason[] = [];
    session.on('layout.state', (reason) => hook.push(reason));
    try {
      const { layouts } = await bob.getLayouts();
      for (const name of ['grid-responsive', 'highlight-1-responsive', '2x2', '10x10', '5up', 'screen-share']) assert.ok(layouts.includes(name), name);

      const roomUpdate = next(bob, 'room.updated');
      const bobPosition = next(mod, 'member.updated', (e) => e.member.id === 'mod');
      await mod.setLayout({ name: '3x3', positions: { self: 'reserved-1' } });
      const r = await roomUpdate;
      assert.deepEqual(r.room.updated, ['layout_name', 'positions']);
      assert.equal(r.room.layout_name, '3x3');
      assert.deepEqual(r.room.positions, { mod: 'reserved-1' });
      assert.deepEqual((await bobPosition).member.updated, ['position']);

      await mod.setPositions({ positions: { bob: 'off-canvas' } });
      await waitFor('bob hidden', () => mod.members.find((m) => m.id === 'bob')?.visible === false);
      await bob.setMemberPosition({ position: 'auto' });
      await waitFor('bob back', () => mod.members.find((m) => m.id === 'bob')?.position === 'auto');

      await assert.rejects(mod.setLayout({ name: 'nope' }), (e: { code?: string }) => e.code === 'VALIDATION_FAILED');
      await assert.rejects(mod.setPositions({ positions: { ghost: 'reserved-2' } }), (e: { code?: string }) => e.code === 'ENDPOINT_NOT_FOUND');
      await assert.rejects(mod.setMemberPosition({ position: 'middle' as never }), (e: { code?: string }) => e.code === 'VALIDATION_FAILED');

      const hides = record(bob, 'room.updated');
      await mod.setHideVideoMuted(true);
      await mod.showVideoMuted();
      await mod.hideVideoMuted();
      await waitFor('three hide updates', () => hides.length === 3);
      assert.deepEqual(hides.map((e) => e.room.hide_video_muted), [true, false, true]);
      assert.equal(bob.roomSession.hide_video_muted, true);
      assert.equal(bob.roomSession.layout_name, '3x3');

      // The layout hook saw every layout-relevant change.
      for (const reason of ['layout', 'positions', 'member-updated', 'hide-video-muted'] as const) assert.ok(hook.includes(reason), reason);
      const before = hook.length;
      await mod.setMeta({ unrelated: true });
      assert.equal(hook.length, before, 'metadata does not touch the layout');
    } finally {
      await mod.leave();
      await bob.leave();
    }
  });

  test('lock refuses new endpoints with ROOM_LOCKED until unlock', async () => {
    const created = await t.createRoom();
    const mod = await enter(created.id, 'mod', { moderator: true });
    try {
      const update = next(mod, 'room.updated');
      await mod.lock();
      assert.deepEqual((await update).room.updated, ['locked']);
      await assert.rejects(enter(created.id, 'late'), (e: { code?: string }) => e.code === 'ROOM_LOCKED');
      await mod.unlock();
      const late = await enter(created.id, 'late');
      await late.leave();
    } finally {
      await mod.leave();
    }
  });

  test('chat: to everyone, to one member, size-limited, only where the room allows it', async () => {
    const created = await t.createRoom();
    const alice = await enter(created.id, 'alice', { name: 'Alice' });
    const bob = await enter(created.id, 'bob');
    const carol = await enter(created.id, 'carol');
    try {
      const atBob = next(bob, 'chat.message');
      const atCarol = next(carol, 'chat.message');
      const sent = await alice.sendMessage('hello');
      const message = await atBob;
      assert.equal((await atCarol).id, sent.id);
      assert.equal(message.content, 'hello');
      assert.deepEqual(message.from, { id: 'alice', name: 'Alice' });
      assert.equal(message.id, sent.id);
      assert.equal(message.sent_at, sent.sent_at);
      assert.ok(Date.parse(message.sent_at) > 0);

      const carolSaw = record(carol, 'chat.message');
      const direct = next(bob, 'chat.message');
      await alice.sendMessage({ type: 'poll', question: 'lunch?' }, { to: 'bob' });
      const d = await direct;
      assert.deepEqual(d.content, { type: 'poll', question: 'lunch?' });
      assert.equal(d.to, 'bob');
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(carolSaw.length, 0, 'a direct message reaches only its recipient');

      await assert.rejects(alice.sendMessage('x'.repeat(4097)), (e: { code?: string }) => e.code === 'MESSAGE_TOO_LARGE');
      await assert.rejects(alice.sendMessage('hi', { to: 'ghost' }), (e: { code?: string }) => e.code === 'ENDPOINT_NOT_FOUND');
    } finally {
      await alice.leave();
      await bob.leave();
      await carol.leave();
    }

    const quiet = await t.createRoom({ enableChat: false });
    const dave = await enter(quiet.id, 'dave');
    await assert.rejects(dave.sendMessage('hello'), (e: { code?: string }) => e.code === 'CHAT_DISABLED');
    assert.equal(dave.roomSession.chat_enabled, false);
    await dave.leave();
  });

  test('removeMember kicks one member; removeAllMembers ends the session for everyone', async () => {
    const created = await t.createRoom();
    const mod = await enter(created.id, 'mod', { moderator: true });
    const bob = await enter(created.id, 'bob');
    const carol = await enter(created.id, 'carol');
    const bobLeft = next(bob, 'room.left');
    const seen = next(mod, 'member.left');
    await mod.removeMember({ memberId: 'bob' });
    assert.deepEqual(await bobLeft, { reason: 'kicked' });
    const left = await seen;
    assert.equal(left.member.id, 'bob');
    assert.equal(left.reason, 'kicked');
    await assert.rejects(mod.removeMember({ memberId: 'bob' }), (e: { code?: string }) => e.code === 'ENDPOINT_NOT_FOUND');
    await assert.rejects(carol.removeMember({ memberId: 'mod' }), (e: { code?: string }) => e.code === 'PERMISSION_DENIED');

    const finished: string[] = [];
    mod.onFinished = (reason) => finished.push(reason);
    const carolLeft = next(carol, 'room.left');
    const sessionId = mod.sessionId;
    await mod.removeAllMembers();
    assert.deepEqual(await carolLeft, { reason: 'kicked' });
    await waitFor('mod finished', () => finished.length === 1);
    assert.equal(mod.active, false);
    await t.server.sessionManager.flush();
    const res = await t.api('GET', `/api/v1/sessions/${sessionId}`);
    const body = (await res.json()) as { active: boolean; endReason: string };
    assert.equal(body.active, false);
    assert.equal(body.endReason, 'all-removed');
  });

  test('member.talking from the talking hook', async () => {
    const created = await t.createRoom();
    const alice = await enter(created.id, 'alice');
    const bob = await enter(created.id, 'bob');
    try {
      const talking = next(alice, 'member.talking');
      t.server.sessions.get(created.id)?.setMemberTalking('bob', true);
      const event = await talking;
      assert.deepEqual(event.member, { id: 'bob', room_id: created.id, room_session_id: alice.sessionId, talking: true });
      assert.equal(alice.members.find((m) => m.id === 'bob')?.talking, true);
    } finally {
      await alice.leave();
      await bob.leave();
    }
  });

  test('egress lists start empty (streams, recordings and playbacks are tested in live-streams, recording-sdk and playback); properties and destroy', async () => {
    const created = await t.createRoom();
    const mod = await enter(created.id, 'mod', { moderator: true });
    assert.deepEqual(await mod.getStreams(), { streams: [] });
    await assert.rejects(mod.play({ url: 'ftp://example.com/v.mp4' }), (e: { code?: string }) => e.code === 'PLAYBACK_URL_REFUSED');
    assert.deepEqual(await mod.getPlaybacks(), { playbacks: [] });

    assert.equal(mod.active, true);
    assert.equal(mod.memberId, 'mod');
    assert.equal(mod.roomId, created.id);
    assert.equal(mod.roomSessionId, mod.sessionId);
    assert.equal(mod.previewUrl, undefined);
    assert.equal(mod.localStream, undefined);
    assert.equal(mod.localAudioTrack, null);
    assert.equal(mod.cameraId, null);
    assert.equal(mod.microphoneLabel, null);
    assert.equal(mod.remoteStream, undefined);
    assert.deepEqual(mod.deviceList, []);
    assert.deepEqual(mod.screenShareList, []);
    assert.equal(await mod.join(), mod);

    let called = 0;
    mod.on('member.joined', () => called++);
    mod.once('room.updated', () => called++);
    mod.removeAllListeners('member.joined');
    mod.destroy();
    assert.equal(mod.active, false);
    assert.equal(called, 0);
    await waitFor('the server removed the endpoint', () => t.server.sessions.get(created.id)?.getEndpoint('mod') === undefined);
  });

  test('on, once, off and removeAllListeners() (no event: every listener) behave as the reference says', async () => {
    const created = await t.createRoom();
    const alice = await enter(created.id, 'alice', { moderator: true });
    const bob = await enter(created.id, 'bob');
    try {
      const calls = { on: 0, once: 0, offed: 0, cleared: 0 };
      const onUpdate = (): void => void calls.on++;
      const offed = (): void => void calls.offed++;
      bob.on('member.updated', onUpdate);
      bob.once('member.updated', () => void calls.once++);
      bob.on('member.updated', offed);
      bob.off('member.updated', offed);
      const seq = async (n: number): Promise<void> => {
        await alice.setMemberMeta({ meta: { n } });
        await waitFor(`bob sees meta ${n}`, () => bob.members.find((m) => m.id === 'alice')?.meta['n'] === n);
      };
      await seq(1);
      await seq(2);
      assert.deepEqual(calls, { on: 2, once: 1, offed: 0, cleared: 0 });
      bob.on('member.updated', () => void calls.cleared++);
      bob.on('room.updated', () => void calls.cleared++);
      bob.removeAllListeners();
      await seq(3);
      await alice.setMeta({ n: 3 });
      await waitFor('bob sees the room meta', () => bob.roomSession.meta['n'] === 3);
      assert.deepEqual(calls, { on: 2, once: 1, offed: 0, cleared: 0 }, 'removeAllListeners() detached every listener');
    } finally {
      await alice.leave();
      await bob.leave();
    }
  });

  test('logLevel: the SDK logs at that level and above (default warn), silent logs nothing', async () => {
    const created = await t.createRoom();
    const debugLines = await consoleLines(async () => {
      const room = await enter(created.id, 'verbose', {}, { logLevel: 'debug' });
      await room.getMembers();
      await assert.rejects(room.removeMember({ memberId: 'ghost' }));
      await room.leave();
    });
    const text = debugLines.map((l) => l.line);
    assert.ok(text.some((l) => l.startsWith('[atrium] info: joined room ' + created.id)), 'info: the join');
    assert.ok(text.some((l) => l.startsWith('[atrium] debug: request room.getMembers')), 'debug: each request');
    assert.ok(text.some((l) => /^\[atrium\] debug: member\.remove #\d+ failed: PERMISSION_DENIED/.test(l)), 'debug: a refused request');
    assert.ok(text.some((l) => l === '[atrium] info: left the room (left)'), 'info: leaving');
    assert.ok(!text.some((l) => l.startsWith('[atrium] trace')), 'nothing below debug');
    assert.ok(text.some((l) => l.startsWith('[atrium] debug: request join')));
    assert.ok(!debugLines.some((l) => l.line.includes('eyJ') || l.details.includes('eyJ')), 'the access token is never logged');
    assert.ok(debugLines.filter((l) => l.line.startsWith('[atrium] debug')).every((l) => l.method === 'debug'));

    // Default (warn): no debug or info, but errors are written (a refused join).
    const mod = await enter(created.id, 'mod', { moderator: true });
    const defaultLines = await consoleLines(async () => {
      const quiet = await enter(created.id, 'quiet');
      await quiet.getMembers();
      await quiet.leave();
      await mod.lock();
      await assert.rejects(enter(created.id, 'late'), (e: { code?: string }) => e.code === 'ROOM_LOCKED');
    });
    assert.deepEqual(defaultLines.map((l) => l.method), ['error']);
    assert.match(defaultLines[0]?.line ?? '', /^\[atrium\] error: joining room .* failed/);

    const silentLines = await consoleLines(async () => {
      await assert.rejects(enter(created.id, 'late', {}, { logLevel: 'silent' }), (e: { code?: string }) => e.code === 'ROOM_LOCKED');
    });
    assert.deepEqual(silentLines, []);
    await assert.rejects(enter(created.id, 'late', {}, { logLevel: 'loud' as never }), TypeError);
    await mod.leave();
  });
});
