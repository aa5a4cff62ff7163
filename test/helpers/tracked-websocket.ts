/**
 * @module A `ws` WebSocket class for the SDK that remembers its instances (so a test can kill one
 * from outside) and can refuse new connections (as when the client's network is down).
 */
import WebSocket from 'ws';
import type { WebSocketConstructor } from '../../packages/sdk/src/index.js';

export interface TrackedWebSockets {
  ctor: WebSocketConstructor;
  /** Every socket opened (or attempted), oldest first. */
  sockets: WebSocket[];
  /** While true, new sockets go to a closed port and fail to open. */
  blocked: boolean;
  /** The newest socket. */
  readonly last: WebSocket | undefined;
}

export function trackedWebSocket(): TrackedWebSockets {
  const tracked: TrackedWebSockets = {
    ctor: undefined as unknown as WebSocketConstructor,
    sockets: [],
    blocked: false,
    get last() {
      return tracked.sockets.at(-1);
    },
  };
  class Tracked extends WebSocket {
    constructor(url: string) {
      // Port 9 (discard) is closed: the connection is refused at once.
      super(tracked.blocked ? 'ws://127.0.0.1:9/' : url);
      tracked.sockets.push(this);
    }
  }
  tracked.ctor = Tracked as unknown as WebSocketConstructor;
  return tracked;
}
