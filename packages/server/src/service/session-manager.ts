/**
 * @module Room session use cases: admitting endpoints (opening the live session at the first
 * join), recording sessions and stays as history, ending sessions for every reason, moderating
 * from REST (end, mute, unmute, kick), and closing what a crash left open. Each state change is
 * stored with its webhook events in one transaction; one session's writes happen in order.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import {
  AtriumError,
  ErrorCode,
  type LeaveReason,
  type Permission,
  type Room,
  type Session,
  type SessionEndpoint,
  type StreamInfo,
  type TrackKind,
} from '@atrium/protocol';
import type { AccessTokens } from '../auth/access-tokens.js';
import type { Endpoint, EndpointConnection } from '../rtc/endpoint.js';
import type { RoomSession, SessionEndReason } from '../rtc/room-session.js';
import type { RoomSessions } from '../rtc/room-sessions.js';
import type { EndpointListFilter, SessionEndpointRecord, SessionListFilter, SessionRecord } from '../store/session-repository.js';
import type { Store } from '../store/store.js';
import type { RoomManager } from './room-manager.js';
import { requireLiveSession, requireSessionRecord } from './live-session.js';

/** Which live endpoints a session-wide action applies to. */
export interface EndpointSelection {
  /** Only these endpoints (ids); all when omitted. */
  endpointIds?: string[];
  /** All but these endpoints. */
  exceptEndpointIds?: string[];
}

export class SessionManager {
  private readonly store: Store;
  private readonly tokens: AccessTokens;
  private readonly rooms: RoomManager;
  private readonly live: RoomSessions;
  private readonly log: Logger;
  private readonly autoCloseMinuteMs: number;
  /** Per session, the tail of its chain of writes: keeps one session's history in order. */
  private readonly writes = new Map<string, Promise<void>>();
  /** The stored stay (row id) of each live endpoint. */
  private readonly stays = new WeakMap<Endpoint, string>();
  /** Sessions being opened, so two first joins racing open one session. */
  private readonly opening = new Map<string, Promise<RoomSession>>();
  private readonly onSessionStarted: ((session: RoomSession, room: Room) => void) | undefined;

  constructor(deps: {
    store: Store;
    tokens: AccessTokens;
    rooms: RoomManager;
    live: RoomSessions;
    log: Logger;
    /** Milliseconds in one minute of `autoCloseConfig.duration`. */
    autoCloseMinuteMs?: number;
    /** Told when a room session has started and is stored (automatic recording). */
    onSessionStarted?: (session: RoomSession, room: Room) => void;
  }) {
    this.onSessionStarted = deps.onSessionStarted;
    this.autoCloseMinuteMs = deps.autoCloseMinuteMs ?? 60_000;
    this.store = deps.store;
    this.tokens = deps.tokens;
    this.rooms = deps.rooms;
    this.live = deps.live;
    this.log = deps.log;
  }

  /**
   * Verifies an access token for `roomId` and adds its endpoint to the room's live session,
   * opening (and recording) the session at the first join. Resolves once the join is stored.
   */
  async join(
    roomId: string,
    token: string,
    connection: EndpointConnection,
  ): Promise<{ room: Room; session: RoomSession; endpoint: Endpoint; permissions: readonly Permission[] }> {
    const claims = await this.tokens.verify(token);
    const room = await this.rooms.getRoom(roomId);
    if (claims.roomId !== room.id) {
      throw new AtriumError(ErrorCode.TOKEN_INVALID, 'the access token is for another room');
    }
    if (room.disabled || room.deactivated) {
      throw new AtriumError(ErrorCode.ROOM_DISABLED, room.disabled ? 'the room is disabled' : 'the room was deactivated after its session');
    }
    const session = await this.openSession(room);
    const endpoint = session.join({ id: claims.endpoint.id, name: claims.endpoint.name, meta: claims.meta, permissions: claims.permissions }, connection);
    await this.write(session.id);
    return { room, session, endpoint, permissions: claims.permissions };
  }

