/**
 * @module The room-level state of a live room session beyond its endpoints (the reference's room
 * entity: layout, positions, lock, hide-video-muted, metadata, chat), and the metadata rules shared
 * by rooms and members (replace / merge / delete, 16 KiB of JSON at most).
 */
import {
  AtriumError,
  ErrorCode,
  MAX_CHAT_MESSAGE_BYTES,
  MAX_META_BYTES,
  jsonByteLength,
  type Meta,
  type RoomState,
  type VideoPosition,
} from '@atrium/protocol';

/** A metadata change: replace it all, merge keys in, or delete keys. */
export type MetaChange = { set: Meta } | { update: Meta } | { delete: string[] };

export class RoomSettings {
  layoutName: string;
  /** Member id → assigned position (absent means `auto`); kept when the member leaves, for its return. */
  readonly positions = new Map<string, VideoPosition>();
  locked = false;
  hideVideoMuted = false;
  /** Set by egress once it is wired. */
  recording = false;
  streaming = false;
  readonly chatEnabled: boolean;
  meta: Meta = {};

  constructor(options: { layout?: string | undefined; enableChat?: boolean | undefined }) {
    this.layoutName = options.layout ?? 'grid-responsive';
    this.chatEnabled = options.enableChat ?? true;
  }

  /** The reference's room fields. */
  toState(room: { roomId: string; sessionId: string; name: string }): RoomState {
    return {
      room_id: room.roomId,
      room_session_id: room.sessionId,
      name: room.name,
      event_channel: `room.${room.sessionId}`,
      layout_name: this.layoutName,
      positions: Object.fromEntries(this.positions),
      locked: this.locked,
      hide_video_muted: this.hideVideoMuted,
      recording: this.recording,
      streaming: this.streaming,
      logos_visible: false,
      blind_mode: false,
      silent_mode: false,
      meeting_mode: false,
      chat_enabled: this.chatEnabled,
      meta: this.meta,
    };
  }
}

/** The metadata after `change`; META_TOO_LARGE when it would exceed 16 KiB of JSON. */
export function applyMetaChange(current: Meta, change: MetaChange, what: 'room' | 'member'): Meta {
  let next: Meta;
  if ('set' in change) next = { ...change.set };
  else if ('update' in change) next = { ...current, ...change.update };
  else {
    next = { ...current };
    for (const key of change.delete) delete next[key];
  }
  const size = jsonByteLength(next);
  if (size > MAX_META_BYTES) {
    throw new AtriumError(ErrorCode.META_TOO_LARGE, `${what} metadata may have at most ${MAX_META_BYTES} bytes of JSON (it would have ${size})`);
  }
  return next;
}

/** Refuses chat when the room disables it or the message is over 4 KiB. */
export function checkChatMessage(settings: RoomSettings, content: string | Record<string, unknown>): void {
  if (!settings.chatEnabled) throw new AtriumError(ErrorCode.CHAT_DISABLED, 'chat is disabled in this room');
  const size = typeof content === 'string' ? new TextEncoder().encode(content).length : jsonByteLength(content);
  if (size > MAX_CHAT_MESSAGE_BYTES) {
    throw new AtriumError(ErrorCode.MESSAGE_TOO_LARGE, `a chat message may have at most ${MAX_CHAT_MESSAGE_BYTES} bytes (this one has ${size})`);
  }
}
