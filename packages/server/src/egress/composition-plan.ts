/**
 * @module The plan of one composition, a pure function of the per-track files, the recorded
 * stretches and the layout: the timeline is cut into intervals in which the set of streams present
 * is constant; each interval's layers come from `computeLayout` (the live view's layout function);
 * the ffmpeg filter graph places each video track at its offset (`setpts`, `fps start_time=0`) on a
 * black canvas, in the rectangle of its layer while the interval lasts (`overlay … enable`), mixes
 * every audio track at its offset (`aresample first_pts=0`, which also fills the holes paused
 * stretches leave, `amix normalize=0`), and finally cuts what was not recorded (pauses, the time
 * between two recordings) so the file has no frozen stretch.
 *
 * Cost note: a track shown in several rectangles (a layout change) is scaled once per distinct
 * rectangle for its whole length, because ffmpeg's overlay keeps inputs in lockstep; trimming the
 * branches instead would make ffmpeg buffer every frame until the trimmed part begins.
 */
import {
  computeLayout,
  layerToPixels,
  type LayoutCanvas,
  type LayoutMember,
  type LayoutSpec,
} from '@atrium/protocol';

/** One finished per-track file, placed on the wall clock. */
export interface CompositionTrack {
  id: string;
  endpointId: string;
  tag: string;
  kind: 'audio' | 'video';
  /** Absolute path of the file. */
  file: string;
  /** Wall-clock ms (since epoch) of the file's first media. */
  startMs: number;
  /** Media time the file covers. */
  durationMs: number;
}

/** A stretch of wall-clock time that was recorded (a recording minus its pauses). */
export interface RecordedRange {
  startMs: number;
  endMs: number;
}

export interface CompositionPlanInput {
  tracks: readonly CompositionTrack[];
  recorded: readonly RecordedRange[];
  layout: LayoutSpec;
  canvas: LayoutCanvas;
  fps?: number;
  /** `m4a`: audio only, no video graph. */
  format: 'mp4' | 'm4a';
}

/** A pixel rectangle on the canvas. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A stretch of the timeline (ms from its start, before cutting) with the streams shown and where. */
export interface LayoutInterval {
  startMs: number;
  endMs: number;
  /** `endpointId:tag` → its rectangle, for the streams on the canvas. */
  placed: Map<string, Rect>;
}

export interface CompositionPlan {
  /** Input files, in `-i` order. */
  inputs: string[];
  /** The `-filter_complex` graph; outputs `[v]` (mp4) and `[a]`. */
  filter: string;
  /** Length of the timeline before the unrecorded stretches are cut. */
  timelineMs: number;
  /** Length of the output. */
  outputMs: number;
  intervals: LayoutInterval[];
}

const DEFAULT_FPS = 25;

const streamKey = (track: Pick<CompositionTrack, 'endpointId' | 'tag'>): string => `${track.endpointId}:${track.tag}`;
const seconds = (ms: number): string => (Math.round(ms) / 1000).toFixed(3);
const even = (value: number): number => 2 * Math.round(value / 2);

/** A layer rectangle in pixels with even edges (4:2:0 chroma), tiles still meeting exactly. */
function evenRect(layer: Rect, canvas: LayoutCanvas): Rect {
  const px = layerToPixels(layer, canvas);
  const x = even(px.x);
  const y = even(px.y);
  return { x, y, width: Math.min(canvas.width, even(px.x + px.width)) - x, height: Math.min(canvas.height, even(px.y + px.height)) - y };
}

/** Sorted, merged ranges. */
function merge(ranges: RecordedRange[]): RecordedRange[] {
  const sorted = ranges.filter((r) => r.endMs > r.startMs).sort((a, b) => a.startMs - b.startMs);
  const out: RecordedRange[] = [];
  for (const range of sorted) {
    const last = out[out.length - 1];
    if (last && range.startMs <= last.endMs) last.endMs = Math.max(last.endMs, range.endMs);
    else out.push({ ...range });
  }
  return out;
}

/** `gte(t,a)*lt(t,b)+…` over ranges in ms (a half-open union). */
function timeExpression(ranges: ReadonlyArray<{ startMs: number; endMs: number }>): string {
  return ranges.map((r) => `gte(t,${seconds(r.startMs)})*lt(t,${seconds(r.endMs)})`).join('+');
}

