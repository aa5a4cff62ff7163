/**
 * @module The live compositor of one room session: ONE ffmpeg that decodes a fixed number of
 * slots (each a video slot relay and an audio slot relay on loopback UDP), places the video slots
 * on a canvas, mixes the audio slots (`amix normalize=0`), encodes H.264 (libx264 veryfast,
 * zerolatency) + AAC ONCE and writes MPEG-TS to its stdout. Outputs (RTMP, HLS: `LiveOutput`)
 * are `-c copy` ffmpegs fed that MPEG-TS, so they come and go without touching the encoder
 * (a tee muxer's outputs are fixed when ffmpeg starts). Optionally a preview JPEG of the canvas
 * is rewritten every few seconds (atomically).
 *
 * Slot count: FIXED for the life of the ffmpeg (`maxSlots`, default 4, a 2×2 grid). ffmpeg's
 * filter graph cannot gain or lose inputs without a restart, and a restart drops the RTMP
 * connection and breaks the HLS timeline, so the compositor is built for the most members it
 * shows; slots without a member carry the relay's filler (black VP8, Opus silence). Joins and
 * leaves only re-assign relays (`SlotRelay.assign`): ffmpeg never restarts. The layers of the
 * layout feed (computeLayout order, i.e. priority) choose WHO is in which slot, and each slot is
 * moved and resized to its member's layer rectangle with ffmpeg filter commands (`c` on its
 * stdin: `scale`/`crop` sizes, `overlay` position) — the live layout, without a restart. Slots
 * nobody fills leave the canvas.
 *
 * Pitfall (measured, slot-relay.test.ts): ffmpeg opens its inputs one after the other and stalls
 * on an input that is silent, so every relay sends (filler) before ffmpeg starts.
 * Pitfall (seen with real publishers): while ffmpeg probes one input the others' UDP buffers can
 * overflow; a VP8 input that lost its keyframe decodes nothing until the next one ("Keyframe
 * missing"), which holds the whole grid. A publisher sends keyframes only when asked, so the
 * compositor asks every shown source for one until ffmpeg writes output, and again whenever
 * ffmpeg reports a lost VP8 frame (at most once per `KEYFRAME_RETRY_MS`).
 */
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { TypedEmitter, type TrackKind, type VideoLayoutLayer } from '@atrium/protocol';
import { FfmpegProcess } from './ffmpeg-process.js';
import { egressCodecs, freeRtpPort, LOST_VP8_FRAME, RTP_INPUT_BUFFER_ARGS, trackSdp } from './rtp-sdp.js';
import { SlotRelay, type SlotRelayStats, type SlotSource } from './slot-relay.js';
import { blackVp8Keyframe } from './vp8-frames.js';

const KEYFRAME_RETRY_MS = 1000;

/** Who is shown: the session's current layers, and a signal when they change. */
export interface LiveLayoutFeed {
  layers(): VideoLayoutLayer[];
  on(event: 'layout', listener: () => void): unknown;
  off(event: 'layout', listener: () => void): unknown;
}

/** The track of a member's stream, or null (not published, or that kind absent). */
export type TrackResolver = (memberId: string, streamTag: string, kind: TrackKind) => SlotSource | null;

export interface LiveCompositorOptions {
  ffmpegPath: string;
  /** Directory for the SDP files. */
  workDir: string;
  feed: LiveLayoutFeed;
  resolve: TrackResolver;
  /** A JPEG of the canvas rewritten every `previewIntervalSeconds` (room previews). */
  previewFile?: string;
  previewIntervalSeconds?: number;
  width?: number;
  height?: number;
  fps?: number;
  maxSlots?: number;
  videoBitrateKbps?: number;
}

export type LiveCompositorEvents = {
  /** ffmpeg ended without being asked to; `reason` holds its last error lines. */
  failed: [reason: string];
  /** A chunk of the composite as MPEG-TS (H.264 + AAC). */
  mpegts: [chunk: Buffer];
};

interface Slot {
  video: SlotRelay;
  audio: SlotRelay;
  /** `memberId:tag` shown, or undefined. */
  key: string | undefined;
  /** Where ffmpeg places it now. */
  rect: SlotRect;
}

