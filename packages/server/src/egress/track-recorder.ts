/**
 * @module Records one published track to one file: a loopback RTP tap feeding an ffmpeg that
 * copies the codec into WebM (`-c copy`, no transcoding). ffmpeg starts first; once its UDP port
 * is bound the publisher is asked for a keyframe, so the file begins decodable; whenever ffmpeg
 * reports a lost VP8 frame (it then drops frames until the next keyframe) another is asked for,
 * at most once per `KEYFRAME_RETRY_MS`. The file is
 * written under a temporary name and renamed when ffmpeg has closed it.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { TypedEmitter, type TrackKind } from '@atrium/protocol';
import type { PublishedTrack } from '../sfu/published-track.js';
import { FfmpegProcess } from './ffmpeg-process.js';
import { RtpTap } from './rtp-tap.js';
import { egressCodecs, freeRtpPort, LOST_VP8_FRAME, RTP_INPUT_BUFFER_ARGS, udpPortBound, writeSdpFile } from './rtp-sdp.js';

/** How often a video tap still waiting for its first keyframe asks again. */
const KEYFRAME_RETRY_MS = 1_000;
/** Longest wait for ffmpeg to bind its port. */
const BIND_TIMEOUT_MS = 10_000;

export interface TrackRecorderOptions {
  ffmpegPath: string;
  /** Final path of the file (directory must exist). */
  file: string;
  kind: TrackKind;
  track: PublishedTrack;
}

export interface TrackRecordingResult {
  /** Bytes on disk. */
  sizeBytes: number;
  /** Media time covered (pauses included), from the RTP timestamps. */
  durationMs: number;
  /** Wall-clock time of the first packet in the file (ms since epoch); undefined if none came. */
  firstPacketAt: number | undefined;
}

export type TrackRecorderEvents = {
  /** ffmpeg died on its own; the file is left as it was (possibly unfinished). */
  failed: [reason: string];
};

/** Temporary name of a file being written; renamed to `file` when finished. */
export const partialName = (file: string): string => `${file}.part`;

export class TrackRecorder extends TypedEmitter<TrackRecorderEvents> {
  readonly kind: TrackKind;
  readonly file: string;
  private readonly options: TrackRecorderOptions;
  private tap: RtpTap | undefined;
  private ffmpeg: FfmpegProcess | undefined;
  private keyframeTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failure: string | undefined;

  private constructor(options: TrackRecorderOptions) {
    super();
    this.options = options;
    this.kind = options.kind;
    this.file = options.file;
  }

  /** Starts ffmpeg and the tap; resolves once ffmpeg listens (rejects if it cannot start). */
  static async start(options: TrackRecorderOptions): Promise<TrackRecorder> {
    const recorder = new TrackRecorder(options);
    await recorder.begin();
    return recorder;
  }

  get pid(): number | undefined {
    return this.ffmpeg?.pid;
  }

  get failed(): string | undefined {
    return this.failure;
  }

  get stats(): TrackRecordingResult {
    const stats = this.tap?.stats;
    return { sizeBytes: 0, durationMs: stats?.durationMs ?? 0, firstPacketAt: stats?.firstPacketAt };
  }

  setPaused(paused: boolean): void {
    this.tap?.setPaused(paused);
  }

  /** Detaches the tap, lets ffmpeg close the file, renames it into place. Idempotent. */
  async stop(): Promise<TrackRecordingResult> {
    const ffmpeg = this.ffmpeg;
    if (ffmpeg && !this.stopped) {
      this.stopped = true;
      this.detach(false);
      // End of input for ffmpeg: it finishes the file now instead of at its UDP timeout. A BYE
      // parsed while packets wait in ffmpeg's reorder queue is lost, so it is repeated.
      this.tap?.sendBye();
      const again = setInterval(() => this.tap?.sendBye(), 300);
      try {
        await ffmpeg.stop();
      } finally {
        clearInterval(again);
      }
    }
    this.detach();
    this.stopped = true;
    const partial = partialName(this.file);
    let sizeBytes = 0;
    try {
      sizeBytes = (await fs.stat(partial)).size;
      await fs.rename(partial, this.file);
    } catch {
      sizeBytes = await fs.stat(this.file).then((s) => s.size, () => 0);
    }
    await fs.rm(sdpFileOf(this.file), { force: true });
    return { ...this.stats, sizeBytes };
  }

  private async begin(): Promise<void> {
    const { kind, track } = this.options;
    const codec = egressCodecs[kind];
    const port = await freeRtpPort();
    const sdp = sdpFileOf(this.file);
    await writeSdpFile(sdp, kind, port);
    const ffmpeg = new FfmpegProcess(this.options.ffmpegPath, [
      '-hide_banner', '-loglevel', 'warning', '-nostats', '-y',
      '-protocol_whitelist', 'file,udp,rtp',
      // No input timeout: a paused or muted track sends nothing for as long as it likes.
      '-listen_timeout', '-1',
      // A late first keyframe must not end probing before the video size is known.
      '-analyzeduration', '10000000', '-probesize', '10000000',
      '-reorder_queue_size', '64',
      ...RTP_INPUT_BUFFER_ARGS,
      '-i', sdp,
      '-map', '0', '-c', 'copy',
      '-f', codec.container,
      partialName(this.file),
    ]);
    this.ffmpeg = ffmpeg;
    ffmpeg.on('failed', (reason) => {
      if (this.stopped) return;
      this.failure = reason;
      this.detach();
      this.emit('failed', reason);
    });
    const deadline = Date.now() + BIND_TIMEOUT_MS;
    while (!(await udpPortBound(port))) {
      if (!ffmpeg.running) throw new Error(ffmpeg.failureReason(await ffmpeg.exited));
      if (Date.now() > deadline) {
        ffmpeg.kill();
        throw new Error('ffmpeg did not open its RTP port in time');
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    if (kind === 'video') {
      let lastAsked = 0;
      ffmpeg.on('line', (line) => {
        if (!LOST_VP8_FRAME.test(line) || Date.now() - lastAsked < KEYFRAME_RETRY_MS) return;
        lastAsked = Date.now();
        track.requestKeyframe();
      });
    }
    const tap = new RtpTap({ kind, port, payloadType: codec.payloadType, clockRate: codec.clockRate });
    tap.onKeyframeNeeded = () => track.requestKeyframe();
    this.tap = tap;
    track.addSink(tap);
    if (kind === 'video') {
      track.requestKeyframe();
      this.keyframeTimer = setInterval(() => {
        if (tap.awaitingKeyframe) track.requestKeyframe();
      }, KEYFRAME_RETRY_MS);
      this.keyframeTimer.unref();
    }
  }

  /** Stops feeding ffmpeg; `close` also closes the tap's socket (after the BYE has gone). */
  private detach(close = true): void {
    clearInterval(this.keyframeTimer);
    if (this.tap) {
      this.options.track.removeSink(this.tap);
      if (close) this.tap.close();
    }
  }
}

/** Where the SDP ffmpeg reads for `file` is kept while it records (a restart reads the port from it). */
export function sdpFileOf(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.sdp`);
}
