/**
 * Every room-session signaling call is checked against the caller's token: with exactly the
 * permission it needs it goes through (or fails past the check, e.g. an unknown recording), without it the
 * answer is PERMISSION_DENIED and the room session's state is exactly as before.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { JsonRpcCode, MODERATOR_PERMISSIONS, type Permission } from '@atrium/protocol';
import type { RoomSession } from '../packages/server/src/rtc/room-session.js';
import { connect, type SignalTestClient } from './helpers/signal.js';
import { startTestServer, type TestServer } from './helpers/server.js';

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => {
  await t.close();
});

interface Case {
  name: string;
  method: string;
  params: Record<string, unknown>;
  /** Granted in the allowed run. */
  needs: Permission[];
  /** Taken away in the denied run (defaults to `needs`). */
  withhold?: Permission[];
  /** Puts the session in a state where the call has something to change. */
  setup?: (session: RoomSession) => void;
  /** What the allowed call must have changed (or answered). */
  check?: (session: RoomSession, result: unknown) => void;
  /** Allowed calls answer this error code instead of a result (egress). */
  allowedError?: string;
}

const member = (s: RoomSession, id: string) => {
  const found = s.listMembers().find((m) => m.id === id);
  assert.ok(found, `member ${id}`);
  return found;
};

const selfAndMember = (
  name: string,
  method: string,
  extra: Record<string, unknown>,
  perms: { self: Permission; member: Permission },
  options: {
    setup?: (s: RoomSession, target: string) => void;
    check?: (s: RoomSession, target: string) => void;
    withhold?: { self: Permission[]; member: Permission[] };
  } = {},
): Case[] => [
  {
    name: `${name} (self)`,
    method,
    params: { ...extra },
    needs: [perms.self],
    ...(options.withhold ? { withhold: options.withhold.self } : {}),
    ...(options.setup ? { setup: (s: RoomSession) => options.setup?.(s, 'caller') } : {}),
    ...(options.check ? { check: (s: RoomSession) => options.check?.(s, 'caller') } : {}),
  },
  {
    name: `${name} (member)`,
    method,
    params: { ...extra, memberId: 'target' },
    needs: [perms.member],
    ...(options.withhold ? { withhold: options.withhold.member } : {}),
    ...(options.setup ? { setup: (s: RoomSession) => options.setup?.(s, 'target') } : {}),
    ...(options.check ? { check: (s: RoomSession) => options.check?.(s, 'target') } : {}),
  },
];

