/**
 * @module One track a publisher sends (audio or video): fans its RTP out to sinks and turns
 * keyframe requests from those sinks into throttled PLIs towards the publisher. A simulcast video
 * track has several layers (one RTP stream each, lowest resolution first): each subscriber picks
 * its own layer, egress taps get the best one flowing, and layers nobody needs are reported so
 * the publisher can pause them. Where the RTP comes from (a WebRTC receiver, or plain RTP from a
 * playback's ffmpeg) is each layer's `TrackSource`.
 */
import type { RTCRtpHeaderExtensionParameters, RtpPacket } from 'werift';
import type { TrackKind } from '@atrium/protocol';
import type { LayerView } from './layer-selection.js';
import { ReceiverEstimate } from './receiver-estimate.js';
import { TrackLayer } from './track-layer.js';
import type { TrackSource } from './track-source.js';

/**
 * Anything that receives a published track's RTP: a recorder's or compositor's tap, the talking
 * monitor. It gets the track's best flowing layer. `writeRtp` must not keep or modify the packet.
 */
export interface RtpSink {
  writeRtp(packet: RtpPacket): void;
  /** The receiver's own bandwidth estimate for this track (bits/s), when it has sent one. */
  estimatedBitrate?(): number | undefined;
  /** Media resumes after a gap (the track was blocked, or its layer changed): continue cleanly, from a keyframe. */
  restart?(): void;
}

/** A sink that picks its own layer of the track (a subscriber): it gets every layer's packets. */
export interface LayeredRtpSink {
  writeLayerRtp(packet: RtpPacket, layer: TrackLayer): void;
  /** Re-decides the layer (every tick); adds the layers it needs flowing to `needed`. */
  tick(nowMs: number, needed: Set<number>): void;
  estimatedBitrate?(): number | undefined;
  restart?(): void;
}

export interface BitrateLimits {
  /** Where a publisher starts (`x-google-start-bitrate` in the publish answer). */
  initial: number;
  min: number;
  max: number;
}

/** How often layers are re-decided and the publisher is told its bitrate budget. */
const TICK_INTERVAL_MS = 500;
/** A simulcast layer nobody needed for this long is reported as not needed (paused at the publisher). */
const LAYER_IDLE_MS = 3_000;

export interface TrackLayerStats {
  rid: string | undefined;
  width: number | undefined;
  height: number | undefined;
  bitrate: number;
  flowing: boolean;
  /** Reported to the publisher as needed (not paused). */
  active: boolean;
}

export interface PublishedTrackStats {
  kind: TrackKind;
  packetsReceived: number;
  bytesReceived: number;
  /** Packets that arrived again (late retransmissions, RTX bandwidth probes) and were not forwarded. */
  duplicatesDropped: number;
  keyframeRequestsSent: number;
  /** NACK messages sent to the publisher for packets it lost on the way in. */
  nacksSent: number;
  sinks: number;
  /** The bitrate budget last sent to the publisher (video; 0 before the first). */
  targetBitrate: number;
  layers: TrackLayerStats[];
}

export class PublishedTrack {
  readonly kind: TrackKind;
  /** The publisher's negotiated header extensions (id → uri). */
  readonly headerExtensions: RTCRtpHeaderExtensionParameters[];
  /** Lowest resolution first; one layer unless the track is simulcast. */
  readonly layers: readonly TrackLayer[];
  /** Called with the rids of the layers someone needs whenever that set changes (simulcast only). */
  onActiveLayersChange: ((rids: string[]) => void) | undefined;
  private readonly sinks = new Set<RtpSink>();
  private readonly layeredSinks = new Set<LayeredRtpSink>();
  private readonly estimates = new Map<RtpSink | LayeredRtpSink, ReceiverEstimate>();
  private readonly keyframeIntervalMs: number;
  private readonly bitrate: BitrateLimits;
  private readonly unsubscribeRtp: (() => void)[] = [];
  private readonly layerNeededAt: number[];
  private activeLayers: boolean[];
  private timer: NodeJS.Timeout | undefined;
  /** The layer plain sinks get: the best one flowing. */
  private defaultLayer: number;
  private lastRembBitrate = 0;
  private packetsReceived = 0;
  private duplicatesDropped = 0;
  private bytesReceived = 0;
  private closed_ = false;
  private blocked_ = false;

