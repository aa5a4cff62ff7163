/**
 * @module The one table of error codes shared by REST, signaling and the SDK.
 * REST answers `{ error: { code, message, details? } }` with the status below; signaling answers a
 * JSON-RPC error whose `data.code` is the same code.
 */
import { z } from 'zod';

export const ErrorCode = {
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  MALFORMED_JSON: 'MALFORMED_JSON',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  UNAUTHORIZED: 'UNAUTHORIZED',
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  TOKEN_INVALID: 'TOKEN_INVALID',
  TOKEN_REVOKED: 'TOKEN_REVOKED',
  PERMISSION_DENIED: 'PERMISSION_DENIED',
  NOT_FOUND: 'NOT_FOUND',
  ROOM_NOT_FOUND: 'ROOM_NOT_FOUND',
  API_KEY_NOT_FOUND: 'API_KEY_NOT_FOUND',
  SESSION_NOT_FOUND: 'SESSION_NOT_FOUND',
  SESSION_ENDED: 'SESSION_ENDED',
  ENDPOINT_NOT_FOUND: 'ENDPOINT_NOT_FOUND',
  STREAM_NOT_FOUND: 'STREAM_NOT_FOUND',
  SUBSCRIPTION_NOT_FOUND: 'SUBSCRIPTION_NOT_FOUND',
  WEBHOOK_NOT_FOUND: 'WEBHOOK_NOT_FOUND',
  RECORDING_NOT_FOUND: 'RECORDING_NOT_FOUND',
  RECORDING_ACTIVE: 'RECORDING_ACTIVE',
  RECORDING_NOT_ACTIVE: 'RECORDING_NOT_ACTIVE',
  RECORDING_FAILED: 'RECORDING_FAILED',
  /** No such live stream (RTMP or HLS) in this room session. */
  LIVESTREAM_NOT_FOUND: 'LIVESTREAM_NOT_FOUND',
  /** The session already streams to that RTMP URL, or already has HLS. */
  LIVESTREAM_ACTIVE: 'LIVESTREAM_ACTIVE',
  /** The live composite or its output could not start (ffmpeg missing, the RTMP server refused). */
  LIVESTREAM_FAILED: 'LIVESTREAM_FAILED',
  /** `play` refused: the URL's scheme, file or host is not allowed by the operator's playback settings. */
  PLAYBACK_URL_REFUSED: 'PLAYBACK_URL_REFUSED',
  PLAYBACK_NOT_FOUND: 'PLAYBACK_NOT_FOUND',
  /** The playback URL was allowed but could not be read as media (unreachable, not found, no audio or video). */
  PLAYBACK_FAILED: 'PLAYBACK_FAILED',
  /** The playback has ended (completed); it cannot be paused, resumed or changed. */
  PLAYBACK_ENDED: 'PLAYBACK_ENDED',
  /** A composition was asked of a room session with no finished recording file. */
  SESSION_NOT_RECORDED: 'SESSION_NOT_RECORDED',
  COMPOSITION_NOT_FOUND: 'COMPOSITION_NOT_FOUND',
  /** The composition's file is not there yet (queued, processing) or will never be (failed). */
  COMPOSITION_NOT_READY: 'COMPOSITION_NOT_READY',
  WEBHOOK_EVENT_NOT_FOUND: 'WEBHOOK_EVENT_NOT_FOUND',
  DELIVERY_NOT_FOUND: 'DELIVERY_NOT_FOUND',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  STREAM_EXISTS: 'STREAM_EXISTS',
  ROOM_EXISTS: 'ROOM_EXISTS',
  LAST_API_KEY: 'LAST_API_KEY',
  ROOM_FULL: 'ROOM_FULL',
  ROOM_DISABLED: 'ROOM_DISABLED',
  NOT_JOINED: 'NOT_JOINED',
  ALREADY_JOINED: 'ALREADY_JOINED',
  RATE_LIMITED: 'RATE_LIMITED',
  ROOM_LOCKED: 'ROOM_LOCKED',
  CHAT_DISABLED: 'CHAT_DISABLED',
  META_TOO_LARGE: 'META_TOO_LARGE',
  MESSAGE_TOO_LARGE: 'MESSAGE_TOO_LARGE',
  NOT_IMPLEMENTED: 'NOT_IMPLEMENTED',
  /** `resume` refused: unknown or wrong resume token, or the grace period is over. */
  RESUME_FAILED: 'RESUME_FAILED',
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** HTTP status for each code; signaling uses the same codes inside JSON-RPC errors. */
export const errorStatus: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNAUTHORIZED: 401,
  TOKEN_EXPIRED: 401,
  TOKEN_INVALID: 401,
  TOKEN_REVOKED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ROOM_NOT_FOUND: 404,
  API_KEY_NOT_FOUND: 404,
  SESSION_NOT_FOUND: 404,
  SESSION_ENDED: 409,
  ENDPOINT_NOT_FOUND: 404,
  STREAM_NOT_FOUND: 404,
  SUBSCRIPTION_NOT_FOUND: 404,
  WEBHOOK_NOT_FOUND: 404,
  RECORDING_NOT_FOUND: 404,
  RECORDING_ACTIVE: 409,
  RECORDING_NOT_ACTIVE: 409,
  RECORDING_FAILED: 503,
  LIVESTREAM_NOT_FOUND: 404,
  LIVESTREAM_ACTIVE: 409,
  LIVESTREAM_FAILED: 502,
  PLAYBACK_URL_REFUSED: 403,
  PLAYBACK_NOT_FOUND: 404,
  PLAYBACK_FAILED: 502,
  PLAYBACK_ENDED: 409,
  SESSION_NOT_RECORDED: 409,
  COMPOSITION_NOT_FOUND: 404,
  COMPOSITION_NOT_READY: 409,
  WEBHOOK_EVENT_NOT_FOUND: 404,
  DELIVERY_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  STREAM_EXISTS: 409,
  ROOM_EXISTS: 409,
  LAST_API_KEY: 409,
  ROOM_FULL: 409,
  ROOM_DISABLED: 409,
  NOT_JOINED: 409,
  ALREADY_JOINED: 409,
  RATE_LIMITED: 429,
  ROOM_LOCKED: 409,
  CHAT_DISABLED: 403,
  META_TOO_LARGE: 413,
  MESSAGE_TOO_LARGE: 413,
  NOT_IMPLEMENTED: 501,
  RESUME_FAILED: 409,
  INTERNAL: 500,
};

export const errorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** An error carrying one of the codes above; thrown by services, mapped at every edge. */
export class AtriumError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'AtriumError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return errorStatus[this.code];
  }

  static is(value: unknown, code?: ErrorCode): value is AtriumError {
    return value instanceof AtriumError && (code === undefined || value.code === code);
  }
}

/** Turns zod issues into `[{ path: "a.b", message }]` for the `details` of VALIDATION_FAILED. */
export function describeIssues(error: z.ZodError): Array<{ path: string; message: string }> {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.message,
  }));
}

export function validationError(error: z.ZodError, what = 'request'): AtriumError {
  const details = describeIssues(error);
  const first = details[0];
  const message = first ? `invalid ${what}: ${first.path}: ${first.message}` : `invalid ${what}`;
  return new AtriumError(ErrorCode.VALIDATION_FAILED, message, details);
}
