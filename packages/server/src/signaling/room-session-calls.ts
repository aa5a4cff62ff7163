/**
 * @module The reference RoomSession calls over signaling (moderation, levels, metadata, layouts,
 * chat, egress): each is applied to the caller's room session once its permissions were checked.
 */
import {
  AtriumError,
  ErrorCode,
  hasPermission,
  type Permission,
  type SignalMethod,
  type SignalParams,
  type SignalResult,
} from '@atrium/protocol';
import type { RoomSession } from '../rtc/room-session.js';
import type { RecordingManager } from '../service/recording-manager.js';
import type { LiveManager } from '../service/live-manager.js';
import type { PlaybackManager } from '../service/playback-manager.js';

export interface CallContext {
  session: RoomSession;
  recordings: RecordingManager;
  live: LiveManager;
  playbacks: PlaybackManager;
  /** The caller's endpoint id. */
  self: string;
  permissions: readonly Permission[];
  /** Runs after the reply is sent (removeAllMembers ends the caller's session too). */
  afterReply(action: () => void): void;
}

type Params<M extends SignalMethod> = SignalParams<M>;
const done = {} as const;

/** Room-session methods this module handles. */
export const roomSessionCallNames = new Set<SignalMethod>([
  'member.audioMute',
  'member.audioUnmute',
  'member.videoMute',
  'member.videoUnmute',
  'member.deaf',
  'member.undeaf',
  'member.setInputVolume',
  'member.setOutputVolume',
  'member.setInputSensitivity',
  'member.setPosition',
  'member.remove',
  'member.setMeta',
  'member.updateMeta',
  'member.deleteMeta',
  'member.getMeta',
  'room.getMembers',
  'room.removeAllMembers',
  'room.setMeta',
  'room.updateMeta',
  'room.deleteMeta',
  'room.getMeta',
  'room.getLayouts',
  'room.setLayout',
  'room.setPositions',
  'room.setHideVideoMuted',
  'room.lock',
  'room.unlock',
  'chat.send',
  'recording.start',
  'recording.list',
  'recording.stop',
  'recording.pause',
  'recording.resume',
  'rtmp.start',
  'rtmp.list',
  'rtmp.stop',
  'playback.start',
  'playback.list',
  'playback.stop',
  'playback.pause',
  'playback.resume',
  'playback.seek',
  'playback.setVolume',
]);

/** Applies one room-session call (already validated and permission-checked). */
export function handleRoomSessionCall<M extends SignalMethod>(method: M, rawParams: unknown, ctx: CallContext): SignalResult<M> {
  return handle(method, rawParams, ctx) as SignalResult<M>;
}

