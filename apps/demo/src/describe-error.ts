/**
 * @module Turns whatever a join, publish or subscribe threw into one line a person can read.
 */
import { ConnectionError } from '@atrium/sdk';

/** An error answer of the demo's own REST call (`{ error: { code, message } }`). */
export class DemoRequestError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'DemoRequestError';
    this.code = code;
  }
}

export function describeError(err: unknown): string {
  if (err instanceof ConnectionError) {
    const why = err.code ? `${err.reason}, ${err.code}` : err.reason;
    return err.message ? `Connection failed (${why}): ${err.message}` : `Connection failed (${why})`;
  }
  if (err instanceof DOMException) {
    // getUserMedia and autoplay failures: the name (NotAllowedError, NotFoundError…) is the useful part.
    return err.message ? `${err.name}: ${err.message}` : err.name;
  }
  if (err instanceof Error) {
    // RequestError and DemoRequestError carry the server's code (ROOM_FULL, TOKEN_EXPIRED…).
    const code = 'code' in err && typeof err.code === 'string' ? err.code : undefined;
    return code ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}
