/**
 * @module Which simulcast layer a subscriber should receive. Two limits decide: the size it shows
 * the video at (the SDK reports its tile) and its bandwidth (its REMB estimate against each
 * layer's measured bitrate). A receiver's estimate cannot grow much above what it receives, and
 * lags behind after a move up: a subscriber steps down only when its estimate falls (the
 * receiver saw congestion) below its layer's bitrate, or stays below it without rising for a few
 * seconds (a receiver behind a full queue keeps reporting the same low estimate); after stepping
 * down, the layer above is tried again after a back-off (10 s, doubling to 60 s while tries keep
 * failing).
 */

export interface LayerView {
  index: number;
  height: number | undefined;
  /** Bits per second; 0 when not flowing or not yet measured. */
  bitrate: number;
  flowing: boolean;
}

/** Layers a little smaller than the tile still look fine; this avoids the next layer up for a few pixels. */
const SIZE_SLACK = 0.9;

/**
 * The lowest layer at least as tall as `wantedHeight` (device pixels), or the top layer when none
 * is (or the height is not known: show the best). Layers whose height is not known yet are skipped.
 */
export function layerForSize(layers: readonly LayerView[], wantedHeight: number | undefined): number {
  const top = layers.length - 1;
  if (wantedHeight === undefined) return top;
  for (const layer of layers) {
    if (layer.height !== undefined && layer.height >= wantedHeight * SIZE_SLACK) return layer.index;
  }
  return top;
}

/**
 * The layer to forward now, given the one wanted: the wanted layer when it flows, else the one
 * currently forwarded while it flows, else the best flowing layer below the wanted one, else the
 * lowest flowing above it. Undefined when nothing flows.
 */
export function layerToForward(layers: readonly LayerView[], wanted: number, current: number | undefined): number | undefined {
  if (layers[wanted]?.flowing) return wanted;
  if (current !== undefined && layers[current]?.flowing) return current;
  for (let i = Math.min(wanted, layers.length - 1); i >= 0; i--) if (layers[i]!.flowing) return i;
  for (let i = wanted + 1; i < layers.length; i++) if (layers[i]!.flowing) return i;
  return undefined;
}

const PROBE_BACKOFF_MIN_MS = 10_000;
const PROBE_BACKOFF_MAX_MS = 60_000;
/** A step down this soon after a step up means the step up failed: back off longer. */
const PROBE_FAILED_WITHIN_MS = 15_000;
/** An estimate below the layer's bitrate that has not risen for this long is not catching up. */
const ESTIMATE_STALLED_MS = 3_000;
/** Consecutive ticks the estimate must stay below the layer's bitrate before stepping down. */
const TICKS_BEFORE_STEP_DOWN = 2;

/** The highest layer one subscriber's bandwidth allows, from its estimates over time. */
export class BandwidthLimit {
  private maxLayer = Number.POSITIVE_INFINITY;
  private probeAt = 0;
  private backoffMs = PROBE_BACKOFF_MIN_MS;
  private lastStepUpAt = Number.NEGATIVE_INFINITY;
  private ticksBelow = 0;
  private lastEstimate: number | undefined;
  private falling = false;
  /** When the estimate last rose, or the layer changed (from then on it may catch up). */
  private lastRiseAt = 0;
  private lastCurrent: number | undefined;

  /** The highest allowed layer index (infinite while unlimited). */
  get limit(): number {
    return this.maxLayer;
  }

  /**
   * One tick: `estimate` is the subscriber's latest estimate (bits/s; undefined before any),
   * `current` the layer it receives now.
   */
  update(layers: readonly LayerView[], estimate: number | undefined, current: number | undefined, nowMs: number): number {
    if (estimate === undefined || current === undefined) return this.maxLayer;
    if (estimate !== this.lastEstimate) {
      this.falling = this.lastEstimate !== undefined && estimate < this.lastEstimate;
      if (this.lastEstimate === undefined || estimate > this.lastEstimate) this.lastRiseAt = nowMs;
      this.lastEstimate = estimate;
    }
    if (current !== this.lastCurrent) {
      this.lastCurrent = current;
      this.lastRiseAt = nowMs;
    }
    const stalled = nowMs - this.lastRiseAt >= ESTIMATE_STALLED_MS;
    const currentRate = layers[current]?.bitrate ?? 0;
    if ((this.falling || stalled) && currentRate > 0 && estimate < currentRate && current > 0) {
      this.ticksBelow++;
      if (this.ticksBelow >= TICKS_BEFORE_STEP_DOWN) {
        this.ticksBelow = 0;
        let next = current - 1;
        while (next > 0 && (layers[next]?.bitrate ?? 0) > estimate) next--;
        this.maxLayer = next;
        this.backoffMs = nowMs - this.lastStepUpAt < PROBE_FAILED_WITHIN_MS ? Math.min(PROBE_BACKOFF_MAX_MS, this.backoffMs * 2) : PROBE_BACKOFF_MIN_MS;
        this.probeAt = nowMs + this.backoffMs;
      }
      return this.maxLayer;
    }
    this.ticksBelow = 0;
    if (!Number.isFinite(this.maxLayer)) return this.maxLayer;
    const above = layers[this.maxLayer + 1];
    if (!above) {
      this.maxLayer = Number.POSITIVE_INFINITY;
      return this.maxLayer;
    }
    // Step up when the estimate already covers the layer above, or it is time to try.
    if ((above.bitrate > 0 && estimate >= above.bitrate * 1.1) || nowMs >= this.probeAt) {
      this.maxLayer++;
      this.lastStepUpAt = nowMs;
      this.probeAt = nowMs + this.backoffMs;
    }
    return this.maxLayer;
  }
}
