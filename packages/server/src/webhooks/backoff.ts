/**
 * @module When to retry a failed webhook delivery: exponential backoff (base, 2×base, 4×base …)
 * capped at an hour, with ±20 % jitter so receivers coming back up are not hit by every retry at once.
 */

/** Longest wait between two attempts. */
export const RETRY_CAP_MS = 60 * 60 * 1000;

/**
 * Milliseconds to wait after the `attempts`-th failed attempt (1 for the first).
 * `random` is in [0, 1); the result is within ±20 % of `min(cap, base · 2^(attempts-1))`, never above the cap.
 */
export function retryDelayMs(attempts: number, baseMs: number, capMs = RETRY_CAP_MS, random: () => number = Math.random): number {
  const exponent = Math.max(0, Math.min(attempts - 1, 40));
  const delay = Math.min(capMs, baseMs * 2 ** exponent);
  return Math.round(Math.min(capMs, delay * (0.8 + 0.4 * random())));
}
