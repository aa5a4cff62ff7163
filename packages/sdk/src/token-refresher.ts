/**
 * @module Keeps a room's access token fresh: shortly before it expires, exchanges the refresh
 * token at `POST /api/v1/access-tokens/refresh` for a new pair and hands the new access token to
 * the signaling connection. A failure is reported and, when it may be passing, retried while
 * time remains; the call itself goes on until the current token expires.
 */
import { accessTokenResponseSchema, errorBodySchema } from '@atrium/protocol';
import { RequestError } from './errors.js';

/** What `token.refreshed` reports. */
export interface TokenRefreshedEvent {
  /** The access token the connection now uses. */
  token: string;
  /** When it expires. */
  expiresAt: Date;
  /** The refresh token to use next (the previous one is spent); absent after `updateToken`. */
  refreshToken?: string;
}

/** Refresh this long before expiry at most… */
const MAX_LEAD_MS = 60_000;
/** …and at most this share of the token's lifetime. */
const LEAD_SHARE = 0.2;
/** Error codes worth retrying: the server or the network may recover before expiry. */
const RETRYABLE = new Set(['NETWORK_ERROR', 'INTERNAL', 'TIMEOUT', 'RATE_LIMITED']);
const MAX_RETRY_DELAY_MS = 5_000;

/** `iat` and `exp` of a JWT, in milliseconds, read without verifying it (the server did). */
export function tokenTimes(token: string): { issuedAt: number; expiresAt: number } | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const claims: unknown = JSON.parse(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, '=')));
    if (typeof claims !== 'object' || claims === null) return null;
    const { iat, exp } = claims as { iat?: unknown; exp?: unknown };
    if (typeof iat !== 'number' || typeof exp !== 'number') return null;
    return { issuedAt: iat * 1000, expiresAt: exp * 1000 };
  } catch {
    return null;
  }
}

/** How long to wait before refreshing: a minute, or 20% of the lifetime if shorter, before expiry. */
export function refreshDelayMs(times: { issuedAt: number; expiresAt: number }, now: number): number {
  const lead = Math.min(MAX_LEAD_MS, LEAD_SHARE * (times.expiresAt - times.issuedAt));
  return Math.max(0, times.expiresAt - lead - now);
}

export interface TokenRefresherOptions {
  /** Base URL of the Atrium server. */
  url: string;
  refreshToken: string;
  fetch: typeof fetch;
  /** Gives the new access token to the connection; resolves with its expiry. */
  apply(token: string): Promise<Date>;
  onRefreshed(event: TokenRefreshedEvent): void;
  onError(error: Error): void;
}

export class TokenRefresher {
  private readonly options: TokenRefresherOptions;
  private refreshToken: string;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Expiry of the token in use, in ms; retries stop once it is near. */
  private expiresAt = 0;
  private readonly abort = new AbortController();
  private closed = false;

  constructor(options: TokenRefresherOptions) {
    this.options = options;
    this.refreshToken = options.refreshToken;
  }

  /** Plans the next refresh from this access token's lifetime (replacing any planned one). */
  schedule(token: string): void {
    if (this.closed) return;
    const times = tokenTimes(token);
    if (!times) {
      this.options.onError(new RequestError('TOKEN_INVALID', 'cannot read the access token expiry; not refreshing it'));
      return;
    }
    this.expiresAt = times.expiresAt;
    this.setTimer(refreshDelayMs(times, Date.now()));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.abort.abort();
  }

  private setTimer(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), delayMs);
  }

  private async refresh(): Promise<void> {
    try {
      const fresh = await this.exchange();
      // The old refresh token is spent now: keep the new one even if applying fails.
      this.refreshToken = fresh.refreshToken;
      const expiresAt = await this.options.apply(fresh.token);
      if (this.closed) return;
      this.options.onRefreshed({ token: fresh.token, expiresAt, refreshToken: fresh.refreshToken });
      this.schedule(fresh.token);
    } catch (error) {
      if (this.closed) return;
      const failure = error instanceof Error ? error : new Error(String(error));
      this.options.onError(failure);
      const remaining = this.expiresAt - Date.now();
      const retryable = !(failure instanceof RequestError) || RETRYABLE.has(failure.code);
      if (retryable && remaining > 1_000) this.setTimer(Math.min(MAX_RETRY_DELAY_MS, remaining / 2));
    }
  }

  private async exchange(): Promise<{ token: string; refreshToken: string }> {
    let response: Response;
    try {
      response = await this.options.fetch(new URL('/api/v1/access-tokens/refresh', this.options.url).toString(), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken: this.refreshToken }),
        signal: this.abort.signal,
      });
    } catch (error) {
      throw new RequestError('NETWORK_ERROR', `token refresh failed: ${String(error)}`);
    }
    const body: unknown = await response.json().catch(() => null);
    if (!response.ok) {
      const parsed = errorBodySchema.safeParse(body);
      if (parsed.success) throw new RequestError(parsed.data.error.code, parsed.data.error.message, parsed.data.error.details);
      throw new RequestError(response.status >= 500 ? 'INTERNAL' : 'REFRESH_FAILED', `token refresh failed: HTTP ${response.status}`);
    }
    const parsed = accessTokenResponseSchema.safeParse(body);
    if (!parsed.success) throw new RequestError('INTERNAL', 'token refresh answered an unexpected body');
    return parsed.data;
  }
}