function handle(method: SignalMethod, raw: unknown, ctx: CallContext): unknown {
  const { session, self } = ctx;
  const target = (p: { memberId?: string | undefined } | undefined): string => p?.memberId ?? self;
  switch (method) {
    case 'member.audioMute':
    case 'member.audioUnmute':
    case 'member.videoMute':
    case 'member.videoUnmute': {
      const p = raw as Params<'member.audioMute'>;
      const kind = method.startsWith('member.audio') ? 'audio' : 'video';
      const muted = method.endsWith('Mute') && !method.endsWith('Unmute');
      session.setMemberMuted(target(p), kind, muted, {
        endpointId: self,
        mayLiftRoomMute: hasPermission(ctx.permissions, kind === 'audio' ? 'room.member.audio_unmute' : 'room.member.video_unmute'),
      });
      return done;
    }
    case 'member.deaf':
    case 'member.undeaf':
      session.setMemberDeaf(target(raw as Params<'member.deaf'>), method === 'member.deaf', { endpointId: self });
      return done;
    case 'member.setInputVolume': {
      const p = raw as Params<'member.setInputVolume'>;
      session.setMemberLevel(target(p), 'inputVolume', p.volume);
      return done;
    }
    case 'member.setOutputVolume': {
      const p = raw as Params<'member.setOutputVolume'>;
      session.setMemberLevel(target(p), 'outputVolume', p.volume);
      return done;
    }
    case 'member.setInputSensitivity': {
      const p = raw as Params<'member.setInputSensitivity'>;
      session.setMemberLevel(target(p), 'inputSensitivity', p.value);
      return done;
    }
    case 'member.setPosition': {
      const p = raw as Params<'member.setPosition'>;
      session.setMemberPosition(target(p), p.position);
      return done;
    }
    case 'member.remove': {
      const { memberId } = raw as Params<'member.remove'>;
      if (memberId === self) throw new AtriumError(ErrorCode.VALIDATION_FAILED, 'to remove yourself, leave the room');
      if (!session.getEndpoint(memberId)) throw new AtriumError(ErrorCode.ENDPOINT_NOT_FOUND, `no member "${memberId}" in this room session`);
      session.kick(memberId);
      return done;
    }
    case 'member.setMeta': {
      const p = raw as Params<'member.setMeta'>;
      session.changeMemberMeta(target(p), { set: p.meta });
      return done;
    }
    case 'member.updateMeta': {
      const p = raw as Params<'member.updateMeta'>;
      session.changeMemberMeta(target(p), { update: p.meta });
      return done;
    }
    case 'member.deleteMeta': {
      const p = raw as Params<'member.deleteMeta'>;
      session.changeMemberMeta(target(p), { delete: p.keys });
      return done;
    }
    case 'member.getMeta': {
      const memberId = target(raw as Params<'member.getMeta'>);
      if (!session.getEndpoint(memberId)) throw new AtriumError(ErrorCode.ENDPOINT_NOT_FOUND, `no member "${memberId}" in this room session`);
      return { meta: session.getMemberMeta(memberId) };
    }
    case 'room.getMembers':
      return { members: session.listMembers() };
    case 'room.removeAllMembers':
      // Reply first: ending the session closes the caller's socket too.
      ctx.afterReply(() => session.end('all-removed'));
      return done;
    case 'room.setMeta':
      session.changeRoomMeta({ set: (raw as Params<'room.setMeta'>).meta });
      return done;
    case 'room.updateMeta':
      session.changeRoomMeta({ update: (raw as Params<'room.updateMeta'>).meta });
      return done;
    case 'room.deleteMeta':
      session.changeRoomMeta({ delete: (raw as Params<'room.deleteMeta'>).keys });
      return done;
    case 'room.getMeta':
      return { meta: session.roomMeta };
    case 'room.getLayouts':
      return { layouts: session.listLayouts() };
    case 'room.setLayout': {
      const p = raw as Params<'room.setLayout'>;
      session.setLayout(p.name, p.positions, self);
      return done;
    }
    case 'room.setPositions':
      session.setPositions((raw as Params<'room.setPositions'>).positions, self);
      return done;
    case 'room.setHideVideoMuted':
      session.setHideVideoMuted((raw as Params<'room.setHideVideoMuted'>).value);
      return done;
    case 'room.lock':
    case 'room.unlock':
      session.setLocked(method === 'room.lock');
      return done;
    case 'chat.send': {
      const p = raw as Params<'chat.send'>;
      return session.sendChat(self, p.content, p.to);
    }
    case 'recording.start':
    case 'recording.list':
    case 'recording.stop':
    case 'recording.pause':
    case 'recording.resume':
      return recordingCall(method, raw, ctx);
    case 'rtmp.start':
      return ctx.live.startRtmp(session.id, (raw as Params<'rtmp.start'>).url);
    case 'rtmp.list':
      return { streams: ctx.live.list(session.id, 'rtmp') };
    case 'rtmp.stop':
      return ctx.live.stop(session.id, (raw as Params<'rtmp.stop'>).streamId);
    case 'playback.start':
    case 'playback.list':
    case 'playback.stop':
    case 'playback.pause':
    case 'playback.resume':
    case 'playback.seek':
    case 'playback.setVolume':
      return playbackCall(method, raw, ctx);
    default:
      throw new AtriumError(ErrorCode.METHOD_NOT_ALLOWED, `unknown method "${method}"`);
  }
}

/** The SDK's recording calls: recordings of the caller's own room session only. */
async function recordingCall(method: SignalMethod, raw: unknown, { session, recordings }: CallContext): Promise<unknown> {
  if (method === 'recording.start') return recordings.start(session.id);
  if (method === 'recording.list') return { recordings: (await recordings.list({ sessionId: session.id, limit: 100 })).data };
  const { recordingId } = raw as Params<'recording.stop'>;
  const recording = await recordings.get(recordingId);
  if (recording.sessionId !== session.id) {
    throw new AtriumError(ErrorCode.RECORDING_NOT_FOUND, `no recording "${recordingId}" in this room session`);
  }
  if (method === 'recording.stop') return recordings.stop(recordingId);
  return recordings.setPaused(recordingId, method === 'recording.pause');
}

/** The SDK's playback calls: playbacks of the caller's own room session only. */
async function playbackCall(method: SignalMethod, raw: unknown, { session, self, playbacks }: CallContext): Promise<unknown> {
  if (method === 'playback.start') return playbacks.start(session, self, raw as Params<'playback.start'>);
  if (method === 'playback.list') return { playbacks: playbacks.list(session.id) };
  const { playbackId } = raw as Params<'playback.stop'>;
  switch (method) {
    case 'playback.pause':
      return playbacks.pause(session.id, playbackId);
    case 'playback.resume':
      return playbacks.resume(session.id, playbackId);
    case 'playback.seek':
      return playbacks.seek(session.id, playbackId, (raw as Params<'playback.seek'>).position);
    case 'playback.setVolume':
      return playbacks.setVolume(session.id, playbackId, (raw as Params<'playback.setVolume'>).volume);
    default:
      return playbacks.stop(session.id, playbackId);
  }
}
