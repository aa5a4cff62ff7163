/**
 * @module The geometry and fill order of each named layout, spelled out: where each member lands.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { videoLayoutLayerSchema, videoPositionsSchema } from './types.js';
import { bestGrid, layoutSlots } from './geometry.js';
import { computeLayout, layerToPixels } from './compute-layout.js';
import type { LayoutMember, LayoutOptions, LayoutSpec, VideoLayoutLayer, VideoPositions } from './types.js';

const HD = { width: 1280, height: 720 };

function members(count: number, extra: Partial<LayoutMember> = {}): LayoutMember[] {
  return Array.from({ length: count }, (_, i) => ({
    memberId: `m${i + 1}`,
    name: `Member ${i + 1}`,
    visible: true,
    audioMuted: false,
    videoMuted: false,
    order: i + 1,
    ...extra,
  }));
}

/** `[memberId, x, y, width, height]` of each on-canvas layer, rounded to 0.01 %. */
function boxes(layers: VideoLayoutLayer[]): Array<[string | undefined, number, number, number, number]> {
  const r = (v: number): number => Math.round(v * 100) / 100;
  return layers.filter((l) => l.reservation !== '').map((l) => [l.memberId, r(l.x), r(l.y), r(l.width), r(l.height)]);
}

function layout(spec: LayoutSpec, list: LayoutMember[], positions: VideoPositions = {}, options: LayoutOptions = {}): VideoLayoutLayer[] {
  return computeLayout(spec, list, positions, HD, options);
}

const offCanvas = (layers: VideoLayoutLayer[]): Array<string | undefined> =>
  layers.filter((l) => l.position === 'off-canvas').map((l) => l.memberId);

describe('fixed grids', () => {
  for (const [name, cols, rows] of [
    ['1x1', 1, 1], ['2x1', 2, 1], ['2x2', 2, 2], ['3x3', 3, 3], ['4x4', 4, 4],
    ['5x5', 5, 5], ['6x6', 6, 6], ['8x8', 8, 8], ['10x10', 10, 10],
  ] as const) {
    test(`${name}: ${cols * rows} equal cells row by row, empty ones without a member`, () => {
      const layers = layout(name, members(3));
      assert.equal(layers.length, Math.max(cols * rows, 3));
      layers.slice(0, cols * rows).forEach((layer, i) => {
        assert.equal(layer.reservation, `standard-${i + 1}`);
        assert.ok(Math.abs(layer.x - ((i % cols) * 100) / cols) < 1e-9);
        assert.ok(Math.abs(layer.y - (Math.floor(i / cols) * 100) / rows) < 1e-9);
        assert.ok(Math.abs(layer.width - 100 / cols) < 1e-9 && Math.abs(layer.height - 100 / rows) < 1e-9);
        assert.equal(layer.memberId, i < 3 ? `m${i + 1}` : undefined);
        assert.equal(layer.visible, i < 3);
      });
    });
  }

  test('2x2 with five members: the fifth is off-canvas', () => {
    const layers = layout('2x2', members(5));
    assert.deepEqual(boxes(layers), [['m1', 0, 0, 50, 50], ['m2', 50, 0, 50, 50], ['m3', 0, 50, 50, 50], ['m4', 50, 50, 50, 50]]);
    assert.deepEqual(offCanvas(layers), ['m5']);
    assert.equal(layers[4]?.visible, false);
  });

  test('the active speaker does not reorder a fixed grid', () => {
    assert.deepEqual(boxes(layout('2x2', members(4), {}, { activeSpeakerId: 'm4' }))[0]?.[0], 'm1');
  });
});

describe('grid-responsive', () => {
  test('shapes the grid for the count on a 16:9 canvas', () => {
    assert.deepEqual(boxes(layout('grid-responsive', members(1))), [['m1', 0, 0, 100, 100]]);
    assert.deepEqual(boxes(layout('grid-responsive', members(2))), [['m1', 0, 0, 50, 100], ['m2', 50, 0, 50, 100]]);
    // Three: 2x2 with the last row centred.
    assert.deepEqual(boxes(layout('grid-responsive', members(3))), [['m1', 0, 0, 50, 50], ['m2', 50, 0, 50, 50], ['m3', 25, 50, 50, 50]]);
    assert.deepEqual(bestGrid(5, HD), [3, 2]);
    assert.deepEqual(bestGrid(9, HD), [3, 3]);
    assert.deepEqual(bestGrid(10, HD), [4, 3]);
    assert.deepEqual(bestGrid(2, { width: 720, height: 1280 }), [1, 2]);
    assert.equal(layout('grid-responsive', []).length, 0);
  });

  test('shows at most 100; the rest are off-canvas', () => {
    const layers = layout('grid-responsive', members(103));
    assert.equal(layers.filter((l) => l.visible).length, 100);
    assert.deepEqual(offCanvas(layers), ['m101', 'm102', 'm103']);
  });
});

