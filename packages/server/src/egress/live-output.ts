/**
 * @module One output of a live composite: an ffmpeg that copies the compositor's MPEG-TS (fed on
 * its stdin, `-c copy`, no re-encoding) to an RTMP(S) server as FLV, or to an HLS playlist on
 * disk. Outputs start and stop on their own while the compositor keeps encoding.
 *
 * `started` fires on ffmpeg's first progress report with media written (for RTMP: connected and
 * sending); `playable` (HLS) when the playlist lists its first segment. An output whose ffmpeg
 * falls behind by more than `MAX_BACKLOG_BYTES` (a stalled RTMP server) is failed rather than
 * buffered without bound, and so is one that makes no progress for `STALL_MS` (ffmpeg 5.1 does
 * not exit when its output fails to open while its stdin input stays open: it waits for the
 * input's end, which a live composite never reaches).
 */
import fs from 'node:fs';
import path from 'node:path';
import { TypedEmitter } from '@atrium/protocol';
import { FfmpegProcess } from './ffmpeg-process.js';

/** About 30 s of a 4 Mbps composite. */
const MAX_BACKLOG_BYTES = 16 * 1024 * 1024;
const PLAYLIST_POLL_MS = 250;
/**
 * Longest time without progress (media time written) before the output is failed; the first,
 * counted from the first input chunk, gets longer (input probing, connecting).
 */
const STALL_MS = 10_000;
const FIRST_PROGRESS_MS = 20_000;

export type LiveOutputTarget =
  | { kind: 'rtmp'; url: string }
  | { kind: 'hls'; dir: string; segmentSeconds?: number; listSize?: number };

export type LiveOutputEvents = {
  started: [];
  playable: [];
  /** ffmpeg ended without being asked to, or could not keep up; `reason` says why. */
  failed: [reason: string];
};

export const HLS_PLAYLIST = 'index.m3u8';

/** ffmpeg's output arguments for a target. */
export function outputArgs(target: LiveOutputTarget): string[] {
  if (target.kind === 'rtmp') return ['-f', 'flv', target.url];
  return [
    '-f', 'hls',
    '-hls_time', String(target.segmentSeconds ?? 2),
    '-hls_list_size', String(target.listSize ?? 6),
    '-hls_flags', 'delete_segments+independent_segments+temp_file',
    '-hls_segment_filename', path.join(target.dir, 'seg-%05d.ts'),
    path.join(target.dir, HLS_PLAYLIST),
  ];
}

/** Segment names listed in an HLS playlist's text. */
export function playlistSegments(text: string): string[] {
  return text.split('\n').filter((line) => line.endsWith('.ts'));
}

export class LiveOutput extends TypedEmitter<LiveOutputEvents> {
  readonly target: LiveOutputTarget;
  private readonly ffmpeg: FfmpegProcess;
  private playlistTimer: NodeJS.Timeout | undefined;
  private readonly watchdog: NodeJS.Timeout;
  private lastOutTime = 0;
  /** Time of the last progress, or of the first input chunk; undefined before any input. */
  private lastProgressAt: number | undefined;
  private started_ = false;
  private ended = false;

  constructor(ffmpegPath: string, target: LiveOutputTarget) {
    super();
    this.target = target;
    if (target.kind === 'hls') fs.mkdirSync(target.dir, { recursive: true });
    const args = [
      '-hide_banner', '-loglevel', 'warning', '-nostats', '-progress', 'pipe:1',
      '-analyzeduration', '2000000', '-f', 'mpegts', '-i', 'pipe:0',
      '-map', '0', '-c', 'copy',
      ...outputArgs(target),
    ];
    this.ffmpeg = new FfmpegProcess(ffmpegPath, args, { inputOnStdin: true, onStdout: (text) => this.onProgress(text) });
    this.ffmpeg.on('failed', (reason) => this.fail(reason));
    this.watchdog = setInterval(() => this.checkProgress(), 1000);
    this.watchdog.unref();
    if (target.kind === 'hls') {
      this.playlistTimer = setInterval(() => this.checkPlaylist(target.dir), PLAYLIST_POLL_MS);
      this.playlistTimer.unref();
    }
  }

  get pid(): number | undefined {
    return this.ffmpeg.pid;
  }

  get running(): boolean {
    return this.ffmpeg.running;
  }

  stderrTail(): string[] {
    return this.ffmpeg.stderrTail();
  }

  /** A chunk of the compositor's MPEG-TS. */
  write(chunk: Buffer): void {
    if (this.ended) return;
    if (this.ffmpeg.inputBacklog > MAX_BACKLOG_BYTES) {
      this.fail(`the output fell more than ${MAX_BACKLOG_BYTES >> 20} MiB behind (the receiving server is too slow or stalled)`);
      this.ffmpeg.kill();
      return;
    }
    this.lastProgressAt ??= Date.now();
    this.ffmpeg.write(chunk);
  }

  /** Ends the input: ffmpeg finishes (HLS: writes the end of the playlist) and exits. */
  async stop(): Promise<void> {
    this.ended = true;
    clearInterval(this.playlistTimer);
    clearInterval(this.watchdog);
    await this.ffmpeg.stop();
  }

  private onProgress(text: string): void {
    const times = [...text.matchAll(/out_time_us=(\d+)/g)].map((m) => Number(m[1]));
    const latest = times.at(-1);
    if (latest === undefined || !(latest > this.lastOutTime)) return;
    this.lastOutTime = latest;
    this.lastProgressAt = Date.now();
    if (!this.started_) {
      this.started_ = true;
      this.emit('started');
    }
  }

  private checkProgress(): void {
    const limit = this.started_ ? STALL_MS : FIRST_PROGRESS_MS;
    if (this.ended || this.lastProgressAt === undefined || Date.now() - this.lastProgressAt <= limit) return;
    const tail = this.ffmpeg.stderrTail().slice(-3).join(' | ');
    this.fail(`ffmpeg wrote no media for ${limit / 1000} s${tail ? `: ${tail}` : ''}`);
    this.ffmpeg.kill();
  }

  private checkPlaylist(dir: string): void {
    let text: string;
    try {
      text = fs.readFileSync(path.join(dir, HLS_PLAYLIST), 'utf8');
    } catch {
      return;
    }
    if (playlistSegments(text).length === 0) return;
    clearInterval(this.playlistTimer);
    this.emit('playable');
  }

  private fail(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.playlistTimer);
    clearInterval(this.watchdog);
    this.emit('failed', reason);
  }
}
