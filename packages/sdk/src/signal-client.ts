/**
 * @module The signaling connection: JSON-RPC 2.0 over a WebSocket. Requests resolve with their
 * result or reject with a `RequestError`; notifications are emitted by method name. Once the
 * room is joined, a socket that drops unexpectedly is replaced: the client reconnects with
 * backoff (see `reconnect-policy.ts`) and sends `resume` until the server's grace period ends.
 * Requests made meanwhile wait for the new socket; requests whose answer was lost with the old
 * socket reject with `ConnectionError` reason `interrupted`.
 */
import {
  TypedEmitter,
  jsonRpcResponseSchema,
  jsonRpcNotificationSchema,
  signalNotifications,
  type SignalMethod,
  type SignalNotification,
  type SignalNotificationParams,
  type SignalParams,
  type SignalResult,
} from '@atrium/protocol';
import { ConnectionError, ConnectionErrorReason, RequestError } from './errors.js';
import type { WebSocketConstructor } from './environment.js';
import { Logger } from './logger.js';
import { nextRetryDelayMs } from './reconnect-policy.js';

/** `connected`: requests go out at once; `reconnecting`: the socket dropped and a resume is under way; `disconnected`: for good. */
export type ConnectionState = 'connected' | 'reconnecting' | 'disconnected';

type NotificationEvents = { [N in SignalNotification]: [SignalNotificationParams<N>] };
export type SignalClientEvents = NotificationEvents & {
  /** The connection closed for good (by either side); `reason` is `connection-lost` when a resume failed or ran out of time. */
  close: [code: number, reason: string];
  /** The socket dropped; reconnecting. */
  reconnecting: [];
  /** A new socket resumed the endpoint. */
  reconnected: [result: SignalResult<'resume'>];
};

/** What `resume` needs; set by the room after `join`. */
export interface ResumeOptions {
  roomId: string;
  /** The current access token (it changes with refreshes). */
  token: () => string;
  resumeToken: string;
  /** The server's grace period, in ms: reconnecting stops after it. */
  graceMs: number;
}

interface Pending {
  method: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

interface Queued {
  id: number;
  text: string;
}

const REQUEST_TIMEOUT_MS = 20_000;
/** Requests whose params carry secrets (tokens): their params are never logged. */
const SECRET_PARAMS = new Set<string>(['join', 'resume', 'token.refresh']);
/** Close codes after which resuming makes no sense (see the server's `SignalCloseCode`). */
const FINAL_CLOSE_CODES = new Set([4001, 4002, 4003, 4004]);
/** Close code of our own `connection-lost` close event. */
export const CONNECTION_LOST_CODE = 4005;

export class SignalClient extends TypedEmitter<SignalClientEvents> {
  private socket: WebSocket;
  private readonly url: string;
  private readonly WebSocketImpl: WebSocketConstructor;
  private readonly pending = new Map<number, Pending>();
  /** Requests made while reconnecting, sent once resumed. */
  private queue: Queued[] = [];
  private nextId = 1;
  private state_: ConnectionState = 'connected';
  private resumeOptions: ResumeOptions | null = null;
  private lastSeq = 0;
  private readonly log: Logger;

  private constructor(socket: WebSocket, url: string, WebSocketImpl: WebSocketConstructor, log: Logger) {
    super();
    this.log = log;
    this.url = url;
    this.WebSocketImpl = WebSocketImpl;
    this.socket = socket;
    this.adopt(socket);
  }

  /** Opens the socket at `<baseUrl>/api/v1/signal`. */
  static async connect(baseUrl: string, WebSocketImpl: WebSocketConstructor, path: string, log = new Logger()): Promise<SignalClient> {
    const url = new URL(path, baseUrl);
    url.protocol = url.protocol === 'https:' || url.protocol === 'wss:' ? 'wss:' : 'ws:';
    log.debug(`connecting to ${url.toString()}`);
    const socket = await openSocket(url.toString(), WebSocketImpl);
    return new SignalClient(socket, url.toString(), WebSocketImpl, log);
  }

  get closed(): boolean {
    return this.state_ === 'disconnected';
  }

  get state(): ConnectionState {
    return this.state_;
  }

  /** Turns on reconnecting: after this, an unexpected close starts a resume. */
  enableResume(options: ResumeOptions): void {
    this.resumeOptions = options;
  }

  request<M extends SignalMethod>(method: M, params: SignalParams<M>): Promise<SignalResult<M>> {
    if (this.state_ === 'disconnected') {
      return Promise.reject(new ConnectionError(ConnectionErrorReason.Closed, 'the signaling connection is closed'));
    }
    const id = this.nextId++;
    const text = JSON.stringify({ jsonrpc: '2.0', id, method, params });
    if (SECRET_PARAMS.has(method)) this.log.debug(`request ${method} #${id}`);
    else this.log.debug(`request ${method} #${id}`, params);
    return new Promise<SignalResult<M>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.queue = this.queue.filter((q) => q.id !== id);
        reject(new RequestError('TIMEOUT', `${method} got no answer in ${REQUEST_TIMEOUT_MS} ms`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { method, resolve: resolve as (value: unknown) => void, reject, timer });
      if (this.state_ === 'reconnecting' && method !== 'resume') this.queue.push({ id, text });
      else this.socket.send(text);
    });
  }

  close(): void {
    if (this.state_ === 'disconnected') return;
    this.socket.close(1000, 'client closed');
    this.finalClose(1000, 'client closed');
  }

  private adopt(socket: WebSocket): void {
    socket.addEventListener('message', (event: MessageEvent) => {
      if (socket === this.socket && typeof event.data === 'string') this.receive(event.data);
    });
    socket.addEventListener('close', (event: CloseEvent) => this.onSocketClose(socket, event.code, event.reason));
    socket.addEventListener('error', () => undefined);
  }