  constructor(options: {
    kind: TrackKind;
    /** One source per layer, lowest resolution first (one for a track that is not simulcast). */
    layers: { rid: string | undefined; source: TrackSource }[];
    headerExtensions: RTCRtpHeaderExtensionParameters[];
    keyframeIntervalMs: number;
    bitrate: BitrateLimits;
  }) {
    this.kind = options.kind;
    this.headerExtensions = options.headerExtensions;
    this.keyframeIntervalMs = options.keyframeIntervalMs;
    this.bitrate = options.bitrate;
    this.layers = options.layers.map((l, i) => new TrackLayer(i, l.rid, l.source));
    this.defaultLayer = this.layers.length - 1;
    const now = Date.now();
    this.layerNeededAt = this.layers.map(() => now);
    this.activeLayers = this.layers.map(() => true);
    if (this.kind === 'video') {
      this.timer = setInterval(() => this.tick(), TICK_INTERVAL_MS);
      this.timer.unref();
    }
    const video = this.kind === 'video';
    for (const layer of this.layers) {
      this.unsubscribeRtp.push(layer.source.onRtp((packet) => this.forward(packet, layer, video)));
    }
  }

  get simulcast(): boolean {
    return this.layers.length > 1;
  }

  get closed(): boolean {
    return this.closed_;
  }

  /** True while the server stops this track (a moderator muted it); no client can undo that. */
  get blocked(): boolean {
    return this.blocked_;
  }

  setBlocked(blocked: boolean): void {
    if (this.blocked_ === blocked) return;
    this.blocked_ = blocked;
    if (!blocked) {
      for (const sink of this.sinks) sink.restart?.();
      for (const sink of this.layeredSinks) sink.restart?.();
    }
  }

  addSink(sink: RtpSink): void {
    this.sinks.add(sink);
  }

  removeSink(sink: RtpSink): void {
    this.sinks.delete(sink);
    this.estimates.delete(sink);
  }

  addLayeredSink(sink: LayeredRtpSink): void {
    this.layeredSinks.add(sink);
  }

  removeLayeredSink(sink: LayeredRtpSink): void {
    this.layeredSinks.delete(sink);
    this.estimates.delete(sink);
  }

  /** What a layer choice needs to know of each layer now. */
  layerViews(nowMs: number): LayerView[] {
    return this.layers.map((l) => ({ index: l.index, height: l.height, bitrate: l.bitrate, flowing: l.flowing(nowMs) }));
  }

