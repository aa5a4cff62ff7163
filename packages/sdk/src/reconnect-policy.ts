/**
 * @module When to try again: the delays between reconnection attempts (kept apart from the
 * reconnect mechanics, as LiveKit's `ReconnectPolicy` is). Exponential from 250 ms, capped at
 * 4 s, with ±25% jitter so clients dropped together do not come back together.
 */

export const RECONNECT_FIRST_DELAY_MS = 250;
export const RECONNECT_MAX_DELAY_MS = 4_000;

/** Delay before attempt `attempt` (0-based); `random` in [0, 1) is injectable for tests. */
export function nextRetryDelayMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(RECONNECT_MAX_DELAY_MS, RECONNECT_FIRST_DELAY_MS * 2 ** Math.max(0, attempt));
  return Math.round(base * (0.75 + 0.5 * random()));
}
