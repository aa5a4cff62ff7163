/**
 * @module Finishing what a crashed server left behind: an ffmpeg still writing a recording file
 * (found by its pid and verified by its command line) is asked to close the file; the partial file
 * is then checked with ffprobe and renamed into place, or reported as unusable.
 */
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs/promises';
import { promisify } from 'node:util';
import { partialName, sdpFileOf } from './track-recorder.js';

const run = promisify(execFile);
const ORPHAN_EXIT_TIMEOUT_MS = 3_000;

/** The arguments process `pid` runs with; undefined when it is gone (or a zombie, whose command line is empty). */
export async function commandArgs(pid: number): Promise<string[] | undefined> {
  const text = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return text === '' ? undefined : text.replace(/\0$/, '').split('\0');
}

async function commandLine(pid: number): Promise<string | undefined> {
  return (await commandArgs(pid))?.join(' ');
}

/** Sends an RTCP BYE to the RTP port named in the file's SDP: ffmpeg ends its input and closes the file. */
async function sendByeFromSdp(file: string): Promise<void> {
  const sdp = await fs.readFile(sdpFileOf(file), 'utf8').catch(() => '');
  const port = Number(/^m=\w+ (\d+) /m.exec(sdp)?.[1]);
  if (!Number.isInteger(port) || port <= 0) return;
  const socket = dgram.createSocket('udp4');
  const bye = Buffer.from([0x82, 203, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0]);
  await new Promise<void>((resolve) => socket.send(bye, port, '127.0.0.1', () => resolve()));
  socket.close();
}

/**
 * Stops the ffmpeg `pid` if it is still running and writing `file` (its command line names the
 * file): a BYE first so it finishes the file, then SIGINT, then SIGKILL. Resolves once it is gone.
 */
export async function stopOrphanFfmpeg(pid: number | null, file: string): Promise<void> {
  if (pid !== null) {
    const partial = partialName(file);
    const matches = async (): Promise<boolean> => (await commandLine(pid))?.includes(partial) ?? false;
    const gone = async (ms: number): Promise<boolean> => {
      const deadline = Date.now() + ms;
      while (await matches()) {
        if (Date.now() > deadline) return false;
        await new Promise((r) => setTimeout(r, 50));
      }
      return true;
    };
    if (await matches()) {
      await sendByeFromSdp(file);
      // Repeated: a BYE parsed while packets wait in ffmpeg's reorder queue is lost.
      const again = setInterval(() => void sendByeFromSdp(file), 300);
      for (const signal of [undefined, 'SIGINT', 'SIGKILL'] as const) {
        if (signal) {
          try {
            process.kill(pid, signal);
          } catch {
            break;
          }
        }
        if (await gone(ORPHAN_EXIT_TIMEOUT_MS)) break;
      }
      clearInterval(again);
    }
  }
  await fs.rm(sdpFileOf(file), { force: true });
}

/** The media duration of a file in ms, by ffprobe; undefined when it cannot be read. */
export async function probeDurationMs(ffprobePath: string, file: string): Promise<number | undefined> {
  try {
    const { stdout } = await run(ffprobePath, ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file], { timeout: 15_000 });
    const seconds = Number.parseFloat(stdout.trim());
    return Number.isFinite(seconds) ? Math.round(seconds * 1000) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Renames the partial file of `file` into place if ffprobe can read it. Resolves with its size and
 * duration, or with the reason it could not be kept.
 */
export async function salvagePartialFile(
  ffprobePath: string,
  file: string,
): Promise<{ ok: true; sizeBytes: number; durationMs: number } | { ok: false; error: string }> {
  const partial = partialName(file);
  const size = await fs.stat(partial).then((s) => s.size, () => undefined);
  if (size === undefined || size === 0) {
    const done = await fs.stat(file).then((s) => s.size, () => undefined);
    if (done !== undefined && done > 0) {
      const durationMs = await probeDurationMs(ffprobePath, file);
      if (durationMs !== undefined) return { ok: true, sizeBytes: done, durationMs };
    }
    return { ok: false, error: 'the server stopped before any media was written' };
  }
  const durationMs = await probeDurationMs(ffprobePath, partial);
  if (durationMs === undefined) return { ok: false, error: 'the server stopped while recording and the partial file is unreadable' };
  await fs.rename(partial, file);
  return { ok: true, sizeBytes: size, durationMs };
}

/**
 * Kills every ffmpeg whose command line names `dir` (a live compositor reads its SDP files from
 * there). A compositor whose server died waits for input forever — its inputs are UDP, and its
 * stdout is only written once frames arrive — so the next start ends it. Returns the pids killed.
 */
export async function killOrphanFfmpegUnder(dir: string): Promise<number[]> {
  let pids: string[];
  try {
    pids = (await fs.readdir('/proc')).filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  const killed: number[] = [];
  for (const name of pids) {
    const pid = Number(name);
    if (pid === process.pid) continue;
    const line = await commandLine(pid);
    if (!line || !/(^|\/)ffmpeg /.test(line) || !line.includes(dir)) continue;
    try {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch {
      // Gone already, or not ours to kill.
    }
  }
  return killed;
}
