/**
 * @module WebhookDispatcher: delivers the outbox. A loop claims due deliveries (only the oldest
 * pending one of each ordering key, so one session's events reach a URL in order), POSTs each
 * stored envelope signed, and records the outcome: 2xx is delivered; anything else is retried with
 * backoff until the retry window has passed, then `failed`. At-least-once: an attempt cut short by
 * a crash is retried once its claim runs out.
 */
import type { Logger } from 'pino';
import { WEBHOOK_EVENT_ID_HEADER, WEBHOOK_EVENT_TYPE_HEADER, WEBHOOK_SIGNATURE_HEADER } from '@atrium/protocol';
import { WebhookRepository, type ClaimedDelivery } from '../store/webhook-repository.js';
import { RETRY_CAP_MS, retryDelayMs } from './backoff.js';
import { signWebhook } from './signature.js';

export interface WebhookDispatcherOptions {
  /** The outbox (the store's webhook repository, not a transaction's). */
  webhooks: WebhookRepository;
  /** HMAC key of the `Atrium-Signature` header. */
  secret: string;
  log: Logger;
  /** Per-attempt timeout, including reading the answer. */
  timeoutMs: number;
  /** First retry delay; doubled per attempt up to `retryCapMs`. */
  retryBaseMs: number;
  retryCapMs?: number;
  /** A delivery is retried until this long after it was queued, then marked failed. */
  maxAgeMs: number;
  /** How often to look for due deliveries when nothing wakes the loop (default 1000 ms). */
  pollIntervalMs?: number;
  /** Most attempts in flight at once (distinct ordering keys; default 16). */
  concurrency?: number;
}

/**
 * After an enqueue, look again this much later too: the first look may run before the enqueuing
 * transaction commits (Postgres; SQLite's single connection makes it wait for the commit).
 */
const AFTER_ENQUEUE_RECHECK_MS = 30;
/** How long a claim outlives the attempt's timeout before another dispatcher may retry it. */
const CLAIM_MARGIN_MS = 5_000;
/** Most bytes of a receiver's answer read (to keep the connection reusable); the rest is dropped. */
const MAX_ANSWER_BYTES = 64 * 1024;
const USER_AGENT = 'Atrium-Webhooks/1';

interface InFlight {
  controller: AbortController;
  done: Promise<void>;
}

class ShutdownAbort extends Error {
  constructor() {
    super('the webhook dispatcher is closing');
    this.name = 'ShutdownAbort';
  }
}

export class WebhookDispatcher {
  private readonly webhooks: WebhookRepository;
  private readonly secret: string;
  private readonly log: Logger;
  private readonly timeoutMs: number;
  private readonly retryBaseMs: number;
  private readonly retryCapMs: number;
  private readonly maxAgeMs: number;
  private readonly pollIntervalMs: number;
  private readonly concurrency: number;
  private readonly inFlight = new Map<string, InFlight>();
  private running = false;
  private isClosed = false;
  private loopDone: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private wakeRequested = false;
  private wake: (() => void) | undefined;
  private unsubscribe: (() => void) | undefined;
  private recheck: NodeJS.Timeout | undefined;

