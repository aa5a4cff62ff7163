/**
 * @module A publisher: one peer connection on which an endpoint sends one stream (at most one
 * audio and one video track). The endpoint offers; the SFU answers. A publisher may instead be
 * fed plain RTP on loopback (`fromIngest`: a playback's ffmpeg); subscribers cannot tell.
 * Retransmissions the SFU NACKs for arrive as RTX when the publisher offered it (werift unwraps
 * them to the media stream); simulcast publishers retransmit on their layers' SSRCs.
 */
import { RTCPeerConnection, type RTCRtpReceiver, type RTCRtpTransceiver, type RtpPacket } from 'werift';
import { AtriumError, ErrorCode, TypedEmitter, type TrackKind } from '@atrium/protocol';
import { PublishedTrack } from './published-track.js';
import type { RtpIngest } from './rtp-ingest.js';
import { ReceiverTrackSource } from './track-source.js';
import type { TransportContext } from './transport-context.js';
import { announceCandidates, filterRemoteCandidates } from './ice-filter.js';
import { nameTrackInSdp, withoutRtx, withoutTransportCc, withStartBitrate } from './peer-config.js';

/** The start bitrate of a simulcast publisher: its three layers at full rate (see the SDK's encodings), within the room's maximum. */
const SIMULCAST_START_BITRATE = 2_500_000;

export type PublisherEvents = {
  /** The peer connection closed or failed; the publisher is closed. */
  close: [];
  /**
   * Simulcast: the layers (rids) of the video track someone needs changed; the endpoint should
   * send these and pause the others.
   */
  layers: [rids: string[]];
};

export class Publisher extends TypedEmitter<PublisherEvents> {
  readonly id: string;
  readonly tracks = new Map<TrackKind, PublishedTrack>();
  /** The WebRTC connection; undefined for a publisher fed by an `RtpIngest`. */
  private readonly pc: RTCPeerConnection | undefined;
  private readonly context: TransportContext;
  private ingest: RtpIngest | undefined;
  private closed_ = false;

  private constructor(id: string, pc: RTCPeerConnection | undefined, context: TransportContext) {
    super();
    this.id = id;
    this.pc = pc;
    this.context = context;
  }

  /** A publisher of the RTP an ingest receives (one track per kind); closes with the ingest. */
  static fromIngest(id: string, ingest: RtpIngest, context: TransportContext): Publisher {
    const publisher = new Publisher(id, undefined, context);
    publisher.ingest = ingest;
    for (const kind of ingest.kinds) {
      const source = ingest.source(kind);
      if (!source) continue;
      publisher.tracks.set(
        kind,
        new PublishedTrack({
          kind,
          layers: [{ rid: undefined, source }],
          headerExtensions: [],
          keyframeIntervalMs: context.keyframeIntervalMs,
          bitrate: context.bitrate,
        }),
      );
    }
    ingest.on('close', () => publisher.close());
    return publisher;
  }

  /** Answers a publish offer; rejects offers that are not one audio and/or one video m-line. */
  static async create(
    id: string,
    offerSdp: string,
    context: TransportContext,
  ): Promise<{ publisher: Publisher; answerSdp: string }> {
    const kinds = mediaKinds(offerSdp);
    const audio = kinds.filter((k) => k === 'audio').length;
    const video = kinds.filter((k) => k === 'video').length;
    if (kinds.length === 0 || audio > 1 || video > 1 || audio + video !== kinds.length) {
      throw new AtriumError(
        ErrorCode.VALIDATION_FAILED,
        'a stream is published with one offer holding at most one audio and one video m-line',
      );
    }
    const pc = new RTCPeerConnection(context.peerConfig);
    const publisher = new Publisher(id, pc, context);
    try {
      const { sdp, dropped } = filterRemoteCandidates(offerSdp, context.policy);
      if (dropped.length > 0) context.log.debug({ dropped }, 'ignored remote ICE candidates outside allowed networks');
      await pc.setRemoteDescription({ type: 'offer', sdp: offerForWerift(sdp) });
      for (const t of pc.getTransceivers()) nameTrackInSdp(t);
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      const local = pc.localDescription?.sdp;
      if (!local) throw new Error('werift produced no local description');
      // After negotiation, so each track sees its final header-extension ids.
      for (const t of pc.getTransceivers()) publisher.addTrack(t, context);
      if (publisher.tracks.size === 0) {
        throw new AtriumError(ErrorCode.VALIDATION_FAILED, 'the offer sends no audio or video track');
      }
      pc.connectionStateChange.subscribe((state) => {
        if (state === 'failed' || state === 'closed') publisher.close();
      });
      // A simulcast publisher starts with enough for all its layers (else its top layer waits for
      // its estimate to climb there, several seconds).
      const startBitrate = /^a=simulcast:/m.test(offerSdp)
        ? Math.max(context.bitrate.initial, Math.min(context.bitrate.max, SIMULCAST_START_BITRATE))
        : context.bitrate.initial;
      return { publisher, answerSdp: announceCandidates(withStartBitrate(local, startBitrate / 1000), context.announcedIps) };
    } catch (error) {
      publisher.close();
      if (error instanceof AtriumError) throw error;
      throw new AtriumError(
        ErrorCode.VALIDATION_FAILED,
        `the publish offer could not be negotiated: ${(error as Error).message}`,
      );
    }
  }

