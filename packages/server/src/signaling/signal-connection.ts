/**
 * @module One signaling WebSocket: parses JSON-RPC 2.0 requests, checks them against the
 * protocol schemas, dispatches them to the endpoint's room session, and sends notifications.
 * `join` (with the access token) must come first; a failed join closes the socket. The endpoint
 * is removed when its access token expires, unless `token.refresh` gave it a newer one.
 */
import { decodeJwt } from 'jose';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import {
  AtriumError,
  ErrorCode,
  JsonRpcCode,
  jsonRpcCodeFor,
  jsonRpcRequestSchema,
  signalMethods,
  validationError,
  type FinishReason,
  type Permission,
  type SignalMethod,
  type SignalNotification,
  type SignalNotificationParams,
  type SignalResult,
} from '@atrium/protocol';
import type { Endpoint, EndpointConnection } from '../rtc/endpoint.js';
import type { RoomSession } from '../rtc/room-session.js';
import type { SessionManager } from '../service/session-manager.js';
import type { AccessTokens } from '../auth/access-tokens.js';
import { checkPermissions, requiredPermissions } from './permission-check.js';
import { handleRoomSessionCall, roomSessionCallNames } from './room-session-calls.js';

/** WebSocket close codes we use (4000-4999 are the application's). */
export const SignalCloseCode = {
  NORMAL: 1000,
  JOIN_FAILED: 4001,
  JOIN_TIMEOUT: 4002,
  FINISHED: 4003,
} as const;

const JOIN_TIMEOUT_MS = 15_000;

type Joined = { session: RoomSession; endpoint: Endpoint; permissions: readonly Permission[] };

export class SignalConnection implements EndpointConnection {
  private readonly socket: WebSocket;
  private readonly sessions: SessionManager;
  private readonly log: Logger;
  private joined: Joined | undefined;
  private joining = false;
  private closed = false;
  /** Set by `leave`: after its reply is sent, tell the client and close. */
  private finishAfterReply = false;
  private readonly joinTimer: NodeJS.Timeout;
  private readonly tokens: AccessTokens;
  /** Removes the endpoint when its access token expires without a `token.refresh`. */
  private expiryTimer: NodeJS.Timeout | undefined;

  constructor(socket: WebSocket, deps: { sessions: SessionManager; tokens: AccessTokens; log: Logger }) {
    this.socket = socket;
    this.tokens = deps.tokens;
    this.sessions = deps.sessions;
    this.log = deps.log;
    this.joinTimer = setTimeout(() => {
      if (!this.joined) this.socket.close(SignalCloseCode.JOIN_TIMEOUT, 'join timeout');
    }, JOIN_TIMEOUT_MS);
    socket.on('message', (data, isBinary) => {
      if (isBinary) {
        this.sendError(null, new AtriumError(ErrorCode.VALIDATION_FAILED, 'signaling messages are JSON text'));
        return;
      }
      void this.handle(data.toString());
    });
    socket.on('close', () => this.onClose());
    socket.on('error', (error) => this.log.debug({ err: error }, 'signaling socket error'));
  }

  notify<N extends SignalNotification>(method: N, params: SignalNotificationParams<N>): void {
    this.send({ jsonrpc: '2.0', method, params });
  }

  finished(reason: FinishReason): void {
    clearTimeout(this.expiryTimer);
    // The session already removed this endpoint: forget it so closing does not leave twice.
    this.joined = undefined;
    this.notify('room.finished', { reason });
    this.socket.close(SignalCloseCode.FINISHED, reason);
  }

