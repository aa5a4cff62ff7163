/**
 * @module What the benchmark needs from an SFU under test, whichever it is: a process to measure
 * and clients that publish and subscribe through it.
 */

/** A stream one client publishes (one audio and/or one video track). */
export interface BenchPublication {
  /** How other clients name it when subscribing (Atrium: endpoint id; Janus: feed id). */
  readonly id: string;
  getStats(): Promise<RTCStatsReport>;
}

/** One client receiving one publication on its own peer connection. */
export interface BenchSubscription {
  /** The received video track, once negotiated (none for audio-only streams). */
  videoTrack(): MediaStreamTrack | undefined;
  getStats(): Promise<RTCStatsReport>;
}

/** One endpoint: a signaling connection that can publish and subscribe. */
export interface BenchClient {
  publish(stream: MediaStream): Promise<BenchPublication>;
  subscribe(publication: BenchPublication): Promise<BenchSubscription>;
  close(): Promise<void>;
}

/** A running SFU process with one room ready for the topology. */
export interface SfuUnderTest {
  readonly name: SfuName;
  /** The process whose /proc/<pid>/stat is measured. */
  readonly pid: number;
  /**
   * Joins one endpoint. A `receiveOnly` endpoint gets its video but does not decode it (see
   * `receiveOnlyWrtc`); it never publishes.
   */
  connect(name: string, options?: { receiveOnly?: boolean }): Promise<BenchClient>;
  stop(): Promise<void>;
}

export type SfuName = 'atrium' | 'janus';

export interface SfuStartOptions {
  /** `taskset -c` CPU list to pin the SFU to; undefined leaves it unpinned. */
  cpu: string | undefined;
  /** Video sender cap of the load generator's publishers, bits/s. */
  maxBitrate: number;
  /** Extra Node flags for the Atrium server process, e.g. `--cpu-prof` (ignored for Janus). */
  serverNodeArgs?: string[];
}

/** Resolves `check()` once truthy, polling; throws `what` after `timeoutMs`. */
export async function until<T>(what: string, check: () => T | undefined | null | false, timeoutMs = 15_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
