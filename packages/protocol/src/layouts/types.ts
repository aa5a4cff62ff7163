/**
 * @module Layout wire types: video positions, the layers of a computed layout (the reference's
 * `VideoLayoutLayer`), and the typed input the layout function takes.
 */
import { z } from 'zod';
import { compositionLayoutSchema, layoutNames } from '../rooms.js';

/** A layout a room can use (`setLayout`, room `layout`). */
export type LayoutName = (typeof layoutNames)[number];

/** The create-room API's egress layout: `{ type: GRID|SPOTLIGHT|SIDEBAR, priority: SPEAKER|PIN, gridSize }`. */
export type CompositionLayout = z.output<typeof compositionLayoutSchema>;

/** What `computeLayout` arranges by: a layout name, or a composition layout with its priority and grid size. */
export type LayoutSpec = LayoutName | CompositionLayout;

/**
 * Where a member goes in a layout: `auto`, the n-th reserved or standard position of the layout,
 * or `off-canvas` (kept out of the layout).
 */
export type VideoPosition = 'auto' | `reserved-${number}` | `standard-${number}` | 'off-canvas';

const VIDEO_POSITION_PATTERN = /^(auto|off-canvas|(reserved|standard)-[1-9][0-9]{0,3})$/;

export const videoPositionSchema = z.custom<VideoPosition>(
  (value) => typeof value === 'string' && VIDEO_POSITION_PATTERN.test(value),
  'auto, reserved-n, standard-n or off-canvas',
);

/**
 * Positions by key: a member id, the keyword `self`, or `<memberId>:<streamTag>` (`self:<tag>`) to
 * place one stream of a member. A bare member id (or `self`) places the member's primary stream
 * (its `camera` stream, else its first).
 */
export type VideoPositions = Record<string, VideoPosition>;

export const videoPositionsSchema = z
  .record(z.string().min(1).max(200).regex(/^[A-Za-z0-9_.@:-]+$/, 'a member id, self, or <id>:<streamTag>'), videoPositionSchema)
  .refine((positions) => Object.keys(positions).length <= 500, { message: 'at most 500 positions' });

/** The keyword standing for the member the positions are sent by (resolved against `selfMemberId`). */
export const SELF_POSITION_KEY = 'self';

/**
 * One layer of a computed layout: the reference's `VideoLayoutLayer` (x, y, width, height in
 * percent of the canvas, so the same layers serve any output size), plus Atrium's `streamTag`,
 * `name`, `audioMuted` and `videoMuted` of the stream shown so a renderer needs nothing else.
 */
export const videoLayoutLayerSchema = z.object({
  /** Id of the member in this layer, if any. */
  memberId: z.string().optional(),
  /** Atrium: which of the member's streams this layer shows (`camera`, `screen`, …). */
  streamTag: z.string().optional(),
  /** Atrium: the member's display name. */
  name: z.string().optional(),
  /** Atrium: the member's audio is muted. */
  audioMuted: z.boolean().optional(),
  /** Atrium: the member's video is muted (a renderer shows a placeholder). */
  videoMuted: z.boolean().optional(),
  /** Left edge, percent of the canvas width. */
  x: z.number(),
  /** Top edge, percent of the canvas height. */
  y: z.number(),
  /** Width, percent of the canvas width. */
  width: z.number(),
  /** Height, percent of the canvas height. */
  height: z.number(),
  /** Index of this layer in the layout's layer list. */
  layerIndex: z.number().int(),
  /** Z order of this layer (higher is drawn on top). */
  zIndex: z.number().int(),
  /** The layout position this layer occupies (`reserved-1`, `standard-3`); empty when off canvas. */
  reservation: z.string(),
  /** The position the member was given: `auto`, the one it asked for, or `off-canvas`. */
  position: videoPositionSchema,
  /** Whether a file (a playback) is playing in this layer. */
  playingFile: z.boolean(),
  /** Whether this layer is visible: a member's stream on the canvas. */
  visible: z.boolean(),
});
export type VideoLayoutLayer = z.infer<typeof videoLayoutLayerSchema>;

/**
 * One stream that may be placed in a layout. A member with a camera and a screen share is two
 * layout members with the same `memberId` and different `streamTag`s.
 */
export interface LayoutMember {
  memberId: string;
  /** The stream's tag; default `camera`. */
  streamTag?: string;
  name: string;
  /** The member's `visible` state: false keeps it out of the layout entirely. */
  visible: boolean;
  audioMuted: boolean;
  videoMuted: boolean;
  /** Join order (lower joined earlier); ties keep input order. */
  order: number;
  /** Pinned by a moderator: first in `PIN` priority layouts. */
  pinned?: boolean;
  /** A playback (file) rather than a live member. */
  playingFile?: boolean;
}

/** The canvas the layout is computed for; only its aspect ratio shapes responsive layouts. */
export interface LayoutCanvas {
  width: number;
  height: number;
}

export interface LayoutOptions {
  /** The member id `self` in positions stands for. */
  selfMemberId?: string;
  /** The member currently speaking loudest: featured by highlight, full-screen and SPEAKER layouts. */
  activeSpeakerId?: string;
  /** Leave video-muted members out of the layout (room `hide_video_muted`). */
  hideVideoMuted?: boolean;
}
