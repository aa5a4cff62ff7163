/**
 * @module The live room sessions of this node, one per room at a time: opened at the first join,
 * removed when they end.
 */
import type { Sfu } from '../sfu/sfu.js';
import { RoomSession, type RoomSessionOptions, type SessionEndReason } from './room-session.js';

export class RoomSessions {
  private readonly sfu: Sfu;
  private readonly byRoom = new Map<string, RoomSession>();

  constructor(sfu: Sfu) {
    this.sfu = sfu;
  }

  get(roomId: string): RoomSession | undefined {
    return this.byRoom.get(roomId);
  }

  /** The room's live session, or a new one with these options. */
  open(options: RoomSessionOptions): RoomSession {
    const existing = this.byRoom.get(options.roomId);
    if (existing && !existing.ended) return existing;
    const session = new RoomSession(options, this.sfu);
    this.byRoom.set(options.roomId, session);
    session.on('ended', () => {
      if (this.byRoom.get(options.roomId) === session) this.byRoom.delete(options.roomId);
    });
    return session;
  }

  list(): RoomSession[] {
    return [...this.byRoom.values()];
  }

  endAll(reason: SessionEndReason): void {
    for (const session of [...this.byRoom.values()]) session.end(reason);
  }
}
