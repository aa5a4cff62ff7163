/**
 * @module The room session's state as this client knows it: every member (this one included) and
 * the room's fields, kept current from the server's `member.*` and `room.updated` notifications.
 */
import type {
  MemberJoinedEvent,
  MemberLeftEvent,
  MemberState,
  MemberTalkingEvent,
  MemberUpdatedEvent,
  RoomJoinedEvent,
  RoomState,
  RoomUpdatedEvent,
} from '@atrium/protocol';

export class MemberList {
  private readonly byId = new Map<string, MemberState>();
  private room_: RoomState;

  constructor(joined: RoomJoinedEvent) {
    const { members, ...room } = joined.room_session;
    this.room_ = room;
    for (const member of members) this.byId.set(member.id, member);
  }

  /** Every member, in join order. */
  get members(): MemberState[] {
    return [...this.byId.values()];
  }

  get room(): RoomState {
    return this.room_;
  }

  get(id: string): MemberState | undefined {
    return this.byId.get(id);
  }

  joined(event: MemberJoinedEvent): void {
    this.byId.set(event.member.id, event.member);
  }

  left(event: MemberLeftEvent): MemberState | undefined {
    const member = this.byId.get(event.member.id);
    this.byId.delete(event.member.id);
    return member;
  }

  /** Applies the changed fields; returns the member's new state. */
  updated(event: MemberUpdatedEvent): MemberState | undefined {
    const current = this.byId.get(event.member.id);
    if (!current) return undefined;
    const next: MemberState = { ...current };
    for (const field of event.member.updated) {
      const value = event.member[field];
      if (value !== undefined) Object.assign(next, { [field]: value });
    }
    this.byId.set(next.id, next);
    return next;
  }

  talking(event: MemberTalkingEvent): void {
    const current = this.byId.get(event.member.id);
    if (current) this.byId.set(current.id, { ...current, talking: event.member.talking });
  }

  roomUpdated(event: RoomUpdatedEvent): void {
    const next: RoomState = { ...this.room_ };
    for (const field of event.room.updated) {
      const value = event.room[field];
      if (value !== undefined) Object.assign(next, { [field]: value });
    }
    this.room_ = next;
  }
}
