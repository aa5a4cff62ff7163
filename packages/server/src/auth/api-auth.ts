/**
 * @module REST authentication against the active API keys: `Authorization: Basic
 * base64(key:secret)`, or a JWT signed HS256 with a key's secret, `iss` = that key and a short
 * `exp`, sent as `Bearer <JWT>` or bare (`Authorization: <JWT>`). Every request looks its key up,
 * so a revoked key is refused from the next request on.
 */
import crypto from 'node:crypto';
import { decodeJwt, errors as joseErrors, jwtVerify } from 'jose';
import { AtriumError, ErrorCode } from '@atrium/protocol';
import type { ApiKeySecrets } from './api-key-secrets.js';

/** A bearer JWT may live at most this long (exp - now), so a leaked one expires soon. */
export const MAX_API_JWT_LIFETIME_SECONDS = 3600;

/** Three base64url parts: what a compact JWS looks like. */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Compared against when the key is unknown, so both paths take about the same time. */
const UNKNOWN_KEY_SECRET = crypto.randomBytes(32).toString('base64url');

function safeEqual(a: string, b: string): boolean {
  const ha = crypto.createHash('sha256').update(a).digest();
  const hb = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(ha, hb);
}

function unauthorized(message: string): AtriumError {
  return new AtriumError(ErrorCode.UNAUTHORIZED, message);
}

export class ApiAuthenticator {
  private readonly keys: ApiKeySecrets;

  constructor(keys: ApiKeySecrets) {
    this.keys = keys;
  }

  /** Resolves to the API key that made the request; throws UNAUTHORIZED (or TOKEN_EXPIRED). */
  async authenticate(header: string | undefined): Promise<string> {
    if (!header) throw unauthorized('missing Authorization header');
    const trimmed = header.trim();
    if (JWT_SHAPE.test(trimmed)) return this.jwt(trimmed);
    const [scheme = '', value = ''] = trimmed.split(/\s+/, 2);
    switch (scheme.toLowerCase()) {
      case 'basic':
        return this.basic(value);
      case 'bearer':
        return this.jwt(value);
      default:
        throw unauthorized('Authorization must be Basic, Bearer or a bare JWT');
    }
  }

  private async basic(value: string): Promise<string> {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw unauthorized('malformed Basic credentials');
    const key = decoded.slice(0, colon);
    const secret = decoded.slice(colon + 1);
    const expected = await this.keys.activeSecret(key);
    const secretOk = safeEqual(secret, expected ?? UNKNOWN_KEY_SECRET);
    if (expected === undefined || !secretOk) throw unauthorized('invalid API key or secret');
    return key;
  }

  private async jwt(token: string): Promise<string> {
    let issuer: unknown;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      throw unauthorized('invalid bearer token');
    }
    if (typeof issuer !== 'string' || issuer.length === 0) throw unauthorized('the bearer token has no iss (the API key)');
    const secret = await this.keys.activeSecret(issuer);
    if (secret === undefined) throw unauthorized('invalid bearer token');
    let exp: number;
    try {
      const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), {
        algorithms: ['HS256'],
        issuer,
        requiredClaims: ['exp'],
      });
      exp = payload.exp ?? 0;
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) {
        throw new AtriumError(ErrorCode.TOKEN_EXPIRED, 'the bearer token has expired');
      }
      throw unauthorized('invalid bearer token');
    }
    if (exp - Date.now() / 1000 > MAX_API_JWT_LIFETIME_SECONDS) {
      throw unauthorized(`bearer token lifetime exceeds ${MAX_API_JWT_LIFETIME_SECONDS} seconds; use a shorter exp`);
    }
    return issuer;
  }
}
