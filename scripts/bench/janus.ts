/**
 * @module Janus under test: Debian's Janus started by `../shared/bench/janus/start-janus.sh`
 * (VideoRoom room 1234, loopback only), driven over its WebSocket API (`janus-protocol`) with the
 * same `@roamhq/wrtc` peers as Atrium's clients.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { iceGatheringComplete } from '../../packages/sdk/src/environment.js';
import { cappedWrtc, renumberPayloadType, renumberVp8 } from './media.js';
import { sleep, type BenchClient, type BenchPublication, type SfuStartOptions, type SfuUnderTest } from './sfu.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const janusStartScript = path.resolve(repoRoot, '../shared/bench/janus/start-janus.sh');
const JANUS_URL = 'ws://127.0.0.1:8188';
const ROOM = 1234;

interface JanusMessage {
  janus: string;
  transaction?: string;
  session_id?: number;
  sender?: number;
  data?: { id?: number };
  error?: { code: number; reason: string };
  plugindata?: { plugin: string; data: Record<string, unknown> & { error?: string; id?: number } };
  jsep?: { type: RTCSdpType; sdp: string };
  candidate?: { candidate?: string; sdpMid?: string; sdpMLineIndex?: number; completed?: boolean };
}

/** One WebSocket session with Janus: requests matched to replies by transaction. */
class JanusSession {
  private readonly pending = new Map<string, { resolve(m: JanusMessage): void; reject(e: Error): void }>();
  /** Per handle: Janus's unsolicited messages (trickle, webrtcup, media, hangup). */
  private readonly handleEvents = new Map<number, (m: JanusMessage) => void>();
  private nextTransaction = 0;
  private sessionId = 0;
  private keepalive: NodeJS.Timeout | undefined;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (raw: Buffer) => this.onMessage(JSON.parse(raw.toString()) as JanusMessage));
    ws.on('close', () => {
      for (const { reject } of this.pending.values()) reject(new Error('janus: socket closed'));
      this.pending.clear();
    });
  }

  static async open(): Promise<JanusSession> {
    const ws = new WebSocket(JANUS_URL, 'janus-protocol');
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const session = new JanusSession(ws);
    const created = await session.request({ janus: 'create' });
    session.sessionId = created.data?.id ?? 0;
    session.keepalive = setInterval(() => session.notify({ janus: 'keepalive' }), 20_000);
    return session;
  }

  async attach(onEvent: (m: JanusMessage) => void): Promise<number> {
    const attached = await this.request({ janus: 'attach', plugin: 'janus.plugin.videoroom' });
    const handleId = attached.data?.id ?? 0;
    this.handleEvents.set(handleId, onEvent);
    return handleId;
  }

  /** A VideoRoom request; resolves with Janus's (asynchronous) event. */
  async message(handleId: number, body: Record<string, unknown>, jsep?: RTCSessionDescriptionInit): Promise<JanusMessage> {
    const reply = await this.request({ janus: 'message', handle_id: handleId, body, ...(jsep ? { jsep } : {}) });
    const error = reply.plugindata?.data.error;
    if (error) throw new Error(`janus ${String(body.request)}: ${error}`);
    return reply;
  }

  trickleCompleted(handleId: number): void {
    this.notify({ janus: 'trickle', handle_id: handleId, candidate: { completed: true } });
  }

  /** A request Janus only acknowledges (keepalive, trickle): nothing to wait for. */
  notify(message: Record<string, unknown>): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(JSON.stringify({ ...message, transaction: `n${++this.nextTransaction}`, session_id: this.sessionId }));
  }

  close(): void {
    clearInterval(this.keepalive);
    if (this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify({ janus: 'destroy', session_id: this.sessionId, transaction: 'destroy' }));
    }
    this.ws.close();
  }

  private request(message: Record<string, unknown>): Promise<JanusMessage> {
    const transaction = String(++this.nextTransaction);
    return new Promise((resolve, reject) => {
      this.pending.set(transaction, { resolve, reject });
      this.ws.send(JSON.stringify({ ...message, transaction, ...(this.sessionId ? { session_id: this.sessionId } : {}) }));
    });
  }

  private onMessage(message: JanusMessage): void {
    if (message.transaction === undefined && message.sender !== undefined) {
      this.handleEvents.get(message.sender)?.(message);
      return;
    }
    if (message.janus === 'ack' || message.transaction === undefined) return;
    const waiter = this.pending.get(message.transaction);
    if (!waiter) return;
    this.pending.delete(message.transaction);
    if (message.janus === 'error') waiter.reject(new Error(`janus: ${message.error?.reason ?? 'error'}`));
    else waiter.resolve(message);
  }
}

