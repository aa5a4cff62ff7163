/**
 * The composition plan: intervals of constant presence laid out by the live view's layout
 * function, overlays enabled only while a track is shown, unrecorded stretches cut.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { computeLayout, layerToPixels } from '@atrium/protocol';
import { layoutIntervals, planComposition, type CompositionTrack } from './composition-plan.js';

const canvas = { width: 1280, height: 720 };
const T0 = Date.parse('2026-01-01T00:00:00.000Z');

function track(endpointId: string, kind: 'audio' | 'video', fromS: number, toS: number): CompositionTrack {
  return { id: `${endpointId}-${kind}`, endpointId, tag: 'camera', kind, file: `/r/${endpointId}-${kind}.webm`, startMs: T0 + fromS * 1000, durationMs: (toS - fromS) * 1000 };
}

describe('layoutIntervals', () => {
  test('a late joiner who leaves early splits the timeline in three, each laid out by computeLayout', () => {
    const tracks = [
      { endpointId: 'a', tag: 'camera', startMs: 0, endMs: 10_000 },
      { endpointId: 'b', tag: 'camera', startMs: 3_000, endMs: 7_000 },
    ];
    const intervals = layoutIntervals(tracks, 10_000, 'grid-responsive', canvas);
    assert.deepEqual(intervals.map((i) => [i.startMs, i.endMs, [...i.placed.keys()]]), [
      [0, 3_000, ['a:camera']],
      [3_000, 7_000, ['a:camera', 'b:camera']],
      [7_000, 10_000, ['a:camera']],
    ]);
    assert.deepEqual(intervals[0]!.placed.get('a:camera'), { x: 0, y: 0, width: 1280, height: 720 });
    const both = computeLayout('grid-responsive', [
      { memberId: 'a', name: 'a', visible: true, audioMuted: false, videoMuted: false, order: 0 },
      { memberId: 'b', name: 'b', visible: true, audioMuted: false, videoMuted: false, order: 1 },
    ], {}, canvas);
    assert.deepEqual(intervals[1]!.placed.get('b:camera'), layerToPixels(both.find((l) => l.memberId === 'b')!, canvas));
  });

  test('audio and video of one stream count as one presence; same sets merge', () => {
    const tracks = [
      { endpointId: 'a', tag: 'camera', startMs: 0, endMs: 5_000 },
      { endpointId: 'a', tag: 'camera', startMs: 40, endMs: 5_000 },
    ];
    const intervals = layoutIntervals(tracks, 5_000, '2x2', canvas);
    assert.equal(intervals.length, 1);
    assert.deepEqual(intervals[0]!.placed.get('a:camera'), { x: 0, y: 0, width: 640, height: 360 });
  });
});

describe('planComposition', () => {
  test('each video at its offset, shown only in its interval at its rectangle; audio mixed at offsets', () => {
    const plan = planComposition({
      tracks: [track('a', 'video', 0, 10), track('a', 'audio', 0, 10), track('b', 'video', 3, 7), track('b', 'audio', 3, 7)],
      recorded: [{ startMs: T0, endMs: T0 + 10_000 }],
      layout: '2x2',
      canvas,
      format: 'mp4',
    });
    assert.deepEqual(plan.inputs, ['/r/a-video.webm', '/r/b-video.webm', '/r/a-audio.webm', '/r/b-audio.webm']);
    assert.equal(plan.outputMs, 10_000);
    assert.match(plan.filter, /color=c=black:s=1280x720:r=25:d=10\.000\[base\]/);
    assert.match(plan.filter, /\[1:v\]setpts=PTS-STARTPTS\+3\.000\/TB,fps=25:start_time=0/);
    assert.match(plan.filter, /overlay=x=640:y=0:eof_action=pass:enable='gte\(t,3\.000\)\*lt\(t,7\.000\)'/);
    assert.match(plan.filter, /\[3:a\]asetpts=PTS-STARTPTS\+3\.000\/TB,aresample=async=1:first_pts=0/);
    assert.match(plan.filter, /amix=inputs=3:normalize=0:duration=first\[a\]/);
    assert.doesNotMatch(plan.filter, /select/);
  });

  test('a layout change scales a track once per rectangle; pauses and gaps between recordings are cut', () => {
    const plan = planComposition({
      tracks: [track('a', 'video', 0, 20), track('b', 'video', 5, 20)],
      recorded: [
        { startMs: T0, endMs: T0 + 8_000 },
        { startMs: T0 + 10_000, endMs: T0 + 20_000 },
      ],
      layout: 'grid-responsive',
      canvas,
      format: 'mp4',
    });
    assert.equal(plan.timelineMs, 20_000);
    assert.equal(plan.outputMs, 18_000);
    assert.match(plan.filter, /\[0:v\].*split=2\[s0_0\]\[s0_1\]/);
    assert.match(plan.filter, /\[s0_0\]scale=1280:720/);
    assert.match(plan.filter, /\[s0_1\]scale=640:720/);
    assert.match(plan.filter, /select='not\(gte\(t,8\.000\)\*lt\(t,10\.000\)\)',setpts=N\/FRAME_RATE\/TB\[v\]/);
    assert.match(plan.filter, /aselect='not\(gte\(t,8\.000\)\*lt\(t,10\.000\)\)',asetpts=N\/SR\/TB\[a\]/);
  });

  test('m4a has no video graph; a video never on the canvas is not an input', () => {
    const plan = planComposition({
      tracks: [track('a', 'video', 0, 4), track('a', 'audio', 0, 4)],
      recorded: [{ startMs: T0, endMs: T0 + 4_000 }],
      layout: 'grid-responsive',
      canvas,
      format: 'm4a',
    });
    assert.deepEqual(plan.inputs, ['/r/a-audio.webm']);
    assert.doesNotMatch(plan.filter, /overlay|color=/);
    const full = planComposition({
      tracks: [track('a', 'video', 0, 4), track('b', 'video', 0, 4)],
      recorded: [{ startMs: T0, endMs: T0 + 4_000 }],
      layout: 'full-screen',
      canvas,
      format: 'mp4',
    });
    assert.deepEqual(full.inputs, ['/r/a-video.webm']);
  });
});
