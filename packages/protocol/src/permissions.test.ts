/**
 * @module Tests for permission names: the reference documents' names, aliases, the guest and
 * moderator sets, and how a broader permission covers a narrower one.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  GUEST_PERMISSIONS,
  MODERATOR_PERMISSIONS,
  hasPermission,
  normalizePermissions,
  permissionInputSchema,
  permissionNames,
  permissionSchema,
} from './permissions.js';

describe('permissions', () => {
  test('every name the reference RoomSession methods require is known', () => {
    const fromReference = [
      'room.self.audio_mute', 'room.self.audio_unmute', 'room.self.video_mute', 'room.self.video_unmute',
      'room.self.deaf', 'room.self.undeaf', 'room.self.set_input_volume', 'room.self.set_output_volume',
      'room.self.set_input_sensitivity', 'room.self.set_meta', 'room.self.set_position', 'room.self.screenshare',
      'room.self.additional_source', 'room.member.audio_mute', 'room.member.audio_unmute', 'room.member.video_mute',
      'room.member.deaf', 'room.member.set_input_volume', 'room.member.set_output_volume',
      'room.member.set_input_sensitivity', 'room.member.set_meta', 'room.member.set_position', 'room.member.remove',
      'room.set_meta', 'room.list_available_layouts', 'room.set_layout', 'room.set_position', 'room.hide_video_muted',
      'room.show_video_muted', 'room.recording', 'room.playback', 'room.stream', 'room.stream.start',
    ];
    for (const name of fromReference) assert.ok(permissionSchema.safeParse(name).success, name);
    assert.equal(new Set(permissionNames).size, permissionNames.length, 'no duplicates');
  });

  test('aliases from the guide read as canonical names; unknown names are refused', () => {
    assert.equal(permissionInputSchema.parse('room.screen_share'), 'room.self.screenshare');
    assert.equal(permissionInputSchema.parse('room.layout_change'), 'room.set_layout');
    assert.equal(permissionInputSchema.parse('room.recording'), 'room.recording');
    assert.ok(!permissionInputSchema.safeParse('room.self').success);
    assert.ok(!permissionInputSchema.safeParse('room.recording ').success);
    assert.ok(!permissionSchema.safeParse('room.screen_share').success, 'aliases never reach the claims');
  });

  test('a guest controls only itself and can list layouts', () => {
    for (const p of GUEST_PERMISSIONS) {
      assert.ok(p.startsWith('room.self.') || p === 'room.list_available_layouts', p);
    }
    assert.ok(GUEST_PERMISSIONS.includes('room.self.audio_mute'));
    assert.ok(!GUEST_PERMISSIONS.includes('room.member.remove'));
    assert.ok(!GUEST_PERMISSIONS.includes('room.recording'));
  });

  test('a moderator has every permission', () => {
    assert.deepEqual([...MODERATOR_PERMISSIONS].sort(), [...permissionNames].sort());
  });

  test('hasPermission: exact names, and room.stream covers room.stream.start but not the reverse', () => {
    assert.ok(hasPermission(['room.recording'], 'room.recording'));
    assert.ok(!hasPermission(['room.recording'], 'room.playback'));
    assert.ok(hasPermission(['room.stream'], 'room.stream.start'));
    assert.ok(!hasPermission(['room.stream.start'], 'room.stream'));
    assert.ok(!hasPermission(['room.playback'], 'room.playback_seek'), 'a shared prefix is not a parent');
    assert.ok(!hasPermission([], 'room.self.audio_mute'));
  });

  test('normalizePermissions sorts and removes duplicates', () => {
    assert.deepEqual(normalizePermissions(['room.set_layout', 'room.recording', 'room.set_layout']), ['room.recording', 'room.set_layout']);
  });
});