function addRemoteCandidate(pc: RTCPeerConnection, message: JanusMessage): void {
  if (message.janus !== 'trickle') return;
  const c = message.candidate;
  if (!c || c.completed || !c.candidate) return;
  void pc.addIceCandidate({ candidate: c.candidate, sdpMid: c.sdpMid ?? null, sdpMLineIndex: c.sdpMLineIndex ?? null }).catch(() => undefined);
}

/** Starts Janus (pinned with taskset when asked) and waits for its WebSocket API. */
export async function startJanus(options: SfuStartOptions): Promise<SfuUnderTest> {
  if (!existsSync(janusStartScript)) throw new Error(`janus: ${janusStartScript} is missing`);
  const logDir = mkdtempSync(path.join(os.tmpdir(), 'janus-bench-log-'));
  const logFile = path.join(logDir, 'janus.log');
  const { stdout } = await promisify(execFile)('bash', [janusStartScript, options.cpu ?? '', logFile]);
  const pid = Number(stdout.trim().split('\n').pop());
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`janus: start-janus.sh printed no pid: ${stdout}`);
  const log = (): string => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const stop = async (): Promise<void> => {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
    const deadline = Date.now() + 5000;
    while (isRunning(pid)) {
      if (Date.now() > deadline) {
        process.kill(pid, 'SIGKILL');
        break;
      }
      await sleep(50);
    }
    rmSync(logDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      (await JanusSession.open()).close();
      break;
    } catch {
      if (!isRunning(pid) || Date.now() > deadline) {
        const text = log();
        await stop();
        throw new Error(`janus did not start:\n${text}`);
      }
      await sleep(100);
    }
  }
  const wrtc = cappedWrtc(options.maxBitrate);
  return {
    name: 'janus',
    pid,
    async connect(name, connectOptions = {}): Promise<BenchClient> {
      const session = await JanusSession.open();
      const pcs: RTCPeerConnection[] = [];
      return {
        async publish(stream: MediaStream): Promise<BenchPublication> {
          const pc = new wrtc.RTCPeerConnection({ iceServers: [] });
          pcs.push(pc);
          let markUp: () => void = () => undefined;
          const up = new Promise<void>((resolve) => (markUp = resolve));
          const handle = await session.attach((m) => {
            if (m.janus === 'webrtcup') markUp();
            addRemoteCandidate(pc, m);
          });
          const joined = await session.message(handle, { request: 'join', ptype: 'publisher', room: ROOM, display: name });
          const feedId = joined.plugindata?.data.id;
          for (const track of stream.getTracks()) pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
          await pc.setLocalDescription(await pc.createOffer());
          await iceGatheringComplete(pc);
          const offer = { type: 'offer' as const, sdp: pc.localDescription?.sdp ?? '' };
          const published = await session.message(handle, { request: 'publish' }, offer);
          session.trickleCompleted(handle);
          if (!published.jsep) throw new Error('janus: publish without an answer');
          await pc.setRemoteDescription(published.jsep);
          // Janus answers "No such feed" to subscribers until the publisher's PeerConnection is up.
          await withTimeout(up, 15_000, 'janus: publisher PeerConnection not up');
          return { id: String(feedId), getStats: () => pc.getStats() };
        },
        async subscribe(publication: BenchPublication) {
          const pc = new wrtc.RTCPeerConnection({ iceServers: [] });
          pcs.push(pc);
          const handle = await session.attach((m) => addRemoteCandidate(pc, m));
          let video: MediaStreamTrack | undefined;
          pc.addEventListener('track', (event: RTCTrackEvent) => {
            if (event.track.kind === 'video') video = event.track;
          });
          const attached = await session.message(handle, {
            request: 'join',
            ptype: 'subscriber',
            room: ROOM,
            streams: [{ feed: Number(publication.id) }],
          });
          if (!attached.jsep) throw new Error('janus: subscribe without an offer');
          // Receive-only: the same payload-type renumbering as receiveOnlyWrtc (no decoding).
          const renamed = connectOptions.receiveOnly ? renumberVp8(attached.jsep.sdp) : { sdp: attached.jsep.sdp, mapping: undefined };
          await pc.setRemoteDescription({ type: 'offer', sdp: renamed.sdp });
          await pc.setLocalDescription(await pc.createAnswer());
          await iceGatheringComplete(pc);
          const local = pc.localDescription?.sdp ?? '';
          const answer = renamed.mapping ? renumberPayloadType(local, renamed.mapping.to, renamed.mapping.from) : local;
          await session.message(handle, { request: 'start' }, { type: 'answer', sdp: answer });
          session.trickleCompleted(handle);
          return { videoTrack: () => video, getStats: () => pc.getStats() };
        },
        async close() {
          for (const pc of pcs) pc.close();
          session.close();
        },
      };
    },
    stop,
  };
}

function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(what)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
