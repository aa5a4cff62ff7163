/**
 * @module The `composite` output of a recording: when a recording that asked for it stops, its
 * per-track files are composed (the composition queue, so one render at a time) in the room's
 * layout — `autoStartConfig.recording.config` (layout type/priority/gridSize, mode, quality,
 * orientation) when the room has one, else the room's layout and quality. The composite is a file
 * of the recording (`output: composite`, the composition's id): `recording` while it renders,
 * then `finished` (the rendered file hard-linked into the recording's directory) or `failed`.
 * The recording itself is `stopped` as soon as its track files are final; the composite's own
 * progress is reported by the `composition-*` webhooks, which carry the `recordingId`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { AtriumError, layoutNameSchema, type Composition, type LayoutSpec, type Recording } from '@atrium/protocol';
import type { RoomRecord } from '../store/room-repository.js';
import type { RecordingFileRecord } from '../store/recording-repository.js';
import type { Store } from '../store/store.js';
import type { CompositionManager } from './composition-manager.js';
import type { RecordingManager } from './recording-manager.js';

export interface CompositeRecordingConfig {
  recordingsDir: string;
  compositionsDir: string;
}

/** What the room says the composite should look like. */
export function compositeSettings(room: RoomRecord | undefined): { layout: LayoutSpec; resolution: string; format: 'mp4' | 'm4a' } {
  const config = room?.autoStartConfig?.recording?.config;
  const roomLayout = layoutNameSchema.safeParse(room?.layout);
  const layout: LayoutSpec = config?.layout ?? (roomLayout.success ? roomLayout.data : 'grid-responsive');
  const byQuality = { low: [854, 480], med: [1280, 720], high: [1920, 1080] } as const;
  const byRoomQuality = { '720p': [1280, 720], '1080p': [1920, 1080], '1440p': [2560, 1440] } as const;
  let [width, height]: readonly [number, number] = config?.quality ? byQuality[config.quality] : byRoomQuality[room?.quality ?? '720p'];
  if (config?.orientation === 'portrait') [width, height] = [height, width];
  return { layout, resolution: `${width}x${height}`, format: config?.mode === 'audio' ? 'm4a' : 'mp4' };
}

export class CompositeRecordings {
  private readonly store: Store;
  private readonly compositions: CompositionManager;
  private readonly config: CompositeRecordingConfig;
  private readonly log: Logger;

  constructor(deps: { store: Store; recordings: RecordingManager; compositions: CompositionManager; config: CompositeRecordingConfig; log: Logger }) {
    this.store = deps.store;
    this.compositions = deps.compositions;
    this.config = deps.config;
    this.log = deps.log;
    deps.recordings.on('recording.ended', (recording) => void this.onRecordingEnded(recording).catch((error: unknown) => this.log.error({ err: error, recordingId: recording.id }, 'the composite could not be queued')));
    deps.compositions.on('composition.ended', (composition) => void this.onCompositionEnded(composition).catch((error: unknown) => this.log.error({ err: error, compositionId: composition.id }, 'the composite could not be stored')));
  }

  private async onRecordingEnded(recording: Recording): Promise<void> {
    if (recording.status !== 'stopped' || !recording.outputs.includes('composite')) return;
    if (recording.files.some((f) => f.output === 'composite')) return;
    const settings = compositeSettings(await this.store.rooms.get(recording.roomId));
    const id = randomUUID();
    const row: RecordingFileRecord = {
      id,
      recordingId: recording.id,
      output: 'composite',
      endpointId: null,
      tag: null,
      kind: null,
      codec: settings.format === 'm4a' ? 'aac' : 'h264',
      container: 'mp4',
      path: path.join(recording.id, `composite-${id.slice(0, 8)}.${settings.format}`),
      status: 'recording',
      offsetMs: 0,
      startedAt: recording.startedAt,
      endedAt: null,
      durationMs: null,
      sizeBytes: null,
      ffmpegPid: null,
      error: null,
    };
    await this.store.recordings.insertFile(row);
    try {
      await this.compositions.create({ sessionId: recording.sessionId, recordingId: recording.id, ...settings }, { id });
    } catch (error) {
      const reason = error instanceof AtriumError ? error.message : `the composite could not be queued: ${(error as Error).message}`;
      await this.store.recordings.updateFile(id, { status: 'failed', error: reason, endedAt: new Date().toISOString() });
    }
  }

  private async onCompositionEnded(composition: Composition): Promise<void> {
    if (composition.recordingId === null) return;
    const file = (await this.store.recordings.listFiles(composition.recordingId)).find((f) => f.id === composition.id && f.output === 'composite');
    if (!file) return;
    const endedAt = composition.completedAt ?? new Date().toISOString();
    if (composition.status !== 'completed') {
      await this.store.recordings.updateFile(file.id, { status: 'failed', error: composition.error ?? 'the composition failed', endedAt });
      return;
    }
    const rendered = path.join(this.config.compositionsDir, `${composition.id}.${composition.format}`);
    const target = path.join(this.config.recordingsDir, file.path);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    try {
      // Same bytes, no copy: the composition and the recording can each be deleted on their own.
      fs.linkSync(rendered, target);
    } catch {
      fs.copyFileSync(rendered, target);
    }
    await this.store.recordings.updateFile(file.id, { status: 'finished', endedAt, durationMs: composition.durationMs, sizeBytes: composition.sizeBytes, error: null });
  }
}
