/**
 * @module One supervised ffmpeg process: spawned with its stderr tail kept, stopped promptly
 * (`q` on stdin — or the end of its stdin input — then SIGINT, then SIGKILL) so the output is
 * closed properly, and its
 * failures turned into readable reasons (ffmpeg missing, disk full, ffmpeg's own last lines).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { TypedEmitter } from '@atrium/protocol';

/** Lines of stderr kept for failure reports. */
const STDERR_TAIL_LINES = 20;
/** After `q`, how long ffmpeg may take to write its trailer before SIGINT, then SIGKILL. */
const QUIT_GRACE_MS = 3_000;
const INTERRUPT_GRACE_MS = 3_000;

/** Every running ffmpeg of this process, killed if the process exits without stopping them. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function track(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // An ffmpeg reading UDP would otherwise outlive us (a live compositor never sees end of input).
    process.once('exit', () => {
      for (const orphan of running) orphan.kill('SIGKILL');
    });
  }
  running.add(child);
  child.once('close', () => running.delete(child));
}

export type FfmpegExit = { code: number | null; signal: NodeJS.Signals | null };

export type FfmpegProcessEvents = {
  /** The process ended without being asked to stop (or could not start); `reason` says why. */
  failed: [reason: string];
  /** The process ended, for whatever reason. */
  exit: [exit: FfmpegExit];
  /** A line ffmpeg wrote to stderr. */
  line: [line: string];
};

export interface FfmpegProcessOptions {
  /**
   * ffmpeg reads its input from stdin (`-i pipe:0`): `write` feeds it and `stop` ends stdin
   * (end of input) instead of sending `q`.
   */
  inputOnStdin?: boolean;
  /** ffmpeg writes its output to stdout (`pipe:1`): `stdout` gives it. */
  outputOnStdout?: boolean;
  /** ffmpeg's stdout as text (e.g. `-progress pipe:1`), chunk by chunk. */
  onStdout?: (chunk: string) => void;
}

export class FfmpegProcess extends TypedEmitter<FfmpegProcessEvents> {
  readonly args: readonly string[];
  private readonly child: ChildProcess;
  private readonly inputOnStdin: boolean;
  private readonly tail: string[] = [];
  private partialLine = '';
  private stopping = false;
  private exit_: FfmpegExit | undefined;
  private spawnError: NodeJS.ErrnoException | undefined;
  readonly exited: Promise<FfmpegExit>;

  constructor(ffmpegPath: string, args: readonly string[], options: FfmpegProcessOptions = {}) {
    super();
    this.args = args;
    this.inputOnStdin = options.inputOnStdin ?? false;
    this.child = spawn(ffmpegPath, args, { stdio: ['pipe', options.outputOnStdout || options.onStdout ? 'pipe' : 'ignore', 'pipe'] });
    track(this.child);
    if (options.onStdout) {
      this.child.stdout?.setEncoding('utf8');
      this.child.stdout?.on('data', options.onStdout);
    }
    // A write to a dead ffmpeg's stdin must not become an uncaught error.
    this.child.stdin?.on('error', () => undefined);
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (chunk: string) => this.keep(chunk));
    this.exited = new Promise((resolve) => {
      this.child.once('error', (error: NodeJS.ErrnoException) => {
        this.spawnError = error;
        // 'exit' may not follow a spawn failure.
        if (this.child.pid === undefined) this.finish({ code: null, signal: null }, resolve);
      });
      this.child.once('close', (code, signal) => this.finish({ code, signal }, resolve));
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exit_ === undefined;
  }

  /** ffmpeg's output, with `outputOnStdout`. */
  get stdout(): NodeJS.ReadableStream | null {
    return this.child.stdout;
  }

  /** Bytes written to stdin that ffmpeg has not read yet (`inputOnStdin`). */
  get inputBacklog(): number {
    return this.child.stdin?.writableLength ?? 0;
  }

  /** Feeds ffmpeg's input (`inputOnStdin`); ignored once stopping or ended. */
  write(chunk: Buffer): void {
    if (this.stopping || this.exit_ || !this.child.stdin || this.child.stdin.writableEnded) return;
    this.child.stdin.write(chunk);
  }

  /**
   * Sends a filter command while ffmpeg runs (its interactive `c`: `<target> -1 <command> <arg>`
   * on stdin), e.g. `command('overlay@o0', 'x', '640')`. Not for `inputOnStdin` processes.
   */
  command(target: string, command: string, argument: string): void {
    if (this.inputOnStdin || this.stopping || this.exit_ || !this.child.stdin || this.child.stdin.writableEnded) return;
    this.child.stdin.write(`c${target} -1 ${command} ${argument}\n`);
  }

  /** The last lines ffmpeg wrote to stderr. */
  stderrTail(): string[] {
    return this.partialLine ? [...this.tail, this.partialLine] : [...this.tail];
  }

  /**
   * Asks ffmpeg to finish its output and exit (`q` on stdin, read between packets; the caller
   * should also end its input), then escalates: SIGINT, SIGKILL. Resolves on exit.
   */
  async stop(): Promise<FfmpegExit> {
    this.stopping = true;
    if (this.exit_) return this.exit_;
    if (this.inputOnStdin) this.child.stdin?.end();
    else this.child.stdin?.end('q');
    const interrupt = setTimeout(() => this.child.kill('SIGINT'), QUIT_GRACE_MS);
    const kill = setTimeout(() => this.child.kill('SIGKILL'), QUIT_GRACE_MS + INTERRUPT_GRACE_MS);
    try {
      return await this.exited;
    } finally {
      clearTimeout(interrupt);
      clearTimeout(kill);
    }
  }

  /** Kills at once (the output may be unfinished). */
  kill(): void {
    this.stopping = true;
    if (this.exit_ === undefined) this.child.kill('SIGKILL');
  }

  /** Why the process failed, in words an operator can act on. */
  failureReason(exit: FfmpegExit): string {
    if (this.spawnError?.code === 'ENOENT') return `ffmpeg is not installed (looked for "${this.child.spawnfile}"); install Debian's ffmpeg or set ATRIUM_FFMPEG_PATH`;
    if (this.spawnError) return `ffmpeg could not start: ${this.spawnError.message}`;
    const lines = this.stderrTail();
    if (lines.some((l) => /No space left on device/i.test(l))) return 'the disk is full (ENOSPC) while writing the recording';
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
    const last = lines.slice(-5).join(' | ');
    return last ? `ffmpeg ${how}: ${last}` : `ffmpeg ${how}`;
  }

  private keep(chunk: string): void {
    const lines = (this.partialLine + chunk).split(/\r?\n|\r/);
    this.partialLine = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      this.emit('line', line);
      this.tail.push(line);
      if (this.tail.length > STDERR_TAIL_LINES) this.tail.shift();
    }
  }

  private finish(exit: FfmpegExit, resolve: (exit: FfmpegExit) => void): void {
    if (this.exit_) return;
    this.exit_ = exit;
    resolve(exit);
    const clean = exit.code === 0 || (this.stopping && this.spawnError === undefined && exit.signal !== 'SIGKILL');
    if (!clean || this.spawnError) this.emit('failed', this.failureReason(exit));
    this.emit('exit', exit);
  }
}