const cases: Case[] = [
  ...selfAndMember('audioMute', 'member.audioMute', {}, { self: 'room.self.audio_mute', member: 'room.member.audio_mute' }, {
    check: (s, id) => assert.equal(member(s, id).audio_muted, true),
  }),
  ...selfAndMember('audioUnmute', 'member.audioUnmute', {}, { self: 'room.self.audio_unmute', member: 'room.member.audio_unmute' }, {
    setup: (s, id) => s.setMemberMuted(id, 'audio', true, { endpointId: id }),
    check: (s, id) => assert.equal(member(s, id).audio_muted, false),
  }),
  ...selfAndMember('videoMute', 'member.videoMute', {}, { self: 'room.self.video_mute', member: 'room.member.video_mute' }, {
    check: (s, id) => assert.equal(member(s, id).video_muted, true),
  }),
  ...selfAndMember('videoUnmute', 'member.videoUnmute', {}, { self: 'room.self.video_unmute', member: 'room.member.video_unmute' }, {
    setup: (s, id) => s.setMemberMuted(id, 'video', true, { endpointId: id }),
    check: (s, id) => assert.equal(member(s, id).video_muted, false),
  }),
  ...selfAndMember('deaf', 'member.deaf', {}, { self: 'room.self.deaf', member: 'room.member.deaf' }, {
    check: (s, id) => assert.equal(member(s, id).deaf, true),
  }),
  ...selfAndMember('undeaf', 'member.undeaf', {}, { self: 'room.self.undeaf', member: 'room.member.undeaf' }, {
    setup: (s, id) => s.setMemberDeaf(id, true, {}),
    check: (s, id) => assert.equal(member(s, id).deaf, false),
    withhold: { self: ['room.self.undeaf', 'room.self.deaf'], member: ['room.member.undeaf', 'room.member.deaf'] },
  }),
  ...selfAndMember('setInputVolume', 'member.setInputVolume', { volume: -10 }, {
    self: 'room.self.set_input_volume',
    member: 'room.member.set_input_volume',
  }, { check: (s, id) => assert.equal(member(s, id).input_volume, -10) }),
  ...selfAndMember('setOutputVolume', 'member.setOutputVolume', { volume: 12 }, {
    self: 'room.self.set_output_volume',
    member: 'room.member.set_output_volume',
  }, { check: (s, id) => assert.equal(member(s, id).output_volume, 12) }),
  ...selfAndMember('setInputSensitivity', 'member.setInputSensitivity', { value: 80 }, {
    self: 'room.self.set_input_sensitivity',
    member: 'room.member.set_input_sensitivity',
  }, { check: (s, id) => assert.equal(member(s, id).input_sensitivity, 80) }),
  ...selfAndMember('setMemberPosition', 'member.setPosition', { position: 'reserved-1' }, {
    self: 'room.self.set_position',
    member: 'room.member.set_position',
  }, { check: (s, id) => assert.equal(member(s, id).position, 'reserved-1') }),
  ...selfAndMember('setMemberMeta', 'member.setMeta', { meta: { a: 1 } }, { self: 'room.self.set_meta', member: 'room.member.set_meta' }, {
    check: (s, id) => assert.deepEqual(member(s, id).meta, { a: 1 }),
  }),
  ...selfAndMember('updateMemberMeta', 'member.updateMeta', { meta: { b: 2 } }, { self: 'room.self.set_meta', member: 'room.member.set_meta' }, {
    setup: (s, id) => s.changeMemberMeta(id, { set: { a: 1 } }),
    check: (s, id) => assert.deepEqual(member(s, id).meta, { a: 1, b: 2 }),
  }),
  ...selfAndMember('deleteMemberMeta', 'member.deleteMeta', { keys: ['a'] }, { self: 'room.self.set_meta', member: 'room.member.set_meta' }, {
    setup: (s, id) => s.changeMemberMeta(id, { set: { a: 1, b: 2 } }),
    check: (s, id) => assert.deepEqual(member(s, id).meta, { b: 2 }),
  }),
  {
    name: 'removeMember',
    method: 'member.remove',
    params: { memberId: 'target' },
    needs: ['room.member.remove'],
    check: (s) => assert.equal(s.getEndpoint('target'), undefined),
  },
  {
    name: 'removeAllMembers',
    method: 'room.removeAllMembers',
    params: {},
    needs: ['room.member.remove'],
    check: (s) => assert.equal(s.ended, true),
  },
  {
    name: 'setMeta',
    method: 'room.setMeta',
    params: { meta: { topic: 'x' } },
    needs: ['room.set_meta'],
    check: (s) => assert.deepEqual(s.roomMeta, { topic: 'x' }),
  },
  {
    name: 'updateMeta',
    method: 'room.updateMeta',
    params: { meta: { b: 2 } },
    needs: ['room.set_meta'],
    setup: (s) => s.changeRoomMeta({ set: { a: 1 } }),
    check: (s) => assert.deepEqual(s.roomMeta, { a: 1, b: 2 }),
  },
  {
    name: 'deleteMeta',
    method: 'room.deleteMeta',
    params: { keys: ['a'] },
    needs: ['room.set_meta'],
    setup: (s) => s.changeRoomMeta({ set: { a: 1, b: 2 } }),
    check: (s) => assert.deepEqual(s.roomMeta, { b: 2 }),
  },
  {
    name: 'getLayouts',
    method: 'room.getLayouts',
    params: {},
    needs: ['room.list_available_layouts'],
    check: (_s, result) => assert.ok((result as { layouts: string[] }).layouts.includes('grid-responsive')),
  },
  {
    name: 'setLayout',
    method: 'room.setLayout',
    params: { name: '2x2' },
    needs: ['room.set_layout'],
    check: (s) => assert.equal(s.layoutName, '2x2'),
  },
  {
    name: 'setLayout with positions needs set_position too',
    method: 'room.setLayout',
    params: { name: '2x2', positions: { self: 'reserved-1' } },
    needs: ['room.set_layout', 'room.set_position'],
    withhold: ['room.set_position'],
    check: (s) => assert.equal(s.positions.get('caller'), 'reserved-1'),
  },
  {
    name: 'setPositions',
    method: 'room.setPositions',
    params: { positions: { target: 'off-canvas' } },
    needs: ['room.set_position'],
    check: (s) => assert.equal(member(s, 'target').visible, false),
  },
  {
    name: 'setHideVideoMuted(true)',
    method: 'room.setHideVideoMuted',
    params: { value: true },
    needs: ['room.hide_video_muted'],
    check: (s) => assert.equal(s.hideVideoMuted, true),
  },
  {
    name: 'setHideVideoMuted(false)',
    method: 'room.setHideVideoMuted',
    params: { value: false },
    needs: ['room.show_video_muted'],
    setup: (s) => s.setHideVideoMuted(true),
    check: (s) => assert.equal(s.hideVideoMuted, false),
  },
  { name: 'lock', method: 'room.lock', params: {}, needs: ['room.lock'], check: (s) => assert.equal(s.locked, true) },
  {
    name: 'unlock',
    method: 'room.unlock',
    params: {},
    needs: ['room.unlock'],
    setup: (s) => s.setLocked(true),
    check: (s) => assert.equal(s.locked, false),
  },
  {
    name: 'startRecording',
    method: 'recording.start',
    params: {},
    needs: ['room.recording'],
    check: (s, result) => assert.equal((result as { sessionId?: string }).sessionId, s.id),
  },
  {
    name: 'getRecordings',
    method: 'recording.list',
    params: {},
    needs: ['room.recording'],
    check: (_s, result) => assert.ok(Array.isArray((result as { recordings?: unknown }).recordings)),
  },
  // Allowed, these look the recording up: an unknown one is not found (the denied run never looks).
  ...(['recording.stop', 'recording.pause', 'recording.resume'] as const).map((method) => ({
    name: method,
    method,
    params: { recordingId: '00000000-0000-4000-8000-000000000000' },
    needs: ['room.recording'] as Permission[],
    allowedError: 'RECORDING_NOT_FOUND',
  })),
  {
    name: 'startStream',
    method: 'rtmp.start',
    params: { url: 'rtmp://127.0.0.1/live' },
    needs: ['room.stream.start'],
    withhold: ['room.stream', 'room.stream.start'],
    // Allowed, the stream starts (live-streams.test.ts streams for real); it ends with the session.
    check: (_s, result) => assert.equal((result as { status?: string }).status, 'starting'),
  },
  { name: 'getStreams', method: 'rtmp.list', params: {}, needs: ['room.stream'], check: (_s, result) => assert.ok(Array.isArray((result as { streams?: unknown }).streams)) },
  {
    name: 'rtmp.stop',
    method: 'rtmp.stop',
    params: { streamId: '00000000-0000-4000-8000-000000000000' },
    needs: ['room.stream.start'],
    withhold: ['room.stream', 'room.stream.start'],
    allowedError: 'LIVESTREAM_NOT_FOUND',
  },
  {
    name: 'play',
    method: 'playback.start',
    // Past the permission check, the URL policy refuses a loopback host (playback.test.ts plays for real).
    params: { url: 'http://127.0.0.1/a.mp4' },
    needs: ['room.playback'],
    allowedError: 'PLAYBACK_URL_REFUSED',
  },
  { name: 'getPlaybacks', method: 'playback.list', params: {}, needs: ['room.playback'] },
  ...(['playback.stop', 'playback.pause', 'playback.resume'] as const).map((method) => ({
    name: method,
    method,
    params: { playbackId: '00000000-0000-4000-8000-000000000000' },
    needs: ['room.playback'] as Permission[],
    allowedError: 'PLAYBACK_NOT_FOUND',
  })),
  {
    name: 'playback.setVolume',
    method: 'playback.setVolume',
    params: { playbackId: '00000000-0000-4000-8000-000000000000', volume: 10 },
    needs: ['room.playback'],
    allowedError: 'PLAYBACK_NOT_FOUND',
  },
  {
    name: 'playback.seek',
    method: 'playback.seek',
    params: { playbackId: '00000000-0000-4000-8000-000000000000', position: 1000 },
    needs: ['room.playback_seek'],
    allowedError: 'PLAYBACK_NOT_FOUND',
  },
];

