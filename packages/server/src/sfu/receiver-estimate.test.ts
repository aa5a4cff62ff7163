/** @module Tests for when a receiver's estimate binds its publisher: only after it fell, for 30 s. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReceiverEstimate } from './receiver-estimate.js';

test('an estimate binds after it falls, and stops binding 30 s after its last fall', () => {
  const estimate = new ReceiverEstimate();
  assert.equal(estimate.budget(0), undefined, 'nothing said yet');
  estimate.update(300_000, 0);
  estimate.update(600_000, 1000);
  assert.equal(estimate.budget(1000), undefined, 'a growing estimate follows what it receives: no cap');
  estimate.update(450_000, 2000);
  assert.equal(estimate.budget(2000), 450_000, 'it fell: the receiver saw congestion');
  estimate.update(480_000, 3000);
  assert.equal(estimate.budget(3000), 480_000, 'still binding while it recovers');
  assert.equal(estimate.budget(31_999), 480_000);
  assert.equal(estimate.budget(32_000), undefined, 'no fall for 30 s');
  estimate.update(470_000, 40_000);
  assert.equal(estimate.budget(40_000), 470_000, 'a new fall binds again');
});
