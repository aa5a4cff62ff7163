/**
 * @module REST authentication: `Authorization: Basic base64(key:secret)` or
 * `Authorization: Bearer <JWT>` signed HS256 with the secret, `iss` = the key, and a short `exp`.
 */
import crypto from 'node:crypto';
import { errors as joseErrors, jwtVerify } from 'jose';
import { AtriumError, ErrorCode } from '@atrium/protocol';
import type { ApiCredentials } from './credentials.js';

/** A bearer JWT may live at most this long (exp - now), so a leaked one expires soon. */
export const MAX_API_JWT_LIFETIME_SECONDS = 3600;

function safeEqual(a: string, b: string): boolean {
  const ha = crypto.createHash('sha256').update(a).digest();
  const hb = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(ha, hb);
}

export class ApiAuthenticator {
  private readonly credentials: ApiCredentials;
  private readonly secretKey: Uint8Array;

  constructor(credentials: ApiCredentials) {
    this.credentials = credentials;
    this.secretKey = new TextEncoder().encode(credentials.apiSecret);
  }

  /** Resolves to the API key that made the request; throws UNAUTHORIZED (or TOKEN_EXPIRED). */
  async authenticate(header: string | undefined): Promise<string> {
    if (!header) throw new AtriumError(ErrorCode.UNAUTHORIZED, 'missing Authorization header');
    const [scheme = '', value = ''] = header.trim().split(/\s+/, 2);
    switch (scheme.toLowerCase()) {
      case 'basic':
        return this.basic(value);
      case 'bearer':
        return this.bearer(value);
      default:
        throw new AtriumError(ErrorCode.UNAUTHORIZED, 'Authorization must be Basic or Bearer');
    }
  }

  private basic(value: string): string {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new AtriumError(ErrorCode.UNAUTHORIZED, 'malformed Basic credentials');
    const key = decoded.slice(0, colon);
    const secret = decoded.slice(colon + 1);
    const keyOk = safeEqual(key, this.credentials.apiKey);
    const secretOk = safeEqual(secret, this.credentials.apiSecret);
    if (!keyOk || !secretOk) throw new AtriumError(ErrorCode.UNAUTHORIZED, 'invalid API key or secret');
    return key;
  }

  private async bearer(token: string): Promise<string> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.secretKey, {
        algorithms: ['HS256'],
        issuer: this.credentials.apiKey,
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) {
        throw new AtriumError(ErrorCode.TOKEN_EXPIRED, 'the bearer token has expired');
      }
      throw new AtriumError(ErrorCode.UNAUTHORIZED, 'invalid bearer token');
    }
    const exp = payload.exp ?? 0;
    if (exp - Date.now() / 1000 > MAX_API_JWT_LIFETIME_SECONDS) {
      throw new AtriumError(
        ErrorCode.UNAUTHORIZED,
        `bearer token lifetime exceeds ${MAX_API_JWT_LIFETIME_SECONDS} seconds; use a shorter exp`,
      );
    }
    return this.credentials.apiKey;
  }
}