describe('highlight and sidebar layouts', () => {
  test('highlight-1-responsive: the active speaker large, the others in a sidebar', () => {
    const layers = layout('highlight-1-responsive', members(3), {}, { activeSpeakerId: 'm3' });
    assert.deepEqual(boxes(layers), [['m3', 0, 0, 75, 100], ['m1', 75, 25, 25, 25], ['m2', 75, 50, 25, 25]]);
    assert.equal(layers[0]?.reservation, 'reserved-1');
    assert.equal(layers[1]?.reservation, 'standard-1');
    // Alone: the whole canvas. No speaker: the first to join.
    assert.deepEqual(boxes(layout('highlight-1-responsive', members(1))), [['m1', 0, 0, 100, 100]]);
    assert.equal(boxes(layout('highlight-1-responsive', members(3)))[0]?.[0], 'm1');
  });

  test('highlight-1-responsive: a full sidebar holds eight, the rest are off-canvas', () => {
    const layers = layout('highlight-1-responsive', members(11));
    assert.deepEqual(boxes(layers).slice(1, 3), [['m2', 75, 0, 25, 12.5], ['m3', 75, 12.5, 25, 12.5]]);
    assert.deepEqual(offCanvas(layers), ['m10', 'm11']);
  });

  test('highlight-2-responsive: two large side by side, the rest in the sidebar', () => {
    assert.deepEqual(boxes(layout('highlight-2-responsive', members(2))), [['m1', 0, 0, 50, 100], ['m2', 50, 0, 50, 100]]);
    const layers = layout('highlight-2-responsive', members(4), {}, { activeSpeakerId: 'm4' });
    assert.deepEqual(boxes(layers), [['m4', 0, 0, 37.5, 100], ['m1', 37.5, 0, 37.5, 100], ['m2', 75, 25, 25, 25], ['m3', 75, 50, 25, 25]]);
    assert.deepEqual(layers.slice(0, 2).map((l) => l.reservation), ['reserved-1', 'reserved-2']);
  });

  test('screen-share: a screen share large, the speaker next', () => {
    const list: LayoutMember[] = [...members(3), { ...members(2)[1]!, streamTag: 'screen' }];
    const layers = layout('screen-share', list, {}, { activeSpeakerId: 'm3' });
    assert.deepEqual(boxes(layers).map(([id]) => id), ['m2', 'm3', 'm1', 'm2']);
    assert.equal(layers[0]?.streamTag, 'screen');
    assert.equal(layers[3]?.streamTag, 'camera');
    assert.deepEqual(boxes(layers)[0], ['m2', 0, 0, 75, 100]);
  });

  test('full-screen: only the speaker; everyone else off-canvas', () => {
    const layers = layout('full-screen', members(3), {}, { activeSpeakerId: 'm2' });
    assert.deepEqual(boxes(layers), [['m2', 0, 0, 100, 100]]);
    assert.deepEqual(offCanvas(layers), ['m1', 'm3']);
  });

  test('5up: one large over 2x2 of a 3x3 grid and five small around it', () => {
    const layers = layout('5up', members(6));
    assert.deepEqual(boxes(layers), [
      ['m1', 0, 0, 66.67, 66.67],
      ['m2', 66.67, 0, 33.33, 33.33],
      ['m3', 66.67, 33.33, 33.33, 33.33],
      ['m4', 0, 66.67, 33.33, 33.33],
      ['m5', 33.33, 66.67, 33.33, 33.33],
      ['m6', 66.67, 66.67, 33.33, 33.33],
    ]);
  });
});

