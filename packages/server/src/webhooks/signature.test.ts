/**
 * @module Tests for webhook signing and the receiver-side check.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { computeWebhookSignature, signWebhook, verifyWebhookSignature } from './signature.js';

const secret = 'test-secret-0123456789abcdef';
const body = '{"id":"8d0c3e1e-3b0f-4c36-9d1c-6b7f0c0f1a2b","type":"session-started","data":{"é":"ü"}}';

describe('webhook signatures', () => {
  test('the header is t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">', () => {
    const header = signWebhook(body, secret, 1_700_000_000);
    const expected = createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex');
    assert.equal(header, `t=1700000000,v1=${expected}`);
    assert.equal(computeWebhookSignature(body, secret, 1_700_000_000), expected);
  });

  test('a fresh signature verifies, on the string or on the raw bytes', () => {
    const header = signWebhook(body, secret);
    assert.equal(verifyWebhookSignature(header, body, secret), true);
    assert.equal(verifyWebhookSignature(header, Buffer.from(body, 'utf8'), secret), true);
  });

  test('a changed body, another secret or a malformed header does not verify', () => {
    const now = 1_700_000_000;
    const header = signWebhook(body, secret, now);
    assert.equal(verifyWebhookSignature(header, `${body} `, secret, 300, now), false);
    assert.equal(verifyWebhookSignature(header, body, `${secret}x`, 300, now), false);
    assert.equal(verifyWebhookSignature(undefined, body, secret, 300, now), false);
    assert.equal(verifyWebhookSignature('', body, secret, 300, now), false);
    assert.equal(verifyWebhookSignature(`t=${now}`, body, secret, 300, now), false);
    assert.equal(verifyWebhookSignature(header.replace(/^t=\d+,/, ''), body, secret, 300, now), false);
    assert.equal(verifyWebhookSignature(header.slice(0, -2), body, secret, 300, now), false);
    assert.equal(verifyWebhookSignature(`t=${now + 1},${header.split(',')[1]}`, body, secret, 300, now), false);
  });

  test('timestamps outside the tolerance are refused (replays)', () => {
    const now = 1_700_000_000;
    assert.equal(verifyWebhookSignature(signWebhook(body, secret, now - 300), body, secret, 300, now), true);
    assert.equal(verifyWebhookSignature(signWebhook(body, secret, now - 301), body, secret, 300, now), false);
    assert.equal(verifyWebhookSignature(signWebhook(body, secret, now + 301), body, secret, 300, now), false);
  });

  test('one matching v1 among several is enough (secret rotation)', () => {
    const now = 1_700_000_000;
    const good = signWebhook(body, secret, now).split(',')[1];
    const other = signWebhook(body, 'an-older-secret-xxxxxxxx', now).split(',')[1];
    assert.equal(verifyWebhookSignature(`t=${now},${other},${good}`, body, secret, 300, now), true);
    assert.equal(verifyWebhookSignature(`t=${now}, ${other}`, body, secret, 300, now), false);
  });
});
