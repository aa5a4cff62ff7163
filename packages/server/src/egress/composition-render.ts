/**
 * @module Renders one composition plan with ffmpeg: at lower CPU priority than the live media,
 * progress from `-progress pipe:1` (`out_time_us` against the planned length), the file written
 * under a temporary name and renamed into place only when ffmpeg succeeded, ffmpeg's last error
 * lines as the reason when it did not. Also stops the ffmpeg a crashed server left rendering.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import { TypedEmitter } from '@atrium/protocol';
import { FfmpegProcess } from './ffmpeg-process.js';
import { compositionArgs, type CompositionPlan } from './composition-plan.js';
import { commandArgs } from './orphan-files.js';

/** Nice value of a composition's ffmpeg: the SFU and live egress come first. */
const RENDER_NICENESS = 10;

export type CompositionRenderResult = { ok: true; sizeBytes: number; durationMs: number } | { ok: false; error: string };

export type CompositionRenderEvents = {
  /** Percent of the output rendered (0..100), at most every half second. */
  progress: [percent: number];
};

/** Temporary name of a composition being rendered. */
export const renderingName = (file: string): string => `${file}.part`;

export class CompositionRender extends TypedEmitter<CompositionRenderEvents> {
  readonly output: string;
  /** Resolves when ffmpeg has ended and the file is in place (or removed). */
  readonly done: Promise<CompositionRenderResult>;
  private readonly ffmpeg: FfmpegProcess;
  private buffered = '';
  private cancelled = false;

  private constructor(ffmpegPath: string, plan: CompositionPlan, format: 'mp4' | 'm4a', output: string) {
    super();
    this.output = output;
    const partial = renderingName(output);
    this.ffmpeg = new FfmpegProcess(ffmpegPath, compositionArgs(plan, format, partial), { onStdout: (chunk) => this.onProgress(chunk, plan.outputMs) });
    if (this.ffmpeg.pid !== undefined) {
      try {
        os.setPriority(this.ffmpeg.pid, RENDER_NICENESS);
      } catch {
        // Not permitted here: it renders at normal priority.
      }
    }
    this.done = this.ffmpeg.exited.then(async (exit) => {
      if (exit.code === 0 && !this.cancelled) {
        try {
          const { size } = await fs.stat(partial);
          await fs.rename(partial, output);
          return { ok: true, sizeBytes: size, durationMs: plan.outputMs };
        } catch (error) {
          return { ok: false, error: `the rendered file could not be kept: ${(error as Error).message}` };
        }
      }
      await fs.rm(partial, { force: true });
      return { ok: false, error: this.cancelled ? 'cancelled' : this.ffmpeg.failureReason(exit) };
    });
  }

  /** Checks the inputs are there, then starts ffmpeg. */
  static async start(options: { ffmpegPath: string; plan: CompositionPlan; format: 'mp4' | 'm4a'; output: string }): Promise<CompositionRender> {
    for (const file of options.plan.inputs) {
      const present = await fs.stat(file).then((s) => s.isFile() && s.size > 0, () => false);
      if (!present) throw new Error(`a recording file is missing or empty: ${file}`);
    }
    return new CompositionRender(options.ffmpegPath, options.plan, options.format, options.output);
  }

  get pid(): number | undefined {
    return this.ffmpeg.pid;
  }

  /** Stops ffmpeg at once; the partial file is removed. Resolves when it is gone. */
  async cancel(): Promise<void> {
    this.cancelled = true;
    this.ffmpeg.kill();
    await this.done;
  }

  private onProgress(chunk: string, outputMs: number): void {
    const lines = (this.buffered + chunk).split('\n');
    this.buffered = lines.pop() ?? '';
    for (const line of lines) {
      const [key, value] = line.trim().split('=');
      if (key === 'out_time_us' && outputMs > 0) {
        const us = Number(value);
        if (Number.isFinite(us) && us >= 0) this.emit('progress', Math.min(99.9, Math.round((us / 1000 / outputMs) * 1000) / 10));
      } else if (key === 'progress' && value === 'end') this.emit('progress', 100);
    }
  }
}

/** Kills the ffmpeg `pid` if it is still rendering `output` (its command line names the temporary file), and removes that file. */
export async function stopOrphanRender(pid: number | null, output: string): Promise<void> {
  const partial = renderingName(output);
  if (pid !== null) {
    if ((await commandArgs(pid))?.includes(partial)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
      for (let i = 0; i < 50 && (await commandArgs(pid)) !== undefined; i++) await new Promise((r) => setTimeout(r, 20));
    }
  }
  await fs.rm(partial, { force: true });
}
