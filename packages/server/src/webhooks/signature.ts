/**
 * @module Webhook signatures: `Atrium-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
 * "<t>.<raw body>">`, keyed with the API secret. `verifyWebhookSignature` is what a receiver runs
 * (it depends on node:crypto only, so customers can copy it).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Hex HMAC-SHA256 of `"<timestamp>.<body>"`. */
export function computeWebhookSignature(body: string, secret: string, timestamp: number): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** The `Atrium-Signature` header value for `body` sent at `timestamp` (unix seconds, default now). */
export function signWebhook(body: string, secret: string, timestamp = Math.floor(Date.now() / 1000)): string {
  return `t=${timestamp},v1=${computeWebhookSignature(body, secret, timestamp)}`;
}

/**
 * True when `header` (the `Atrium-Signature` value) signs `body` (the raw request body, exactly as
 * received, before any JSON parsing) with `secret`, and its timestamp is within `toleranceSeconds`
 * of now (refusing replays of old requests). Several `v1=` entries are allowed; one must match.
 */
export function verifyWebhookSignature(
  header: string | undefined | null,
  body: string | Buffer,
  secret: string,
  toleranceSeconds = 300,
  nowSeconds = Math.floor(Date.now() / 1000),
): boolean {
  if (!header) return false;
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value)) signatures.push(value.toLowerCase());
  }
  if (timestamp === undefined || signatures.length === 0) return false;
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(
    createHmac('sha256', secret)
      .update(`${timestamp}.`)
      .update(body)
      .digest('hex'),
  );
  return signatures.some((signature) => timingSafeEqual(Buffer.from(signature), expected));
}