describe('composition layouts (GRID / SPOTLIGHT / SIDEBAR)', () => {
  test('GRID shows gridSize members; on overflow the speaker takes the last slot, order otherwise kept', () => {
    const spec = { type: 'GRID', priority: 'SPEAKER', gridSize: 4 } as const;
    const layers = layout(spec, members(6), {}, { activeSpeakerId: 'm6' });
    assert.deepEqual(boxes(layers), [['m1', 0, 0, 50, 50], ['m2', 50, 0, 50, 50], ['m3', 0, 50, 50, 50], ['m6', 50, 50, 50, 50]]);
    assert.deepEqual(offCanvas(layers), ['m4', 'm5']);
    // A visible speaker changes nothing.
    assert.deepEqual(boxes(layout(spec, members(6), {}, { activeSpeakerId: 'm2' })).map(([id]) => id), ['m1', 'm2', 'm3', 'm4']);
    // The name alone means GRID, SPEAKER, 4.
    assert.deepEqual(layout('GRID', members(6), {}, { activeSpeakerId: 'm6' }), layers);
  });

  test('GRID with PIN puts pinned members first', () => {
    const list = members(6).map((m) => (m.memberId === 'm5' ? { ...m, pinned: true } : m));
    const layers = layout({ type: 'GRID', priority: 'PIN', gridSize: 2 }, list);
    assert.deepEqual(boxes(layers).map(([id]) => id), ['m5', 'm1']);
  });

  test('SPOTLIGHT shows the speaker, or with PIN the pinned member', () => {
    assert.deepEqual(boxes(layout({ type: 'SPOTLIGHT', priority: 'SPEAKER', gridSize: 4 }, members(3), {}, { activeSpeakerId: 'm3' })), [['m3', 0, 0, 100, 100]]);
    const list = members(3).map((m) => (m.memberId === 'm2' ? { ...m, pinned: true } : m));
    assert.deepEqual(boxes(layout({ type: 'SPOTLIGHT', priority: 'PIN', gridSize: 4 }, list, {}, { activeSpeakerId: 'm3' }))[0]?.[0], 'm2');
  });

  test('SIDEBAR: speaker large, up to gridSize in all', () => {
    const layers = layout({ type: 'SIDEBAR', priority: 'SPEAKER', gridSize: 3 }, members(5), {}, { activeSpeakerId: 'm4' });
    assert.deepEqual(boxes(layers), [['m4', 0, 0, 75, 100], ['m1', 75, 25, 25, 25], ['m2', 75, 50, 25, 25]]);
    assert.deepEqual(offCanvas(layers), ['m3', 'm5']);
  });
});

