/**
 * @module Tests for the room-state schemas: positions, levels, the reference's event payloads and
 * the byte counting behind the metadata and chat limits.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  MAX_META_BYTES,
  jsonByteLength,
  memberUpdatedEventSchema,
  roomUpdatedEventSchema,
  sensitivitySchema,
  volumeSchema,
} from './room-state.js';
import { videoPositionSchema, videoPositionsSchema } from './layouts/types.js';
import { signalMethods } from './signaling.js';

describe('room state schemas', () => {
  test('positions: auto, off-canvas, reserved-n, standard-n; self or member ids as keys', () => {
    for (const p of ['auto', 'off-canvas', 'reserved-1', 'standard-12']) assert.equal(videoPositionSchema.safeParse(p).success, true, p);
    for (const p of ['middle', 'reserved-', 'reserved-x', 'standard-1-2', '']) assert.equal(videoPositionSchema.safeParse(p).success, false, p);
    assert.equal(videoPositionsSchema.safeParse({ self: 'reserved-1', 'bob@x': 'auto' }).success, true);
    assert.equal(videoPositionsSchema.safeParse({ 'a b': 'auto' }).success, false);
  });

  test('volumes are -50..50 and sensitivity 0..100', () => {
    assert.equal(volumeSchema.safeParse(-50).success, true);
    assert.equal(volumeSchema.safeParse(50.5).success, false);
    assert.equal(sensitivitySchema.safeParse(0).success, true);
    assert.equal(sensitivitySchema.safeParse(101).success, false);
  });

  test('member.updated and room.updated accept the reference examples', () => {
    const member = memberUpdatedEventSchema.parse({
      room_session_id: '35e85417-09cf-4b07-8f21-d3c16809e5a8',
      room_id: 'aae25822-892c-4832-b0b3-34aac3a0e8d1',
      member: {
        updated: ['visible', 'video_muted'],
        room_session_id: '35e85417-09cf-4b07-8f21-d3c16809e5a8',
        visible: false,
        video_muted: true,
        id: '4a829c9f-812c-49d7-b272-e3077213c55e',
        room_id: 'aae25822-892c-4832-b0b3-34aac3a0e8d1',
        type: 'member',
      },
    });
    assert.deepEqual(member.member.updated, ['visible', 'video_muted']);
    const room = roomUpdatedEventSchema.parse({
      room_session_id: 'fc695445-7f93-4597-b705-c0db6c21096a',
      room_id: 'aae25822-892c-4832-b0b3-34aac3a0e8d1',
      room: { updated: ['hide_video_muted'], room_session_id: 'fc695445', room_id: 'aae25822', hide_video_muted: true },
    });
    assert.equal(room.room.hide_video_muted, true);
    assert.equal(memberUpdatedEventSchema.safeParse({ room_session_id: 'a', room_id: 'b', member: { id: 'x', type: 'member', room_id: 'b', room_session_id: 'a', updated: ['colour'] } }).success, false);
  });

  test('metadata size is counted in UTF-8 bytes of JSON', () => {
    assert.equal(jsonByteLength({}), 2);
    assert.equal(jsonByteLength({ a: 'é' }), 10);
    assert.ok(jsonByteLength({ blob: 'x'.repeat(MAX_META_BYTES) }) > MAX_META_BYTES);
  });

  test('room-session methods validate their params', () => {
    assert.equal(signalMethods['member.setInputVolume'].params.safeParse({ volume: 10 }).success, true);
    assert.equal(signalMethods['member.setInputVolume'].params.safeParse({ volume: '10' }).success, false);
    assert.equal(signalMethods['room.setLayout'].params.safeParse({ name: '6x6' }).success, true);
    assert.equal(signalMethods['room.setLayout'].params.safeParse({ name: '7x7' }).success, false);
    assert.equal(signalMethods['member.deleteMeta'].params.safeParse({ keys: [] }).success, false);
    assert.equal(signalMethods['chat.send'].params.safeParse({ content: '' }).success, false);
    assert.equal(signalMethods['chat.send'].params.safeParse({ content: { a: 1 }, to: 'bob' }).success, true);
  });
});
