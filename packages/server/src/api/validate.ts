/**
 * @module Parses request parts with the protocol's zod schemas at the REST edge.
 */
import type { z } from 'zod';
import { validationError } from '@atrium/protocol';

/**
 * Parses `value`; on failure throws VALIDATION_FAILED naming each field as the client spelled it
 * (a kebab-case alias such as `max-endpoints` is reported under that name, not the canonical one).
 */
export function parse<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
  aliases: Readonly<Record<string, string>> = {},
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const sent = typeof value === 'object' && value !== null ? value : {};
  for (const issue of result.error.issues) {
    const [first] = issue.path;
    if (typeof first !== 'string' || Object.hasOwn(sent, first)) continue;
    const alias = Object.keys(aliases).find((a) => aliases[a] === first && Object.hasOwn(sent, a));
    if (alias) (issue as { path: PropertyKey[] }).path = [alias, ...issue.path.slice(1)];
  }
  throw validationError(result.error, what);
}

/** A request body to validate: an absent (or JSON `null`) body counts as `{}`. */
export const bodyOf = (body: unknown): unknown => (body === undefined || body === null ? {} : body);
