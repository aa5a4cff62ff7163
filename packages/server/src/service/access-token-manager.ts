/**
 * @module Access token use cases: mint an endpoint's access token for a room (found by id or by
 * name, created by name when the server auto-creates rooms) together with a refresh token, and
 * rotate refresh tokens. A refresh token is used once; presenting a used one revokes its whole
 * family, so a stolen token and the legitimate one cannot both go on.
 */
import crypto from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import {
  AtriumError,
  ErrorCode,
  GUEST_PERMISSIONS,
  MODERATOR_PERMISSIONS,
  createRoomBodySchema,
  normalizePermissions,
  permissionSchema,
  type AccessTokenResponse,
  type CreateAccessTokenBody,
  type Room,
} from '@atrium/protocol';
import type { AccessTokens } from '../auth/access-tokens.js';
import type { Store } from '../store/store.js';
import { toRoom, type RoomManager } from './room-manager.js';

export interface AccessTokenManagerOptions {
  /** Create the room named by `roomName` when it does not exist. */
  autoCreateRooms: boolean;
  /** Lifetime of each refresh token, in seconds. */
  refreshTokenTtlSeconds: number;
}

/** What a refresh token mints again: everything of the access token but its room and endpoint. */
const grantSchema = z.object({
  name: z.string(),
  permissions: z.array(permissionSchema),
  meta: z.record(z.string(), z.unknown()),
  ttlSeconds: z.number().int().positive(),
});
type Grant = z.infer<typeof grantSchema>;

/** Expired refresh tokens are swept at most this often. */
const SWEEP_INTERVAL_MS = 3600_000;

function hashRefreshToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

function revoked(message: string): AtriumError {
  return new AtriumError(ErrorCode.TOKEN_REVOKED, message);
}

export class AccessTokenManager {
  private readonly store: Store;
  private readonly tokens: AccessTokens;
  private readonly rooms: RoomManager;
  private readonly options: AccessTokenManagerOptions;
  private readonly log: Logger;
  private lastSweep = 0;

  constructor(deps: { store: Store; tokens: AccessTokens; rooms: RoomManager; log: Logger } & AccessTokenManagerOptions) {
    this.store = deps.store;
    this.tokens = deps.tokens;
    this.rooms = deps.rooms;
    this.log = deps.log;
    this.options = { autoCreateRooms: deps.autoCreateRooms, refreshTokenTtlSeconds: deps.refreshTokenTtlSeconds };
  }

  /** Mints an access token and a new refresh-token family, issued under `apiKey`. */
  async issue(apiKey: string, endpointId: string, body: CreateAccessTokenBody): Promise<AccessTokenResponse> {
    const room = body.roomId !== undefined ? await this.rooms.getRoom(body.roomId) : await this.roomByName(body.roomName ?? '');
    const grant: Grant = {
      name: body.name ?? endpointId,
      permissions: normalizePermissions(body.moderator ? MODERATOR_PERMISSIONS : (body.permissions ?? GUEST_PERMISSIONS)),
      meta: body.meta,
      ttlSeconds: body.ttlSeconds,
    };
    this.sweepExpired();
    return this.mint({ apiKey, roomId: room.id, endpointId, grant, familyId: crypto.randomUUID() });
  }

