/**
 * @module A bare JSON-RPC 2.0 signaling client over a real WebSocket (`ws`), for tests that need to
 * see the wire: raw error objects, notifications in order, malformed input and close codes.
 */
import WebSocket from 'ws';
import {
  SIGNAL_PATH,
  jsonRpcNotificationSchema,
  jsonRpcResponseSchema,
  signalMethods,
  signalNotifications,
  type JsonRpcError,
  type SignalMethod,
  type SignalNotification,
  type SignalNotificationParams,
  type SignalParams,
  type SignalResult,
} from '@atrium/protocol';
import type { TestServer } from './server.js';

const DEFAULT_TIMEOUT_MS = 5_000;

/** One JSON-RPC response as the server sent it: exactly one of `result` and `error` is set. */
export interface RpcResponse {
  id: string | number | null;
  result?: unknown;
  error?: JsonRpcError;
}

export interface RpcNotification {
  method: string;
  params: unknown;
  /** The server's per-endpoint notification number (for `resume`). */
  seq?: number;
}

export interface SocketClose {
  code: number;
  reason: string;
}

/** A JSON-RPC error answered to `call`, carried as an exception. */
export class RpcCallError extends Error {
  readonly error: JsonRpcError;

  constructor(method: string, error: JsonRpcError) {
    super(`${method} failed: ${error.data?.code ?? error.code} ${error.message}`);
    this.name = 'RpcCallError';
    this.error = error;
  }
}

export interface SignalTestClient {
  /** Sends a request and resolves with the server's response, error or not. */
  request(method: string, params?: unknown, timeoutMs?: number): Promise<RpcResponse>;
  /** Sends a known method and resolves with its result checked against the protocol schema; rejects with `RpcCallError`. */
  call<M extends SignalMethod>(method: M, params: SignalParams<M>): Promise<SignalResult<M>>;
  /** Sends `text` as is and resolves with the next response whose id is null (a parse or envelope error). */
  sendRaw(text: string, timeoutMs?: number): Promise<RpcResponse>;
  /** Messages from the server that break JSON-RPC 2.0 (or answer no pending request); empty when all is well. */
  readonly violations: readonly string[];
  /** Every notification received so far, oldest first. */
  readonly notifications: readonly RpcNotification[];
  /** Resolves with the params of the first notification `method` (already received or still to come). */
  waitForNotification<N extends SignalNotification>(
    method: N,
    timeoutMs?: number,
  ): Promise<SignalNotificationParams<N>>;
  /** Settles once the socket has closed, by either side. */
  readonly closed: Promise<SocketClose>;
  /** True while the socket is open. */
  readonly open: boolean;
  /** Closes the socket (normal closure) and waits for it to close. */
  close(): Promise<SocketClose>;
}

interface Waiter<T> {
  resolve: (value: T) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** Opens a signaling WebSocket to the server at `baseUrl` (`http://host:port`). */
export async function connect(baseUrl: string): Promise<SignalTestClient> {
  const url = new URL(SIGNAL_PATH, baseUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });

  let nextId = 1;
  const pending = new Map<string | number, Waiter<RpcResponse>>();
  const nullIdWaiters: Array<Waiter<RpcResponse>> = [];
  const nullIdResponses: RpcResponse[] = [];
  const notifications: RpcNotification[] = [];
  const violations: string[] = [];
  const notificationWaiters = new Set<{ method: string; waiter: Waiter<RpcNotification> }>();

  let resolveClosed: (close: SocketClose) => void = () => undefined;
  const closed = new Promise<SocketClose>((resolve) => {
    resolveClosed = resolve;
  });

