/**
 * @module What the recording service says about a recording: its REST shape (files with their
 * download URLs), the `data` of its webhook events, and the ffmpeg availability check.
 */
import { spawn } from 'node:child_process';
import type { Recording, RecordingTrackFile, WebhookEventType } from '@atrium/protocol';
import type { RecordingFileRecord, RecordingRecord, RecordingStatus } from '../store/recording-repository.js';
import type { Store } from '../store/store.js';

/** The `data` of a `recording-*` webhook. */
export function recordingEventData(record: RecordingRecord): Record<string, unknown> {
  const data: Record<string, unknown> = { recordingId: record.id, status: eventStatus(record.status), startedAt: record.startedAt };
  if (record.stoppedAt) {
    data.stoppedAt = record.stoppedAt;
    data.durationSeconds = (Date.parse(record.stoppedAt) - Date.parse(record.startedAt)) / 1000;
  }
  if (record.status === 'stopped') data.fileUrl = `/api/v1/recordings/${record.id}/download`;
  if (record.error) data.error = record.error;
  return data;
}

export async function enqueueRecordingEvent(tx: Store, record: RecordingRecord, type: WebhookEventType): Promise<void> {
  await tx.webhooks.enqueue({ type, roomId: record.roomId, sessionId: record.sessionId, data: recordingEventData(record) });
}

export async function enqueueParticipantEvent(tx: Store, record: RecordingRecord, endpointId: string, type: WebhookEventType): Promise<void> {
  const status = type.endsWith('started') ? 'started' : 'stopped';
  await tx.webhooks.enqueue({ type, roomId: record.roomId, sessionId: record.sessionId, data: { recordingId: record.id, endpointId, status, startedAt: record.startedAt } });
}

export async function enqueueTrackEvent(tx: Store, record: RecordingRecord, file: RecordingFileRecord, type: WebhookEventType, error?: string): Promise<void> {
  const status = type.endsWith('started') ? 'started' : type.endsWith('failed') ? 'failed' : 'stopped';
  const data: Record<string, unknown> = {
    recordingId: record.id,
    endpointId: file.endpointId,
    tag: file.tag,
    trackId: file.id,
    kind: file.kind,
    status,
    startedAt: file.startedAt,
    offsetMs: file.offsetMs,
  };
  if (file.endedAt) data.stoppedAt = file.endedAt;
  if (status === 'stopped') {
    data.fileUrl = downloadUrl(record.id, file.id);
    if (file.durationMs !== null) data.durationSeconds = file.durationMs / 1000;
  }
  if (error) data.error = error;
  await tx.webhooks.enqueue({ type, roomId: record.roomId, sessionId: record.sessionId, data });
}

export function toRecording(record: RecordingRecord, files: RecordingFileRecord[]): Recording {
  return {
    id: record.id,
    sessionId: record.sessionId,
    roomId: record.roomId,
    status: record.status,
    outputs: record.outputs as Recording['outputs'],
    startedAt: record.startedAt,
    stoppedAt: record.stoppedAt,
    endReason: record.endReason,
    error: record.error,
    durationMs: record.stoppedAt ? Date.parse(record.stoppedAt) - Date.parse(record.startedAt) : null,
    pauses: record.pauses,
    files: files.map((f): RecordingTrackFile => ({
      id: f.id,
      output: f.output,
      endpointId: f.endpointId,
      tag: f.tag,
      kind: f.kind,
      codec: f.codec,
      container: f.container,
      status: f.status,
      offsetMs: f.offsetMs,
      startedAt: f.startedAt,
      endedAt: f.endedAt,
      durationMs: f.durationMs,
      sizeBytes: f.sizeBytes,
      error: f.error,
      downloadUrl: downloadUrl(record.id, f.id),
    })),
    links: {
      self: `/api/v1/recordings/${record.id}`,
      download: `/api/v1/recordings/${record.id}/download`,
      session: `/api/v1/sessions/${record.sessionId}`,
    },
  };
}

export function downloadUrl(recordingId: string, fileId: string): string {
  return `/api/v1/recordings/${recordingId}/download?track=${fileId}`;
}

/** The webhook `status` of a recording state. */
function eventStatus(status: RecordingStatus): string {
  return status === 'recording' || status === 'paused' ? 'started' : status;
}

/** Undefined when `ffmpeg -version` runs; otherwise why not. */
export function ffmpegAvailable(ffmpegPath: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn(ffmpegPath, ['-version'], { stdio: 'ignore' });
    child.once('error', (error: NodeJS.ErrnoException) =>
      resolve(
        error.code === 'ENOENT'
          ? `ffmpeg is not installed (looked for "${ffmpegPath}"); install Debian's ffmpeg or set ATRIUM_FFMPEG_PATH`
          : `ffmpeg could not start: ${error.message}`,
      ),
    );
    child.once('exit', (code) => resolve(code === 0 ? undefined : `"${ffmpegPath} -version" exited with code ${code}`));
  });
}

