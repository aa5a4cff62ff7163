/**
 * @module What `join(…, { rootElement })` shows: the room's live layout rendered into the element.
 * The stage subscribes to every stream other endpoints publish, draws each stream's video where
 * the server's layout layers put it (`LayoutRenderer`), shows this endpoint's own streams in their
 * tiles (the local overlay: straight from the device, no round trip through the SFU; off with
 * `applyLocalVideoOverlay: false`), and plays remote audio through hidden `<audio>` elements under
 * the root, each at this client's output volume and on its speaker.
 */
import type { CurrentLayout, StreamInfo } from '@atrium/protocol';
import { LayoutRenderer } from './layout-renderer.js';
import type { RemoteEndpoint } from './remote-endpoint.js';
import type { Room } from './room.js';
import type { Subscription } from './subscription.js';

const streamKey = (endpointId: string, tag: string): string => `${endpointId}:${tag}`;

export interface RoomStageOptions {
  /** Show this client's own streams in its layers (the reference's local video overlay). */
  localVideoOverlay: boolean;
}

export class RoomStage {
  private readonly room: Room;
  private readonly root: HTMLElement;
  private readonly renderer: LayoutRenderer;
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly audioElements = new Map<string, HTMLAudioElement>();
  /** Each stream's tile size (CSS pixels), also for subscriptions made after the tile. */
  private readonly tileSizes = new Map<string, { width: number; height: number }>();
  private closed = false;

  constructor(room: Room, root: HTMLElement, options: RoomStageOptions) {
    this.room = room;
    this.root = root;
    this.renderer = new LayoutRenderer({
      root,
      localMemberId: room.localEndpoint.id,
      getStream: (memberId, tag) => {
        if (memberId !== room.localEndpoint.id) return this.subscriptions.get(streamKey(memberId, tag))?.mediaStream;
        return options.localVideoOverlay ? room.localStreams.find((stream) => stream.tag === tag)?.mediaStream : undefined;
      },
      onTileSize: (memberId, tag, width, height) => {
        const key = streamKey(memberId, tag);
        this.tileSizes.set(key, { width, height });
        void this.subscriptions.get(key)?.setVideoSize(width, height).catch(() => undefined);
      },
    });
    room.on('layout.changed', (event) => this.render(event.layout));
    room.on('stream.published', (endpoint, stream) => void this.show(endpoint, stream));
    room.on('finished', () => this.close());
    for (const endpoint of room.endpoints) for (const stream of endpoint.streams) void this.show(endpoint, stream);
  }

  /** The layout's tiles, for styling or tests. */
  get layoutRenderer(): LayoutRenderer {
    return this.renderer;
  }

  render(layout: CurrentLayout): void {
    if (!this.closed) this.renderer.render(layout.layers);
  }

  /** This endpoint published or replaced one of its own streams: its tile picks the media up. */
  refresh(): void {
    if (!this.closed) this.renderer.refresh();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const element of this.audioElements.values()) element.remove();
    this.audioElements.clear();
    this.subscriptions.clear();
    this.renderer.destroy();
  }

  private async show(endpoint: RemoteEndpoint, stream: StreamInfo): Promise<void> {
    const key = streamKey(endpoint.id, stream.tag);
    if (this.closed || this.subscriptions.has(key)) return;
    let subscription: Subscription;
    try {
      subscription = await this.room.localEndpoint.subscribe(endpoint, stream.tag);
    } catch {
      return; // Unpublished or left meanwhile: nothing to show.
    }
    if (this.closed) return;
    this.subscriptions.set(key, subscription);
    const size = this.tileSizes.get(key);
    if (size) void subscription.setVideoSize(size.width, size.height).catch(() => undefined);
    if (stream.tracks.some((track) => track.kind === 'audio')) {
      const audio = this.root.ownerDocument.createElement('audio');
      audio.autoplay = true;
      audio.hidden = true;
      audio.srcObject = subscription.mediaStream;
      this.room.applyAudioOutput(audio);
      this.root.append(audio);
      this.audioElements.set(key, audio);
    }
    subscription.once('ended', () => {
      if (this.subscriptions.get(key) !== subscription) return;
      this.subscriptions.delete(key);
      this.audioElements.get(key)?.remove();
      this.audioElements.delete(key);
      this.refresh();
    });
    this.refresh();
  }
}
