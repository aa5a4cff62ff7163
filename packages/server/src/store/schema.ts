/**
 * @module Database table types for Kysely (snake_case columns).
 */
export interface RoomsTable {
  id: string;
  custom_room_id: string | null;
  title: string | null;
  type: string;
  timeout: number;
  webhook: string | null;
  max_endpoints: number | null;
  max_duration: number | null;
  recording: number;
  created_at: string;
  updated_at: string;
}

export interface Database {
  rooms: RoomsTable;
}