  /** The top layer's width/height (video), when a keyframe has shown it. */
  aspectRatio(): number | undefined {
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const { width, height } = this.layers[i]!;
      if (width && height) return width / height;
    }
    return undefined;
  }

  /**
   * Asks the publisher for a keyframe of `layer` (default: the one plain sinks get), at most
   * once per interval; a request inside the interval is sent at its end.
   */
  requestKeyframe(layer: number = this.defaultLayer): void {
    if (this.kind !== 'video' || this.closed_) return;
    this.layers[layer]?.requestKeyframe(this.keyframeIntervalMs);
  }

  stats(): PublishedTrackStats {
    const now = Date.now();
    return {
      kind: this.kind,
      packetsReceived: this.packetsReceived,
      bytesReceived: this.bytesReceived,
      duplicatesDropped: this.duplicatesDropped,
      keyframeRequestsSent: this.layers.reduce((n, l) => n + l.keyframeRequestsSent, 0),
      nacksSent: this.layers.reduce((n, l) => n + (l.source.nacksSent?.() ?? 0), 0),
      sinks: this.sinks.size + this.layeredSinks.size,
      targetBitrate: this.lastRembBitrate,
      layers: this.layers.map((l, i) => ({
        rid: l.rid,
        width: l.width,
        height: l.height,
        bitrate: Math.round(l.bitrate),
        flowing: l.flowing(now),
        active: this.activeLayers[i] ?? true,
      })),
    };
  }

  close(): void {
    if (this.closed_) return;
    this.closed_ = true;
    clearInterval(this.timer);
    for (const layer of this.layers) layer.close();
    for (const unsubscribe of this.unsubscribeRtp) unsubscribe();
    this.sinks.clear();
    this.layeredSinks.clear();
    this.onActiveLayersChange = undefined;
  }

  private forward(packet: RtpPacket, layer: TrackLayer, video: boolean): void {
    if (!layer.firstArrival(packet.header.sequenceNumber)) {
      this.duplicatesDropped++;
      return;
    }
    this.packetsReceived++;
    this.bytesReceived += packet.payload.length;
    if (video) layer.onPacket(packet, Date.now());
    if (this.blocked_) return;
    if (layer.index === this.defaultLayer) for (const sink of this.sinks) sink.writeRtp(packet);
    for (const sink of this.layeredSinks) sink.writeLayerRtp(packet, layer);
  }

  private tick(): void {
    if (this.closed_) return;
    const now = Date.now();
    for (const layer of this.layers) layer.tick(now);
    if (this.simulcast) this.decideLayers(now);
    else {
      // One track, one layer: the subscribers only update their pacing; nothing to choose.
      const needed = new Set<number>();
      for (const sink of this.layeredSinks) sink.tick(now, needed);
    }
    this.sendRemb();
  }

  /** Simulcast: the plain sinks' layer, each subscriber's layer, and which layers must flow. */
  private decideLayers(now: number): void {
    let best = this.defaultLayer;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      if (this.layers[i]!.flowing(now)) {
        best = i;
        break;
      }
    }
    if (best !== this.defaultLayer) {
      this.defaultLayer = best;
      for (const sink of this.sinks) sink.restart?.();
    }
    const needed = new Set<number>();
    // Recorders and compositors want the best picture there is.
    if (this.sinks.size > 0) needed.add(this.layers.length - 1);
    for (const sink of this.layeredSinks) sink.tick(now, needed);
    // With nobody watching, the lowest layer keeps flowing so a new subscriber starts at once.
    if (needed.size === 0) needed.add(0);
    for (const i of needed) this.layerNeededAt[i] = now;
    const active = this.layerNeededAt.map((at) => now - at < LAYER_IDLE_MS);
    if (active.some((a, i) => a !== this.activeLayers[i])) {
      this.activeLayers = active;
      this.onActiveLayersChange?.(this.layers.filter((_, i) => active[i]).map((l) => l.rid ?? ''));
    }
  }

  /**
   * Tells the publisher its budget: the lowest estimate among subscribers that saw congestion
   * (see `ReceiverEstimate`), so a congested receiver is not flooded, else the room's maximum;
   * a simulcast publisher always gets the maximum, for all its layers.
   */
  private sendRemb(): void {
    const layer = this.layers.find((l) => l.source.ssrc !== undefined && l.source.sendBitrate);
    if (!layer) return;
    let target = Number.POSITIVE_INFINITY;
    if (this.simulcast) {
      // Enough for all its layers (libwebrtc fills them lowest first); each subscriber's own
      // bandwidth picks its layer, so none of them caps the publisher.
      target = this.bitrate.max;
    } else {
      const now = Date.now();
      for (const sink of [...this.sinks, ...this.layeredSinks]) {
        if (!sink.estimatedBitrate) continue;
        let estimate = this.estimates.get(sink);
        if (!estimate) {
          estimate = new ReceiverEstimate();
          this.estimates.set(sink, estimate);
        }
        estimate.update(sink.estimatedBitrate(), now);
        const budget = estimate.budget(now);
        if (budget !== undefined && budget > 0) target = Math.min(target, budget);
      }
      target = Math.min(this.bitrate.max, Math.max(this.bitrate.min, target));
    }
    this.lastRembBitrate = target;
    layer.source.sendBitrate?.(target);
  }
}
