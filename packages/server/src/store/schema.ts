/**
 * @module Database table types for Kysely (snake_case columns). The same schema runs on SQLite and
 * Postgres, so it sticks to portable types: text (ISO 8601 times, JSON documents as text),
 * integer (booleans as 0/1), bigint only where counts can grow.
 */
import type { ColumnType, Generated } from 'kysely';

export interface RoomsTable {
  id: string;
  custom_room_id: string | null;
  /** Unique machine name (`roomName` in token requests). */
  name: string | null;
  display_name: string | null;
  title: string | null;
  type: string;
  timeout: number;
  /** Per-room webhook URL; null for none. */
  webhook: string | null;
  /** JSON array of event types the room webhook receives; null means all. */
  webhook_events: string | null;
  max_endpoints: number | null;
  max_duration: number | null;
  recording: number;
  record_on_start: number;
  quality: string;
  layout: string;
  enable_chat: number;
  enable_room_previews: number;
  /** JSON `{type, duration}`. */
  auto_close_config: string | null;
  /** JSON, validated by the protocol schema. */
  auto_start_config: string | null;
  disabled: number;
  /** Set when `session-end-and-deactivate` ended the room's session. */
  deactivated_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface RoomSessionsTable {
  id: string;
  room_id: string;
  started_at: string;
  ended_at: string | null;
  end_reason: string | null;
}

/** One endpoint's stay in one room session (join to leave). */
export interface SessionEndpointsTable {
  id: string;
  session_id: string;
  room_id: string;
  endpoint_id: string;
  name: string;
  joined_at: string;
  left_at: string | null;
  leave_reason: string | null;
  /** JSON array of stream tags published during the stay. */
  streams: string;
}

export interface ApiKeysTable {
  key: string;
  /** Kept as given: HS256 bearer tokens are verified with it. */
  secret: string;
  name: string | null;
  created_at: string;
  revoked_at: string | null;
}

export interface RefreshTokensTable {
  id: string;
  family_id: string;
  /** SHA-256 of the token; the token itself is never stored. */
  token_hash: string;
  api_key: string;
  room_id: string;
  endpoint_id: string;
  /** JSON of the access-token grant (name, permissions, meta …) to mint again from. */
  grant: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  revoked_at: string | null;
}

export interface WebhookSubscriptionsTable {
  id: string;
  url: string;
  /** JSON array of event types; null means all. */
  events: string | null;
  enabled: number;
  created_at: string;
  updated_at: string;
}

/** The outbox: every event, written in the transaction of the change that caused it. */
export interface WebhookEventsTable {
  /** Insertion order, used to deliver one session's events in order. */
  seq: Generated<number>;
  id: string;
  type: string;
  room_id: string | null;
  session_id: string | null;
  created_at: string;
  /** The JSON envelope `{id, type, createdAt, roomId, sessionId, data}` exactly as delivered. */
  body: string;
}

/** One event to one destination: its attempts and outcome. */
export interface WebhookDeliveriesTable {
  id: string;
  event_seq: number;
  event_id: string;
  url: string;
  /** Null for a room's own webhook. */
  subscription_id: string | null;
  /** Deliveries with the same key go out in event order (`<url>|<session or room>`). */
  ordering_key: string;
  status: string;
  attempts: number;
  next_attempt_at: string;
  last_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: string | null;
  created_at: string;
}

/** A recording of a room session; its files are in `recording_files`. */
export interface RecordingsTable {
  id: string;
  session_id: string;
  room_id: string;
  /** starting | recording | paused | stopping | stopped | failed */
  status: string;
  /** JSON array of the outputs asked for, e.g. `["tracks"]` (later `"composite"`). */
  outputs: string;
  started_at: string;
  stopped_at: string | null;
  /** Why it stopped: api, session-ended, server-shutdown, server-restart, … */
  end_reason: string | null;
  /** Why it failed (ffmpeg's last lines, disk full, …). */
  error: string | null;
  /** JSON array of `{pausedAt, resumedAt}` (resumedAt null while paused). */
  pauses: string;
}

/** One file of a recording: a per-track file today, a composite later (`output`). */
export interface RecordingFilesTable {
  id: string;
  recording_id: string;
  /** `track` (one published track, `-c copy`); `composite` later. */
  output: string;
  endpoint_id: string | null;
  tag: string | null;
  kind: string | null;
  codec: string;
  container: string;
  /** Relative to the recordings directory. */
  path: string;
  /** recording | finished | failed */
  status: string;
  /** Where the file starts on the recording's timeline (ms after the recording started). */
  offset_ms: number;
  started_at: string;
  ended_at: string | null;
  duration_ms: number | null;
  /** Postgres returns bigint as a string. */
  size_bytes: ColumnType<number | string | null, number | null, number | null>;
  /** The ffmpeg writing it, so a restart can finish what a crash left running. */
  ffmpeg_pid: number | null;
  error: string | null;
}

/** A composition job: one file rendered from a session's per-track recording files. */
export interface CompositionsTable {
  id: string;
  session_id: string;
  room_id: string;
  /** The one recording composed; null for every recording of the session. */
  recording_id: string | null;
  /** queued | processing | completed | failed */
  status: string;
  /** JSON: a layout name or `{type, priority, gridSize}`. */
  layout: string;
  /** `WIDTHxHEIGHT`. */
  resolution: string;
  /** mp4 | m4a */
  format: string;
  /** Percent rendered, 0..100 (written when rendering ends; live progress is in memory). */
  progress: number;
  /** Renders begun; a job interrupted by a crash is re-queued once. */
  attempts: number;
  /** The finished file, relative to the compositions directory. */
  path: string | null;
  /** The ffmpeg rendering it, so a restart can stop what a crash left running. */
  ffmpeg_pid: number | null;
  duration_ms: number | null;
  /** Postgres returns bigint as a string. */
  size_bytes: ColumnType<number | string | null, number | null, number | null>;
  error: string | null;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
}

export interface Database {
  compositions: CompositionsTable;
  recordings: RecordingsTable;
  recording_files: RecordingFilesTable;
  rooms: RoomsTable;
  room_sessions: RoomSessionsTable;
  session_endpoints: SessionEndpointsTable;
  api_keys: ApiKeysTable;
  refresh_tokens: RefreshTokensTable;
  webhook_subscriptions: WebhookSubscriptionsTable;
  webhook_events: WebhookEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
}