/** Adjacent ranges joined. */
function joinAdjacent(ranges: Array<{ startMs: number; endMs: number }>): Array<{ startMs: number; endMs: number }> {
  const out: Array<{ startMs: number; endMs: number }> = [];
  for (const range of [...ranges].sort((a, b) => a.startMs - b.startMs)) {
    const last = out[out.length - 1];
    if (last && range.startMs <= last.endMs + 1) last.endMs = Math.max(last.endMs, range.endMs);
    else out.push({ ...range });
  }
  return out;
}

/** The intervals of constant presence and their layouts. Times are ms from `originMs`. */
export function layoutIntervals(
  tracks: ReadonlyArray<{ endpointId: string; tag: string; startMs: number; endMs: number }>,
  timelineMs: number,
  layout: LayoutSpec,
  canvas: LayoutCanvas,
): LayoutInterval[] {
  const order = new Map<string, number>();
  for (const track of [...tracks].sort((a, b) => a.startMs - b.startMs)) {
    if (!order.has(streamKey(track))) order.set(streamKey(track), order.size);
  }
  const cuts = [...new Set([0, timelineMs, ...tracks.flatMap((t) => [t.startMs, t.endMs])])]
    .filter((ms) => ms >= 0 && ms <= timelineMs)
    .sort((a, b) => a - b);
  const intervals: LayoutInterval[] = [];
  let previous = '';
  for (let i = 0; i + 1 < cuts.length; i++) {
    const startMs = cuts[i]!;
    const endMs = cuts[i + 1]!;
    const present = [...new Set(tracks.filter((t) => t.startMs <= startMs && t.endMs >= endMs).map(streamKey))];
    const signature = present.sort().join('\n');
    const last = intervals[intervals.length - 1];
    if (last && signature === previous) {
      last.endMs = endMs;
      continue;
    }
    previous = signature;
    const members: LayoutMember[] = present.map((key) => {
      const cut = key.lastIndexOf(':');
      const memberId = key.slice(0, cut);
      return { memberId, streamTag: key.slice(cut + 1), name: memberId, visible: true, audioMuted: false, videoMuted: false, order: order.get(key) ?? 0 };
    });
    const placed = new Map<string, Rect>();
    for (const layer of computeLayout(layout, members, {}, canvas)) {
      if (!layer.visible || layer.memberId === undefined || layer.width <= 0 || layer.height <= 0) continue;
      placed.set(`${layer.memberId}:${layer.streamTag ?? 'camera'}`, evenRect(layer, canvas));
    }
    intervals.push({ startMs, endMs, placed });
  }
  return intervals;
}