  socket.on('message', (data, isBinary) => {
    if (isBinary) {
      violations.push('a binary message');
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(data.toString());
    } catch {
      violations.push(`text that is not JSON: ${data.toString().slice(0, 200)}`);
      return;
    }
    const response = jsonRpcResponseSchema.safeParse(message);
    if (response.success) {
      const { id } = response.data;
      const parsed: RpcResponse = 'error' in response.data
        ? { id, error: response.data.error }
        : { id, result: response.data.result };
      if (id === null) {
        const waiter = nullIdWaiters.shift();
        if (waiter) {
          clearTimeout(waiter.timer);
          waiter.resolve(parsed);
        } else {
          nullIdResponses.push(parsed);
        }
        return;
      }
      const waiter = pending.get(id);
      if (!waiter) {
        violations.push(`a response to no pending request: ${JSON.stringify(message)}`);
        return;
      }
      pending.delete(id);
      clearTimeout(waiter.timer);
      waiter.resolve(parsed);
      return;
    }
    const notification = jsonRpcNotificationSchema.safeParse(message);
    if (!notification.success) {
      violations.push(`not JSON-RPC: ${JSON.stringify(message)}`);
      return;
    }
    const received: RpcNotification = { method: notification.data.method, params: notification.data.params };
    if (notification.data.seq !== undefined) received.seq = notification.data.seq;
    notifications.push(received);
    for (const entry of [...notificationWaiters]) {
      if (entry.method !== received.method) continue;
      notificationWaiters.delete(entry);
      clearTimeout(entry.waiter.timer);
      entry.waiter.resolve(received);
    }
  });

  socket.on('close', (code, reason) => {
    const close = { code, reason: reason.toString() };
    const gone = new Error(`the socket closed (${code} ${close.reason})`);
    for (const waiter of pending.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(gone);
    }
    pending.clear();
    for (const waiter of nullIdWaiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(gone);
    }
    resolveClosed(close);
  });
  socket.on('error', () => undefined);

  function wait<T>(what: string, timeoutMs: number, register: (waiter: Waiter<T>) => void, onTimeout: () => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        onTimeout();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      register({ resolve, reject, timer });
    });
  }

  const client: SignalTestClient = {
    request(method, params, timeoutMs = DEFAULT_TIMEOUT_MS) {
      if (socket.readyState !== WebSocket.OPEN) return Promise.reject(new Error(`${method}: the socket is not open`));
      const id = nextId++;
      const response = wait<RpcResponse>(
        `the response to ${method}`,
        timeoutMs,
        (waiter) => pending.set(id, waiter),
        () => pending.delete(id),
      );
      socket.send(JSON.stringify(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params }));
      return response;
    },

    async call(method, params) {
      const response = await client.request(method, params);
      if (response.error) throw new RpcCallError(method, response.error);
      return signalMethods[method].result.parse(response.result) as SignalResult<typeof method>;
    },

    sendRaw(text, timeoutMs = DEFAULT_TIMEOUT_MS) {
      if (socket.readyState !== WebSocket.OPEN) return Promise.reject(new Error('sendRaw: the socket is not open'));
      const response = wait<RpcResponse>(
        'a response with id null',
        timeoutMs,
        (waiter) => {
          const queued = nullIdResponses.shift();
          if (queued) {
            clearTimeout(waiter.timer);
            waiter.resolve(queued);
          } else {
            nullIdWaiters.push(waiter);
          }
        },
        () => undefined,
      );
      socket.send(text);
      return response;
    },

    notifications,
    violations,

    async waitForNotification(method, timeoutMs = DEFAULT_TIMEOUT_MS) {
      const already = notifications.find((n) => n.method === method);
      const received = already ?? (await wait<RpcNotification>(
        `notification ${method}`,
        timeoutMs,
        (waiter) => notificationWaiters.add({ method, waiter }),
        () => {
          for (const entry of notificationWaiters) if (entry.method === method) notificationWaiters.delete(entry);
        },
      ));
      return signalNotifications[method].parse(received.params) as SignalNotificationParams<typeof method>;
    },

    closed,

    get open() {
      return socket.readyState === WebSocket.OPEN;
    },

    async close() {
      if (socket.readyState === WebSocket.CONNECTING || socket.readyState === WebSocket.OPEN) {
        socket.close(1000, 'test done');
      }
      return closed;
    },
  };
  return client;
}

/** An endpoint joined to a room over its own socket, with the join result. */
export interface JoinedEndpoint {
  client: SignalTestClient;
  joined: SignalResult<'join'>;
}

/** Mints an access token for `endpointId` in `roomId`, connects, and joins. */
export async function joinRoom(
  t: TestServer,
  roomId: string,
  endpointId: string,
  name?: string,
): Promise<JoinedEndpoint> {
  const token = await t.token(endpointId, roomId, name === undefined ? {} : { name });
  const client = await connect(t.url);
  const joined = await client.call('join', { roomId, token });
  return { client, joined };
}
