/**
 * @module SDK errors. `ConnectionError` says why the room could not be reached or was lost;
 * `RequestError` carries the server's error code (`ROOM_FULL`, `TOKEN_EXPIRED`, …).
 */

/** Why a connection failed. */
export const ConnectionErrorReason = {
  /** The WebSocket could not be opened or closed before `join` answered. */
  SignalingFailed: 'signaling-failed',
  /** The server refused `join` (see `code`: TOKEN_EXPIRED, TOKEN_INVALID, ROOM_NOT_FOUND, ROOM_FULL …). */
  JoinRefused: 'join-refused',
  /** No WebRTC or WebSocket implementation in this environment (pass `wrtc` in Node). */
  Unsupported: 'unsupported-environment',
  /** A peer connection to the SFU failed. */
  MediaFailed: 'media-failed',
  /** The signaling socket dropped before the request's answer arrived; it may or may not have applied. */
  Interrupted: 'interrupted',
  /** An operation was attempted after `leave()` or after the room finished. */
  Closed: 'closed',
} as const;
export type ConnectionErrorReason = (typeof ConnectionErrorReason)[keyof typeof ConnectionErrorReason];

export class ConnectionError extends Error {
  readonly reason: ConnectionErrorReason;
  /** The server's error code when the server gave one. */
  readonly code?: string;

  constructor(reason: ConnectionErrorReason, message: string, code?: string) {
    super(message);
    this.name = 'ConnectionError';
    this.reason = reason;
    if (code !== undefined) this.code = code;
  }

  static joinRefused(error: RequestError): ConnectionError {
    return new ConnectionError(ConnectionErrorReason.JoinRefused, error.message, error.code);
  }
}

/** A signaling request the server answered with an error, or that timed out (`code: TIMEOUT`). */
export class RequestError extends Error {
  readonly code: string;
  readonly details?: unknown;

  constructor(code: string, message: string, details?: unknown) {
    super(message);
    this.name = 'RequestError';
    this.code = code;
    this.details = details;
  }
}
