/**
 * @module The room session an API call names: stored (SESSION_NOT_FOUND otherwise) and, for calls
 * that act on it, still live on this node (SESSION_ENDED otherwise).
 */
import { AtriumError, ErrorCode } from '@atrium/protocol';
import type { RoomSession } from '../rtc/room-session.js';
import type { RoomSessions } from '../rtc/room-sessions.js';
import type { SessionRecord } from '../store/session-repository.js';
import type { Store } from '../store/store.js';

export async function requireSessionRecord(store: Store, sessionId: string): Promise<SessionRecord> {
  const record = await store.sessions.getSession(sessionId);
  if (!record) throw new AtriumError(ErrorCode.SESSION_NOT_FOUND, `room session "${sessionId}" does not exist`);
  return record;
}

export async function requireLiveSession(store: Store, live: RoomSessions, sessionId: string): Promise<RoomSession> {
  const record = await requireSessionRecord(store, sessionId);
  const session = live.get(record.roomId);
  if (record.endedAt !== null || !session || session.id !== sessionId || session.ended) {
    throw new AtriumError(ErrorCode.SESSION_ENDED, `room session "${sessionId}" has ended`);
  }
  return session;
}