  get closed(): boolean {
    return this.closed_;
  }

  /** False for a publisher fed by an `RtpIngest`. */
  get overWebRtc(): boolean {
    return this.pc !== undefined;
  }

  get connectionState(): string {
    return this.pc?.connectionState ?? (this.closed_ ? 'closed' : 'connected');
  }

  /** ICE restart: applies the endpoint's new offer (new ICE credentials) on the same connection; resolves with the answer. */
  async restartIce(offerSdp: string): Promise<string> {
    if (this.closed_) throw new AtriumError(ErrorCode.STREAM_NOT_FOUND, 'the stream is no longer published');
    if (!this.pc) throw new AtriumError(ErrorCode.VALIDATION_FAILED, 'the stream is not published over WebRTC');
    const { sdp } = filterRemoteCandidates(offerSdp, this.context.policy);
    try {
      // The same codecs as the first negotiation: an ICE restart must not bring back what it declined.
      await this.pc.setRemoteDescription({ type: 'offer', sdp: offerForWerift(sdp) });
      await this.pc.setLocalDescription(await this.pc.createAnswer());
    } catch (error) {
      throw new AtriumError(ErrorCode.VALIDATION_FAILED, `the ICE restart offer could not be applied: ${(error as Error).message}`);
    }
    const local = this.pc.localDescription?.sdp;
    if (!local) throw new AtriumError(ErrorCode.INTERNAL, 'werift produced no local description');
    return announceCandidates(local, this.context.announcedIps);
  }

  close(): void {
    if (this.closed_) return;
    this.closed_ = true;
    for (const track of this.tracks.values()) track.close();
    this.pc?.close().catch(() => undefined);
    this.ingest?.close();
    this.emit('close');
    this.removeAllListeners();
  }

  private addTrack(transceiver: RTCRtpTransceiver, context: TransportContext): void {
    const kind = transceiver.kind;
    if ((kind !== 'audio' && kind !== 'video') || this.tracks.has(kind)) return;
    // werift creates the receiving tracks while applying the offer: one per simulcast rid, in
    // the offer's order (the SDK lists its layers lowest resolution first), or a single one.
    const receiver = transceiver.receiver;
    const layerTracks = receiver.tracks.filter((t) => t.rid !== undefined);
    const simulcast = kind === 'video' && layerTracks.length > 1;
    if (simulcast) nackPerSsrc(receiver);
    const published = new PublishedTrack({
      kind,
      layers: simulcast
        ? layerTracks.map((t) => ({ rid: t.rid, source: new ReceiverTrackSource(receiver, t) }))
        : [{ rid: undefined, source: new ReceiverTrackSource(receiver, receiver.track) }],
      headerExtensions: transceiver.headerExtensions,
      keyframeIntervalMs: context.keyframeIntervalMs,
      bitrate: context.bitrate,
    });
    if (simulcast) published.onActiveLayersChange = (rids) => this.emit('layers', rids);
    this.tracks.set(kind, published);
  }
}

/**
 * werift keeps one NACK generator per receiver and feeds it every packet; with simulcast the
 * layers' sequence numbers interleave and it would report most packets lost. This gives each
 * SSRC its own generator (same class, same behaviour).
 */
function nackPerSsrc(receiver: RTCRtpReceiver): void {
  const holder = receiver as unknown as { nack: NackHandlerLike };
  const original = holder.nack;
  const Handler = original.constructor as new (receiver: RTCRtpReceiver) => NackHandlerLike;
  const bySsrc = new Map<number, NackHandlerLike>();
  holder.nack = {
    addPacket(packet: RtpPacket): void {
      const ssrc = packet.header.ssrc;
      let handler = bySsrc.get(ssrc);
      if (!handler) {
        handler = new Handler(receiver);
        // Counted where the single generator's NACKs are (the receiver's event; its stats).
        handler.onPacketLost.subscribe((nack) => receiver.onPacketLost.execute(nack));
        bySsrc.set(ssrc, handler);
      }
      handler.addPacket(packet);
    },
    onPacketLost: original.onPacketLost,
    close(): void {
      original.close();
      for (const handler of bySsrc.values()) handler.close();
    },
  };
}

/** What werift's receiver calls on its NACK generator. */
interface NackHandlerLike {
  addPacket(packet: RtpPacket): void;
  readonly onPacketLost: RTCRtpReceiver['onPacketLost'];
  close(): void;
}

/**
 * A publish offer as werift should see it: no transport-wide CC (see `withoutTransportCc`), and no
 * RTX when simulcast (werift cannot tell which layer an RTX stream repairs).
 */
function offerForWerift(sdp: string): string {
  const offer = withoutTransportCc(sdp);
  return /^a=simulcast:/m.test(offer) ? withoutRtx(offer) : offer;
}

function mediaKinds(sdp: string): string[] {
  return [...sdp.matchAll(/^m=(\w+) /gm)].map((m) => m[1] ?? '');
}
