/**
 * @module Opaque list cursors: the (time, id) of the last row of a page, newest first.
 */
import { AtriumError, ErrorCode } from '@atrium/protocol';

export interface CursorPosition {
  at: string;
  id: string;
}

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.at, position.id])).toString('base64url');
}

export function decodeCursor(cursor: string): CursorPosition {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string') {
      return { at: value[0], id: value[1] };
    }
  } catch {
    // Reported below.
  }
  throw new AtriumError(ErrorCode.VALIDATION_FAILED, 'invalid cursor', [{ path: 'cursor', message: 'not a cursor from this API' }]);
}

/** The page and the cursor of the next one, from `limit + 1` fetched rows. */
export function toPage<T>(rows: T[], limit: number, position: (row: T) => CursorPosition): { data: T[]; nextCursor: string | null } {
  const data = rows.slice(0, limit);
  const last = data[data.length - 1];
  return { data, nextCursor: rows.length > limit && last ? encodeCursor(position(last)) : null };
}
