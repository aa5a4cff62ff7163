/**
 * @module The link between an endpoint and its client that outlives one signaling socket. It
 * numbers every notification (`seq`) and keeps the last ones, so a client that reconnects within
 * the grace period can `resume` and be sent what it missed; when the socket drops it keeps the
 * endpoint in the room session until the grace period ends, then removes it (`connection-lost`).
 * It also removes the endpoint when its access token expires.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { FinishReason, Permission, SignalNotification, SignalNotificationParams } from '@atrium/protocol';
import type { Endpoint, EndpointConnection } from '../rtc/endpoint.js';
import type { RoomSession } from '../rtc/room-session.js';

/** One signaling socket as the link uses it (implemented by `SignalConnection`). */
export interface LinkSocket {
  /** Sends one JSON message if the socket is open. */
  send(message: object): void;
  /** The endpoint finished: tell the client why and close the socket. */
  finish(reason: FinishReason): void;
  /** Another socket resumed this endpoint: close this one without leaving. */
  supersede(): void;
}

interface Buffered {
  seq: number;
  method: SignalNotification;
  params: unknown;
}

export interface EndpointLinkOptions {
  /** How long the endpoint is kept after its socket drops, in ms (0: it leaves at once). */
  graceMs: number;
  /** Most notifications kept for replay. */
  bufferLimit?: number;
  log: Logger;
}

const DEFAULT_BUFFER_LIMIT = 512;

export class EndpointLink implements EndpointConnection {
  /** The secret a `resume` must present (with a valid access token of the same endpoint). */
  readonly resumeToken = randomBytes(24).toString('base64url');
  readonly graceMs: number;
  session: RoomSession | undefined;
  endpoint: Endpoint | undefined;
  permissions: readonly Permission[] = [];
  private socket: LinkSocket | undefined;
  private seq = 0;
  private readonly buffer: Buffered[] = [];
  private readonly bufferLimit: number;
  private graceTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private finished_ = false;
  private readonly log: Logger;

  constructor(socket: LinkSocket, options: EndpointLinkOptions) {
    this.socket = socket;
    this.graceMs = options.graceMs;
    this.bufferLimit = options.bufferLimit ?? DEFAULT_BUFFER_LIMIT;
    this.log = options.log;
  }

  /** Set once the room session admitted the endpoint. */
  bind(session: RoomSession, endpoint: Endpoint, permissions: readonly Permission[]): void {
    this.session = session;
    this.endpoint = endpoint;
    this.permissions = permissions;
  }

  /** The endpoint is no longer in the room session (left, kicked, expired, lost). */
  get gone(): boolean {
    return this.finished_;
  }

  /** True while no socket is attached (the grace period runs). */
  get disconnected(): boolean {
    return this.socket === undefined;
  }

  get lastSeq(): number {
    return this.seq;
  }

  notify<N extends SignalNotification>(method: N, params: SignalNotificationParams<N>): void {
    const seq = ++this.seq;
    this.buffer.push({ seq, method, params });
    if (this.buffer.length > this.bufferLimit) this.buffer.shift();
    this.socket?.send({ jsonrpc: '2.0', method, params, seq });
  }

  finished(reason: FinishReason): void {
    if (this.finished_) return;
    this.finished_ = true;
    this.clearTimers();
    const socket = this.socket;
    this.socket = undefined;
    socket?.finish(reason);
  }

  /** Compares in constant time. */
  matches(resumeToken: string): boolean {
    const a = Buffer.from(resumeToken);
    const b = Buffer.from(this.resumeToken);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** Whether every notification after `lastSeq` is still buffered. */
  canReplay(lastSeq: number): boolean {
    if (lastSeq > this.seq) return false;
    if (lastSeq === this.seq) return true;
    const oldest = this.buffer[0]?.seq;
    return oldest !== undefined && oldest <= lastSeq + 1;
  }

  /**
   * Attaches a resuming socket: an older one still attached is closed without leaving; the
   * notifications after `lastSeq` are sent again when `replay`.
   */
  attach(socket: LinkSocket, lastSeq: number, replay: boolean): void {
    clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
    const previous = this.socket;
    this.socket = socket;
    if (this.endpoint) this.endpoint.disconnectedAt = null;
    if (previous && previous !== socket) previous.supersede();
    if (!replay) return;
    for (const entry of this.buffer) {
      if (entry.seq > lastSeq) socket.send({ jsonrpc: '2.0', method: entry.method, params: entry.params, seq: entry.seq });
    }
  }

  /**
   * The socket dropped without `leave`: the endpoint stays (media keeps flowing) until the grace
   * period ends or the client resumes. A client that closed the socket itself (`closedByClient`:
   * close frame 1000 or 1001, e.g. a page unloading) leaves at once with `disconnected`.
   * Ignored when `socket` is no longer the attached one.
   */
  detach(socket: LinkSocket, closedByClient = false): void {
    if (this.socket !== socket || this.finished_) return;
    this.socket = undefined;
    const { session, endpoint } = this;
    if (!session || !endpoint) return;
    if (this.graceMs <= 0 || closedByClient) {
      this.remove('disconnected');
      return;
    }
    endpoint.disconnectedAt = new Date();
    this.log.info({ sessionId: session.id, endpointId: endpoint.id, graceMs: this.graceMs }, 'signaling dropped: endpoint kept for resume');
    this.graceTimer = setTimeout(() => {
      this.graceTimer = undefined;
      this.log.info({ sessionId: session.id, endpointId: endpoint.id }, 'grace period over: endpoint removed');
      this.remove('connection-lost');
    }, this.graceMs);
    this.graceTimer.unref();
  }

  /** Removes the endpoint from its session with `reason`; the attached socket (if any) is told. */
  remove(reason: 'left' | 'disconnected' | 'connection-lost' | 'token-expired'): void {
    if (this.finished_) return;
    this.finished_ = true;
    this.clearTimers();
    if (this.session && this.endpoint) this.session.leave(this.endpoint.id, reason);
  }

  /** Removes the endpoint when the access token expires (`exp` in seconds), unless renewed before. */
  expireAt(exp: number): void {
    clearTimeout(this.expiryTimer);
    this.expiryTimer = setTimeout(() => {
      if (this.finished_) return;
      this.log.info({ sessionId: this.session?.id, endpointId: this.endpoint?.id }, 'access token expired: endpoint removed');
      const socket = this.socket;
      this.remove('token-expired');
      this.socket = undefined;
      socket?.finish('token-expired');
    }, Math.max(0, exp * 1000 - Date.now()));
    this.expiryTimer.unref();
  }

  private clearTimers(): void {
    clearTimeout(this.graceTimer);
    clearTimeout(this.expiryTimer);
    this.graceTimer = undefined;
    this.expiryTimer = undefined;
  }
}
