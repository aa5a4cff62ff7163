/**
 * @module How far one receiver's bandwidth estimate (REMB) binds its publisher. A libwebrtc
 * receiver's estimate starts from what it receives and grows with it, so early on it says little
 * about the link; it carries news when it falls — the receiver saw its queue grow. Until then the
 * SFU keeps the publisher at least at its initial budget; after a fall (for a while) the estimate
 * binds as it is.
 */

/** A fall keeps the estimate binding for this long. */
const BINDING_AFTER_FALL_MS = 30_000;

export class ReceiverEstimate {
  private last: number | undefined;
  private lastFallAt = Number.NEGATIVE_INFINITY;

  /** The receiver's latest estimate (bits/s; undefined before its first). */
  update(estimate: number | undefined, nowMs: number): void {
    if (estimate === undefined || estimate === this.last) return;
    if (this.last !== undefined && estimate < this.last) this.lastFallAt = nowMs;
    this.last = estimate;
  }

  /** What this receiver lets its publisher send: undefined when it said nothing yet. */
  budget(floor: number, nowMs: number): number | undefined {
    if (this.last === undefined) return undefined;
    return nowMs - this.lastFallAt < BINDING_AFTER_FALL_MS ? this.last : Math.max(this.last, floor);
  }
}
