/**
 * @module Which permission each signaling call needs (the reference's names): a self variant when
 * a call affects the caller, a member variant when it names another member. The server checks
 * every call here before anything changes; a call without its permission is PERMISSION_DENIED.
 */
import { AtriumError, ErrorCode, hasPermission, type Permission, type SignalMethod } from '@atrium/protocol';

/** Self and member variants of a call that may target another member. */
type TargetRule = { self: Permission[]; member: Permission[] };
/** Every permission listed is needed; an inner array means any one of them. */
type Requirement = Array<Permission | Permission[]>;

const targetRules: Partial<Record<SignalMethod, TargetRule>> = {
  'member.audioMute': { self: ['room.self.audio_mute'], member: ['room.member.audio_mute'] },
  'member.audioUnmute': { self: ['room.self.audio_unmute'], member: ['room.member.audio_unmute'] },
  'member.videoMute': { self: ['room.self.video_mute'], member: ['room.member.video_mute'] },
  'member.videoUnmute': { self: ['room.self.video_unmute'], member: ['room.member.video_unmute'] },
  'member.deaf': { self: ['room.self.deaf'], member: ['room.member.deaf'] },
  'member.setInputVolume': { self: ['room.self.set_input_volume'], member: ['room.member.set_input_volume'] },
  'member.setOutputVolume': { self: ['room.self.set_output_volume'], member: ['room.member.set_output_volume'] },
  'member.setInputSensitivity': { self: ['room.self.set_input_sensitivity'], member: ['room.member.set_input_sensitivity'] },
  'member.setPosition': { self: ['room.self.set_position'], member: ['room.member.set_position'] },
  'member.setMeta': { self: ['room.self.set_meta'], member: ['room.member.set_meta'] },
  'member.updateMeta': { self: ['room.self.set_meta'], member: ['room.member.set_meta'] },
  'member.deleteMeta': { self: ['room.self.set_meta'], member: ['room.member.set_meta'] },
};

/** Calls that need the same permissions whoever they affect. */
const fixedRules: Partial<Record<SignalMethod, Requirement>> = {
  'member.remove': ['room.member.remove'],
  'room.removeAllMembers': ['room.member.remove'],
  'room.setMeta': ['room.set_meta'],
  'room.updateMeta': ['room.set_meta'],
  'room.deleteMeta': ['room.set_meta'],
  'room.getLayouts': ['room.list_available_layouts'],
  'room.setPositions': ['room.set_position'],
  'room.lock': ['room.lock'],
  'room.unlock': ['room.unlock'],
  'recording.start': ['room.recording'],
  'recording.list': ['room.recording'],
  'recording.stop': ['room.recording'],
  'recording.pause': ['room.recording'],
  'recording.resume': ['room.recording'],
  'rtmp.start': ['room.stream.start'],
  'rtmp.list': ['room.stream'],
  /** The permission that starts a stream may stop it (`room.stream` covers it). */
  'rtmp.stop': ['room.stream.start'],
  'playback.start': ['room.playback'],
  'playback.list': ['room.playback'],
  'playback.stop': ['room.playback'],
  'playback.pause': ['room.playback'],
  'playback.resume': ['room.playback'],
  'playback.setVolume': ['room.playback'],
  'playback.seek': ['room.playback_seek'],
};

/**
 * The permissions `method` with `params` needs from caller `selfId`. Calls absent from the rules
 * (join, publish's first stream, subscribe, reads such as getMembers, chat) need none: being in the
 * room is enough; chat is governed by the room's `enableChat`.
 */
export function requiredPermissions(
  method: SignalMethod,
  params: unknown,
  selfId: string,
  context: { publishedTags: readonly string[] },
): Requirement {
  const p = (typeof params === 'object' && params !== null ? params : {}) as Record<string, unknown>;
  const memberId = typeof p.memberId === 'string' ? p.memberId : undefined;
  const isSelf = memberId === undefined || memberId === selfId;
  const target = targetRules[method];
  if (target) return isSelf ? target.self : target.member;
  switch (method) {
    // The reference lets `room.*.deaf` undo itself; our `room.*.undeaf` names work too.
    case 'member.undeaf':
      return isSelf ? [['room.self.undeaf', 'room.self.deaf']] : [['room.member.undeaf', 'room.member.deaf']];
    case 'room.setLayout':
      return p.positions === undefined ? ['room.set_layout'] : ['room.set_layout', 'room.set_position'];
    case 'room.setHideVideoMuted':
      return [p.value === false ? 'room.show_video_muted' : 'room.hide_video_muted'];
    case 'track.setMuted': {
      const kind = p.kind === 'video' ? 'video' : 'audio';
      return [p.muted === false ? `room.self.${kind}_unmute` : `room.self.${kind}_mute`];
    }
    case 'publish': {
      const tag = typeof p.tag === 'string' ? p.tag : '';
      // Screens need `screenshare`; any stream beyond the first needs `additional_source`.
      if (/^screen(-|$)/.test(tag)) return ['room.self.screenshare'];
      return context.publishedTags.length > 0 ? ['room.self.additional_source'] : [];
    }
    default:
      return fixedRules[method] ?? [];
  }
}

/** Throws PERMISSION_DENIED naming the first missing permission. */
export function checkPermissions(granted: readonly string[], needed: Requirement, method: string): void {
  for (const requirement of needed) {
    const anyOf = Array.isArray(requirement) ? requirement : [requirement];
    if (!anyOf.some((permission) => hasPermission(granted, permission))) {
      throw new AtriumError(ErrorCode.PERMISSION_DENIED, `${method} needs the permission ${anyOf.join(' or ')}`, {
        permission: anyOf[0],
      });
    }
  }
}
