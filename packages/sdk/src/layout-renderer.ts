/**
 * @module Renders a room's layout (the layers of `layout.changed`) into a root element: one
 * absolutely positioned tile per stream on the canvas, with its `<video>`, a name label and a
 * placeholder while the video is muted or not there yet. Tiles are kept by stream across updates,
 * so a re-layout only moves them (no reload, no flicker).
 *
 * ```ts
 * const renderer = new LayoutRenderer({
 *   root: document.getElementById('room')!,
 *   getStream: (memberId, tag) => subscriptions.get(`${memberId}:${tag}`)?.mediaStream,
 * });
 * room.on('layout.changed', (e) => renderer.render(e.layout.layers));
 * ```
 */
import type { VideoLayoutLayer } from '@atrium/protocol';

export interface LayoutRendererOptions {
  /** The element the layout fills; positioned `relative` if it is static. */
  root: HTMLElement;
  /** The media of one stream, or nothing while it is not available (the placeholder shows). */
  getStream(memberId: string, streamTag: string): MediaStream | null | undefined;
  /** How video fills its tile; default `cover` (tiles are cut to the layout's shape). */
  objectFit?: 'cover' | 'contain';
  /** Play each tile's audio through its `<video>`; default false (play audio elsewhere). */
  playAudio?: boolean;
  /**
   * This client's member id: its tiles are marked `data-local="true"`, and while they show media
   * (the local video overlay) their video has the class `atrium-local-overlay`.
   */
  localMemberId?: string;
  /**
   * Called with a tile's size in CSS pixels when it is placed or resized, and 0×0 when it leaves
   * the canvas (the stage tells the SFU, which sends a simulcast layer that fills the tile).
   */
  onTileSize?(memberId: string, streamTag: string, width: number, height: number): void;
}

/** Class names of the rendered elements, for styling. */
export const LayoutClass = {
  container: 'atrium-layout',
  tile: 'atrium-layout-tile',
  video: 'atrium-layout-video',
  name: 'atrium-layout-name',
  placeholder: 'atrium-layout-placeholder',
  /** The video of this client's own tile while it shows the local camera. */
  localOverlay: 'atrium-local-overlay',
} as const;

const DEFAULT_TAG = 'camera';

interface Tile {
  element: HTMLDivElement;
  video: HTMLVideoElement;
  label: HTMLDivElement;
  placeholder: HTMLDivElement;
  memberId: string;
  streamTag: string;
  layer: VideoLayoutLayer;
}

function percent(value: number): string {
  return `${value}%`;
}

export class LayoutRenderer {
  private readonly options: LayoutRendererOptions;
  private readonly container: HTMLDivElement;
  private readonly tiles = new Map<string, Tile>();
  private layers: readonly VideoLayoutLayer[] = [];
  private readonly resizeObserver: ResizeObserver | undefined;
  private destroyed_ = false;

  constructor(options: LayoutRendererOptions) {
    this.options = options;
    const { root } = options;
    const view = root.ownerDocument.defaultView;
    if (view && view.getComputedStyle(root).position === 'static') root.style.position = 'relative';
    this.container = root.ownerDocument.createElement('div');
    this.container.className = LayoutClass.container;
    Object.assign(this.container.style, { position: 'absolute', inset: '0', overflow: 'hidden' });
    root.append(this.container);
    const onTileSize = options.onTileSize;
    const Observer = view?.ResizeObserver;
    if (onTileSize && Observer) {
      this.resizeObserver = new Observer((entries) => {
        for (const entry of entries) {
          const tile = [...this.tiles.values()].find((t) => t.element === entry.target);
          if (!tile) continue;
          onTileSize(tile.memberId, tile.streamTag, Math.round(entry.contentRect.width), Math.round(entry.contentRect.height));
        }
      });
    }
  }

  get destroyed(): boolean {
    return this.destroyed_;
  }

  /** The layers last rendered. */
  get currentLayers(): readonly VideoLayoutLayer[] {
    return this.layers;
  }

  /** The tile element of one stream, while it is on the canvas. */
  tileOf(memberId: string, streamTag = DEFAULT_TAG): HTMLElement | undefined {
    return this.tiles.get(`${memberId}:${streamTag}`)?.element;
  }

  /**
   * Shows these layers: streams on the canvas get (or keep) a tile at their rectangle; tiles of
   * streams no longer on the canvas are removed. Empty slots and off-canvas layers draw nothing.
   */
  render(layers: readonly VideoLayoutLayer[]): void {
    if (this.destroyed_) return;
    this.layers = layers;
    const shown = new Set<string>();
    for (const layer of layers) {
      if (layer.memberId === undefined || !layer.visible || layer.reservation === '') continue;
      const streamTag = layer.streamTag ?? DEFAULT_TAG;
      const key = `${layer.memberId}:${streamTag}`;
      if (shown.has(key)) continue;
      shown.add(key);
      const tile = this.tiles.get(key) ?? this.createTile(key, layer.memberId, streamTag, layer);
      this.place(tile, layer);
    }
    for (const [key, tile] of this.tiles) {
      if (shown.has(key)) continue;
      this.removeTile(key, tile);
    }
  }

