/** @module Tests for the downstream pacer: bursts spread at 2.5× the estimate, order kept, old packets dropped. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pacer } from './pacer.js';

test('without an estimate everything goes at once', () => {
  const pacer = new Pacer<number>({ maxQueueMs: 500 });
  for (let i = 0; i < 100; i++) assert.equal(pacer.offer(i, 1200, 0), true);
});

test('a keyframe burst is spread at 2.5× the estimate, in order', () => {
  const pacer = new Pacer<number>({ maxQueueMs: 500 });
  pacer.setRate(1_000_000); // 2.5 Mbit/s = 312.5 bytes/ms, 40 ms of burst = 12 500 bytes
  const sentAt = new Map<number, number>();
  for (let i = 0; i < 30; i++) if (pacer.offer(i, 1200, 0)) sentAt.set(i, 0);
  assert.equal(sentAt.size, 10, 'the burst allowance passes at once');
  let now = 0;
  for (let wait = pacer.nextReleaseIn(); wait !== undefined; wait = pacer.nextReleaseIn()) {
    now += wait;
    for (const i of pacer.release(now)) sentAt.set(i, now);
  }
  assert.deepEqual([...sentAt.keys()], Array.from({ length: 30 }, (_, i) => i), 'all sent, in order');
  // The 20 waiting packets (24 000 bytes) leave at 312.5 bytes/ms: about 75 ms.
  assert.ok(now >= 70 && now <= 80, `last packet at ${now} ms`);
  // Queue empty, bucket refilling: a packet 10 ms later goes at once.
  assert.equal(pacer.offer(99, 1200, now + 10), true);
});

test('a queue longer than its limit drops from the head', () => {
  const pacer = new Pacer<number>({ maxQueueMs: 100 });
  pacer.setRate(100_000); // 31.25 bytes/ms: 100 ms hold ~3 000 bytes
  for (let i = 0; i < 20; i++) pacer.offer(i, 1200, 0);
  assert.ok(pacer.dropped > 0, 'old packets dropped');
  assert.ok(pacer.queued <= 3, `${pacer.queued} waiting`);
  const waiting = pacer.queued;
  assert.ok(pacer.nextReleaseIn() !== undefined);
  assert.deepEqual(pacer.release(10_000), [17, 18, 19].slice(3 - waiting), 'the newest remain, in order');
});
