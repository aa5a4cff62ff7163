/**
 * @module Watches one peer connection to the SFU and restarts ICE when its media path breaks:
 * at once on `failed`, or when `disconnected` lasts longer than `disconnectedMs` (libwebrtc often
 * recovers by itself from a short loss). A restart that does not bring the path back within
 * `retryMs` is tried again, until the connection is connected or closed.
 */

export interface IceWatchdogOptions {
  /** How long `disconnected` may last before an ICE restart (default 2 s). */
  disconnectedMs?: number;
  /** Time to wait for a restart to connect before trying again (default 5 s). */
  retryMs?: number;
  /** Called when a restart could not be done (e.g. signaling is gone). */
  onError?: (error: Error) => void;
  /** Called after each completed restart negotiation. */
  onRestarted?: () => void;
}

/** Starts watching; the returned function stops (also stops by itself once the connection closes). */
export function watchIce(pc: RTCPeerConnection, restart: () => Promise<void>, options: IceWatchdogOptions = {}): () => void {
  const disconnectedMs = options.disconnectedMs ?? 2_000;
  const retryMs = options.retryMs ?? 5_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let restarting = false;
  let stopped = false;

  const healthy = (): boolean => pc.iceConnectionState === 'connected' || pc.iceConnectionState === 'completed';
  const closed = (): boolean => pc.signalingState === 'closed' || pc.connectionState === 'closed';

  const schedule = (delay: number): void => {
    if (timer !== undefined || stopped) return;
    timer = setTimeout(() => {
      timer = undefined;
      void run();
    }, delay);
  };

  const run = async (): Promise<void> => {
    if (stopped || closed()) return stop();
    if (healthy() || restarting) return;
    restarting = true;
    try {
      await restart();
      options.onRestarted?.();
    } catch (error) {
      options.onError?.(error instanceof Error ? error : new Error(String(error)));
    } finally {
      restarting = false;
    }
    if (!stopped && !closed() && !healthy()) schedule(retryMs);
  };

  const onChange = (): void => {
    if (closed()) return stop();
    const state = pc.iceConnectionState;
    if (healthy()) {
      clearTimeout(timer);
      timer = undefined;
    } else if (state === 'failed') {
      clearTimeout(timer);
      timer = undefined;
      schedule(0);
    } else if (state === 'disconnected') {
      schedule(disconnectedMs);
    }
  };

  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    clearTimeout(timer);
    timer = undefined;
    pc.removeEventListener('iceconnectionstatechange', onChange);
    pc.removeEventListener('connectionstatechange', onChange);
  };

  pc.addEventListener('iceconnectionstatechange', onChange);
  pc.addEventListener('connectionstatechange', onChange);
  return stop;
}
