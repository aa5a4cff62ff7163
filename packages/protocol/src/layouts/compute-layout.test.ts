/**
 * @module Property tests for the layout function: thousands of seeded random rooms (member counts,
 * streams, mutes, positions, speakers) over every layout, checking what must always hold.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { layoutNames } from '../rooms.js';
import { computeLayout, layoutStreamKey } from './compute-layout.js';
import type { LayoutMember, LayoutOptions, LayoutSpec, VideoLayoutLayer, VideoPosition, VideoPositions } from './types.js';

/** mulberry32: a tiny seeded PRNG, so every failure reproduces from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Room {
  spec: LayoutSpec;
  members: LayoutMember[];
  positions: VideoPositions;
  canvas: { width: number; height: number };
  options: LayoutOptions;
}

function randomRoom(seed: number): Room {
  const rnd = random(seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  const spec: LayoutSpec =
    rnd() < 0.2
      ? { type: pick(['GRID', 'SPOTLIGHT', 'SIDEBAR'] as const), priority: pick(['SPEAKER', 'PIN'] as const), gridSize: 1 + int(25) }
      : pick(layoutNames);
  const count = pick([0, 1, 2, 3, 4, 5, 6, 9, 12, 17, 30, 64, 110]);
  const members: LayoutMember[] = [];
  for (let i = 0; i < count; i++) {
    const memberId = `m${i}`;
    const base = { memberId, name: `Member ${i}`, order: i, visible: rnd() > 0.1, audioMuted: rnd() < 0.3, pinned: rnd() < 0.1 };
    members.push({ ...base, streamTag: rnd() < 0.8 ? 'camera' : 'camera-2', videoMuted: rnd() < 0.2 });
    if (rnd() < 0.15) members.push({ ...base, streamTag: 'screen', videoMuted: false });
  }
  const positionNames: VideoPosition[] = ['auto', 'off-canvas', 'reserved-1', 'reserved-2', 'reserved-3', 'standard-1', 'standard-2', 'standard-5', 'standard-12', 'standard-40'];
  const positions: VideoPositions = {};
  const self = count > 0 ? `m${int(count)}` : undefined;
  for (const member of members) {
    const roll = rnd();
    if (roll < 0.15) positions[member.memberId] = pick(positionNames);
    else if (roll < 0.2) positions[layoutStreamKey(member.memberId, member.streamTag)] = pick(positionNames);
  }
  if (self && rnd() < 0.3) positions.self = pick(positionNames);
  positions['nobody'] = 'reserved-1';
  const shape = pick([[1280, 720], [720, 1280], [1000, 1000], [1920, 800]] as const);
  const options: LayoutOptions = {
    selfMemberId: self,
    activeSpeakerId: count > 0 && rnd() < 0.7 ? `m${int(count)}` : undefined,
    hideVideoMuted: rnd() < 0.3,
  };
  return { spec, members, positions, canvas: { width: shape[0], height: shape[1] }, options };
}

const EPS = 1e-9;
const key = (memberId: string | undefined, tag: string | undefined): string => `${memberId}:${tag}`;

function layoutOf(room: Room): VideoLayoutLayer[] {
  return computeLayout(room.spec, room.members, room.positions, room.canvas, room.options);
}

/** The streams the layout must account for, with the position each asked for (rule 2, restated). */
function expectedStreams(room: Room): Map<string, { member: LayoutMember; position: VideoPosition }> {
  const expected = new Map<string, { member: LayoutMember; position: VideoPosition }>();
  const included = room.members.filter((m) => m.visible && !(room.options.hideVideoMuted && m.videoMuted));
  for (const member of included) {
    const tag = member.streamTag ?? 'camera';
    const own = included.filter((m) => m.memberId === member.memberId);
    const primary = own.find((m) => m.streamTag === 'camera') ?? own.sort((a, b) => ((a.streamTag ?? '') < (b.streamTag ?? '') ? -1 : 1))[0];
    const isSelf = member.memberId === room.options.selfMemberId;
    const position =
      room.positions[`${member.memberId}:${tag}`] ??
      (isSelf ? room.positions[`self:${tag}`] : undefined) ??
      (primary === member ? room.positions[member.memberId] : undefined) ??
      (primary === member && isSelf ? room.positions.self : undefined) ??
      'auto';
    expected.set(key(member.memberId, tag), { member, position });
  }
  return expected;
}

