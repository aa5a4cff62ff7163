/**
 * @module The SFU: makes publishers and subscribers and keeps count of them. It knows nothing of
 * rooms or endpoints; its API is message-shaped (publish, subscribe, answer, pause, close, stats)
 * so it can later move behind a worker boundary.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { TrackKind } from '@atrium/protocol';
import type { RtcConfig } from '../config.js';
import { IceAddressPolicy } from './ice-filter.js';
import { createPeerConfig } from './peer-config.js';
import { Publisher } from './publisher.js';
import { RtpIngest } from './rtp-ingest.js';
import type { PublishedTrackStats } from './published-track.js';
import { Subscriber, type SubscribedTrackStats } from './subscriber.js';
import type { TransportContext } from './transport-context.js';

export interface SfuStats {
  publishers: number;
  subscribers: number;
  /** Open werift peer connections: one per WebRTC publisher and one per subscriber. */
  peerConnections: number;
}

/** Forwarding counters summed over the open subscriptions. */
export interface SfuMediaStats {
  /** RTP packets sent to subscribers (first transmissions). */
  packetsForwarded: number;
  /** NACK messages subscribers sent us, and packets we retransmitted from our history for them. */
  nacksReceived: number;
  retransmitted: number;
  /** Of `retransmitted`, those sent as RTX (to endpoints that accepted it). */
  retransmittedRtx: number;
  /** NACK messages we sent publishers for packets lost on their way to us (summed over the open publishers). */
  nacksSent: number;
}

export interface SfuDetailedStats {
  publishers: { id: string; tracks: PublishedTrackStats[] }[];
  subscribers: { id: string; publisherId: string; tracks: SubscribedTrackStats[] }[];
}

export class Sfu {
  private readonly context: TransportContext;
  private readonly publishers = new Map<string, Publisher>();
  private readonly subscribers = new Map<string, Subscriber>();

  constructor(config: RtcConfig, log: Logger) {
    const policy = new IceAddressPolicy(config.allowedNetworks);
    this.context = {
      peerConfig: createPeerConfig(config, policy),
      policy,
      announcedIps: config.announcedIps,
      keyframeIntervalMs: config.keyframeRequestIntervalMs,
      bitrate: config.videoBitrate,
      log,
    };
  }

  /** Answers an endpoint's publish offer. */
  async publish(offerSdp: string): Promise<{ publisher: Publisher; answerSdp: string }> {
    const result = await Publisher.create(randomUUID(), offerSdp, this.context);
    const { publisher } = result;
    this.publishers.set(publisher.id, publisher);
    publisher.on('close', () => this.publishers.delete(publisher.id));
    return result;
  }

  /**
   * A publisher fed plain RTP on loopback (a playback's ffmpeg): one UDP port per kind, each
   * expecting the SSRC it names (`ingest.endpoints`). Closing either closes both.
   */
  async ingest(kinds: readonly TrackKind[]): Promise<{ publisher: Publisher; ingest: RtpIngest }> {
    const ingest = await RtpIngest.open(kinds);
    const publisher = Publisher.fromIngest(randomUUID(), ingest, this.context);
    this.publishers.set(publisher.id, publisher);
    publisher.on('close', () => this.publishers.delete(publisher.id));
    return { publisher, ingest };
  }

  /** Offers one published stream to a subscribing endpoint. */
  async subscribe(publisher: Publisher): Promise<{ subscriber: Subscriber; offerSdp: string }> {
    const result = await Subscriber.create(randomUUID(), publisher, this.context);
    const { subscriber } = result;
    this.subscribers.set(subscriber.id, subscriber);
    subscriber.on('close', () => this.subscribers.delete(subscriber.id));
    return result;
  }

  stats(): SfuStats {
    return {
      publishers: this.publishers.size,
      subscribers: this.subscribers.size,
      peerConnections: [...this.publishers.values()].filter((p) => p.overWebRtc).length + this.subscribers.size,
    };
  }

  /** Every publisher's tracks (layers, bitrates) and every subscriber's (layer forwarded): tests, benchmarks, debugging. */
  detailedStats(): SfuDetailedStats {
    return {
      publishers: [...this.publishers.values()].map((p) => ({ id: p.id, tracks: [...p.tracks.values()].map((t) => t.stats()) })),
      subscribers: [...this.subscribers.values()].map((s) => ({ id: s.id, publisherId: s.publisher.id, tracks: s.stats() })),
    };
  }

  mediaStats(): SfuMediaStats {
    const total: SfuMediaStats = { packetsForwarded: 0, nacksReceived: 0, retransmitted: 0, retransmittedRtx: 0, nacksSent: 0 };
    for (const subscriber of this.subscribers.values()) {
      for (const track of subscriber.stats()) {
        total.packetsForwarded += track.packetsSent;
        total.nacksReceived += track.nacksReceived;
        total.retransmitted += track.retransmitted;
        total.retransmittedRtx += track.retransmittedRtx;
      }
    }
    for (const publisher of this.publishers.values()) {
      for (const track of publisher.tracks.values()) total.nacksSent += track.stats().nacksSent;
    }
    return total;
  }

  close(): void {
    for (const subscriber of [...this.subscribers.values()]) subscriber.close();
    for (const publisher of [...this.publishers.values()]) publisher.close();
  }
}
