/**
 * @module ffprobe for tests: the streams of a media file (codec, frames counted by decoding) and
 * its duration, the CPU time a process has used (from /proc/<pid>/stat), and the luma of a
 * region of one frame (to see who is on screen when).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ProbedStream {
  codec_type: string;
  codec_name: string;
  width?: number;
  height?: number;
  nb_read_frames?: string;
  nb_read_packets?: string;
}

export interface Probe {
  streams: ProbedStream[];
  durationSeconds: number;
}

/** Probes `file`, decoding every frame to count them. Rejects when ffprobe cannot read it. */
export async function probe(file: string): Promise<Probe> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-count_frames', '-show_streams', '-show_format', '-of', 'json', file], { timeout: 60_000 });
  const parsed = JSON.parse(stdout) as { streams: ProbedStream[]; format: { duration?: string } };
  return { streams: parsed.streams, durationSeconds: Number.parseFloat(parsed.format.duration ?? 'NaN') };
}

/** User + system CPU seconds a process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat; 12 and 13 after the command name.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Presentation times (seconds) of every packet of the first stream of `file`. */
export async function packetTimes(file: string): Promise<number[]> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', '0', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', file], { timeout: 60_000 });
  return stdout
    .split('\n')
    .map((line) => Number.parseFloat(line))
    .filter((t) => Number.isFinite(t));
}

/** The longest stretch without packets. */
export function longestGap(times: number[]): number {
  let gap = 0;
  for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i]! - times[i - 1]!);
  return gap;
}

/** Mean and standard deviation of the luma (full-range gray) of a rectangle of the frame at `seconds`. */
export async function grayStats(
  file: string,
  seconds: number,
  rect: { x: number; y: number; width: number; height: number },
): Promise<{ mean: number; stddev: number }> {
  const { stdout } = await run(
    'ffmpeg',
    ['-v', 'error', '-ss', String(seconds), '-i', file, '-frames:v', '1', '-vf', `crop=${rect.width}:${rect.height}:${rect.x}:${rect.y}`, '-f', 'rawvideo', '-pix_fmt', 'gray', '-'],
    { timeout: 60_000, encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
  );
  const pixels = stdout as Buffer;
  if (pixels.length === 0) throw new Error(`no frame at ${seconds}s in ${file}`);
  let sum = 0;
  let squares = 0;
  for (const value of pixels) {
    sum += value;
    squares += value * value;
  }
  const mean = sum / pixels.length;
  return { mean, stddev: Math.sqrt(Math.max(0, squares / pixels.length - mean * mean)) };
}
