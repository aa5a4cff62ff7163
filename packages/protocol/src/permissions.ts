/**
 * @module Endpoint permissions: the names an access token grants (the reference documents' room
 * token permissions), the guest default, and the moderator set (all of them).
 */
import { z } from 'zod';

/** Every permission an access token can carry. */
export const permissionNames = [
  // Oneself: microphone, camera, hearing, levels.
  'room.self.audio_mute',
  'room.self.audio_unmute',
  'room.self.video_mute',
  'room.self.video_unmute',
  'room.self.deaf',
  'room.self.undeaf',
  'room.self.set_input_volume',
  'room.self.set_output_volume',
  'room.self.set_input_sensitivity',
  'room.self.set_meta',
  'room.self.set_position',
  /** Share a screen (a `screen` stream). */
  'room.self.screenshare',
  /** Publish more cameras or microphones (further streams). */
  'room.self.additional_source',
  // Another endpoint ("member").
  'room.member.audio_mute',
  'room.member.audio_unmute',
  'room.member.video_mute',
  'room.member.video_unmute',
  'room.member.deaf',
  'room.member.undeaf',
  'room.member.set_input_volume',
  'room.member.set_output_volume',
  'room.member.set_input_sensitivity',
  'room.member.set_meta',
  'room.member.set_position',
  'room.member.remove',
  // The room session.
  'room.set_meta',
  'room.list_available_layouts',
  'room.set_layout',
  'room.set_position',
  'room.hide_video_muted',
  'room.show_video_muted',
  'room.lock',
  'room.unlock',
  'room.recording',
  'room.playback',
  'room.playback_seek',
  /** Start and stop RTMP streams; grants `room.stream.start` too. */
  'room.stream',
  /** Start RTMP streams only. */
  'room.stream.start',
] as const;

export type Permission = (typeof permissionNames)[number];

/** Other spellings found in the reference documents, mapped to the canonical permission. */
export const permissionAliases: Readonly<Record<string, Permission>> = {
  'room.screen_share': 'room.self.screenshare',
  'room.layout_change': 'room.set_layout',
};

export const permissionSchema = z.enum(permissionNames);

/** A permission as a client may send it: a canonical name or an alias, read as the canonical name. */
export const permissionInputSchema = z
  .enum([...permissionNames, ...(Object.keys(permissionAliases) as ['room.screen_share', 'room.layout_change'])])
  .transform((name): Permission => permissionAliases[name] ?? (name as Permission));

/** What an ordinary participant expects: control of their own microphone, camera, hearing,
 * levels, metadata and position, and seeing which layouts exist. */
export const GUEST_PERMISSIONS: readonly Permission[] = [
  'room.self.audio_mute',
  'room.self.audio_unmute',
  'room.self.video_mute',
  'room.self.video_unmute',
  'room.self.deaf',
  'room.self.undeaf',
  'room.self.set_input_volume',
  'room.self.set_output_volume',
  'room.self.set_input_sensitivity',
  'room.self.set_meta',
  'room.self.set_position',
  'room.list_available_layouts',
];

/** A moderator may do everything. */
export const MODERATOR_PERMISSIONS: readonly Permission[] = permissionNames;

/**
 * True when `granted` allows `needed`: the permission itself, or a broader one it belongs to
 * (`room.stream` allows `room.stream.start`).
 */
export function hasPermission(granted: readonly string[], needed: Permission): boolean {
  return granted.some((p) => p === needed || needed.startsWith(`${p}.`));
}

/** Sorted, without duplicates: the form stored in tokens. */
export function normalizePermissions(permissions: readonly Permission[]): Permission[] {
  return [...new Set(permissions)].sort();
}
