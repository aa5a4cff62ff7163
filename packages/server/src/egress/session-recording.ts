/**
 * @module The live side of one recording of a room session: a TrackRecorder per recorded track,
 * added as tracks are published (late joiners included) and stopped as they are unpublished;
 * pause and resume for all; a stop that closes every file. It knows nothing of the store: it
 * reports each file's start, end and failure as events, and the service records them.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { TypedEmitter, type TrackKind } from '@atrium/protocol';
import type { PublishedTrack } from '../sfu/published-track.js';
import { egressCodecs } from './rtp-sdp.js';
import { TrackRecorder, type TrackRecordingResult } from './track-recorder.js';

/** A published track to record. */
export interface TrackSource {
  endpointId: string;
  tag: string;
  kind: TrackKind;
  track: PublishedTrack;
}

export interface TrackFileInfo {
  id: string;
  endpointId: string;
  tag: string;
  kind: TrackKind;
  codec: string;
  container: string;
  /** Relative to the recordings directory. */
  relativePath: string;
  /** Wall-clock ms when the file started (ffmpeg listening); refined by the first packet at stop. */
  startedAt: number;
  ffmpegPid: number | undefined;
}

export type SessionRecordingEvents = {
  'file.started': [file: TrackFileInfo];
  'file.finished': [file: TrackFileInfo, result: TrackRecordingResult];
  /** ffmpeg of this file died, or could not start. */
  'file.failed': [file: TrackFileInfo, reason: string, result: TrackRecordingResult];
};

const safe = (value: string): string => value.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 60);

export class SessionRecording extends TypedEmitter<SessionRecordingEvents> {
  readonly id: string;
  private readonly recordingsDir: string;
  private readonly ffmpegPath: string;
  /** `endpointId\0tag\0kind` → its recorder (while recording). */
  private readonly recorders = new Map<string, { info: TrackFileInfo; recorder: TrackRecorder | undefined; source: TrackSource }>();
  private paused = false;
  private stopped = false;
  /** Starts and stops in flight, so `stop()` waits for them. */
  private readonly pending = new Set<Promise<unknown>>();

  constructor(options: { id: string; recordingsDir: string; ffmpegPath: string }) {
    super();
    this.id = options.id;
    this.recordingsDir = options.recordingsDir;
    this.ffmpegPath = options.ffmpegPath;
  }

  /** Directory of this recording's files, relative to the recordings directory. */
  get relativeDir(): string {
    return this.id;
  }

  /** Pids of the ffmpeg processes writing now. */
  pids(): number[] {
    return [...this.recorders.values()].flatMap(({ recorder }) => (recorder?.pid === undefined ? [] : [recorder.pid]));
  }

  get trackCount(): number {
    return this.recorders.size;
  }

  /** Starts recording a track; resolves when its ffmpeg listens (or has failed: see events). */
  addTrack(source: TrackSource): Promise<void> {
    const key = keyOf(source.endpointId, source.tag, source.kind);
    if (this.stopped || this.recorders.has(key) || source.track.closed) return Promise.resolve();
    const codec = egressCodecs[source.kind];
    const id = randomUUID();
    const relativePath = path.join(this.relativeDir, `${source.kind}-${safe(source.endpointId)}-${safe(source.tag)}-${id.slice(0, 8)}.${codec.extension}`);
    const info: TrackFileInfo = {
      id,
      endpointId: source.endpointId,
      tag: source.tag,
      kind: source.kind,
      codec: codec.name.toLowerCase(),
      container: codec.container,
      relativePath,
      startedAt: Date.now(),
      ffmpegPid: undefined,
    };
    const entry: { info: TrackFileInfo; recorder: TrackRecorder | undefined; source: TrackSource } = { info, recorder: undefined, source };
    this.recorders.set(key, entry);
    return this.track(
      (async () => {
        let recorder: TrackRecorder;
        try {
          recorder = await TrackRecorder.start({
            ffmpegPath: this.ffmpegPath,
            file: path.join(this.recordingsDir, relativePath),
            kind: source.kind,
            track: source.track,
          });
        } catch (error) {
          this.recorders.delete(key);
          this.emit('file.failed', info, (error as Error).message, { sizeBytes: 0, durationMs: 0, firstPacketAt: undefined });
          return;
        }
        entry.recorder = recorder;
        info.ffmpegPid = recorder.pid;
        info.startedAt = Date.now();
        recorder.setPaused(this.paused);
        recorder.on('failed', (reason) => {
          if (this.recorders.get(key) !== entry) return;
          this.recorders.delete(key);
          this.emit('file.failed', info, reason, recorder.stats);
        });
        this.emit('file.started', info);
        // Stopped, or the track went away, while ffmpeg started.
        if (this.stopped || source.track.closed) await this.finish(key);
      })(),
    );
  }

  /** Closes the files of a stream that was unpublished. */
  removeStream(endpointId: string, tag: string): Promise<void> {
    const keys = (['audio', 'video'] as const).map((kind) => keyOf(endpointId, tag, kind));
    return this.track(Promise.all(keys.map((key) => this.finish(key))).then(() => undefined));
  }

  setPaused(paused: boolean): void {
    this.paused = paused;
    for (const { recorder } of this.recorders.values()) recorder?.setPaused(paused);
  }

  /** Closes every file; resolves when all are finished. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    await Promise.all([...this.recorders.keys()].map((key) => this.finish(key)));
  }

  private async finish(key: string): Promise<void> {
    const entry = this.recorders.get(key);
    if (!entry?.recorder) return;
    this.recorders.delete(key);
    const result = await entry.recorder.stop();
    this.emit('file.finished', entry.info, result);
  }

  private track<T>(work: Promise<T>): Promise<void> {
    const done = work.then(
      () => undefined,
      () => undefined,
    );
    this.pending.add(done);
    void done.then(() => this.pending.delete(done));
    return done;
  }
}

function keyOf(endpointId: string, tag: string, kind: TrackKind): string {
  return `${endpointId}\0${tag}\0${kind}`;
}
