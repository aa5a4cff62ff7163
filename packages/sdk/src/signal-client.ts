/**
 * @module The signaling connection: JSON-RPC 2.0 over a WebSocket. Requests resolve with their
 * result or reject with a `RequestError`; notifications are emitted by method name.
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

type NotificationEvents = { [N in SignalNotification]: [SignalNotificationParams<N>] };
export type SignalClientEvents = NotificationEvents & {
  /** The socket closed (by either side). */
  close: [code: number, reason: string];
};

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

const REQUEST_TIMEOUT_MS = 20_000;

export class SignalClient extends TypedEmitter<SignalClientEvents> {
  private readonly socket: WebSocket;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed_ = false;

  private constructor(socket: WebSocket) {
    super();
    this.socket = socket;
    socket.addEventListener('message', (event: MessageEvent) => {
      if (typeof event.data === 'string') this.receive(event.data);
    });
    socket.addEventListener('close', (event: CloseEvent) => this.onClose(event.code, event.reason));
  }

  /** Opens the socket at `<baseUrl>/api/v1/signal`. */
  static connect(baseUrl: string, WebSocketImpl: WebSocketConstructor, path: string): Promise<SignalClient> {
    const url = new URL(path, baseUrl);
    url.protocol = url.protocol === 'https:' || url.protocol === 'wss:' ? 'wss:' : 'ws:';
    return new Promise((resolve, reject) => {
      let socket: WebSocket;
      try {
        socket = new WebSocketImpl(url.toString());
      } catch (error) {
        reject(new ConnectionError(ConnectionErrorReason.SignalingFailed, `cannot open ${url}: ${String(error)}`));
        return;
      }
      const onOpen = (): void => {
        socket.removeEventListener('error', onError);
        resolve(new SignalClient(socket));
      };
      const onError = (): void => {
        socket.removeEventListener('open', onOpen);
        reject(new ConnectionError(ConnectionErrorReason.SignalingFailed, `cannot connect to ${url}`));
      };
      socket.addEventListener('open', onOpen, { once: true });
      socket.addEventListener('error', onError, { once: true });
    });
  }

  get closed(): boolean {
    return this.closed_;
  }

  request<M extends SignalMethod>(method: M, params: SignalParams<M>): Promise<SignalResult<M>> {
    if (this.closed_) {
      return Promise.reject(new ConnectionError(ConnectionErrorReason.Closed, 'the signaling connection is closed'));
    }
    const id = this.nextId++;
    return new Promise<SignalResult<M>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RequestError('TIMEOUT', `${method} got no answer in ${REQUEST_TIMEOUT_MS} ms`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      this.socket.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    });
  }

  close(): void {
    if (this.closed_) return;
    this.socket.close(1000, 'client closed');
    this.onClose(1000, 'client closed');
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
        pending.reject(new RequestError(error.data?.code ?? 'INTERNAL', error.message, error.data?.details));
      } else {
        pending.resolve(response.data.result);
      }
      return;
    }
    const notification = jsonRpcNotificationSchema.safeParse(message);
    if (!notification.success) return;
    const method = notification.data.method;
    if (!Object.hasOwn(signalNotifications, method)) return;
    const schema = signalNotifications[method as SignalNotification];
    const params = schema.safeParse(notification.data.params);
    if (!params.success) return;
    (this.emit as (event: string, ...args: unknown[]) => void)(method, params.data);
  }

  private onClose(code: number, reason: string): void {
    if (this.closed_) return;
    this.closed_ = true;
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new ConnectionError(ConnectionErrorReason.Closed, 'the signaling connection closed'));
    }
    this.pending.clear();
    this.emit('close', code, reason);
  }
}
