/**
 * @module The ffmpeg side of a playback: probes the input for its audio/video and duration, then
 * runs one supervised ffmpeg at a time that reads it in real time (`-re`, from `-ss` on) and writes
 * VP8 and Opus as plain RTP to the SFU's ingest ports (fixed SSRC and payload type per kind).
 *
 * Subscribers' keyframe requests cannot reach ffmpeg, so it sends a keyframe every second
 * (`-force_key_frames`): a new subscriber waits at most that long for its first picture. Pause,
 * resume, seek and volume changes stop ffmpeg at once (SIGKILL: it writes no file, so there is
 * nothing to finish) and start a new one at the position; the volume is an ffmpeg filter, so the
 * room, its recordings and its streams all hear the same level.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { AtriumError, ErrorCode, TypedEmitter, type TrackKind } from '@atrium/protocol';
import type { IngestEndpoint } from '../sfu/rtp-ingest.js';
import { FfmpegProcess } from './ffmpeg-process.js';
import type { PlaybackInput } from './playback-url-policy.js';

const run = promisify(execFile);

/** How long the probe may take (a slow server, an RTMP stream's first packets). */
const PROBE_TIMEOUT_MS = 15_000;
/** Keyframe interval, in seconds: the longest a new subscriber waits for a picture. */
export const PLAYBACK_KEYFRAME_INTERVAL_S = 1;
/** Largest picture sent; bigger inputs are scaled down (aspect kept). */
const MAX_WIDTH = 1280;
const MAX_HEIGHT = 720;
/** RTP payloads fit one unfragmented UDP datagram on any path. */
const RTP_PACKET_SIZE = 1200;

export interface ProbedInput {
  kinds: TrackKind[];
  /** Media duration in ms; null for live or unknown. */
  durationMs: number | null;
}

/** Reads the input's streams and duration; PLAYBACK_FAILED when ffprobe cannot read it as media. */
export async function probePlaybackInput(ffprobePath: string, input: PlaybackInput): Promise<ProbedInput> {
  let stdout: string;
  try {
    ({ stdout } = await run(
      ffprobePath,
      ['-v', 'error', '-protocol_whitelist', input.protocols, ...input.inputOptions, '-show_entries', 'stream=codec_type:format=duration', '-of', 'json', input.input],
      { timeout: PROBE_TIMEOUT_MS, maxBuffer: 1024 * 1024 },
    ));
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim().split('\n').slice(-3).join(' | ');
    const reason = (error as { code?: string }).code === 'ENOENT' ? 'ffprobe is not installed' : stderr || (error as Error).message;
    throw new AtriumError(ErrorCode.PLAYBACK_FAILED, `the playback URL could not be read as media: ${reason}`);
  }
  const parsed = JSON.parse(stdout) as { streams?: Array<{ codec_type?: string }>; format?: { duration?: string } };
  const types = new Set((parsed.streams ?? []).map((s) => s.codec_type));
  const kinds = (['audio', 'video'] as const).filter((kind) => types.has(kind));
  if (kinds.length === 0) throw new AtriumError(ErrorCode.PLAYBACK_FAILED, 'the playback URL has neither audio nor video');
  const duration = Number.parseFloat(parsed.format?.duration ?? '');
  return { kinds, durationMs: Number.isFinite(duration) && duration > 0 ? Math.round(duration * 1000) : null };
}

/** ffmpeg's arguments for one run: from `positionMs`, at `volume` (-50..50, v/2 dB). */
export function playbackArgs(input: PlaybackInput, endpoints: readonly IngestEndpoint[], positionMs: number, volume: number): string[] {
  const args = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'warning'];
  // Live inputs come in real time already.
  if (input.seekable) args.push('-re');
  args.push('-protocol_whitelist', input.protocols, ...input.inputOptions);
  if (input.seekable && positionMs > 0) args.push('-ss', (positionMs / 1000).toFixed(3));
  args.push('-i', input.input);
  for (const endpoint of endpoints) {
    const target = `rtp://127.0.0.1:${endpoint.port}?rtcpport=${endpoint.port}&pkt_size=${RTP_PACKET_SIZE}`;
    if (endpoint.kind === 'video') {
      args.push(
        '-map', '0:v:0',
        '-vf', `scale=w='min(${MAX_WIDTH},iw)':h='min(${MAX_HEIGHT},ih)':force_original_aspect_ratio=decrease:force_divisible_by=2`,
        '-pix_fmt', 'yuv420p',
        '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-lag-in-frames', '0', '-auto-alt-ref', '0', '-error-resilient', '1',
        '-b:v', '1200k', '-maxrate', '1500k', '-bufsize', '1500k',
        '-force_key_frames', `expr:gte(t,n_forced*${PLAYBACK_KEYFRAME_INTERVAL_S})`,
      );
    } else {
      args.push('-map', '0:a:0');
      if (volume !== 0) args.push('-af', `volume=${(volume / 2).toFixed(2)}dB`);
      args.push('-c:a', 'libopus', '-ar', '48000', '-ac', '2', '-b:a', '96k', '-application', 'audio');
    }
    args.push('-ssrc', String(endpoint.ssrc), '-payload_type', String(endpoint.payloadType), '-f', 'rtp', target);
  }
  return args;
}

export type PlaybackTranscoderEvents = {
  /** The input ended (ffmpeg exited 0). */
  finished: [];
  /** ffmpeg died or could not start; `reason` carries its last stderr lines. */
  failed: [reason: string];
};

export class PlaybackTranscoder extends TypedEmitter<PlaybackTranscoderEvents> {
  private readonly ffmpegPath: string;
  private readonly input: PlaybackInput;
  private readonly endpoints: readonly IngestEndpoint[];
  private current: FfmpegProcess | undefined;
  private closed = false;

  constructor(options: { ffmpegPath: string; input: PlaybackInput; endpoints: readonly IngestEndpoint[] }) {
    super();
    this.ffmpegPath = options.ffmpegPath;
    this.input = options.input;
    this.endpoints = options.endpoints;
  }

  /** The running ffmpeg's pid, if one runs. */
  get pid(): number | undefined {
    return this.current?.running ? this.current.pid : undefined;
  }

  get running(): boolean {
    return this.current?.running ?? false;
  }

  /** (Re)starts ffmpeg at `positionMs` with `volume`; a running one is killed first. */
  start(positionMs: number, volume: number): void {
    if (this.closed) return;
    this.halt();
    const ffmpeg = new FfmpegProcess(this.ffmpegPath, playbackArgs(this.input, this.endpoints, positionMs, volume));
    this.current = ffmpeg;
    ffmpeg.on('exit', (exit) => {
      // A run we replaced or stopped says nothing.
      if (this.current !== ffmpeg) return;
      this.current = undefined;
      if (exit.code === 0) this.emit('finished');
      else this.emit('failed', ffmpeg.failureReason(exit));
    });
  }

  /** Stops ffmpeg at once (pause); `start` again to go on. */
  halt(): void {
    const ffmpeg = this.current;
    this.current = undefined;
    ffmpeg?.kill();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.halt();
    this.removeAllListeners();
  }
}
