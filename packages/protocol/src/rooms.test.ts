/**
 * @module Tests for the create-room body: kebab-case aliases, defaults, and what is refused.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { z } from 'zod';
import { AtriumError, ErrorCode, describeIssues, validationError } from './errors.js';
import { createRoomBodySchema } from './rooms.js';

/** Parses a body that must be refused and returns the zod error. */
function refused(body: unknown): z.ZodError {
  const result = createRoomBodySchema.safeParse(body);
  assert.equal(result.success, false, `expected ${JSON.stringify(body)} to be refused`);
  assert.ok(result.error);
  return result.error;
}

/** The dotted paths of every issue in a refused body. */
function issuePaths(body: unknown): string[] {
  return describeIssues(refused(body)).map((issue) => issue.path);
}

describe('createRoomBodySchema', () => {
  test('parses the primary design body to camelCase with the given values', () => {
    const body = JSON.parse(
      '{"title":"Weekly sync","type":"large-room","timeout":120,"webhook":"https://hooks.example.com/atrium",' +
        '"max-endpoints":8,"max-duration":3600,"recording":true}',
    ) as unknown;
    assert.deepEqual(createRoomBodySchema.parse(body), {
      title: 'Weekly sync',
      type: 'large-room',
      timeout: 120,
      webhook: 'https://hooks.example.com/atrium',
      maxEndpoints: 8,
      maxDuration: 3600,
      recording: true,
      customRoomId: null,
      name: null,
      displayName: null,
      quality: '720p',
      layout: 'grid-responsive',
      enableChat: true,
      enableRoomPreviews: false,
      recordOnStart: false,
      autoCloseConfig: null,
      autoStartConfig: null,
      disabled: false,
    });
  });

  test('an empty body gets the documented defaults', () => {
    const parsed = createRoomBodySchema.parse({});
    assert.deepEqual(parsed, {
      title: null,
      type: 'small-room',
      timeout: 60,
      webhook: null,
      maxEndpoints: null,
      maxDuration: null,
      recording: false,
      customRoomId: null,
      name: null,
      displayName: null,
      quality: '720p',
      layout: 'grid-responsive',
      enableChat: true,
      enableRoomPreviews: false,
      recordOnStart: false,
      autoCloseConfig: null,
      autoStartConfig: null,
      disabled: false,
    });
  });

  test('accepts the canonical camelCase spellings too', () => {
    const parsed = createRoomBodySchema.parse({ maxEndpoints: 4, maxDuration: 600, customRoomId: 'team_42' });
    assert.equal(parsed.maxEndpoints, 4);
    assert.equal(parsed.maxDuration, 600);
    assert.equal(parsed.customRoomId, 'team_42');
  });

  test('accepts the custom-room-id alias', () => {
    assert.equal(createRoomBodySchema.parse({ 'custom-room-id': 'abc-1' }).customRoomId, 'abc-1');
  });

  test('explicit nulls clear the limits and the webhook', () => {
    const parsed = createRoomBodySchema.parse({ 'max-endpoints': null, 'max-duration': null, webhook: null });
    assert.equal(parsed.maxEndpoints, null);
    assert.equal(parsed.maxDuration, null);
    assert.equal(parsed.webhook, null);
  });

  test('trims the title', () => {
    assert.equal(createRoomBodySchema.parse({ title: '  Standup  ' }).title, 'Standup');
  });

  test('refuses both spellings of the same field, in either order, naming the duplicate', () => {
    const kebabFirst = describeIssues(refused({ 'max-endpoints': 5, maxEndpoints: 6 }));
    assert.equal(kebabFirst.length, 1);
    assert.match(kebabFirst[0]?.message ?? '', /maxEndpoints \(duplicate of maxEndpoints\)/);

    const camelFirst = describeIssues(refused({ maxDuration: 60, 'max-duration': 60 }));
    assert.equal(camelFirst.length, 1);
    assert.match(camelFirst[0]?.message ?? '', /max-duration \(duplicate of maxDuration\)/);
  });

  test('refuses unknown fields and names them', () => {
    const issues = describeIssues(refused({ title: 'x', colour: 'blue' }));
    assert.equal(issues.length, 1);
    assert.match(issues[0]?.message ?? '', /colour/);
  });

  test('refuses field names that exist on Object.prototype', () => {
    refused({ constructor: 1 });
    refused({ toString: 'x' });
    refused(JSON.parse('{"__proto__":{"recording":true}}'));
  });

  test('refuses a body that is not an object', () => {
    refused([]);
    refused('title');
    refused(null);
  });

  test('refuses a timeout given as a string', () => {
    assert.deepEqual(issuePaths({ timeout: '60' }), ['timeout']);
  });

  test('refuses a negative timeout', () => {
    assert.deepEqual(issuePaths({ timeout: -1 }), ['timeout']);
  });

  test('refuses a non-integer timeout', () => {
    assert.deepEqual(issuePaths({ timeout: 1.5 }), ['timeout']);
  });

  test('refuses a timeout over one day', () => {
    assert.deepEqual(issuePaths({ timeout: 86_401 }), ['timeout']);
    assert.equal(createRoomBodySchema.parse({ timeout: 86_400 }).timeout, 86_400);
    assert.equal(createRoomBodySchema.parse({ timeout: 0 }).timeout, 0);
  });

  test('refuses max-endpoints of zero or a fraction, reported under the canonical name', () => {
    assert.deepEqual(issuePaths({ 'max-endpoints': 0 }), ['maxEndpoints']);
    assert.deepEqual(issuePaths({ 'max-endpoints': 2.5 }), ['maxEndpoints']);
  });

  test('refuses a webhook that is not http(s)', () => {
    assert.deepEqual(issuePaths({ webhook: 'ftp://x' }), ['webhook']);
    assert.deepEqual(issuePaths({ webhook: 'javascript:alert(1)' }), ['webhook']);
    assert.ok(issuePaths({ webhook: 'not a url' }).every((path) => path === 'webhook'));
  });

  test('accepts a plain http webhook', () => {
    assert.equal(createRoomBodySchema.parse({ webhook: 'http://localhost:8080/hook' }).webhook, 'http://localhost:8080/hook');
  });

  test('refuses a room type with upper-case letters or spaces', () => {
    assert.deepEqual(issuePaths({ type: 'Big Room' }), ['type']);
  });

  test('refuses recording given as a string', () => {
    assert.deepEqual(issuePaths({ recording: 'yes' }), ['recording']);
  });

  test('refuses an empty or whitespace-only title', () => {
    assert.deepEqual(issuePaths({ title: '   ' }), ['title']);
  });
});

describe('validationError', () => {
  test('gives VALIDATION_FAILED (400) with one detail per field and the first in the message', () => {
    const error = validationError(refused({ timeout: 'soon', webhook: 'ftp://x' }), 'room');
    assert.ok(error instanceof AtriumError);
    assert.equal(error.code, ErrorCode.VALIDATION_FAILED);
    assert.equal(error.status, 400);
    assert.ok(Array.isArray(error.details));
    const details = error.details as Array<{ path: string; message: string }>;
    assert.deepEqual(details.map((d) => d.path).sort(), ['timeout', 'webhook']);
    for (const d of details) assert.ok(d.message.length > 0);
    assert.match(error.message, /^invalid room: (timeout|webhook): /);
  });

  test('labels an issue about the whole body as (root)', () => {
    const details = describeIssues(refused('not an object'));
    assert.deepEqual(details.map((d) => d.path), ['(root)']);
  });

  test('says "request" when no subject is given', () => {
    assert.match(validationError(refused({ timeout: -5 })).message, /^invalid request: timeout: /);
  });
});
