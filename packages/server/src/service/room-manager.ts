/**
 * @module Room use cases: create and read rooms, mint access tokens, and admit endpoints into a
 * room's live session. The one place that combines the store, auth and rtc.
 */
import { randomUUID } from 'node:crypto';
import {
  AtriumError,
  ErrorCode,
  UUID_PATTERN,
  normalizeRoomWebhook,
  type CreateAccessTokenBody,
  type CreateRoomBody,
  type Room,
} from '@atrium/protocol';
import type { AccessTokens } from '../auth/access-tokens.js';
import type { EndpointConnection, Endpoint } from '../rtc/endpoint.js';
import type { RoomSession } from '../rtc/room-session.js';
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
  private readonly tokens: AccessTokens;
  private readonly sessions: RoomSessions;

  constructor(deps: { store: Store; tokens: AccessTokens; sessions: RoomSessions }) {
    this.store = deps.store;
    this.tokens = deps.tokens;
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

  async issueAccessToken(
    endpointId: string,
    body: CreateAccessTokenBody,
  ): Promise<{ token: string; expiresAt: string }> {
    const room = await this.getRoom(body.roomId);
    const issued = await this.tokens.issue({
      roomId: room.id,
      endpointId,
      name: body.name ?? endpointId,
      ttlSeconds: body.ttlSeconds,
    });
    return { token: issued.token, expiresAt: issued.expiresAt.toISOString() };
  }

  /**
   * Verifies an access token for `roomId` and adds its endpoint to the room's live session,
   * opening the session if this is the first join.
   */
  async join(
    roomId: string,
    token: string,
    connection: EndpointConnection,
  ): Promise<{ room: Room; session: RoomSession; endpoint: Endpoint }> {
    const claims = await this.tokens.verify(token);
    const room = await this.getRoom(roomId);
    if (claims.roomId !== room.id) {
      throw new AtriumError(ErrorCode.TOKEN_INVALID, 'the access token is for another room');
    }
    const session = this.sessions.open({
      roomId: room.id,
      title: room.title,
      maxEndpoints: room.maxEndpoints,
      emptyTimeoutSeconds: room.timeout,
      maxDurationSeconds: room.maxDuration,
    });
    const endpoint = session.join({ id: claims.endpoint.id, name: claims.endpoint.name }, connection);
    return { room, session, endpoint };
  }
}