  private receive(text: string): void {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof message === 'object' && message !== null && 'id' in message) {
      const response = jsonRpcResponseSchema.safeParse(message);
      if (!response.success || typeof response.data.id !== 'number') return;
      const pending = this.pending.get(response.data.id);
      if (!pending) return;
      this.pending.delete(response.data.id);
      clearTimeout(pending.timer);
      if ('error' in response.data) {
        const { error } = response.data;
        this.log.debug(`${pending.method} #${response.data.id} failed: ${error.data?.code ?? 'INTERNAL'} ${error.message}`);
        pending.reject(new RequestError(error.data?.code ?? 'INTERNAL', error.message, error.data?.details));
      } else {
        this.log.trace(`${pending.method} #${response.data.id} answered`, response.data.result);
        pending.resolve(response.data.result);
      }
      return;
    }
    const notification = jsonRpcNotificationSchema.safeParse(message);
    if (!notification.success) return;
    if (notification.data.seq !== undefined) this.lastSeq = notification.data.seq;
    const method = notification.data.method;
    if (!Object.hasOwn(signalNotifications, method)) return;
    const schema = signalNotifications[method as SignalNotification];
    const params = schema.safeParse(notification.data.params);
    if (!params.success) {
      this.log.warn(`ignored a malformed ${method} notification`);
      return;
    }
    this.log.debug(`notification ${method}`, params.data);
    (this.emit as (event: string, ...args: unknown[]) => void)(method, params.data);
  }

  private onSocketClose(socket: WebSocket, code: number, reason: string): void {
    if (socket !== this.socket || this.state_ === 'disconnected') return;
    // Answers still owed on this socket are lost: the caller cannot know whether they applied.
    this.rejectSent(new ConnectionError(ConnectionErrorReason.Interrupted, 'the signaling connection dropped before the answer'));
    if (this.state_ === 'reconnecting') return; // a failed attempt: the loop goes on
    if (!this.resumeOptions || FINAL_CLOSE_CODES.has(code)) {
      this.finalClose(code, reason);
      return;
    }
    void this.reconnect(this.resumeOptions);
  }

  private async reconnect(options: ResumeOptions): Promise<void> {
    this.state_ = 'reconnecting';
    this.log.warn(`signaling dropped; resuming for up to ${options.graceMs} ms`);
    this.emit('reconnecting');
    const deadline = Date.now() + options.graceMs;
    for (let attempt = 0; this.state_ === 'reconnecting'; attempt++) {
      const delay = nextRetryDelayMs(attempt);
      if (Date.now() + delay > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (this.state_ !== 'reconnecting') return;
      let socket: WebSocket;
      try {
        socket = await openSocket(this.url, this.WebSocketImpl);
      } catch {
        continue;
      }
      if (this.state_ !== 'reconnecting') {
        socket.close(1000, 'client closed');
        return;
      }
      this.socket = socket;
      this.adopt(socket);
      try {
        const result = await this.request('resume', {
          roomId: options.roomId,
          token: options.token(),
          resumeToken: options.resumeToken,
          lastSeq: this.lastSeq,
        });
        if (this.state_ !== 'reconnecting') return;
        options.resumeToken = result.resume.token;
        this.state_ = 'connected';
        for (const queued of this.queue.splice(0)) socket.send(queued.text);
        this.log.info(`signaling resumed after ${attempt + 1} attempt(s)`);
        this.emit('reconnected', result);
        return;
      } catch (error) {
        // The server refused (the endpoint is gone, the token expired …): no point retrying.
        if (error instanceof RequestError && error.code !== 'TIMEOUT') break;
      }
    }
    if (this.state_ !== 'reconnecting') return;
    this.log.error('signaling could not be resumed: connection lost');
    this.socket.close(1000, 'connection lost');
    this.finalClose(CONNECTION_LOST_CODE, 'connection-lost');
  }

  /** Rejects the requests sent on the socket that dropped; queued ones wait for the next. */
  private rejectSent(error: Error): void {
    const queued = new Set(this.queue.map((q) => q.id));
    for (const [id, pending] of this.pending) {
      if (queued.has(id)) continue;
      clearTimeout(pending.timer);
      pending.reject(error);
      this.pending.delete(id);
    }
  }

  private rejectPending(error: Error): void {
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.pending.clear();
    this.queue = [];
  }

  private finalClose(code: number, reason: string): void {
    if (this.state_ === 'disconnected') return;
    this.state_ = 'disconnected';
    this.log.debug(`signaling closed (${code} ${reason})`);
    this.rejectPending(new ConnectionError(ConnectionErrorReason.Closed, 'the signaling connection closed'));
    this.emit('close', code, reason);
  }
}

/** Opens a WebSocket; rejects when it cannot be opened. */
function openSocket(url: string, WebSocketImpl: WebSocketConstructor): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    let socket: WebSocket;
    try {
      socket = new WebSocketImpl(url);
    } catch (error) {
      reject(new ConnectionError(ConnectionErrorReason.SignalingFailed, `cannot open ${url}: ${String(error)}`));
      return;
    }
    const onOpen = (): void => {
      socket.removeEventListener('error', onError);
      resolve(socket);
    };
    const onError = (): void => {
      socket.removeEventListener('open', onOpen);
      reject(new ConnectionError(ConnectionErrorReason.SignalingFailed, `cannot connect to ${url}`));
    };
    socket.addEventListener('open', onOpen, { once: true });
    socket.addEventListener('error', onError, { once: true });
  });
}