describe('positions', () => {
  test('reserved-n and standard-n place a member; the earlier joiner wins a contested slot', () => {
    const layers = layout('highlight-1-responsive', members(4), { m3: 'reserved-1', m4: 'standard-1', m2: 'standard-1' }, { activeSpeakerId: 'm1' });
    assert.deepEqual(boxes(layers).map(([id]) => id), ['m3', 'm2', 'm1', 'm4']);
    assert.equal(layers[0]?.position, 'reserved-1');
    assert.equal(layers[2]?.position, 'auto');
    assert.equal(layers[3]?.position, 'auto', 'lost its slot, placed automatically');
  });

  test('a position the layout lacks counts as auto', () => {
    const layers = layout('2x2', members(2), { m1: 'standard-9', m2: 'reserved-1' });
    assert.deepEqual(boxes(layers).map(([id]) => id), ['m1', 'm2', undefined, undefined]);
    assert.equal(layers[0]?.position, 'auto');
  });

  test('standard-n picks the cell in a fixed grid, leaving the others empty', () => {
    const layers = layout('3x3', members(1), { m1: 'standard-5' });
    assert.deepEqual(boxes(layers).filter(([id]) => id), [['m1', 33.33, 33.33, 33.33, 33.33]]);
  });

  test('off-canvas takes a member out and frees its place', () => {
    const layers = layout('grid-responsive', members(3), { m2: 'off-canvas' });
    assert.deepEqual(boxes(layers), [['m1', 0, 0, 50, 100], ['m3', 50, 0, 50, 100]]);
    assert.deepEqual(offCanvas(layers), ['m2']);
    assert.deepEqual(
      { ...layers[2], layerIndex: 0 },
      { memberId: 'm2', streamTag: 'camera', name: 'Member 2', audioMuted: false, videoMuted: false, playingFile: false, x: 0, y: 0, width: 0, height: 0, zIndex: 0, reservation: '', position: 'off-canvas', visible: false, layerIndex: 0 },
    );
  });

  test('self stands for the viewer; an explicit member id beats self', () => {
    assert.equal(layout('highlight-1-responsive', members(3), { self: 'reserved-1' }, { selfMemberId: 'm2', activeSpeakerId: 'm1' })[0]?.memberId, 'm2');
    assert.equal(layout('highlight-1-responsive', members(3), { self: 'reserved-1', m2: 'standard-1' }, { selfMemberId: 'm2' })[0]?.memberId, 'm1');
    // Without a viewer, self places nobody.
    assert.equal(layout('highlight-1-responsive', members(3), { self: 'reserved-1' }, { activeSpeakerId: 'm3' })[0]?.memberId, 'm3');
  });

  test('one member, two streams: each is its own layout member; member:tag places one stream', () => {
    const [a, b] = members(2);
    const list: LayoutMember[] = [a!, { ...a!, streamTag: 'screen' }, b!];
    const plain = layout('grid-responsive', list);
    assert.deepEqual(plain.map((l) => `${l.memberId}:${l.streamTag}`), ['m1:camera', 'm1:screen', 'm2:camera']);
    // A bare id places the camera only; m1:screen places the screen.
    const placed = layout('highlight-1-responsive', list, { m1: 'off-canvas', 'm1:screen': 'reserved-1' });
    assert.deepEqual(placed.map((l) => `${l.memberId}:${l.streamTag}:${l.position}`), ['m1:screen:reserved-1', 'm2:camera:auto', 'm1:camera:off-canvas']);
    assert.equal(layout('highlight-1-responsive', list, { 'self:screen': 'standard-1' }, { selfMemberId: 'm1' })[1]?.streamTag, 'screen');
  });
});

describe('member state', () => {
  test('hideVideoMuted leaves video-muted members out; otherwise they keep a tile marked videoMuted', () => {
    const list = members(3).map((m) => (m.memberId === 'm2' ? { ...m, videoMuted: true } : m));
    assert.deepEqual(boxes(layout('grid-responsive', list, {}, { hideVideoMuted: true })).map(([id]) => id), ['m1', 'm3']);
    const shown = layout('grid-responsive', list);
    assert.equal(shown.find((l) => l.memberId === 'm2')?.videoMuted, true);
    assert.equal(shown.length, 3);
  });

  test('members that are not visible are not in the layout at all', () => {
    const list = members(3).map((m) => (m.memberId === 'm1' ? { ...m, visible: false } : m));
    assert.deepEqual(layout('2x1', list).map((l) => l.memberId), ['m2', 'm3']);
  });

  test('join order, not input order, decides places', () => {
    const list = members(3).reverse();
    assert.deepEqual(layout('3x3', list).slice(0, 3).map((l) => l.memberId), ['m1', 'm2', 'm3']);
  });
});

describe('wire types', () => {
  test('every layer parses with the layer schema; positions validate', () => {
    for (const layer of layout('5up', members(9), { m1: 'off-canvas' })) videoLayoutLayerSchema.parse(layer);
    assert.deepEqual(videoPositionsSchema.parse({ self: 'reserved-1', m1: 'standard-12', m2: 'off-canvas', m3: 'auto' }), { self: 'reserved-1', m1: 'standard-12', m2: 'off-canvas', m3: 'auto' });
    for (const bad of ['reserved-0', 'standard-', 'middle', 'reserved-1x']) {
      assert.equal(videoPositionsSchema.safeParse({ m1: bad }).success, false, bad);
    }
  });

  test('layerToPixels: neighbouring tiles meet exactly on the pixel grid', () => {
    const [a, b, c] = layout('3x3', members(3)).map((l) => layerToPixels(l, { width: 1000, height: 600 }));
    assert.deepEqual(a, { x: 0, y: 0, width: 333, height: 200 });
    assert.deepEqual(b, { x: 333, y: 0, width: 334, height: 200 });
    assert.equal((c?.x ?? 0) + (c?.width ?? 0), 1000);
    assert.equal(layoutSlots('full-screen', 0, HD).length, 1);
  });
});
