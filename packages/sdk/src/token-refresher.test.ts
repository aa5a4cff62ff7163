/**
 * @module Tests for the refresh timing policy: a minute, or 20% of the lifetime if shorter,
 * before expiry; and reading `iat`/`exp` from a token.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { refreshDelayMs, tokenTimes } from './token-refresher.js';

function fakeJwt(payload: unknown): string {
  return `e30.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.sig`;
}

describe('token refresh timing', () => {
  test('an hour-long token is refreshed a minute before expiry', () => {
    const times = { issuedAt: 0, expiresAt: 3600_000 };
    assert.equal(refreshDelayMs(times, 0), 3540_000);
    assert.equal(refreshDelayMs(times, 1000_000), 2540_000);
  });

  test('a short token is refreshed 20% of its lifetime before expiry', () => {
    assert.equal(refreshDelayMs({ issuedAt: 0, expiresAt: 10_000 }, 0), 8_000);
    assert.equal(refreshDelayMs({ issuedAt: 0, expiresAt: 120_000 }, 0), 96_000);
  });

  test('a token already inside its refresh window is refreshed at once', () => {
    assert.equal(refreshDelayMs({ issuedAt: 0, expiresAt: 10_000 }, 9_000), 0);
    assert.equal(refreshDelayMs({ issuedAt: 0, expiresAt: 10_000 }, 20_000), 0);
  });

  test('tokenTimes reads iat and exp in milliseconds, whatever the base64url padding', () => {
    for (const extra of ['', 'x', 'xy', 'xyz']) {
      assert.deepEqual(tokenTimes(fakeJwt({ iat: 100, exp: 200, pad: extra, name: 'é?>' })), { issuedAt: 100_000, expiresAt: 200_000 });
    }
    assert.equal(tokenTimes('garbage'), null);
    assert.equal(tokenTimes(fakeJwt({ exp: 200 })), null);
    assert.equal(tokenTimes('a.!!!.c'), null);
  });
});
