/**
 * @module One signaling WebSocket: parses JSON-RPC 2.0 requests, checks them against the
 * protocol schemas, dispatches them to the endpoint's room session, and sends notifications.
 * `join` (with the access token) must come first; a failed join closes the socket. The endpoint
 * lives in an `EndpointLink` that outlives this socket: when the socket drops without `leave`,
 * the endpoint stays for the grace period and a new socket may `resume` it. The endpoint is
 * removed when its access token expires, unless `token.refresh` gave it a newer one.
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
import type { Endpoint } from '../rtc/endpoint.js';
import type { RoomSession } from '../rtc/room-session.js';
import type { SessionManager } from '../service/session-manager.js';
import type { RecordingManager } from '../service/recording-manager.js';
import { LiveManager } from '../service/live-manager.js';
import type { PlaybackManager } from '../service/playback-manager.js';
import type { AccessTokens } from '../auth/access-tokens.js';
import { EndpointLink, type LinkSocket } from './endpoint-link.js';
import { checkPermissions, requiredPermissions } from './permission-check.js';
import { handleRoomSessionCall, roomSessionCallNames } from './room-session-calls.js';

/** WebSocket close codes we use (4000-4999 are the application's). */
export const SignalCloseCode = {
  NORMAL: 1000,
  JOIN_FAILED: 4001,
  JOIN_TIMEOUT: 4002,
  FINISHED: 4003,
  /** Another socket resumed this endpoint. */
  SUPERSEDED: 4004,
} as const;

const JOIN_TIMEOUT_MS = 15_000;

type Joined = { session: RoomSession; endpoint: Endpoint; permissions: readonly Permission[] };

export interface SignalConnectionDeps {
  sessions: SessionManager;
  /** Recordings started, listed and stopped from the SDK (`recording.*`). */
  recordings: RecordingManager;
  /** RTMP streams started, listed and stopped from the SDK (`rtmp.*`). */
  live: LiveManager;
  /** Playbacks started, listed and controlled from the SDK (`playback.*`). */
  playbacks: PlaybackManager;
  tokens: AccessTokens;
  log: Logger;
  /** How long a dropped endpoint may be resumed, in ms. */
  reconnectGraceMs: number;
}

export class SignalConnection implements LinkSocket {
  private readonly socket: WebSocket;
  private readonly sessions: SessionManager;
  private readonly recordings: RecordingManager;
  private readonly live: LiveManager;
  private readonly playbacks: PlaybackManager;
  private readonly log: Logger;
  /** The endpoint this socket carries, once joined or resumed. */
  private link: EndpointLink | undefined;
  private joining = false;
  private closed = false;
  /** Set by `leave`: after its reply is sent, tell the client and close. */
  private finishAfterReply = false;
  private readonly joinTimer: NodeJS.Timeout;
  private readonly tokens: AccessTokens;
  private readonly graceMs: number;

  constructor(socket: WebSocket, deps: SignalConnectionDeps) {
    this.socket = socket;
    this.tokens = deps.tokens;
    this.sessions = deps.sessions;
    this.recordings = deps.recordings;
    this.live = deps.live;
    this.playbacks = deps.playbacks;
    this.log = deps.log;
    this.graceMs = deps.reconnectGraceMs;
    this.joinTimer = setTimeout(() => {
      if (!this.link) this.socket.close(SignalCloseCode.JOIN_TIMEOUT, 'join timeout');
    }, JOIN_TIMEOUT_MS);
    socket.on('message', (data, isBinary) => {
      if (isBinary) {
        this.sendError(null, new AtriumError(ErrorCode.VALIDATION_FAILED, 'signaling messages are JSON text'));
        return;
      }
      void this.handle(data.toString());
    });
    socket.on('close', (code) => this.onClose(code));
    socket.on('error', (error) => this.log.debug({ err: error }, 'signaling socket error'));
  }

  /** Sent outside the numbered stream (the endpoint is gone: nothing to resume). */
  private notify<N extends SignalNotification>(method: N, params: SignalNotificationParams<N>): void {
    this.send({ jsonrpc: '2.0', method, params });
  }

  finish(reason: FinishReason): void {
    this.notify('room.finished', { reason });
    this.socket.close(SignalCloseCode.FINISHED, reason);
  }