/** Columns × rows of the fixed grid for `n` slots. */
export function gridOf(n: number): [cols: number, rows: number] {
  const cols = Math.ceil(Math.sqrt(n));
  return [cols, Math.ceil(n / cols)];
}

/** Where a slot's picture goes on the canvas, in pixels (even numbers, for yuv420p). */
export interface SlotRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The fixed grid's cell `i` of `n`: where a slot sits until a layout places it. */
export function gridRect(i: number, n: number, width: number, height: number): SlotRect {
  const [cols, rows] = gridOf(n);
  const cellW = even(width / cols);
  const cellH = even(height / rows);
  return { x: (i % cols) * cellW, y: Math.floor(i / cols) * cellH, width: cellW, height: cellH };
}

/** A layer's rectangle (percent of the canvas) in pixels of a `width`×`height` canvas. */
export function layerRect(layer: Pick<VideoLayoutLayer, 'x' | 'y' | 'width' | 'height'>, width: number, height: number): SlotRect {
  return {
    x: even((layer.x / 100) * width),
    y: even((layer.y / 100) * height),
    width: Math.max(2, even((layer.width / 100) * width)),
    height: Math.max(2, even((layer.height / 100) * height)),
  };
}

const even = (value: number): number => Math.floor(value / 2) * 2;

/**
 * The `-filter_complex` graph: `n` video inputs (even indexes) and `n` audio inputs (odd) → [v], [a].
 * Each slot is scaled to cover its rectangle (`scale@s<i>` … `crop@c<i>`) and overlaid on a
 * black canvas at its place (`overlay@o<i>`): named so `LiveCompositor` can move and resize
 * them with ffmpeg commands while it runs.
 */
export function compositeFilter(n: number, width: number, height: number, fps: number, previewIntervalSeconds?: number): string {
  const parts: string[] = [`color=c=black:size=${width}x${height}:rate=${fps}[c0]`];
  for (let i = 0; i < n; i++) {
    const r = gridRect(i, n, width, height);
    parts.push(
      `[${2 * i}:v]scale@s${i}=w=${r.width}:h=${r.height}:force_original_aspect_ratio=increase,crop@c${i}=w=${r.width}:h=${r.height},setsar=1,fps=${fps}[v${i}]`,
      `[c${i}][v${i}]overlay@o${i}=x=${r.x}:y=${r.y}:eof_action=repeat${i === n - 1 ? '[v]' : `[c${i + 1}]`}`,
    );
  }
  const audio = Array.from({ length: n }, (_, i) => `[${2 * i + 1}:a]`).join('');
  parts.push(n === 1 ? `${audio}anull[a]` : `${audio}amix=inputs=${n}:normalize=0:dropout_transition=0[a]`);
  if (previewIntervalSeconds !== undefined) {
    parts.push(`[v]split=2[vout][vsplit]`, `[vsplit]fps=1/${previewIntervalSeconds},scale=640:-2[vpreview]`);
  }
  return parts.join(';');
}

export class LiveCompositor extends TypedEmitter<LiveCompositorEvents> {
  private readonly options: Required<Omit<LiveCompositorOptions, 'previewFile' | 'previewIntervalSeconds'>> &
    Pick<LiveCompositorOptions, 'previewFile' | 'previewIntervalSeconds'>;
  private readonly slots: Slot[] = [];
  private socket: dgram.Socket | undefined;
  private ffmpeg: FfmpegProcess | undefined;
  private readonly onLayout = (): void => this.assignSlots();
  private stopped = false;
  private outputSeen = false;
  private lastKeyframeRequest = 0;
  private startupTimer: NodeJS.Timeout | undefined;

  constructor(options: LiveCompositorOptions) {
    super();
    this.options = { width: 1280, height: 720, fps: 25, maxSlots: 4, videoBitrateKbps: 2000, ...options };
  }

  get pid(): number | undefined {
    return this.ffmpeg?.pid;
  }

  get running(): boolean {
    return this.ffmpeg?.running ?? false;
  }

  /** ffmpeg's last stderr lines. */
  stderrTail(): string[] {
    return this.ffmpeg?.stderrTail() ?? [];
  }