/** A room with `target` (guest) and `caller` (the given permissions) joined over raw signaling. */
async function setUp(permissions: Permission[]): Promise<{ caller: SignalTestClient; target: SignalTestClient; session: RoomSession }> {
  const room = await t.createRoom();
  const target = await connect(t.url);
  await target.call('join', { roomId: room.id, token: await t.token('target', room.id) });
  const caller = await connect(t.url);
  await caller.call('join', { roomId: room.id, token: await t.token('caller', room.id, { permissions }) });
  const session = t.server.sessions.get(room.id);
  assert.ok(session);
  return { caller, target, session };
}

function snapshot(session: RoomSession): string {
  return JSON.stringify({
    members: session.listMembers(),
    room: session.roomState(),
    endpoints: session.listEndpoints().map((e) => e.id),
    ended: session.ended,
  });
}

describe('room-session calls and their permissions', () => {
  for (const c of cases) {
    test(`${c.name}: allowed with ${c.needs.join(' + ')}`, async () => {
      const { caller, target, session } = await setUp(c.needs);
      try {
        c.setup?.(session);
        const response = await caller.request(c.method, c.params);
        if (c.allowedError) {
          assert.equal(response.error?.data?.code, c.allowedError, JSON.stringify(response));
          assert.equal(response.error?.code, JsonRpcCode.APPLICATION_ERROR);
        } else {
          assert.equal(response.error, undefined, JSON.stringify(response.error));
          c.check?.(session, response.result);
        }
      } finally {
        await caller.close();
        await target.close();
      }
    });

    test(`${c.name}: PERMISSION_DENIED without ${(c.withhold ?? c.needs).join(', ')}, nothing changes`, async () => {
      const withheld = new Set<Permission>(c.withhold ?? c.needs);
      const { caller, target, session } = await setUp(MODERATOR_PERMISSIONS.filter((p) => !withheld.has(p)));
      try {
        c.setup?.(session);
        // Let the setup's own events reach the target before counting.
        if (c.setup) await new Promise((r) => setTimeout(r, 100));
        const before = snapshot(session);
        const targetSaw = target.notifications.length;
        const response = await caller.request(c.method, c.params);
        assert.equal(response.error?.data?.code, 'PERMISSION_DENIED', JSON.stringify(response));
        assert.equal(response.error?.code, JsonRpcCode.APPLICATION_ERROR);
        assert.equal(snapshot(session), before);
        await new Promise((r) => setTimeout(r, 50));
        assert.deepEqual(target.notifications.slice(targetSaw), [], 'no event was sent');
      } finally {
        await caller.close();
        await target.close();
      }
    });
  }

  test('a new token given with token.refresh brings its permissions', async () => {
    const { caller, target, session } = await setUp([]);
    try {
      const denied = await caller.request('member.audioMute', { memberId: 'target' });
      assert.equal(denied.error?.data?.code, 'PERMISSION_DENIED');
      const roomId = session.roomId;
      await caller.call('token.refresh', { token: await t.token('caller', roomId, { permissions: ['room.member.audio_mute'] }) });
      await caller.call('member.audioMute', { memberId: 'target' });
      assert.equal(member(session, 'target').audio_muted, true);
    } finally {
      await caller.close();
      await target.close();
    }
  });

  test('reads and chat need no permission: being in the room is enough', async () => {
    const { caller, target } = await setUp([]);
    try {
      const members = (await caller.call('room.getMembers', {})).members;
      assert.deepEqual(members.map((m) => m.id), ['target', 'caller']);
      assert.deepEqual(await caller.call('room.getMeta', {}), { meta: {} });
      assert.deepEqual(await caller.call('member.getMeta', { memberId: 'target' }), { meta: {} });
      await caller.call('chat.send', { content: 'hi' });
      assert.equal((await target.waitForNotification('chat.message')).content, 'hi');
    } finally {
      await caller.close();
      await target.close();
    }
  });
});
