import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RECONNECT_FIRST_DELAY_MS, RECONNECT_MAX_DELAY_MS, nextRetryDelayMs } from './reconnect-policy.js';

test('reconnect delays grow from 250 ms to a 4 s cap, jittered by ±25%', () => {
  assert.equal(nextRetryDelayMs(0, () => 0.5), RECONNECT_FIRST_DELAY_MS);
  assert.equal(nextRetryDelayMs(1, () => 0.5), 500);
  assert.equal(nextRetryDelayMs(4, () => 0.5), RECONNECT_MAX_DELAY_MS);
  assert.equal(nextRetryDelayMs(30, () => 0.5), RECONNECT_MAX_DELAY_MS);
  assert.equal(nextRetryDelayMs(0, () => 0), 188);
  assert.equal(nextRetryDelayMs(10, () => 0.999999), 5000);
  for (let attempt = 0; attempt < 10; attempt++) {
    const delay = nextRetryDelayMs(attempt);
    assert.ok(delay >= 0.75 * RECONNECT_FIRST_DELAY_MS && delay <= 1.25 * RECONNECT_MAX_DELAY_MS, `attempt ${attempt}: ${delay}`);
  }
});