  /**
   * Finds the live endpoint an access token names, for `resume` (the caller checks the resume
   * token). RESUME_FAILED when its room session or the endpoint is gone.
   */
  async resume(
    roomId: string,
    token: string,
  ): Promise<{ room: Room; session: RoomSession; endpoint: Endpoint; permissions: readonly Permission[]; connection: EndpointConnection }> {
    const claims = await this.tokens.verify(token);
    const room = await this.rooms.getRoom(roomId);
    if (claims.roomId !== room.id) {
      throw new AtriumError(ErrorCode.TOKEN_INVALID, 'the access token is for another room');
    }
    const session = this.live.get(room.id);
    const endpoint = session && !session.ended ? session.getEndpoint(claims.endpoint.id) : undefined;
    if (!session || !endpoint) {
      throw new AtriumError(ErrorCode.RESUME_FAILED, 'the endpoint is no longer in the room session: join again');
    }
    return { room, session, endpoint, permissions: claims.permissions, connection: endpoint.connection };
  }

  /** Ends a live session on request (REST `actions/end`). */
  async end(sessionId: string, reason: SessionEndReason = 'ended'): Promise<SessionRecord> {
    const session = await requireLiveSession(this.store, this.live, sessionId);
    session.end(reason);
    await this.write(sessionId);
    return requireSessionRecord(this.store, sessionId);
  }

  /** Ends the room's live session, if any, and waits until that is stored. */
  async endRoomSession(roomId: string, reason: SessionEndReason): Promise<void> {
    const session = this.live.get(roomId);
    if (!session || session.ended) return;
    session.end(reason);
    await this.write(session.id);
  }

  /** Removes endpoints; with `exact`, a named endpoint that is not connected is ENDPOINT_NOT_FOUND. */
  async kick(sessionId: string, selection: EndpointSelection, exact = false): Promise<string[]> {
    const session = await requireLiveSession(this.store, this.live, sessionId);
    if (exact) this.requirePresent(session, selection);
    const kicked = this.select(session, selection).filter((e) => session.kick(e.id)).map((e) => e.id);
    // A session whose endpoints were all removed ends now, not after its timeout.
    if (session.endpointCount === 0 && !session.ended) session.end('all-removed');
    await this.write(sessionId);
    return kicked;
  }

  async setMuted(sessionId: string, selection: EndpointSelection, kinds: TrackKind[], muted: boolean, exact = false): Promise<string[]> {
    const session = await requireLiveSession(this.store, this.live, sessionId);
    if (exact) this.requirePresent(session, selection);
    const endpoints = this.select(session, selection);
    for (const endpoint of endpoints) for (const kind of kinds) session.setEndpointMuted(endpoint.id, kind, muted);
    return endpoints.map((e) => e.id);
  }

  /** Ends, with reason `server-restart`, the sessions and stays a crash left open; sends their webhooks. */
  async recoverAfterCrash(): Promise<number> {
    const open = await this.store.sessions.listOpenSessions();
    const now = new Date().toISOString();
    for (const session of open) {
      await this.store.transaction(async (tx) => {
        const stays = await tx.sessions.endOpenEndpoints(session.id, now, 'server-restart');
        for (const stay of stays) {
          await tx.webhooks.enqueue({
            type: 'participant-left',
            roomId: session.roomId,
            sessionId: session.id,
            data: { endpointId: stay.endpointId, name: stay.name, joinedAt: stay.joinedAt, leftAt: now, reason: 'server-restart' },
            createdAt: now,
          });
        }
        if (await tx.sessions.endSession(session.id, now, 'server-restart')) {
          await tx.webhooks.enqueue({
            type: 'session-ended',
            roomId: session.roomId,
            sessionId: session.id,
            data: { sessionId: session.id, roomId: session.roomId, startedAt: session.startedAt, endedAt: now, reason: 'server-restart' },
            createdAt: now,
          });
        }
      });
    }
    if (open.length > 0) this.log.warn({ sessions: open.length }, 'ended room sessions left open by a previous run');
    return open.length;
  }