  /**
   * Exchanges a refresh token for a new access token and refresh token. Refuses an unknown one
   * (TOKEN_INVALID), an expired one (TOKEN_EXPIRED), and a used or revoked one (TOKEN_REVOKED,
   * revoking its family).
   */
  async refresh(refreshToken: string): Promise<AccessTokenResponse> {
    const record = await this.store.refreshTokens.getByHash(hashRefreshToken(refreshToken));
    if (!record) throw new AtriumError(ErrorCode.TOKEN_INVALID, 'unknown refresh token');
    const now = new Date().toISOString();
    if (record.revokedAt !== null) throw revoked('the refresh token has been revoked');
    if (record.usedAt === null && record.expiresAt <= now) {
      throw new AtriumError(ErrorCode.TOKEN_EXPIRED, 'the refresh token has expired');
    }
    // Claiming is one conditional update, so of two requests racing with one token only one wins.
    const claimed = record.usedAt === null && (await this.store.refreshTokens.markUsed(record.id, now));
    if (!claimed) {
      await this.store.refreshTokens.revokeFamily(record.familyId, now);
      this.log.warn({ familyId: record.familyId, endpointId: record.endpointId }, 'refresh token reused: family revoked');
      throw revoked('the refresh token was already used; every token of its family is now revoked');
    }
    const grant = grantSchema.safeParse(JSON.parse(record.grant));
    if (!grant.success) throw new AtriumError(ErrorCode.INTERNAL, `refresh token ${record.id} has an unreadable grant`);
    if (!(await this.store.rooms.get(record.roomId))) {
      await this.store.refreshTokens.revokeFamily(record.familyId, now);
      throw new AtriumError(ErrorCode.ROOM_NOT_FOUND, 'the room of this refresh token no longer exists');
    }
    let fresh: AccessTokenResponse;
    try {
      fresh = await this.mint({
        apiKey: record.apiKey,
        roomId: record.roomId,
        endpointId: record.endpointId,
        grant: grant.data,
        familyId: record.familyId,
      });
    } catch (error) {
      if (!AtriumError.is(error, ErrorCode.UNAUTHORIZED)) throw error;
      await this.store.refreshTokens.revokeFamily(record.familyId, now);
      throw revoked('the API key that issued this refresh token has been revoked');
    }
    // A reuse racing this request may have revoked the family before our new token existed:
    // then the new token must die with it.
    if (await this.store.refreshTokens.familyRevoked(record.familyId)) {
      await this.store.refreshTokens.revokeFamily(record.familyId, now);
      throw revoked('the refresh token was used twice at once; every token of its family is now revoked');
    }
    return fresh;
  }

  private async mint(input: {
    apiKey: string;
    roomId: string;
    endpointId: string;
    grant: Grant;
    familyId: string;
  }): Promise<AccessTokenResponse> {
    const { apiKey, roomId, endpointId, grant } = input;
    const issued = await this.tokens.issue({ apiKey, roomId, endpointId, ...grant });
    const refreshToken = `rt_${crypto.randomBytes(32).toString('base64url')}`;
    const createdAt = new Date();
    const expiresAt = new Date(createdAt.getTime() + this.options.refreshTokenTtlSeconds * 1000);
    await this.store.refreshTokens.insert({
      id: crypto.randomUUID(),
      familyId: input.familyId,
      tokenHash: hashRefreshToken(refreshToken),
      apiKey,
      roomId,
      endpointId,
      grant: JSON.stringify(grant),
      createdAt: createdAt.toISOString(),
      expiresAt: expiresAt.toISOString(),
      usedAt: null,
      revokedAt: null,
    });
    return {
      token: issued.token,
      expiresAt: issued.expiresAt.toISOString(),
      refreshToken,
      refreshTokenExpiresAt: expiresAt.toISOString(),
    };
  }

  /** The room called `name`, created with default settings when missing and auto-create is on. */
  private async roomByName(name: string): Promise<Room> {
    const existing = await this.store.rooms.getByName(name);
    if (existing) return toRoom(existing);
    if (!this.options.autoCreateRooms) {
      throw new AtriumError(ErrorCode.ROOM_NOT_FOUND, `no room is named "${name}" (auto-create is off)`);
    }
    try {
      const room = await this.rooms.createRoom(createRoomBodySchema.parse({ name }));
      this.log.info({ roomId: room.id, name }, 'room auto-created for an access token');
      return room;
    } catch (error) {
      if (!AtriumError.is(error, ErrorCode.ROOM_EXISTS)) throw error;
      // Another request created it at the same moment: use that one.
      const created = await this.store.rooms.getByName(name);
      if (!created) throw error;
      return toRoom(created);
    }
  }

  /** Deletes long-expired refresh tokens now and then; never delays the request. */
  private sweepExpired(): void {
    const now = Date.now();
    if (now - this.lastSweep < SWEEP_INTERVAL_MS) return;
    this.lastSweep = now;
    this.store.refreshTokens
      .deleteExpired(new Date(now - 86_400_000).toISOString())
      .catch((error: unknown) => this.log.warn({ err: error }, 'sweeping expired refresh tokens failed'));
  }
}
