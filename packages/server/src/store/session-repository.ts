/**
 * @module Room sessions and the endpoints' stays in them, as history: join and leave times,
 * reasons, published streams. Live state is in rtc/; this is what the REST API lists.
 */
import type { Kysely, Selectable } from 'kysely';
import type { Database, RoomSessionsTable, SessionEndpointsTable } from './schema.js';
import { decodeCursor, toPage } from './cursor.js';

export interface SessionRecord {
  id: string;
  roomId: string;
  startedAt: string;
  endedAt: string | null;
  endReason: string | null;
}

export interface SessionEndpointRecord {
  /** Row id of this stay (an endpoint may join a session more than once). */
  id: string;
  sessionId: string;
  roomId: string;
  endpointId: string;
  name: string;
  joinedAt: string;
  leftAt: string | null;
  leaveReason: string | null;
  /** Tags of the streams published during the stay. */
  streams: string[];
}

export interface SessionListFilter {
  roomId?: string;
  active?: boolean;
  limit: number;
  cursor?: string;
}

export interface EndpointListFilter {
  sessionId?: string;
  roomId?: string;
  active?: boolean;
  name?: string;
  endpointId?: string;
  limit: number;
  cursor?: string;
}

const toSession = (row: Selectable<RoomSessionsTable>): SessionRecord => ({
  id: row.id,
  roomId: row.room_id,
  startedAt: row.started_at,
  endedAt: row.ended_at,
  endReason: row.end_reason,
});

const toEndpoint = (row: Selectable<SessionEndpointsTable>): SessionEndpointRecord => ({
  id: row.id,
  sessionId: row.session_id,
  roomId: row.room_id,
  endpointId: row.endpoint_id,
  name: row.name,
  joinedAt: row.joined_at,
  leftAt: row.left_at,
  leaveReason: row.leave_reason,
  streams: JSON.parse(row.streams) as string[],
});

export class SessionRepository {
  private readonly db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.db = db;
  }

  async insertSession(session: { id: string; roomId: string; startedAt: string }): Promise<void> {
    await this.db
      .insertInto('room_sessions')
      .values({ id: session.id, room_id: session.roomId, started_at: session.startedAt, ended_at: null, end_reason: null })
      .execute();
  }

  /** Marks an open session ended; false when it was already ended or does not exist. */
  async endSession(id: string, endedAt: string, reason: string): Promise<boolean> {
    const result = await this.db
      .updateTable('room_sessions')
      .set({ ended_at: endedAt, end_reason: reason })
      .where('id', '=', id)
      .where('ended_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async getSession(id: string): Promise<SessionRecord | undefined> {
    const row = await this.db.selectFrom('room_sessions').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toSession(row);
  }

  async listOpenSessions(): Promise<SessionRecord[]> {
    const rows = await this.db.selectFrom('room_sessions').selectAll().where('ended_at', 'is', null).orderBy('started_at').execute();
    return rows.map(toSession);
  }

  /** Newest first. */
  async listSessions(filter: SessionListFilter): Promise<{ data: SessionRecord[]; nextCursor: string | null }> {
    let query = this.db.selectFrom('room_sessions').selectAll();
    if (filter.roomId !== undefined) query = query.where('room_id', '=', filter.roomId);
    if (filter.active !== undefined) query = query.where('ended_at', filter.active ? 'is' : 'is not', null);
    if (filter.cursor !== undefined) {
      const { at, id } = decodeCursor(filter.cursor);
      query = query.where((eb) => eb.or([eb('started_at', '<', at), eb.and([eb('started_at', '=', at), eb('id', '<', id)])]));
    }
    const rows = await query.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(filter.limit + 1).execute();
    return toPage(rows.map(toSession), filter.limit, (r) => ({ at: r.startedAt, id: r.id }));
  }

  async insertEndpoint(stay: { id: string; sessionId: string; roomId: string; endpointId: string; name: string; joinedAt: string }): Promise<void> {
    await this.db
      .insertInto('session_endpoints')
      .values({
        id: stay.id,
        session_id: stay.sessionId,
        room_id: stay.roomId,
        endpoint_id: stay.endpointId,
        name: stay.name,
        joined_at: stay.joinedAt,
        left_at: null,
        leave_reason: null,
        streams: '[]',
      })
      .execute();
  }

  async endEndpoint(id: string, leftAt: string, reason: string): Promise<boolean> {
    const result = await this.db
      .updateTable('session_endpoints')
      .set({ left_at: leftAt, leave_reason: reason })
      .where('id', '=', id)
      .where('left_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Ends every stay still open in a session (crash recovery); returns them. */
  async endOpenEndpoints(sessionId: string, leftAt: string, reason: string): Promise<SessionEndpointRecord[]> {
    const open = await this.db
      .selectFrom('session_endpoints')
      .selectAll()
      .where('session_id', '=', sessionId)
      .where('left_at', 'is', null)
      .execute();
    if (open.length > 0) {
      await this.db
        .updateTable('session_endpoints')
        .set({ left_at: leftAt, leave_reason: reason })
        .where('session_id', '=', sessionId)
        .where('left_at', 'is', null)
        .execute();
    }
    return open.map((row) => ({ ...toEndpoint(row), leftAt, leaveReason: reason }));
  }

  /** Records that a stream tag was published during this stay. */
  async addEndpointStream(id: string, tag: string): Promise<void> {
    const row = await this.db.selectFrom('session_endpoints').select('streams').where('id', '=', id).executeTakeFirst();
    if (!row) return;
    const streams = JSON.parse(row.streams) as string[];
    if (streams.includes(tag)) return;
    await this.db.updateTable('session_endpoints').set({ streams: JSON.stringify([...streams, tag]) }).where('id', '=', id).execute();
  }

  async getEndpoint(id: string): Promise<SessionEndpointRecord | undefined> {
    const row = await this.db.selectFrom('session_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toEndpoint(row);
  }

  /** Newest first. */
  async listEndpoints(filter: EndpointListFilter): Promise<{ data: SessionEndpointRecord[]; nextCursor: string | null }> {
    let query = this.db.selectFrom('session_endpoints').selectAll();
    if (filter.sessionId !== undefined) query = query.where('session_id', '=', filter.sessionId);
    if (filter.roomId !== undefined) query = query.where('room_id', '=', filter.roomId);
    if (filter.active !== undefined) query = query.where('left_at', filter.active ? 'is' : 'is not', null);
    if (filter.name !== undefined) query = query.where('name', '=', filter.name);
    if (filter.endpointId !== undefined) query = query.where('endpoint_id', '=', filter.endpointId);
    if (filter.cursor !== undefined) {
      const { at, id } = decodeCursor(filter.cursor);
      query = query.where((eb) => eb.or([eb('joined_at', '<', at), eb.and([eb('joined_at', '=', at), eb('id', '<', id)])]));
    }
    const rows = await query.orderBy('joined_at', 'desc').orderBy('id', 'desc').limit(filter.limit + 1).execute();
    return toPage(rows.map(toEndpoint), filter.limit, (r) => ({ at: r.joinedAt, id: r.id }));
  }
}
