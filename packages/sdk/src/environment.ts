/**
 * @module Where the SDK finds WebRTC and WebSocket: the browser's globals, or in Node the
 * `wrtc` module passed to `join` (e.g. `@roamhq/wrtc`) and the `ws` package.
 */
import { ConnectionError, ConnectionErrorReason } from './errors.js';

/** The parts of a WebRTC implementation the SDK uses (`@roamhq/wrtc` provides them in Node). */
export interface WebRtcImplementation {
  RTCPeerConnection: typeof RTCPeerConnection;
  MediaStream: typeof MediaStream;
}

export type WebSocketConstructor = new (url: string) => WebSocket;

export interface Environment {
  RTCPeerConnection: typeof RTCPeerConnection;
  MediaStream: typeof MediaStream;
  WebSocket: WebSocketConstructor;
}

export async function resolveEnvironment(options: {
  wrtc?: WebRtcImplementation;
  WebSocket?: WebSocketConstructor;
}): Promise<Environment> {
  const rtc = options.wrtc ?? (globalThis as Partial<WebRtcImplementation>);
  if (!rtc.RTCPeerConnection || !rtc.MediaStream) {
    throw new ConnectionError(
      ConnectionErrorReason.Unsupported,
      'no WebRTC implementation: in Node pass { wrtc: require("@roamhq/wrtc") } to join()',
    );
  }
  let WebSocketImpl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!WebSocketImpl) {
    try {
      const ws = await import('ws');
      WebSocketImpl = ws.default as unknown as WebSocketConstructor;
    } catch {
      throw new ConnectionError(
        ConnectionErrorReason.Unsupported,
        'no WebSocket implementation: install the "ws" package or pass { WebSocket } to join()',
      );
    }
  }
  return { RTCPeerConnection: rtc.RTCPeerConnection, MediaStream: rtc.MediaStream, WebSocket: WebSocketImpl };
}

/** Resolves when ICE gathering is complete (or after `timeoutMs`, with what was gathered). */
export function iceGatheringComplete(pc: RTCPeerConnection, timeoutMs = 3000): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    };
    const check = (): void => {
      if (pc.iceGatheringState === 'complete') done();
    };
    const timer = setTimeout(done, timeoutMs);
    pc.addEventListener('icegatheringstatechange', check);
  });
}
