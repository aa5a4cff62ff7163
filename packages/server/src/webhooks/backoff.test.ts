/**
 * @module Tests for the webhook retry schedule.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RETRY_CAP_MS, retryDelayMs } from './backoff.js';

test('retry delays double from the base (1 s, 2 s, 4 s …) within ±20 % jitter', () => {
  const middle = (): number => 0.5;
  assert.deepEqual([1, 2, 3, 4, 5].map((n) => retryDelayMs(n, 1000, RETRY_CAP_MS, middle)), [1000, 2000, 4000, 8000, 16_000]);
  assert.equal(retryDelayMs(3, 1000, RETRY_CAP_MS, () => 0), 3200);
  assert.equal(retryDelayMs(3, 1000, RETRY_CAP_MS, () => 0.999_999), 4800);
  for (let i = 0; i < 200; i++) {
    const delay = retryDelayMs(2, 1000);
    assert.ok(delay >= 1600 && delay <= 2400, `${delay}`);
  }
});

test('retry delays are capped at an hour, even with jitter and many attempts', () => {
  assert.equal(RETRY_CAP_MS, 3_600_000);
  for (const attempts of [13, 20, 60, 1000]) {
    assert.ok(retryDelayMs(attempts, 1000, RETRY_CAP_MS, () => 0.999) <= RETRY_CAP_MS);
    assert.ok(retryDelayMs(attempts, 1000, RETRY_CAP_MS, () => 0) >= 0.8 * RETRY_CAP_MS);
  }
});

test('24 h of retries at the default schedule is about 35 attempts', () => {
  let elapsed = 0;
  let attempts = 0;
  while (elapsed < 24 * 3_600_000) elapsed += retryDelayMs(++attempts, 1000, RETRY_CAP_MS, () => 0.5);
  assert.ok(attempts >= 30 && attempts <= 40, `${attempts}`);
});
