/**
 * The live layout through the Node SDK: the server computes the layers with the shared layout
 * function and sends `layout.changed` on joins, leaves, new streams, layout and position changes
 * and video mutes when hidden; the join carries the current layout; and the active speaker (from
 * the publishers' audio levels) takes the big tile of a highlight layout.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  computeLayout,
  type LayoutChangedEvent,
  type LayoutMember,
  type VideoLayoutLayer,
} from '../packages/protocol/src/index.js';
import { join, type Room } from '../packages/sdk/src/index.js';
import { startTestServer, waitFor, type TestServer } from './helpers/server.js';
import { syntheticCamera, toneMicrophone, wrtcImpl } from './helpers/wrtc-media.js';

const CANVAS = { width: 1280, height: 720 };

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => {
  await t.close();
});

async function enter(roomId: string, endpointId: string): Promise<Room> {
  const token = await t.token(endpointId, roomId, { name: endpointId.toUpperCase(), moderator: true });
  const { room } = await join(roomId, token, { url: t.url, wrtc: wrtcImpl });
  return room;
}

/** Every `layout.changed` the room receives, the latest last. */
function layouts(room: Room): LayoutChangedEvent[] {
  const seen: LayoutChangedEvent[] = [];
  room.on('layout.changed', (event) => seen.push(event));
  return seen;
}

function latest(seen: LayoutChangedEvent[]): LayoutChangedEvent['layout'] {
  const last = seen.at(-1);
  assert.ok(last, 'a layout.changed arrived');
  return last.layout;
}

/** Waits until the latest layout satisfies `match`, and returns it. */
async function layoutWhere(seen: LayoutChangedEvent[], what: string, match: (layout: LayoutChangedEvent['layout']) => boolean) {
  return waitFor(what, () => {
    const last = seen.at(-1)?.layout;
    return last && match(last) ? last : undefined;
  });
}

const placed = (layers: VideoLayoutLayer[]): string[] =>
  layers.filter((layer) => layer.memberId && layer.visible).map((layer) => `${layer.memberId}:${layer.streamTag}`);

function member(id: string, order: number, extra: Partial<LayoutMember> = {}): LayoutMember {
  return { memberId: id, streamTag: 'camera', name: id.toUpperCase(), visible: true, audioMuted: false, videoMuted: false, order, ...extra };
}

