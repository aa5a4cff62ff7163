/**
 * @module Parses request parts with the protocol's zod schemas at the REST edge.
 */
import type { z } from 'zod';
import { validationError } from '@atrium/protocol';

export function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(result.error, what);
  return result.data;
}