function overlapArea(a: VideoLayoutLayer, b: VideoLayoutLayer): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > EPS && h > EPS ? w * h : 0;
}

const ROOMS = 3000;

describe('computeLayout properties (seeded random rooms)', () => {
  test(`holds for ${ROOMS} rooms over every layout`, () => {
    for (let seed = 1; seed <= ROOMS; seed++) {
      const room = randomRoom(seed);
      const where = `seed ${seed} (${JSON.stringify(room.spec)}, ${room.members.length} streams)`;
      const layers = layoutOf(room);
      const expected = expectedStreams(room);

      // Every included stream exactly once; nothing else.
      const withMember = layers.filter((l) => l.memberId !== undefined);
      const keys = withMember.map((l) => key(l.memberId, l.streamTag));
      assert.equal(new Set(keys).size, keys.length, `${where}: a stream appears twice`);
      assert.deepEqual([...keys].sort(), [...expected.keys()].sort(), `${where}: streams placed`);

      layers.forEach((layer, i) => assert.equal(layer.layerIndex, i, `${where}: layerIndex`));
      const onCanvas = layers.filter((l) => l.reservation !== '');
      for (const layer of onCanvas) {
        // Inside the canvas, with area.
        assert.ok(layer.width > 0 && layer.height > 0, `${where}: empty rectangle`);
        assert.ok(layer.x >= -EPS && layer.y >= -EPS, `${where}: outside canvas`);
        assert.ok(layer.x + layer.width <= 100 + EPS && layer.y + layer.height <= 100 + EPS, `${where}: outside canvas`);
        assert.equal(layer.visible, layer.memberId !== undefined, `${where}: visible iff a stream is shown`);
      }
      for (let i = 0; i < onCanvas.length; i++) {
        for (let j = i + 1; j < onCanvas.length; j++) {
          assert.equal(overlapArea(onCanvas[i] as VideoLayoutLayer, onCanvas[j] as VideoLayoutLayer), 0, `${where}: tiles ${i} and ${j} overlap`);
        }
      }
      assert.equal(new Set(onCanvas.map((l) => l.reservation)).size, onCanvas.length, `${where}: a slot twice`);

      const offCanvas = layers.filter((l) => l.reservation === '');
      for (const layer of offCanvas) {
        assert.equal(layer.position, 'off-canvas', where);
        assert.equal(layer.visible, false, where);
        assert.equal(layer.width * layer.height, 0, where);
      }
      // Off-canvas layers come after all slots.
      assert.ok(layers.slice(onCanvas.length).every((l) => l.reservation === ''), `${where}: slot after off-canvas`);

      // Positions honoured: off-canvas stays off; an existing slot goes to its earliest claimant.
      const bySlot = new Map(onCanvas.map((l) => [l.reservation, l]));
      const claims = new Map<string, LayoutMember>();
      for (const [streamKey, { member, position }] of expected) {
        const layer = withMember.find((l) => key(l.memberId, l.streamTag) === streamKey);
        if (position === 'off-canvas') {
          assert.equal(layer?.reservation, '', `${where}: ${streamKey} asked off-canvas`);
          continue;
        }
        if (position === 'auto' || !bySlot.has(position)) continue;
        const current = claims.get(position);
        if (!current || member.order < current.order) claims.set(position, member);
      }
      for (const [slot, member] of claims) {
        assert.equal(bySlot.get(slot)?.memberId, member.memberId, `${where}: ${slot} should hold ${member.memberId}`);
      }

      // No slot stays empty while a stream that wanted to be on canvas is left out.
      const emptySlots = onCanvas.filter((l) => l.memberId === undefined).length;
      const leftOut = offCanvas.filter((l) => expected.get(key(l.memberId, l.streamTag))?.position !== 'off-canvas').length;
      assert.ok(emptySlots === 0 || leftOut === 0, `${where}: ${emptySlots} empty slots but ${leftOut} streams left out`);

      // Same input, same layers; input order does not matter when join orders differ.
      assert.deepEqual(layoutOf(room), layers, `${where}: not deterministic`);
      const shuffled = { ...room, members: [...room.members].reverse() };
      assert.deepEqual(layoutOf(shuffled), layers, `${where}: depends on input order`);
    }
  });
});