export function planComposition(input: CompositionPlanInput): CompositionPlan {
  const fps = input.fps ?? DEFAULT_FPS;
  const { canvas } = input;
  const recorded = merge([...input.recorded]);
  const originMs = recorded[0]?.startMs ?? 0;
  const timelineMs = Math.max(0, (recorded[recorded.length - 1]?.endMs ?? 0) - originMs);
  // The unrecorded stretches inside the timeline, to cut at the end.
  const gaps: RecordedRange[] = [];
  for (let i = 1; i < recorded.length; i++) gaps.push({ startMs: recorded[i - 1]!.endMs - originMs, endMs: recorded[i]!.startMs - originMs });
  const outputMs = timelineMs - gaps.reduce((sum, g) => sum + g.endMs - g.startMs, 0);

  const placedTracks = input.tracks
    .map((track) => {
      const startMs = Math.max(0, track.startMs - originMs);
      return { track, startMs, endMs: Math.min(timelineMs, track.startMs - originMs + track.durationMs) };
    })
    .filter((t) => t.endMs > t.startMs);
  const intervals = layoutIntervals(
    placedTracks.map((t) => ({ endpointId: t.track.endpointId, tag: t.track.tag, startMs: t.startMs, endMs: t.endMs })),
    timelineMs,
    input.layout,
    canvas,
  );

  const inputs: string[] = [];
  const parts: string[] = [];
  const cut = gaps.length > 0 ? `'not(${timeExpression(gaps)})'` : undefined;

  if (input.format === 'mp4') {
    parts.push(`color=c=black:s=${canvas.width}x${canvas.height}:r=${fps}:d=${seconds(timelineMs)}[base]`);
    const overlays: Array<{ label: string; rect: Rect; enable: string }> = [];
    for (const { track, startMs, endMs } of placedTracks.filter((t) => t.track.kind === 'video')) {
      // Where this file is shown: per rectangle, the intervals it covers.
      const byRect = new Map<string, { rect: Rect; ranges: Array<{ startMs: number; endMs: number }> }>();
      for (const interval of intervals) {
        const rect = interval.placed.get(streamKey(track));
        const from = Math.max(interval.startMs, startMs);
        const to = Math.min(interval.endMs, endMs);
        if (!rect || to <= from) continue;
        const id = `${rect.x},${rect.y},${rect.width},${rect.height}`;
        const entry = byRect.get(id) ?? { rect, ranges: [] };
        entry.ranges.push({ startMs: from, endMs: to });
        byRect.set(id, entry);
      }
      if (byRect.size === 0) continue;
      const index = inputs.push(track.file) - 1;
      const branches = [...byRect.values()];
      const source = `[${index}:v]setpts=PTS-STARTPTS+${seconds(startMs)}/TB,fps=${fps}:start_time=0`;
      if (branches.length === 1) parts.push(`${source}[s${index}]`);
      else parts.push(`${source},split=${branches.length}${branches.map((_, k) => `[s${index}_${k}]`).join('')}`);
      branches.forEach((branch, k) => {
        const from = branches.length === 1 ? `[s${index}]` : `[s${index}_${k}]`;
        const { width, height } = branch.rect;
        const label = `t${index}_${k}`;
        parts.push(`${from}scale=${width}:${height}:force_original_aspect_ratio=increase,crop=${width}:${height},setsar=1[${label}]`);
        overlays.push({ label, rect: branch.rect, enable: timeExpression(joinAdjacent(branch.ranges)) });
      });
    }
    let current = 'base';
    overlays.forEach((overlay, i) => {
      const next = `o${i}`;
      parts.push(`[${current}][${overlay.label}]overlay=x=${overlay.rect.x}:y=${overlay.rect.y}:eof_action=pass:enable='${overlay.enable}'[${next}]`);
      current = next;
    });
    parts.push(cut ? `[${current}]select=${cut},setpts=N/FRAME_RATE/TB[v]` : `[${current}]null[v]`);
  }

  // Audio: silence as long as the timeline (so the mix is), plus every audio file at its offset.
  parts.push(`anullsrc=r=48000:cl=stereo,atrim=duration=${seconds(timelineMs)}[silence]`);
  const mixed = ['[silence]'];
  for (const { track, startMs } of placedTracks.filter((t) => t.track.kind === 'audio')) {
    const index = inputs.push(track.file) - 1;
    parts.push(`[${index}:a]asetpts=PTS-STARTPTS+${seconds(startMs)}/TB,aresample=async=1:first_pts=0[a${index}]`);
    mixed.push(`[a${index}]`);
  }
  const mix = `${mixed.join('')}amix=inputs=${mixed.length}:normalize=0:duration=first`;
  parts.push(cut ? `${mix},aselect=${cut},asetpts=N/SR/TB[a]` : `${mix}[a]`);

  return { inputs, filter: parts.join(';\n'), timelineMs, outputMs, intervals };
}

/** The ffmpeg arguments rendering `plan` into `output` (written as given; the caller renames it). */
export function compositionArgs(plan: CompositionPlan, format: 'mp4' | 'm4a', output: string): string[] {
  const video = format === 'mp4' ? ['-map', '[v]', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p'] : [];
  return [
    '-hide_banner', '-loglevel', 'warning', '-nostats', '-y',
    '-progress', 'pipe:1', '-stats_period', '0.5',
    ...plan.inputs.flatMap((file) => ['-i', file]),
    '-filter_complex', plan.filter,
    ...video,
    '-map', '[a]', '-c:a', 'aac', '-b:a', '128k', '-ar', '48000', '-ac', '2',
    '-movflags', '+faststart',
    '-f', 'mp4', output,
  ];
}
