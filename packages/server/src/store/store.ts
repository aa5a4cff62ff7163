/**
 * @module The one storage interface. SQLite is the default implementation; Postgres follows
 * behind the same interface (the same store tests run against every implementation).
 */

/** A room as stored. Times are ISO 8601 strings. */
export interface RoomRecord {
  id: string;
  customRoomId: string | null;
  title: string | null;
  type: string;
  timeout: number;
  webhook: string | null;
  maxEndpoints: number | null;
  maxDuration: number | null;
  recording: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface Store {
  /** Inserts a room; throws `StoreConflictError` when its `customRoomId` is taken. */
  insertRoom(room: RoomRecord): Promise<void>;
  getRoom(id: string): Promise<RoomRecord | undefined>;
  getRoomByCustomId(customRoomId: string): Promise<RoomRecord | undefined>;
  close(): Promise<void>;
}

export class StoreConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreConflictError';
  }
}
