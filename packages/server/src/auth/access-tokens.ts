/**
 * @module Endpoint access tokens: HS256 JWTs bound to one room and one endpoint, carrying its
 * permissions and meta. `iss` is the issuing API key; they are signed with a key derived from that
 * key's secret, so an access token never passes as an API credential, and verification looks the
 * key up, so revoking it invalidates every token it issued.
 */
import crypto from 'node:crypto';
import { SignJWT, decodeJwt, errors as joseErrors, jwtVerify } from 'jose';
import {
  AtriumError,
  ErrorCode,
  GUEST_PERMISSIONS,
  accessTokenClaimsSchema,
  type AccessTokenClaims,
  type EndpointMeta,
  type Permission,
} from '@atrium/protocol';
import type { ApiKeySecrets } from './api-key-secrets.js';

const AUDIENCE = 'atrium:endpoint';

export interface IssuedAccessToken {
  token: string;
  claims: AccessTokenClaims;
  expiresAt: Date;
}

export interface AccessTokenGrant {
  /** The issuing API key (`iss`); it must be active. */
  apiKey: string;
  roomId: string;
  endpointId: string;
  name: string;
  /** Defaults to the guest permissions. */
  permissions?: readonly Permission[];
  meta?: EndpointMeta;
  ttlSeconds: number;
  now?: Date;
}

/** Verified claims plus the API key that issued them. */
export type VerifiedAccessToken = AccessTokenClaims & { iss: string };

function signingKey(apiSecret: string): Uint8Array {
  return crypto.createHmac('sha256', apiSecret).update('atrium access token v1').digest();
}

function invalid(message = 'the access token is invalid'): AtriumError {
  return new AtriumError(ErrorCode.TOKEN_INVALID, message);
}

export class AccessTokens {
  private readonly keys: ApiKeySecrets;

  constructor(keys: ApiKeySecrets) {
    this.keys = keys;
  }

  /** Mints a token; throws UNAUTHORIZED when the issuing key is unknown or revoked. */
  async issue(grant: AccessTokenGrant): Promise<IssuedAccessToken> {
    const secret = await this.keys.activeSecret(grant.apiKey);
    if (secret === undefined) throw new AtriumError(ErrorCode.UNAUTHORIZED, 'the API key is unknown or revoked');
    const iat = Math.floor((grant.now ?? new Date()).getTime() / 1000);
    const claims: AccessTokenClaims = {
      typ: 'access',
      roomId: grant.roomId,
      endpoint: { id: grant.endpointId, name: grant.name },
      permissions: [...(grant.permissions ?? GUEST_PERMISSIONS)],
      meta: grant.meta ?? {},
      jti: crypto.randomUUID(),
      iat,
      exp: iat + grant.ttlSeconds,
    };
    const token = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(grant.apiKey)
      .setAudience(AUDIENCE)
      .setSubject(grant.endpointId)
      .sign(signingKey(secret));
    return { token, claims, expiresAt: new Date(claims.exp * 1000) };
  }

  /**
   * Verifies signature, algorithm, audience, expiry and that the issuing key is still active;
   * throws TOKEN_EXPIRED or TOKEN_INVALID.
   */
  async verify(token: string): Promise<VerifiedAccessToken> {
    let issuer: unknown;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      throw invalid();
    }
    if (typeof issuer !== 'string' || issuer.length === 0) throw invalid();
    const secret = await this.keys.activeSecret(issuer);
    if (secret === undefined) throw invalid('the access token was issued by an unknown or revoked API key');
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, signingKey(secret), { algorithms: ['HS256'], audience: AUDIENCE, issuer }));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) {
        throw new AtriumError(ErrorCode.TOKEN_EXPIRED, 'the access token has expired');
      }
      throw invalid();
    }
    const claims = accessTokenClaimsSchema.safeParse(payload);
    if (!claims.success) throw invalid();
    return { ...claims.data, iss: issuer };
  }
}
