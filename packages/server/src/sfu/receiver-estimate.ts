/**
 * @module Whether one receiver's bandwidth estimate (REMB) binds its publisher. A libwebrtc
 * receiver's estimate starts from what it receives and grows with it (at most 1.5× of it), so
 * a receiver that has seen no congestion says little about its link, and taking its estimate as
 * a cap holds the publisher at whatever it sent when the receiver joined. The estimate carries
 * news when it falls — the receiver saw its queue grow. After a fall it binds, for a while; until
 * then the publisher climbs on its own estimate up to the room's maximum (as Janus lets it).
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

  /** What this receiver lets its publisher send; undefined while it does not bind (no recent fall). */
  budget(nowMs: number): number | undefined {
    if (this.last === undefined || nowMs - this.lastFallAt >= BINDING_AFTER_FALL_MS) return undefined;
    return this.last;
  }
}
