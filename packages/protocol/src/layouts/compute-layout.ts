/**
 * @module The layout function: `(layout, members, positions, canvas) → layers`. Pure and
 * deterministic, so the server (for `layout.changed`), the SDK and the egress compositor all
 * arrive at the same picture.
 *
 * Rules, in order:
 * 1. Streams of members that are not `visible`, or video-muted while `hideVideoMuted`, are left out.
 * 2. Each stream's position comes from `positions`: `<memberId>:<tag>`, then `self:<tag>`, then for
 *    the member's primary stream (its `camera`, else its first) `<memberId>`, then `self`; else `auto`.
 * 3. `off-canvas` streams are reported as invisible layers and take no slot.
 * 4. The layout offers slots for the remaining count (responsive layouts) or a fixed set.
 * 5. Explicit `reserved-n`/`standard-n` positions take their slot, earlier joiners first; a
 *    position the layout lacks, or one already taken, counts as `auto`.
 * 6. Auto streams fill the free slots in slot order (reserved first): screen shares first in
 *    `screen-share`, the active speaker first in highlight/full-screen/SPEAKER layouts, pinned
 *    streams first in PIN layouts, then by join order. In a `GRID`, the speaker is not moved to the
 *    front but takes the last slot when it would otherwise not fit.
 * 7. Streams left without a slot are reported off-canvas.
 *
 * Layers: the slots in slot order (empty slots are layers without `memberId`, `visible: false`),
 * then the off-canvas streams in join order; `layerIndex` is the index in that list.
 */
import { featuresFirst, layoutPriority, layoutSlots, type LayoutSlot } from './geometry.js';
import {
  SELF_POSITION_KEY,
  type LayoutCanvas,
  type LayoutMember,
  type LayoutOptions,
  type LayoutSpec,
  type VideoLayoutLayer,
  type VideoPosition,
  type VideoPositions,
} from './types.js';

export const DEFAULT_STREAM_TAG = 'camera';

interface Candidate {
  member: LayoutMember;
  tag: string;
  /** Index in the input, for stable ordering among equal join orders. */
  index: number;
  position: VideoPosition;
}

/** `memberId:tag`, the key a single stream is known by. */
export function layoutStreamKey(memberId: string, streamTag = DEFAULT_STREAM_TAG): string {
  return `${memberId}:${streamTag}`;
}

function isScreenShare(tag: string): boolean {
  return tag === 'screen' || tag.startsWith('screen-');
}

/** Join order, then primary (camera) before other streams, then by tag, then input order. */
function joinOrder(a: Candidate, b: Candidate): number {
  if (a.member.order !== b.member.order) return a.member.order - b.member.order;
  if (a.member.memberId === b.member.memberId && a.tag !== b.tag) {
    if (a.tag === DEFAULT_STREAM_TAG) return -1;
    if (b.tag === DEFAULT_STREAM_TAG) return 1;
    return a.tag < b.tag ? -1 : 1;
  }
  return a.index - b.index;
}

/** The stream of each member that a bare member id (or `self`) in positions refers to. */
function primaryStreams(candidates: Candidate[]): Set<Candidate> {
  const primary = new Map<string, Candidate>();
  for (const candidate of candidates) {
    const current = primary.get(candidate.member.memberId);
    if (!current || (candidate.tag === DEFAULT_STREAM_TAG && current.tag !== DEFAULT_STREAM_TAG)) {
      primary.set(candidate.member.memberId, candidate);
    }
  }
  return new Set(primary.values());
}

function resolvePosition(
  candidate: Candidate,
  isPrimary: boolean,
  positions: VideoPositions,
  selfMemberId: string | undefined,
): VideoPosition {
  const id = candidate.member.memberId;
  const isSelf = selfMemberId !== undefined && id === selfMemberId;
  const keys = [layoutStreamKey(id, candidate.tag)];
  if (isSelf) keys.push(layoutStreamKey(SELF_POSITION_KEY, candidate.tag));
  if (isPrimary) keys.push(id);
  if (isPrimary && isSelf) keys.push(SELF_POSITION_KEY);
  for (const key of keys) {
    if (Object.hasOwn(positions, key)) {
      const position = positions[key];
      if (position !== undefined) return position;
    }
  }
  return 'auto';
}

/** Orders auto streams: the layout's featured ones first, then by join order. */
function autoOrder(spec: LayoutSpec, activeSpeakerId: string | undefined): (a: Candidate, b: Candidate) => number {
  const priority = layoutPriority(spec);
  const first = featuresFirst(spec);
  const speakerRank = (c: Candidate): number =>
    first && activeSpeakerId !== undefined && c.member.memberId === activeSpeakerId && !isScreenShare(c.tag) ? 0 : 1;
  const rank = (c: Candidate): number[] => {
    switch (priority) {
      case 'screen':
        return [isScreenShare(c.tag) ? 0 : 1, speakerRank(c)];
      case 'speaker':
        return [speakerRank(c)];
      case 'pin':
        return [c.member.pinned ? 0 : 1, speakerRank(c)];
      case 'join':
        return [];
    }
  };
  return (a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    for (let i = 0; i < ra.length; i++) {
      const diff = (ra[i] ?? 0) - (rb[i] ?? 0);
      if (diff !== 0) return diff;
    }
    return joinOrder(a, b);
  };
}

