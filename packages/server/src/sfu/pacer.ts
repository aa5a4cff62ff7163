/**
 * @module Pacing of one subscriber's downstream: a token bucket at a multiple of the subscriber's
 * estimate (libwebrtc paces at 2.5× its target), so a keyframe — a burst of tens of packets — is
 * spread over tens of milliseconds instead of hitting a shallow bottleneck queue at once.
 * Packets that find the bucket empty wait in order; a queue longer than `maxQueueMs` of sending
 * is dropped from the head (NACK recovers what matters). Pure: time comes in, decisions go out.
 */

/** libwebrtc's pacing factor: send at up to this multiple of the estimate. */
export const PACING_FACTOR = 2.5;
/** The bucket holds this much sending time, so ordinary frames pass without waiting. */
const BURST_MS = 40;
/** At least this many bytes of burst, whatever the rate (a few full packets). */
const MIN_BURST_BYTES = 4 * 1200;

export class Pacer<T> {
  private rateBytesPerMs = Number.POSITIVE_INFINITY;
  private tokens = 0;
  private lastRefillAt = Number.NEGATIVE_INFINITY;
  private readonly queue: { item: T; bytes: number }[] = [];
  private queuedBytes = 0;
  private readonly maxQueueMs: number;
  dropped = 0;

  constructor(options: { maxQueueMs: number }) {
    this.maxQueueMs = options.maxQueueMs;
  }

  /** Paces at `PACING_FACTOR` × `bitsPerSecond`; undefined: no pacing (nothing known yet). */
  setRate(bitsPerSecond: number | undefined): void {
    this.rateBytesPerMs = bitsPerSecond === undefined || bitsPerSecond <= 0 ? Number.POSITIVE_INFINITY : (bitsPerSecond * PACING_FACTOR) / 8000;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** True: send `item` now. False: it waits; call `release` when `nextReleaseIn` says. */
  offer(item: T, bytes: number, nowMs: number): boolean {
    if (!Number.isFinite(this.rateBytesPerMs)) return true;
    this.refill(nowMs);
    if (this.queue.length === 0 && this.tokens >= bytes) {
      this.tokens -= bytes;
      return true;
    }
    this.queue.push({ item, bytes });
    this.queuedBytes += bytes;
    while (this.queue.length > 1 && this.queuedBytes / this.rateBytesPerMs > this.maxQueueMs) {
      const head = this.queue.shift()!;
      this.queuedBytes -= head.bytes;
      this.dropped++;
    }
    return false;
  }

  /** The waiting items that may go now, in order. */
  release(nowMs: number): T[] {
    this.refill(nowMs);
    const out: T[] = [];
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      if (Number.isFinite(this.rateBytesPerMs) && this.tokens < head.bytes) break;
      this.queue.shift();
      this.queuedBytes -= head.bytes;
      this.tokens -= head.bytes;
      out.push(head.item);
    }
    return out;
  }

  /** Milliseconds until the head of the queue may go; undefined when nothing waits. */
  nextReleaseIn(): number | undefined {
    const head = this.queue[0];
    if (!head) return undefined;
    if (!Number.isFinite(this.rateBytesPerMs)) return 0;
    return Math.max(1, Math.ceil((head.bytes - this.tokens) / this.rateBytesPerMs));
  }

  /** Forgets what waits (the transport closed). */
  clear(): void {
    this.queue.length = 0;
    this.queuedBytes = 0;
  }

  private refill(nowMs: number): void {
    const burst = Math.max(MIN_BURST_BYTES, this.rateBytesPerMs * BURST_MS);
    if (!Number.isFinite(this.lastRefillAt)) this.tokens = burst;
    else this.tokens = Math.min(burst, this.tokens + (nowMs - this.lastRefillAt) * this.rateBytesPerMs);
    this.lastRefillAt = nowMs;
  }
}
