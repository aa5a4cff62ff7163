/**
 * @module Endpoint access tokens: HS256 JWTs bound to one room and one endpoint. They are signed
 * with a key derived from the API secret, so an access token can never pass as an API credential.
 */
import crypto from 'node:crypto';
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';
import {
  AtriumError,
  ErrorCode,
  accessTokenClaimsSchema,
  type AccessTokenClaims,
} from '@atrium/protocol';

const AUDIENCE = 'atrium:endpoint';

export interface IssuedAccessToken {
  token: string;
  claims: AccessTokenClaims;
  expiresAt: Date;
}

export class AccessTokens {
  private readonly key: Uint8Array;
  private readonly issuer: string;

  constructor(apiKey: string, apiSecret: string) {
    this.issuer = apiKey;
    this.key = crypto.createHmac('sha256', apiSecret).update('atrium access token v1').digest();
  }

  async issue(input: {
    roomId: string;
    endpointId: string;
    name: string;
    ttlSeconds: number;
    now?: Date;
  }): Promise<IssuedAccessToken> {
    const iat = Math.floor((input.now ?? new Date()).getTime() / 1000);
    const claims: AccessTokenClaims = {
      typ: 'access',
      roomId: input.roomId,
      endpoint: { id: input.endpointId, name: input.name },
      jti: crypto.randomUUID(),
      iat,
      exp: iat + input.ttlSeconds,
    };
    const token = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(this.issuer)
      .setAudience(AUDIENCE)
      .setSubject(input.endpointId)
      .sign(this.key);
    return { token, claims, expiresAt: new Date(claims.exp * 1000) };
  }

  /** Verifies signature, algorithm, audience and expiry; throws TOKEN_EXPIRED or TOKEN_INVALID. */
  async verify(token: string): Promise<AccessTokenClaims> {
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'], audience: AUDIENCE, issuer: this.issuer }));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) {
        throw new AtriumError(ErrorCode.TOKEN_EXPIRED, 'the access token has expired');
      }
      throw new AtriumError(ErrorCode.TOKEN_INVALID, 'the access token is invalid');
    }
    const claims = accessTokenClaimsSchema.safeParse(payload);
    if (!claims.success) throw new AtriumError(ErrorCode.TOKEN_INVALID, 'the access token is invalid');
    return claims.data;
  }
}
