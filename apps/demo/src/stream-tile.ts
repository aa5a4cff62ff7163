/**
 * @module One tile of the video grid: a remote endpoint's stream, its name and muted badges.
 */

export type TrackKind = 'audio' | 'video';

const badgeText: Record<TrackKind, string> = { audio: 'Muted', video: 'Camera off' };

/** The `<figure>` showing one subscribed stream; `data-endpoint-id` and `data-tag` identify it. */
export class StreamTile {
  readonly element: HTMLElement;
  readonly #video: HTMLVideoElement;
  readonly #badges = new Map<TrackKind, HTMLElement>();
  #resizeObserver: ResizeObserver | undefined;

  constructor(endpoint: { id: string; name: string }, tag: string) {
    this.element = document.createElement('figure');
    this.element.className = 'tile';
    this.element.dataset['endpointId'] = endpoint.id;
    this.element.dataset['tag'] = tag;

    this.#video = document.createElement('video');
    this.#video.autoplay = true;
    this.#video.playsInline = true;

    const label = document.createElement('figcaption');
    label.className = 'label';
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = tag === 'camera' ? endpoint.name || endpoint.id : `${endpoint.name || endpoint.id} · ${tag}`;
    label.append(name);
    for (const kind of ['audio', 'video'] as const) {
      const badge = document.createElement('span');
      badge.className = 'badge';
      badge.dataset['kind'] = kind;
      badge.textContent = badgeText[kind];
      badge.hidden = true;
      this.#badges.set(kind, badge);
      label.append(badge);
    }
    this.element.append(this.#video, label);
  }

  /** Shows the subscription's media; falls back to muted playback when autoplay with sound is refused. */
  attach(mediaStream: MediaStream): void {
    this.#video.srcObject = mediaStream;
    this.#video.play().catch((err: unknown) => {
      if (!(err instanceof DOMException) || err.name !== 'NotAllowedError') return;
      this.#video.muted = true;
      void this.#video.play().catch(() => undefined);
      document.addEventListener('click', () => {
        this.#video.muted = false;
      }, { once: true });
    });
  }

  /** Reflects a track's muted flag as a badge and as `data-audio-muted` / `data-video-muted`. */
  setMuted(kind: TrackKind, muted: boolean): void {
    const badge = this.#badges.get(kind);
    if (badge) badge.hidden = !muted;
    this.element.dataset[kind === 'audio' ? 'audioMuted' : 'videoMuted'] = String(muted);
  }

  /** Calls `onSize` with the video's displayed size now and whenever it changes (simulcast picks its layer from it). */
  observeSize(onSize: (width: number, height: number) => void): void {
    this.#resizeObserver?.disconnect();
    this.#resizeObserver = new ResizeObserver(([entry]) => {
      if (entry) onSize(Math.round(entry.contentRect.width), Math.round(entry.contentRect.height));
    });
    this.#resizeObserver.observe(this.#video);
  }

  remove(): void {
    this.#resizeObserver?.disconnect();
    this.#video.srcObject = null;
    this.element.remove();
  }
}