  /** Who each slot shows (`memberId:tag`), for tests and the API. */
  slotKeys(): Array<string | undefined> {
    return this.slots.map((s) => s.key);
  }

  /** Each slot's video and audio relay counters (what is shown, packets, switches). */
  slotStats(): Array<{ video: SlotRelayStats; audio: SlotRelayStats }> {
    return this.slots.map((s) => ({ video: s.video.stats, audio: s.audio.stats }));
  }

  /** Starts the relays (filler flowing), then ffmpeg, then assigns the current layers. */
  async start(): Promise<void> {
    const { ffmpegPath, workDir, maxSlots, width, height, fps, previewFile } = this.options;
    const previewSeconds = previewFile ? (this.options.previewIntervalSeconds ?? 5) : undefined;
    fs.mkdirSync(workDir, { recursive: true });
    const cellW = Math.floor(width / gridOf(maxSlots)[0] / 2) * 2;
    const cellH = Math.floor(height / gridOf(maxSlots)[1] / 2) * 2;
    const black = await blackVp8Keyframe(ffmpegPath, cellW, cellH);
    const socket = dgram.createSocket('udp4');
    this.socket = socket;
    const inputs: string[] = [];
    const ports = new Set<number>();
    const port = async (): Promise<number> => {
      let p = await freeRtpPort();
      while (ports.has(p) || ports.has(p + 1) || ports.has(p - 1)) p = await freeRtpPort();
      ports.add(p);
      return p;
    };
    for (let i = 0; i < maxSlots; i++) {
      const relays: Partial<Record<TrackKind, SlotRelay>> = {};
      for (const kind of ['video', 'audio'] as const) {
        const p = await port();
        const sdp = path.join(workDir, `slot-${i}-${kind}.sdp`);
        fs.writeFileSync(sdp, trackSdp(kind, p));
        // A publisher's resolution changes with its bitrate: keep the graph (scale adapts per
        // frame) instead of re-initialising every filter, which stalls xstack/amix.
        inputs.push('-protocol_whitelist', 'file,udp,rtp', '-listen_timeout', '-1', ...RTP_INPUT_BUFFER_ARGS, ...(kind === 'video' ? ['-reinit_filter', '0'] : []), '-i', sdp);
        relays[kind] = new SlotRelay({
          kind,
          ssrc: 0x4c000000 + i * 2 + (kind === 'audio' ? 1 : 0),
          payloadType: egressCodecs[kind].payloadType,
          ...(kind === 'video' ? { fillerFrame: black } : {}),
          send: (packet) => {
            if (!this.stopped) socket.send(packet, p, '127.0.0.1');
          },
        });
      }
      this.slots.push({ video: relays.video!, audio: relays.audio!, key: undefined, rect: gridRect(i, maxSlots, width, height) });
    }
    const args = [
      '-hide_banner', '-loglevel', 'warning', '-nostats',
      ...inputs,
      '-filter_complex', compositeFilter(maxSlots, width, height, fps, previewSeconds),
      '-map', previewSeconds === undefined ? '[v]' : '[vout]', '-map', '[a]',
      '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p',
      '-b:v', `${this.options.videoBitrateKbps}k`, '-maxrate', `${this.options.videoBitrateKbps}k`, '-bufsize', `${this.options.videoBitrateKbps * 2}k`,
      '-g', String(fps * 2), '-keyint_min', String(fps * 2), '-sc_threshold', '0',
      '-c:a', 'aac', '-b:a', '128k', '-ar', '48000', '-ac', '2',
      // SPS/PPS stay in-band (no global header) so an output can start at any keyframe.
      '-f', 'mpegts', '-flush_packets', '1', 'pipe:1',
      ...(previewFile && previewSeconds !== undefined
        ? ['-map', '[vpreview]', '-c:v', 'mjpeg', '-q:v', '5', '-f', 'image2', '-update', '1', '-atomic_writing', '1', previewFile]
        : []),
    ];
    this.ffmpeg = new FfmpegProcess(ffmpegPath, args, { outputOnStdout: true });
    this.ffmpeg.stdout?.on('data', (chunk: Buffer) => {
      this.outputSeen = true;
      this.emit('mpegts', chunk);
    });
    this.ffmpeg.on('line', (line) => {
      if (LOST_VP8_FRAME.test(line)) this.requestKeyframes();
    });
    this.startupTimer = setInterval(() => {
      if (this.outputSeen) clearInterval(this.startupTimer);
      else this.requestKeyframes();
    }, KEYFRAME_RETRY_MS);
    this.startupTimer.unref();
    this.ffmpeg.on('failed', (reason) => {
      if (!this.stopped) this.emit('failed', reason);
    });
    this.options.feed.on('layout', this.onLayout);
    this.assignSlots();
  }