  supersede(): void {
    this.link = undefined;
    this.socket.close(SignalCloseCode.SUPERSEDED, 'resumed on another connection');
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
      // A refused join closes the socket; a second join racing the first does not. A refused
      // resume leaves the socket open (the client may join afresh).
      if (method === 'join' && !this.link && !AtriumError.is(error, ErrorCode.ALREADY_JOINED)) {
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
    if (method === 'resume') return (await this.resume(params as ResumeParams, afterReply)) as SignalResult<M>;
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
        recordings: this.recordings,
        live: this.live,
        playbacks: this.playbacks,
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
      case 'stream.restartIce': {
        const p = params as { tag: string; sdp: string };
        return (await session.restartStreamIce(self, p.tag, p.sdp)) as SignalResult<M>;
      }
      case 'subscription.restartIce': {
        const p = params as { subscriptionId: string };
        return (await session.restartSubscriptionIce(self, p.subscriptionId)) as SignalResult<M>;
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
      case 'subscription.setVideoSize': {
        const p = params as { subscriptionId: string; width: number; height: number };
        session.setSubscriptionVideoSize(self, p.subscriptionId, p.width, p.height);
        return {} as SignalResult<M>;
      }
      case 'unsubscribe':
        session.unsubscribe(self, (params as { subscriptionId: string }).subscriptionId);
        return {} as SignalResult<M>;
      case 'leave':
        this.leave();
        return {} as SignalResult<M>;
      case 'token.refresh':
        return (await this.refreshToken(endpoint, (params as { token: string }).token)) as SignalResult<M>;
      default:
        throw new AtriumError(ErrorCode.METHOD_NOT_ALLOWED, `unknown method "${method}"`);
    }
  }

  private async join(params: { roomId: string; token: string }): Promise<SignalResult<'join'>> {
    if (this.link || this.joining) throw new AtriumError(ErrorCode.ALREADY_JOINED, 'this connection already joined');
    this.joining = true;
    try {
      const link = new EndpointLink(this, { graceMs: this.graceMs, log: this.log });
      const { room, session, endpoint, permissions } = await this.sessions.join(params.roomId, params.token, link);
      link.bind(session, endpoint, permissions);
      if (this.closed) {
        link.remove('disconnected');
        throw new AtriumError(ErrorCode.NOT_JOINED, 'the connection closed while joining');
      }
      this.link = link;
      clearTimeout(this.joinTimer);
      link.expireAt(tokenExpiry(params.token));
      this.log.info({ roomId: room.id, sessionId: session.id, endpointId: endpoint.id }, 'endpoint joined');
      return {
        room: { id: room.id, title: room.title, sessionId: session.id, previewUrl: room.enableRoomPreviews ? LiveManager.previewUrl(session.id) : null },
        endpoint: endpoint.info(),
        endpoints: session.listEndpoints().filter((e) => e !== endpoint).map((e) => e.info()),
        state: session.joinedState(endpoint.id),
        resume: { token: link.resumeToken, graceSeconds: link.graceMs / 1000 },
      };
    } finally {
      this.joining = false;
    }
  }

  /**
   * Reattaches this socket to an endpoint that is still in its room session (its socket dropped,
   * or is about to be found dead). Needs a valid access token of that endpoint and its resume
   * token; anything else is RESUME_FAILED and changes nothing.
   */
  private async resume(params: ResumeParams, afterReply: Array<() => void>): Promise<SignalResult<'resume'>> {
    if (this.link || this.joining) throw new AtriumError(ErrorCode.ALREADY_JOINED, 'this connection already joined');
    this.joining = true;
    try {
      const { room, session, endpoint, permissions, connection } = await this.sessions.resume(params.roomId, params.token);
      const link = connection instanceof EndpointLink ? connection : undefined;
      if (!link || link.gone || link.endpoint !== endpoint || !link.matches(params.resumeToken)) {
        throw new AtriumError(ErrorCode.RESUME_FAILED, 'this endpoint cannot be resumed: join again');
      }
      if (this.closed) throw new AtriumError(ErrorCode.NOT_JOINED, 'the connection closed while resuming');
      const replayed = link.canReplay(params.lastSeq);
      this.link = link;
      link.permissions = permissions;
      clearTimeout(this.joinTimer);
      link.expireAt(tokenExpiry(params.token));
      // After the reply: the missed notifications, then live ones, in order.
      afterReply.push(() => {
        if (this.link === link && !link.gone) link.attach(this, params.lastSeq, replayed);
      });
      this.log.info({ sessionId: session.id, endpointId: endpoint.id, lastSeq: params.lastSeq, replayed }, 'endpoint resumed');
      return {
        room: { id: room.id, title: room.title, sessionId: session.id, previewUrl: room.enableRoomPreviews ? LiveManager.previewUrl(session.id) : null },
        endpoint: endpoint.info(),
        endpoints: session.listEndpoints().filter((e) => e !== endpoint).map((e) => e.info()),
        state: session.joinedState(endpoint.id),
        resume: { token: link.resumeToken, graceSeconds: link.graceMs / 1000 },
        subscriptionIds: [...endpoint.subscriptions.keys()],
        replayed,
      };
    } finally {
      this.joining = false;
    }
  }

  /** Takes a new access token for the same room and endpoint: the connection lives until it expires. */
  private async refreshToken(endpoint: Endpoint, token: string): Promise<SignalResult<'token.refresh'>> {
    const claims = await this.tokens.verify(token);
    const link = this.link;
    if (!link || link.gone || link.endpoint !== endpoint || !link.session) {
      throw new AtriumError(ErrorCode.NOT_JOINED, 'the endpoint left the room session');
    }
    if (claims.roomId !== link.session.roomId || claims.endpoint.id !== endpoint.id) {
      throw new AtriumError(ErrorCode.TOKEN_INVALID, 'the access token is for another room or endpoint');
    }
    link.expireAt(claims.exp);
    // A new token may carry other permissions: they apply from now on.
    link.permissions = claims.permissions;
    return { expiresAt: new Date(claims.exp * 1000).toISOString() };
  }

  private requireJoined(): Joined {
    const link = this.link;
    if (!link || link.gone || !link.session || !link.endpoint) {
      throw new AtriumError(ErrorCode.NOT_JOINED, 'send join with an access token first');
    }
    return { session: link.session, endpoint: link.endpoint, permissions: link.permissions };
  }

  private leave(): void {
    const link = this.link;
    if (!link || link.gone) return;
    link.remove('left');
    this.log.info({ sessionId: link.session?.id, endpointId: link.endpoint?.id }, 'endpoint left');
    this.finishAfterReply = true;
  }

  /**
   * A close without `leave`. A drop (no close frame: 1006, or the heartbeat gave up) keeps the
   * endpoint for a resume during the grace period; a client's own normal close (1000, 1001 going
   * away) removes it at once.
   */
  private onClose(code: number): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.joinTimer);
    this.link?.detach(this, code === 1000 || code === 1001);
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

  send(message: object): void {
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

type ResumeParams = { roomId: string; token: string; resumeToken: string; lastSeq: number };