  /** Asks `getStream` again for every tile, e.g. after a subscription delivered its media. */
  refresh(): void {
    for (const tile of this.tiles.values()) this.attachStream(tile);
  }

  /** Removes every element the renderer added. Idempotent. */
  destroy(): void {
    if (this.destroyed_) return;
    this.destroyed_ = true;
    for (const [key, tile] of this.tiles) this.removeTile(key, tile);
    this.resizeObserver?.disconnect();
    this.container.remove();
  }

  private createTile(key: string, memberId: string, streamTag: string, layer: VideoLayoutLayer): Tile {
    const doc = this.container.ownerDocument;
    const element = doc.createElement('div');
    element.className = LayoutClass.tile;
    element.dataset['memberId'] = memberId;
    element.dataset['streamTag'] = streamTag;
    if (memberId === this.options.localMemberId) element.dataset['local'] = 'true';
    Object.assign(element.style, { position: 'absolute', overflow: 'hidden', boxSizing: 'border-box', background: '#000' });

    const video = doc.createElement('video');
    video.className = LayoutClass.video;
    video.autoplay = true;
    video.playsInline = true;
    video.muted = !this.options.playAudio;
    Object.assign(video.style, {
      position: 'absolute',
      inset: '0',
      width: '100%',
      height: '100%',
      objectFit: this.options.objectFit ?? 'cover',
      display: 'block',
    });

    const placeholder = doc.createElement('div');
    placeholder.className = LayoutClass.placeholder;
    Object.assign(placeholder.style, {
      position: 'absolute',
      inset: '0',
      display: 'none',
      alignItems: 'center',
      justifyContent: 'center',
      background: '#2b2b2b',
      color: '#ddd',
      fontSize: '2em',
      fontFamily: 'sans-serif',
    });

    const label = doc.createElement('div');
    label.className = LayoutClass.name;
    Object.assign(label.style, {
      position: 'absolute',
      left: '4px',
      bottom: '4px',
      padding: '1px 6px',
      borderRadius: '3px',
      background: 'rgba(0, 0, 0, 0.55)',
      color: '#fff',
      font: '12px sans-serif',
      maxWidth: 'calc(100% - 8px)',
      overflow: 'hidden',
      textOverflow: 'ellipsis',
      whiteSpace: 'nowrap',
      pointerEvents: 'none',
    });

    element.append(video, placeholder, label);
    this.container.append(element);
    const tile: Tile = { element, video, label, placeholder, memberId, streamTag, layer };
    this.tiles.set(key, tile);
    this.resizeObserver?.observe(element);
    return tile;
  }

  private place(tile: Tile, layer: VideoLayoutLayer): void {
    tile.layer = layer;
    const { element, label, placeholder } = tile;
    Object.assign(element.style, {
      left: percent(layer.x),
      top: percent(layer.y),
      width: percent(layer.width),
      height: percent(layer.height),
      zIndex: String(layer.zIndex),
    });
    element.dataset['reservation'] = layer.reservation;
    element.dataset['position'] = layer.position;
    element.dataset['videoMuted'] = String(layer.videoMuted ?? false);
    element.dataset['audioMuted'] = String(layer.audioMuted ?? false);
    const name = layer.name ?? '';
    if (label.textContent !== name) label.textContent = name;
    label.style.display = name ? '' : 'none';
    const initial = name.trim().charAt(0).toUpperCase();
    if (placeholder.textContent !== initial) placeholder.textContent = initial;
    this.attachStream(tile);
  }

  /** Sets the tile's media (only when it changed, so playback is never restarted) and the placeholder. */
  private attachStream(tile: Tile): void {
    const stream = this.options.getStream(tile.memberId, tile.streamTag) ?? null;
    if (tile.video.srcObject !== stream) {
      tile.video.srcObject = stream;
      if (stream) void tile.video.play().catch(() => undefined);
    }
    const hasVideo = stream !== null && stream.getVideoTracks().length > 0;
    if (tile.memberId === this.options.localMemberId) tile.video.classList.toggle(LayoutClass.localOverlay, hasVideo);
    const showPlaceholder = (tile.layer.videoMuted ?? false) || !hasVideo;
    tile.placeholder.style.display = showPlaceholder ? 'flex' : 'none';
    tile.video.style.visibility = showPlaceholder ? 'hidden' : 'visible';
  }

  private removeTile(key: string, tile: Tile): void {
    this.resizeObserver?.unobserve(tile.element);
    if (!this.destroyed_) this.options.onTileSize?.(tile.memberId, tile.streamTag, 0, 0);
    tile.video.srcObject = null;
    tile.element.remove();
    this.tiles.delete(key);
  }
}
