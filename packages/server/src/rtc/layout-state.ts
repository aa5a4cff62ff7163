/**
 * @module The live layout of a room session: its members' streams arranged by the shared layout
 * function (`computeLayout`) on a 16:9 canvas, recomputed when something it depends on changes and
 * reported only when the layers actually differ.
 */
import {
  DEFAULT_STREAM_TAG,
  PLAYBACK_STREAM_TAG,
  computeLayout,
  layoutNameSchema,
  type LayoutCanvas,
  type LayoutMember,
  type MemberState,
  type VideoLayoutLayer,
  type VideoPosition,
} from '@atrium/protocol';

/** The canvas the live layers are computed for (percent units make them fit any size of that shape). */
export const LIVE_LAYOUT_CANVAS: LayoutCanvas = { width: 1280, height: 720 };

/** What a layout is computed from. */
export interface LayoutInput {
  layoutName: string;
  /** Members in join order, each with the tags of the streams it publishes. */
  members: ReadonlyArray<{ state: MemberState; streamTags: readonly string[] }>;
  positions: ReadonlyMap<string, VideoPosition>;
  hideVideoMuted: boolean;
  activeSpeakerId: string | undefined;
}

/**
 * One layout member per published stream; a member publishing nothing still gets its tile (the
 * renderer shows its name over a placeholder), as in any video call.
 */
export function layoutMembers(input: LayoutInput['members']): LayoutMember[] {
  const members: LayoutMember[] = [];
  input.forEach(({ state, streamTags }, order) => {
    const tags = streamTags.length > 0 ? streamTags : [DEFAULT_STREAM_TAG];
    for (const streamTag of tags) {
      members.push({
        memberId: state.id,
        streamTag,
        name: state.name,
        // Every member in the session is placed; video-muted ones are left out only with hideVideoMuted.
        visible: true,
        audioMuted: state.audio_muted,
        videoMuted: state.video_muted,
        order,
        // A playback's virtual endpoint (service/playback-manager.ts) plays a file in its layer.
        ...(streamTag === PLAYBACK_STREAM_TAG ? { playingFile: true } : {}),
      });
    }
  });
  return members;
}

export class SessionLayout {
  private layers: VideoLayoutLayer[] = [];
  private name = '';
  private fingerprint = '';

  /** The layers last computed. */
  get current(): { name: string; layers: VideoLayoutLayer[] } {
    return { name: this.name, layers: this.layers };
  }

  /** Recomputes the layers; true when they (or the layout's name) changed. */
  update(input: LayoutInput): boolean {
    // Names are checked when set; a room stored with an unknown one falls back to the grid.
    const name = layoutNameSchema.safeParse(input.layoutName);
    const layers = computeLayout(
      name.success ? name.data : 'grid-responsive',
      layoutMembers(input.members),
      Object.fromEntries(input.positions),
      LIVE_LAYOUT_CANVAS,
      {
        hideVideoMuted: input.hideVideoMuted,
        ...(input.activeSpeakerId ? { activeSpeakerId: input.activeSpeakerId } : {}),
      },
    );
    const fingerprint = `${input.layoutName}\n${JSON.stringify(layers)}`;
    if (fingerprint === this.fingerprint) return false;
    this.fingerprint = fingerprint;
    this.name = input.layoutName;
    this.layers = layers;
    return true;
  }
}