  /** Waits until every queued write has been stored (shutdown, tests). */
  async flush(): Promise<void> {
    while (this.writes.size > 0) await Promise.all([...this.writes.values()]);
  }

  async getSession(sessionId: string): Promise<Session> {
    return this.toSession(await requireSessionRecord(this.store, sessionId));
  }

  async listSessions(filter: SessionListFilter): Promise<{ data: Session[]; nextCursor: string | null }> {
    const page = await this.store.sessions.listSessions(filter);
    return { data: page.data.map((r) => this.toSession(r)), nextCursor: page.nextCursor };
  }

  async listEndpoints(filter: EndpointListFilter): Promise<{ data: SessionEndpoint[]; nextCursor: string | null }> {
    const page = await this.store.sessions.listEndpoints(filter);
    return { data: page.data.map((r) => this.toSessionEndpoint(r)), nextCursor: page.nextCursor };
  }

  private toSession(record: SessionRecord): Session {
    const live = this.live.get(record.roomId);
    const isLive = record.endedAt === null && live?.id === record.id && !live.ended;
    return {
      ...record,
      active: record.endedAt === null,
      endpointCount: isLive && live ? live.endpointCount : 0,
      links: {
        self: `/api/v1/sessions/${record.id}`,
        endpoints: `/api/v1/sessions/${record.id}/endpoints`,
        room: `/api/v1/rooms/${record.roomId}`,
      },
    };
  }

  private toSessionEndpoint(record: SessionEndpointRecord): SessionEndpoint {
    const live = this.live.get(record.roomId);
    const endpoint = record.leftAt === null && live?.id === record.sessionId ? live.getEndpoint(record.endpointId) : undefined;
    const current = endpoint && this.stays.get(endpoint) === record.id ? endpoint : undefined;
    return {
      ...record,
      active: record.leftAt === null,
      publishing: current
        ? current.info().streams.map((s) => ({ tag: s.tag, tracks: s.tracks.map((t) => ({ kind: t.kind, muted: t.muted })) }))
        : [],
    };
  }

  private requirePresent(session: RoomSession, selection: EndpointSelection): void {
    for (const id of selection.endpointIds ?? []) {
      if (!session.getEndpoint(id)) throw new AtriumError(ErrorCode.ENDPOINT_NOT_FOUND, `endpoint "${id}" is not in this room session`);
    }
  }

  private async openSession(room: Room): Promise<RoomSession> {
    const current = this.live.get(room.id);
    if (current && !current.ended) return current;
    const pending = this.opening.get(room.id);
    if (pending) return pending;
    const opening = (async () => {
      const autoClose = room.autoCloseConfig ? (room.autoCloseConfig.duration * this.autoCloseMinuteMs) / 1000 : null;
      const session = this.live.open({
        id: randomUUID(),
        roomId: room.id,
        title: room.title,
        maxEndpoints: room.maxEndpoints,
        emptyTimeoutSeconds: room.timeout,
        maxDurationSeconds: room.maxDuration,
        autoCloseSeconds: autoClose,
        layout: room.layout,
        enableChat: room.enableChat,
      });
      this.watch(session, room);
      const startedAt = session.startedAt.toISOString();
      this.enqueueWrite(session.id, async (tx) => {
        await tx.sessions.insertSession({ id: session.id, roomId: room.id, startedAt });
        await tx.webhooks.enqueue({
          type: 'session-started',
          roomId: room.id,
          sessionId: session.id,
          data: { sessionId: session.id, roomId: room.id, startedAt },
          createdAt: startedAt,
        });
      });
      await this.write(session.id);
      this.onSessionStarted?.(session, room);
      return session;
    })();
    this.opening.set(room.id, opening);
    try {
      return await opening;
    } finally {
      this.opening.delete(room.id);
    }
  }

