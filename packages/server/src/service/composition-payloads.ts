/**
 * @module What the composition service says about a composition: its REST shape and the `data`
 * of its `composition-*` webhooks.
 */
import type { Composition, WebhookEventType } from '@atrium/protocol';
import type { CompositionRecord } from '../store/composition-repository.js';
import type { Store } from '../store/store.js';

export const compositionDownloadUrl = (id: string): string => `/api/v1/compositions/${id}/download`;

/** The answer of the REST API; `progress` of a job rendering now comes from memory. */
export function toComposition(record: CompositionRecord, liveProgress?: number): Composition {
  return {
    id: record.id,
    sessionId: record.sessionId,
    roomId: record.roomId,
    recordingId: record.recordingId,
    status: record.status,
    layout: record.layout,
    resolution: record.resolution,
    format: record.format,
    progress: record.status === 'processing' && liveProgress !== undefined ? liveProgress : record.progress,
    createdAt: record.createdAt,
    startedAt: record.startedAt,
    completedAt: record.completedAt,
    durationMs: record.durationMs,
    sizeBytes: record.sizeBytes,
    error: record.error,
    links: {
      self: `/api/v1/compositions/${record.id}`,
      download: compositionDownloadUrl(record.id),
      session: `/api/v1/sessions/${record.sessionId}`,
    },
  };
}

/** The `data` of a `composition-*` webhook. */
export function compositionEventData(record: CompositionRecord): Record<string, unknown> {
  const status = record.status === 'processing' ? 'started' : record.status;
  const data: Record<string, unknown> = { compositionId: record.id, status, format: record.format };
  if (record.recordingId) data.recordingId = record.recordingId;
  if (record.startedAt) data.startedAt = record.startedAt;
  if (record.completedAt) data.completedAt = record.completedAt;
  if (record.status === 'completed') {
    data.fileUrl = compositionDownloadUrl(record.id);
    if (record.durationMs !== null) data.durationSeconds = record.durationMs / 1000;
    if (record.sizeBytes !== null) data.sizeBytes = record.sizeBytes;
  }
  if (record.error) data.error = record.error;
  return data;
}

export async function enqueueCompositionEvent(tx: Store, record: CompositionRecord, type: WebhookEventType): Promise<void> {
  await tx.webhooks.enqueue({ type, roomId: record.roomId, sessionId: record.sessionId, data: compositionEventData(record) });
}