describe('live layout (Node SDK)', () => {
  test('joins, leaves, setLayout, setPositions and streams each bring the layers computeLayout gives', async () => {
    const created = await t.createRoom({ layout: 'grid-responsive' });
    const alice = await enter(created.id, 'alice');
    const seen = layouts(alice);
    const first = await layoutWhere(seen, 'the layout at the join', (l) => l.layers.length > 0);
    assert.equal(first.name, 'grid-responsive');
    assert.equal(first.room_id, created.id);
    assert.deepEqual(placed(first.layers), ['alice:camera']);
    assert.deepEqual(first.layers[0] && [first.layers[0].x, first.layers[0].y, first.layers[0].width, first.layers[0].height], [0, 0, 100, 100]);

    const bob = await enter(created.id, 'bob');
    const two = await layoutWhere(seen, 'bob joins the grid', (l) => placed(l.layers).length === 2);
    assert.deepEqual(two.layers, computeLayout('grid-responsive', [member('alice', 0), member('bob', 1)], {}, CANVAS));
    const bobSeen = layouts(bob);
    await layoutWhere(bobSeen, 'bob gets the layout at his join', (l) => placed(l.layers).length === 2);

    await alice.setLayout({ name: '2x2' });
    const grid = await layoutWhere(seen, 'the 2x2 layout', (l) => l.name === '2x2');
    assert.equal(grid.layers.length, 4, 'a 2x2 has four cells, two of them empty');
    const cell = (id: string) => grid.layers.find((layer) => layer.memberId === id);
    assert.deepEqual([cell('alice')?.x, cell('alice')?.y, cell('alice')?.width, cell('alice')?.height], [0, 0, 50, 50]);
    assert.deepEqual([cell('bob')?.x, cell('bob')?.y], [50, 0]);
    assert.equal(grid.layers.filter((layer) => !layer.memberId).length, 2);

    await alice.setPositions({ positions: { bob: 'standard-4', self: 'standard-3' } });
    const moved = await layoutWhere(seen, 'positions applied', (l) => l.layers.find((x) => x.memberId === 'bob')?.position === 'standard-4');
    assert.deepEqual(
      moved.layers,
      computeLayout('2x2', [member('alice', 0), member('bob', 1)], { bob: 'standard-4', alice: 'standard-3' }, CANVAS),
    );
    assert.deepEqual(
      [moved.layers.find((x) => x.memberId === 'bob')?.x, moved.layers.find((x) => x.memberId === 'bob')?.y],
      [50, 50],
      'standard-4 is the bottom-right cell',
    );

    // A second stream of bob's is its own tile.
    const camera = syntheticCamera({ width: 320, height: 180 });
    const screen = syntheticCamera({ width: 320, height: 180 });
    try {
      await bob.publish('camera', camera.stream);
      await bob.publish('screen', screen.stream);
      const withScreen = await layoutWhere(seen, 'the screen stream gets a tile', (l) => placed(l.layers).includes('bob:screen'));
      assert.equal(placed(withScreen.layers).length, 3);

      const carol = await enter(created.id, 'carol');
      await layoutWhere(seen, 'carol joins', (l) => placed(l.layers).includes('carol:camera'));
      await carol.leave();
      const after = await layoutWhere(seen, 'carol left', (l) => !placed(l.layers).includes('carol:camera'));
      assert.deepEqual(placed(after.layers).sort(), ['alice:camera', 'bob:camera', 'bob:screen']);
    } finally {
      camera.stop();
      screen.stop();
    }
    await bob.leave();
    await layoutWhere(seen, 'bob left', (l) => placed(l.layers).length === 1);
    await alice.leave();
  });

  test('hideVideoMuted takes a video-muted member off the canvas and brings it back', async () => {
    const created = await t.createRoom({ layout: 'grid-responsive' });
    const alice = await enter(created.id, 'alice');
    const seen = layouts(alice);
    const bob = await enter(created.id, 'bob');
    await layoutWhere(seen, 'both placed', (l) => placed(l.layers).length === 2);
    await alice.setHideVideoMuted(true);
    await alice.videoMute({ memberId: 'bob' });
    const hidden = await layoutWhere(seen, 'bob hidden', (l) => !placed(l.layers).includes('bob:camera'));
    assert.deepEqual(placed(hidden.layers), ['alice:camera']);
    await alice.videoUnmute({ memberId: 'bob' });
    await layoutWhere(seen, 'bob back', (l) => placed(l.layers).includes('bob:camera'));
    await bob.leave();
    await alice.leave();
  });

  test('the member talking (from its audio levels) is told to all and takes the big tile of highlight-1', async () => {
    const created = await t.createRoom({ layout: 'highlight-1-responsive' });
    const alice = await enter(created.id, 'alice');
    const seen = layouts(alice);
    const bob = await enter(created.id, 'bob');
    const talking: Array<{ id: string; talking: boolean }> = [];
    alice.on('member.talking', ({ member: m }) => talking.push({ id: m.id, talking: m.talking }));
    const aliceMic = toneMicrophone();
    const bobMic = toneMicrophone();
    const big = (layout: LayoutChangedEvent['layout']) =>
      layout.layers.reduce<VideoLayoutLayer | undefined>((a, b) => (!a || b.width * b.height > a.width * a.height ? b : a), undefined);
    try {
      await alice.publish('camera', aliceMic.stream);
      await bob.publish('camera', bobMic.stream);
      const before = await layoutWhere(seen, 'both in the highlight layout', (l) => placed(l.layers).length === 2);
      assert.equal(big(before)?.memberId, 'alice', 'before anyone talks the first joiner is featured');

      bobMic.setAmplitude(16_000);
      await waitFor('bob talking', () => talking.some((e) => e.id === 'bob' && e.talking), 15_000);
      const featured = await layoutWhere(seen, 'bob takes the big tile', (l) => big(l)?.memberId === 'bob');
      assert.ok((big(featured)?.width ?? 0) > 50, 'the featured tile is the large one');

      bobMic.setAmplitude(0);
      aliceMic.setAmplitude(16_000);
      await waitFor('bob stops talking', () => talking.some((e) => e.id === 'bob' && !e.talking), 15_000);
      await layoutWhere(seen, 'alice takes the big tile back', (l) => big(l)?.memberId === 'alice');
      assert.ok(talking.some((e) => e.id === 'alice' && e.talking));
      assert.equal(latest(seen).name, 'highlight-1-responsive');
    } finally {
      aliceMic.stop();
      bobMic.stop();
    }
    await bob.leave();
    await alice.leave();
  });

  test('a moderator\'s audio mute ends member.talking at once, not after the silence timeout; unmute lets it talk again; setInputSensitivity moves the threshold', async () => {
    const created = await t.createRoom({ layout: 'highlight-1-responsive' });
    const alice = await enter(created.id, 'alice');
    const bob = await enter(created.id, 'bob');
    const talking: boolean[] = [];
    const updates: string[] = [];
    alice.on('member.talking', ({ member: m }) => {
      if (m.id === 'bob') talking.push(m.talking);
    });
    alice.on('member.updated', ({ member: m }) => {
      if (m.id === 'bob') updates.push(m.updated.join(','));
    });
    const bobMic = toneMicrophone();
    try {
      await bob.publish('camera', bobMic.stream);
      bobMic.setAmplitude(16_000);
      await waitFor('bob talking', () => talking.at(-1) === true, 15_000);

      await alice.audioMute({ memberId: 'bob' });
      // Notifications go out before the call's answer on the same socket: both are here already.
      assert.equal(talking.at(-1), false, 'member.talking {talking: false} arrived with the mute');
      assert.equal(alice.members.find((m) => m.id === 'bob')?.talking, false);
      assert.ok(updates.includes('audio_muted'));
      assert.equal(talking.filter((x) => x).length, 1, 'one talking spell so far');

      await alice.audioUnmute({ memberId: 'bob' });
      await waitFor('bob talks again after the unmute', () => talking.at(-1) === true, 15_000);
      assert.deepEqual(talking, [true, false, true]);

      // setInputSensitivity moves the talking threshold at once: 0 (essentially muted) never talks,
      // 100 (most sensitive) hears the same tone again.
      await alice.setInputSensitivity({ memberId: 'bob', value: 0 });
      assert.equal(talking.at(-1), false, 'sensitivity 0: not talking, told with the call');
      await alice.setInputSensitivity({ memberId: 'bob', value: 100 });
      assert.equal(talking.at(-1), true, 'sensitivity 100: talking again');
      assert.deepEqual(talking, [true, false, true, false, true]);
    } finally {
      bobMic.stop();
    }
    await bob.leave();
    await alice.leave();
  });
});