/**
 * One layer, built as a single literal: spreading and overriding partial objects here made V8
 * fall back to slow objects (a 100-stream layout took milliseconds instead of microseconds).
 */
function layer(
  rect: Pick<VideoLayoutLayer, 'x' | 'y' | 'width' | 'height' | 'zIndex' | 'reservation'>,
  candidate: Candidate | undefined,
  position: VideoPosition,
  layerIndex: number,
): VideoLayoutLayer {
  const { x, y, width, height, zIndex, reservation } = rect;
  if (!candidate) return { x, y, width, height, layerIndex, zIndex, reservation, position, playingFile: false, visible: false };
  const { member } = candidate;
  return {
    memberId: member.memberId,
    streamTag: candidate.tag,
    name: member.name,
    audioMuted: member.audioMuted,
    videoMuted: member.videoMuted,
    x,
    y,
    width,
    height,
    layerIndex,
    zIndex,
    reservation,
    position,
    playingFile: member.playingFile ?? false,
    visible: position !== 'off-canvas',
  };
}

const OFF_CANVAS = { x: 0, y: 0, width: 0, height: 0, zIndex: 0, reservation: '' };

/**
 * Arranges streams into the layers of a layout (x, y, width, height in percent of the canvas).
 * `positions` keys are member ids, `self`, or `<memberId|self>:<streamTag>`.
 */
export function computeLayout(
  layout: LayoutSpec,
  members: readonly LayoutMember[],
  positions: VideoPositions,
  canvas: LayoutCanvas,
  options: LayoutOptions = {},
): VideoLayoutLayer[] {
  const seen = new Set<string>();
  const included: Candidate[] = [];
  members.forEach((member, index) => {
    const tag = member.streamTag ?? DEFAULT_STREAM_TAG;
    const key = layoutStreamKey(member.memberId, tag);
    if (seen.has(key)) return;
    seen.add(key);
    if (!member.visible || (options.hideVideoMuted && member.videoMuted)) return;
    included.push({ member, tag, index, position: 'auto' });
  });
  included.sort(joinOrder);
  const primary = primaryStreams(included);
  for (const candidate of included) {
    candidate.position = resolvePosition(candidate, primary.has(candidate), positions, options.selfMemberId);
  }

  const onCanvas = included.filter((c) => c.position !== 'off-canvas');
  const slots = layoutSlots(layout, onCanvas.length, canvas);
  const occupant = new Map<LayoutSlot, Candidate>();
  const slotByName = new Map(slots.map((slot) => [slot.reservation as string, slot]));

  const auto: Candidate[] = [];
  for (const candidate of onCanvas) {
    const slot = slotByName.get(candidate.position);
    if (slot && !occupant.has(slot)) occupant.set(slot, candidate);
    else auto.push(candidate);
  }
  auto.sort(autoOrder(layout, options.activeSpeakerId));

  const free = slots.filter((slot) => !occupant.has(slot));
  const overflow = auto.length > free.length;
  if (overflow && !featuresFirst(layout) && options.activeSpeakerId !== undefined && free.length > 0) {
    // A grid keeps its order, but the speaker is shown in the last free slot rather than left out.
    const speakerAt = auto.findIndex((c) => c.member.memberId === options.activeSpeakerId && !isScreenShare(c.tag));
    if (speakerAt >= free.length) {
      const [speaker] = auto.splice(speakerAt, 1);
      if (speaker) auto.splice(free.length - 1, 0, speaker);
    }
  }
  free.forEach((slot, i) => {
    const candidate = auto[i];
    if (candidate) occupant.set(slot, candidate);
  });
  const placed = new Set(occupant.values());

  const layers: VideoLayoutLayer[] = [];
  for (const slot of slots) {
    const candidate = occupant.get(slot);
    const position = !candidate || candidate.position === slot.reservation ? slot.reservation : 'auto';
    layers.push(layer(slot, candidate, position, layers.length));
  }
  for (const candidate of included) {
    if (!placed.has(candidate)) layers.push(layer(OFF_CANVAS, candidate, 'off-canvas', layers.length));
  }
  return layers;
}

/** A layer's rectangle in pixels of a canvas (rounded so neighbouring tiles meet exactly). */
export function layerToPixels(layer: Pick<VideoLayoutLayer, 'x' | 'y' | 'width' | 'height'>, canvas: LayoutCanvas) {
  const left = Math.round((layer.x * canvas.width) / 100);
  const top = Math.round((layer.y * canvas.height) / 100);
  const right = Math.round(((layer.x + layer.width) * canvas.width) / 100);
  const bottom = Math.round(((layer.y + layer.height) * canvas.height) / 100);
  return { x: left, y: top, width: right - left, height: bottom - top };
}