  private async handle(text: string): Promise<void> {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      this.sendError(null, new AtriumError(ErrorCode.MALFORMED_JSON, 'the message is not valid JSON'));
      return;
    }
    const request = jsonRpcRequestSchema.safeParse(message);
    if (!request.success) {
      const id = typeof message === 'object' && message !== null && 'id' in message ? message.id : null;
      this.send({
        jsonrpc: '2.0',
        id: typeof id === 'string' || typeof id === 'number' ? id : null,
        error: { code: JsonRpcCode.INVALID_REQUEST, message: 'not a JSON-RPC 2.0 request', data: { code: ErrorCode.VALIDATION_FAILED } },
      });
      return;
    }
    const { id, method, params } = request.data;
    if (!Object.hasOwn(signalMethods, method)) {
      this.send({
        jsonrpc: '2.0',
        id,
        error: { code: JsonRpcCode.METHOD_NOT_FOUND, message: `unknown method "${method}"`, data: { code: ErrorCode.METHOD_NOT_ALLOWED } },
      });
      return;
    }
    // Work to run once this request's reply is sent (ending the session after removeAllMembers).
    const afterReply: Array<() => void> = [];
    try {
      const result = await this.dispatch(method as SignalMethod, params, afterReply);
      this.send({ jsonrpc: '2.0', id, result });
      for (const action of afterReply) action();
      if (this.finishAfterReply) {
        this.notify('room.finished', { reason: 'left' });
        this.socket.close(SignalCloseCode.NORMAL, 'left');
      }
    } catch (error) {
      this.sendError(id, error);
      // A refused join closes the socket; a second join racing the first does not.
      if (method === 'join' && !this.joined && !AtriumError.is(error, ErrorCode.ALREADY_JOINED)) {
        this.socket.close(SignalCloseCode.JOIN_FAILED, 'join failed');
      }
    }
  }

  private async dispatch<M extends SignalMethod>(
    method: M,
    rawParams: unknown,
    afterReply: Array<() => void>,
  ): Promise<SignalResult<M>> {
    const parsed = signalMethods[method].params.safeParse(rawParams ?? {});
    if (!parsed.success) throw validationError(parsed.error, `${method} params`);
    const params = parsed.data;
    if (method === 'join') return (await this.join(params as { roomId: string; token: string })) as SignalResult<M>;
    const { session, endpoint, permissions } = this.requireJoined();
    const self = endpoint.id;
    checkPermissions(
      permissions,
      requiredPermissions(method, params, self, { publishedTags: [...endpoint.streams.keys()] }),
      method,
    );
    if (roomSessionCallNames.has(method)) {
      return handleRoomSessionCall(method, params, {
        session,
        self,
        permissions,
        afterReply: (action) => afterReply.push(action),
      });
    }
    switch (method) {
      case 'publish': {
        const p = params as { tag: string; sdp: string };
        return (await session.publish(self, p.tag, p.sdp)) as SignalResult<M>;
      }
      case 'unpublish':
        session.unpublish(self, (params as { tag: string }).tag);
        return {} as SignalResult<M>;
      case 'track.setMuted': {
        const p = params as { tag: string; kind: 'audio' | 'video'; muted: boolean };
        session.setTrackMuted(self, p.tag, p.kind, p.muted);
        return {} as SignalResult<M>;
      }
      case 'subscribe': {
        const p = params as { endpointId: string; tag: string };
        return (await session.subscribe(self, p)) as SignalResult<M>;
      }
      case 'subscription.answer': {
        const p = params as { subscriptionId: string; sdp: string };
        await session.answerSubscription(self, p.subscriptionId, p.sdp);
        return {} as SignalResult<M>;
      }
      case 'subscription.setPaused': {
        const p = params as { subscriptionId: string; kind: 'audio' | 'video'; paused: boolean };
        session.setSubscriptionPaused(self, p.subscriptionId, p.kind, p.paused);
        return {} as SignalResult<M>;
      }
      case 'unsubscribe':
        session.unsubscribe(self, (params as { subscriptionId: string }).subscriptionId);
        return {} as SignalResult<M>;
      case 'leave':
        this.leave('left');
        return {} as SignalResult<M>;
      case 'token.refresh':
        return (await this.refreshToken(endpoint, (params as { token: string }).token)) as SignalResult<M>;
      default:
        throw new AtriumError(ErrorCode.METHOD_NOT_ALLOWED, `unknown method "${method}"`);
    }
  }

  private async join(params: { roomId: string; token: string }): Promise<SignalResult<'join'>> {
    if (this.joined || this.joining) throw new AtriumError(ErrorCode.ALREADY_JOINED, 'this connection already joined');
    this.joining = true;
    try {
      const { room, session, endpoint, permissions } = await this.sessions.join(params.roomId, params.token, this);
      if (this.closed) {
        session.leave(endpoint.id, 'disconnected');
        throw new AtriumError(ErrorCode.NOT_JOINED, 'the connection closed while joining');
      }
      this.joined = { session, endpoint, permissions };
      clearTimeout(this.joinTimer);
      this.expireAt(tokenExpiry(params.token));
      this.log.info({ roomId: room.id, sessionId: session.id, endpointId: endpoint.id }, 'endpoint joined');
      return {
        room: { id: room.id, title: room.title, sessionId: session.id },
        endpoint: endpoint.info(),
        endpoints: session.listEndpoints().filter((e) => e !== endpoint).map((e) => e.info()),
        state: session.joinedState(endpoint.id),
      };
    } finally {
      this.joining = false;
    }
  }

  /** Takes a new access token for the same room and endpoint: the connection lives until it expires. */
  private async refreshToken(endpoint: Endpoint, token: string): Promise<SignalResult<'token.refresh'>> {
    const claims = await this.tokens.verify(token);
    const joined = this.joined;
    if (joined?.endpoint !== endpoint) throw new AtriumError(ErrorCode.NOT_JOINED, 'the endpoint left the room session');
    if (claims.roomId !== joined.session.roomId || claims.endpoint.id !== endpoint.id) {
      throw new AtriumError(ErrorCode.TOKEN_INVALID, 'the access token is for another room or endpoint');
    }
    this.expireAt(claims.exp);
    // A new token may carry other permissions: they apply from now on.
    joined.permissions = claims.permissions;
    return { expiresAt: new Date(claims.exp * 1000).toISOString() };
  }

  private expireAt(exp: number): void {
    clearTimeout(this.expiryTimer);
    this.expiryTimer = setTimeout(() => this.expire(), Math.max(0, exp * 1000 - Date.now()));
    this.expiryTimer.unref();
  }

  /** The token ran out: the endpoint leaves, the client is told why, the socket closes. */
  private expire(): void {
    const joined = this.joined;
    if (!joined) return;
    this.joined = undefined;
    joined.session.leave(joined.endpoint.id, 'token-expired');
    this.log.info({ sessionId: joined.session.id, endpointId: joined.endpoint.id }, 'access token expired: endpoint removed');
    this.notify('room.finished', { reason: 'token-expired' });
    this.socket.close(SignalCloseCode.FINISHED, 'token-expired');
  }

  private requireJoined(): Joined {
    if (!this.joined) throw new AtriumError(ErrorCode.NOT_JOINED, 'send join with an access token first');
    return this.joined;
  }

  private leave(reason: 'left' | 'disconnected'): void {
    clearTimeout(this.expiryTimer);
    const joined = this.joined;
    if (!joined) return;
    this.joined = undefined;
    joined.session.leave(joined.endpoint.id, reason);
    this.log.info({ sessionId: joined.session.id, endpointId: joined.endpoint.id, reason }, 'endpoint left');
    if (reason === 'left') this.finishAfterReply = true;
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.joinTimer);
    clearTimeout(this.expiryTimer);
    this.leave('disconnected');
  }

  private sendError(id: string | number | null, error: unknown): void {
    if (error instanceof AtriumError && error.code !== ErrorCode.INTERNAL) {
      this.send({
        jsonrpc: '2.0',
        id,
        error: {
          code: jsonRpcCodeFor(error.code),
          message: error.message,
          data: error.details === undefined ? { code: error.code } : { code: error.code, details: error.details },
        },
      });
      return;
    }
    this.log.error({ err: error }, 'signaling request failed');
    this.send({
      jsonrpc: '2.0',
      id,
      error: { code: JsonRpcCode.INTERNAL_ERROR, message: 'internal error', data: { code: ErrorCode.INTERNAL } },
    });
  }

  private send(message: object): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    this.socket.send(JSON.stringify(message));
  }
}

/** `exp` of a token that `join` has just verified (so it is well formed). */
function tokenExpiry(token: string): number {
  const { exp } = decodeJwt(token);
  if (typeof exp !== 'number') throw new AtriumError(ErrorCode.TOKEN_INVALID, 'the access token has no expiry');
  return exp;
}
