/**
 * @module Room use cases: create, read, change, list and delete rooms.
 */
import { randomUUID } from 'node:crypto';
import {
  AtriumError,
  ErrorCode,
  UUID_PATTERN,
  normalizeRoomWebhook,
  type CreateRoomBody,
  type ListRoomsQuery,
  type Room,
  type UpdateRoomBody,
} from '@atrium/protocol';
import type { RoomSessions } from '../rtc/room-sessions.js';
import type { RoomRecord } from '../store/room-repository.js';
import { StoreConflictError, type Store } from '../store/store.js';

export function toRoom(record: RoomRecord): Room {
  const { deactivatedAt, ...fields } = record;
  return {
    ...fields,
    autoStartConfig: record.autoStartConfig as Room['autoStartConfig'],
    deactivated: deactivatedAt !== null,
    links: { self: `/api/v1/rooms/${record.id}`, sessions: `/api/v1/sessions?roomId=${record.id}` },
  };
}

export class RoomManager {
  private readonly store: Store;
  private readonly sessions: RoomSessions;

  constructor(deps: { store: Store; sessions: RoomSessions }) {
    this.store = deps.store;
    this.sessions = deps.sessions;
  }

  async createRoom(body: CreateRoomBody): Promise<Room> {
    const now = new Date().toISOString();
    const record: RoomRecord = {
      ...body,
      id: randomUUID(),
      webhook: normalizeRoomWebhook(body.webhook),
      deactivatedAt: null,
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.store.rooms.insert(record);
    } catch (error) {
      if (error instanceof StoreConflictError) {
        throw new AtriumError(ErrorCode.ROOM_EXISTS, 'a room with this customRoomId or name exists');
      }
      throw error;
    }
    return toRoom(record);
  }

  /** Finds a room by its UUID or by the customer's `customRoomId`. */
  async getRoom(idOrCustomId: string): Promise<Room> {
    const record = UUID_PATTERN.test(idOrCustomId)
      ? await this.store.rooms.get(idOrCustomId.toLowerCase())
      : await this.store.rooms.getByCustomId(idOrCustomId);
    if (!record) throw new AtriumError(ErrorCode.ROOM_NOT_FOUND, `room "${idOrCustomId}" does not exist`);
    return toRoom(record);
  }

  async updateRoom(idOrCustomId: string, body: UpdateRoomBody): Promise<Room> {
    const room = await this.getRoom(idOrCustomId);
    const { webhook, ...fields } = body;
    const changes: Partial<RoomRecord> = { ...fields, updatedAt: new Date().toISOString() };
    if (webhook !== undefined) changes.webhook = normalizeRoomWebhook(webhook);
    try {
      const updated = await this.store.rooms.update(room.id, changes);
      if (!updated) throw new AtriumError(ErrorCode.ROOM_NOT_FOUND, `room "${idOrCustomId}" does not exist`);
      return toRoom(updated);
    } catch (error) {
      if (error instanceof StoreConflictError) {
        throw new AtriumError(ErrorCode.ROOM_EXISTS, 'a room with this customRoomId or name exists');
      }
      throw error;
    }
  }

  /** Deletes a room and its history. End its live session first (SessionManager). */
  async deleteRoom(roomId: string): Promise<void> {
    if (!(await this.store.rooms.delete(roomId))) throw new AtriumError(ErrorCode.ROOM_NOT_FOUND, `room "${roomId}" does not exist`);
  }

  async listRooms(query: ListRoomsQuery): Promise<{ data: Room[]; nextCursor: string | null }> {
    const page = await this.store.rooms.list(query);
    return { data: page.data.map(toRoom), nextCursor: page.nextCursor };
  }
}