  /**
   * Who fills each slot now — layers with a member, in layer order, up to `maxSlots` — and where:
   * each shown slot moves to its layer's rectangle, the others leave the canvas.
   */
  assignSlots(): void {
    if (this.stopped) return;
    const wanted: string[] = [];
    const rects = new Map<string, SlotRect>();
    for (const layer of this.options.feed.layers()) {
      if (!layer.memberId || layer.reservation === '' || layer.visible === false) continue;
      const key = `${layer.memberId}:${layer.streamTag ?? 'camera'}`;
      if (!wanted.includes(key)) {
        wanted.push(key);
        rects.set(key, layerRect(layer, this.options.width, this.options.height));
      }
      if (wanted.length === this.slots.length) break;
    }
    // Members already shown keep their slot; newcomers take the free ones.
    const kept = new Set(wanted);
    for (const slot of this.slots) if (slot.key && !kept.has(slot.key)) this.fill(slot, undefined);
    for (const key of wanted) {
      const existing = this.slots.find((s) => s.key === key);
      if (existing) {
        // The track may have been (re)published since: re-resolve.
        this.fill(existing, key);
        continue;
      }
      const free = this.slots.find((s) => s.key === undefined);
      if (free) this.fill(free, key);
    }
    this.slots.forEach((slot, i) => this.place(i, slot.key ? rects.get(slot.key) : undefined));
  }

  /** Moves slot `i` to `rect` (undefined: off the canvas) with ffmpeg commands, when it changed. */
  private place(i: number, rect: SlotRect | undefined): void {
    const slot = this.slots[i]!;
    const target = rect ?? { ...slot.rect, x: this.options.width, y: this.options.height };
    const { x, y, width, height } = slot.rect;
    if (target.x === x && target.y === y && target.width === width && target.height === height) return;
    if (target.width !== width || target.height !== height) {
      this.ffmpeg?.command(`scale@s${i}`, 'w', String(target.width));
      this.ffmpeg?.command(`scale@s${i}`, 'h', String(target.height));
      this.ffmpeg?.command(`crop@c${i}`, 'w', String(target.width));
      this.ffmpeg?.command(`crop@c${i}`, 'h', String(target.height));
    }
    this.ffmpeg?.command(`overlay@o${i}`, 'x', String(target.x));
    this.ffmpeg?.command(`overlay@o${i}`, 'y', String(target.y));
    slot.rect = target;
  }

  /** Where each slot is placed now (for tests and diagnostics). */
  slotRects(): SlotRect[] {
    return this.slots.map((s) => ({ ...s.rect }));
  }

  private fill(slot: Slot, key: string | undefined): void {
    slot.key = key;
    if (!key) {
      slot.video.assign(null);
      slot.audio.assign(null);
      return;
    }
    const cut = key.lastIndexOf(':');
    const memberId = key.slice(0, cut);
    const tag = key.slice(cut + 1);
    slot.video.assign(this.options.resolve(memberId, tag, 'video'));
    slot.audio.assign(this.options.resolve(memberId, tag, 'audio'));
  }

  /** Every shown video source sends a keyframe (rate-limited). */
  private requestKeyframes(): void {
    const now = Date.now();
    if (this.stopped || now - this.lastKeyframeRequest < KEYFRAME_RETRY_MS) return;
    this.lastKeyframeRequest = now;
    for (const slot of this.slots) slot.video.requestKeyframe();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    clearInterval(this.startupTimer);
    this.options.feed.off('layout', this.onLayout);
    try {
      await this.ffmpeg?.stop();
    } finally {
      this.stopped = true;
      for (const slot of this.slots) {
        slot.video.close();
        slot.audio.close();
      }
      this.socket?.close();
    }
  }
}