  /** Records what happens in a live session, in order. */
  private watch(session: RoomSession, room: Room): void {
    const base = { roomId: room.id, sessionId: session.id };
    session.on('endpoint.joined', (endpoint) => {
      const stayId = randomUUID();
      this.stays.set(endpoint, stayId);
      const joinedAt = endpoint.joinedAt.toISOString();
      this.enqueueWrite(session.id, async (tx) => {
        await tx.sessions.insertEndpoint({ id: stayId, sessionId: session.id, roomId: room.id, endpointId: endpoint.id, name: endpoint.name, joinedAt });
        await tx.webhooks.enqueue({ ...base, type: 'participant-joined', data: { endpointId: endpoint.id, name: endpoint.name, joinedAt }, createdAt: joinedAt });
      });
    });
    session.on('endpoint.left', (endpoint, reason: LeaveReason) => {
      const stayId = this.stays.get(endpoint);
      if (!stayId) return;
      // An endpoint that never came back left when its connection dropped, not when its grace period ended.
      const leftAt = (reason === 'connection-lost' && endpoint.disconnectedAt ? endpoint.disconnectedAt : new Date()).toISOString();
      const joinedAt = endpoint.joinedAt.toISOString();
      this.enqueueWrite(session.id, async (tx) => {
        if (!(await tx.sessions.endEndpoint(stayId, leftAt, reason))) return;
        await tx.webhooks.enqueue({
          ...base,
          type: 'participant-left',
          data: { endpointId: endpoint.id, name: endpoint.name, joinedAt, leftAt, reason },
          createdAt: leftAt,
        });
      });
    });
    session.on('stream.published', (endpoint, stream: StreamInfo) => {
      const stayId = this.stays.get(endpoint);
      this.enqueueWrite(session.id, async (tx) => {
        if (stayId) await tx.sessions.addEndpointStream(stayId, stream.tag);
        await tx.webhooks.enqueue({ ...base, type: 'stream-published', data: { endpointId: endpoint.id, tag: stream.tag, tracks: stream.tracks } });
      });
    });
    session.on('stream.unpublished', (endpoint, tag) => {
      this.enqueueWrite(session.id, async (tx) => {
        await tx.webhooks.enqueue({ ...base, type: 'stream-unpublished', data: { endpointId: endpoint.id, tag } });
      });
    });
    session.on('ended', (reason) => {
      const endedAt = new Date().toISOString();
      const startedAt = session.startedAt.toISOString();
      this.enqueueWrite(session.id, async (tx) => {
        if (!(await tx.sessions.endSession(session.id, endedAt, reason))) return;
        await tx.webhooks.enqueue({
          ...base,
          type: 'session-ended',
          data: { sessionId: session.id, roomId: room.id, startedAt, endedAt, reason },
          createdAt: endedAt,
        });
        // `session-end-and-deactivate`: only one session per room.
        if (room.autoCloseConfig?.type === 'session-end-and-deactivate') {
          await tx.rooms.update(room.id, { deactivatedAt: endedAt, updatedAt: endedAt });
        }
      });
    });
  }

  private enqueueWrite(sessionId: string, work: (tx: Store) => Promise<void>): void {
    const previous = this.writes.get(sessionId) ?? Promise.resolve();
    const next = previous
      .then(() => this.store.transaction(work))
      .catch((error: unknown) => this.log.error({ err: error, sessionId }, 'storing room session history failed'));
    this.writes.set(sessionId, next);
    void next.then(() => {
      if (this.writes.get(sessionId) === next) this.writes.delete(sessionId);
    });
  }

  /** Resolves when every write queued so far for the session is stored. */
  private async write(sessionId: string): Promise<void> {
    await this.writes.get(sessionId);
  }

  private select(session: RoomSession, selection: EndpointSelection): Endpoint[] {
    let endpoints = session.listEndpoints();
    if (selection.endpointIds) {
      const only = new Set(selection.endpointIds);
      endpoints = endpoints.filter((e) => only.has(e.id));
    }
    if (selection.exceptEndpointIds) {
      const except = new Set(selection.exceptEndpointIds);
      endpoints = endpoints.filter((e) => !except.has(e.id));
    }
    return endpoints;
  }

}