  constructor(options: WebhookDispatcherOptions) {
    this.webhooks = options.webhooks;
    this.secret = options.secret;
    this.log = options.log;
    this.timeoutMs = options.timeoutMs;
    this.retryBaseMs = options.retryBaseMs;
    this.retryCapMs = options.retryCapMs ?? RETRY_CAP_MS;
    this.maxAgeMs = options.maxAgeMs;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.concurrency = options.concurrency ?? 16;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Starts delivering, beginning with whatever a previous run left in the outbox. Idempotent. */
  start(): void {
    if (this.running || this.isClosed) return;
    this.running = true;
    this.unsubscribe = WebhookRepository.onEnqueued(() => this.enqueued());
    this.loopDone = this.loop();
  }

  /** Looks for due deliveries now instead of at the next poll (call after enqueueing). */
  notify(): void {
    this.wakeRequested = true;
    this.wake?.();
  }

  /**
   * Stops the loop and aborts attempts in flight, handing their deliveries back so the next run
   * sends them at once. Idempotent; resolves when nothing touches the store any more.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.isClosed = true;
      this.running = false;
      this.unsubscribe?.();
      clearTimeout(this.recheck);
      this.notify();
      await this.loopDone;
      for (const attempt of this.inFlight.values()) attempt.controller.abort(new ShutdownAbort());
      await Promise.allSettled([...this.inFlight.values()].map((attempt) => attempt.done));
    })();
    return this.closing;
  }

  private enqueued(): void {
    this.notify();
    if (this.recheck) return;
    this.recheck = setTimeout(() => {
      this.recheck = undefined;
      this.notify();
    }, AFTER_ENQUEUE_RECHECK_MS);
    this.recheck.unref();
  }

  private async loop(): Promise<void> {
    while (this.running) {
      this.wakeRequested = false;
      try {
        const free = this.concurrency - this.inFlight.size;
        if (free > 0) {
          const now = Date.now();
          const claimed = await this.webhooks.claimDue({
            now: new Date(now).toISOString(),
            claimUntil: new Date(now + this.timeoutMs + CLAIM_MARGIN_MS).toISOString(),
            limit: free,
          });
          // Closed while claiming: hand the claims straight back.
          if (!this.running) {
            await Promise.all(claimed.map((delivery) => this.webhooks.releaseClaim(delivery, new Date().toISOString())));
            break;
          }
          for (const delivery of claimed) this.send(delivery);
          // More may be due (other keys): look again before sleeping.
          if (claimed.length > 0 && this.inFlight.size < this.concurrency) continue;
        }
        await this.sleep(await this.idleMs());
      } catch (error) {
        this.log.error({ err: error }, 'webhook dispatch failed; retrying');
        await this.sleep(this.pollIntervalMs);
      }
    }
  }

  /** Until the next poll, or sooner when a retry falls due before it. */
  private async idleMs(): Promise<number> {
    if (this.inFlight.size >= this.concurrency) return this.pollIntervalMs;
    const now = Date.now();
    const next = await this.webhooks.nextAttemptAfter(new Date(now).toISOString());
    return next === null ? this.pollIntervalMs : Math.max(1, Math.min(this.pollIntervalMs, Date.parse(next) - now));
  }

  private sleep(ms: number): Promise<void> {
    if (this.wakeRequested || !this.running) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      this.wake = done;
    });
  }

  private send(delivery: ClaimedDelivery): void {
    const controller = new AbortController();
    const done = this.attempt(delivery, controller.signal)
      .catch((error: unknown) => this.log.error({ err: error, deliveryId: delivery.id }, 'recording a webhook attempt failed'))
      .finally(() => {
        this.inFlight.delete(delivery.id);
        this.notify();
      });
    this.inFlight.set(delivery.id, { controller, done });
  }

  private async attempt(delivery: ClaimedDelivery, shutdown: AbortSignal): Promise<void> {
    const started = Date.now();
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      const response = await fetch(delivery.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': USER_AGENT,
          [WEBHOOK_SIGNATURE_HEADER]: signWebhook(delivery.body, this.secret),
          [WEBHOOK_EVENT_ID_HEADER]: delivery.eventId,
          [WEBHOOK_EVENT_TYPE_HEADER]: delivery.eventType,
        },
        body: delivery.body,
        // A redirect is an answer we do not follow: the URL is what the customer configured.
        redirect: 'manual',
        signal: AbortSignal.any([shutdown, AbortSignal.timeout(this.timeoutMs)]),
      });
      statusCode = response.status;
      await drain(response);
      if (statusCode < 200 || statusCode > 299) error = `HTTP ${statusCode}`;
    } catch (cause) {
      if (shutdown.aborted) {
        await this.webhooks.releaseClaim(delivery, new Date().toISOString());
        return;
      }
      error = describeFailure(cause, this.timeoutMs);
      // The status line came but reading the answer failed: still a failed attempt.
      if (statusCode !== null) error = `HTTP ${statusCode}, then ${error}`;
    }
    const at = new Date();
    const context = { deliveryId: delivery.id, eventId: delivery.eventId, eventType: delivery.eventType, url: delivery.url };
    if (error === null) {
      const recorded = await this.webhooks.recordDelivered(delivery, { at: at.toISOString(), statusCode, error: null });
      this.log.debug({ ...context, statusCode, ms: at.getTime() - started, recorded }, 'webhook delivered');
      return;
    }
    const attempts = delivery.attempts + 1;
    const giveUp = at.getTime() - Date.parse(delivery.createdAt) >= this.maxAgeMs;
    const retryAt = giveUp ? null : new Date(at.getTime() + retryDelayMs(attempts, this.retryBaseMs, this.retryCapMs)).toISOString();
    await this.webhooks.recordFailed(delivery, { at: at.toISOString(), statusCode, error }, retryAt);
    if (giveUp) this.log.warn({ ...context, attempts, error }, 'webhook delivery failed for good: retry window passed');
    else this.log.info({ ...context, attempts, error, retryAt }, 'webhook attempt failed; will retry');
  }
}

/** Reads (and drops) up to MAX_ANSWER_BYTES of the answer, so the connection can be reused. */
async function drain(response: Response): Promise<void> {
  if (!response.body) return;
  const reader = response.body.getReader();
  let read = 0;
  for (;;) {
    const chunk = await reader.read();
    if (chunk.done) return;
    read += chunk.value.byteLength;
    if (read > MAX_ANSWER_BYTES) {
      await reader.cancel();
      return;
    }
  }
}

/** A short reason for the delivery log: `timed out after 10000 ms`, `ECONNREFUSED`, … */
function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return `timed out after ${timeoutMs} ms`;
  const cause = error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message.slice(0, 500);
  return (error instanceof Error ? error.message : String(error)).slice(0, 500);
}
