/**
 * @module A slot relay: one layout slot of a live composite as one continuous RTP stream — fixed
 * SSRC, continuous sequence numbers, timestamps that follow the wall clock — carrying whichever
 * endpoint's track is assigned to the slot, or a filler (black VP8 frames, Opus silence) when none
 * is, or when the assigned one goes quiet. A video slot switches sources only at a keyframe of the
 * new source. ffmpeg stalls when one of its inputs stops or never starts; fed through slot relays,
 * the live compositor always has every input flowing, whoever joins or leaves.
 */
import { RtpHeader, RtpPacket } from 'werift';
import type { TrackKind } from '@atrium/protocol';
import type { RtpSink } from '../sfu/published-track.js';
import { isVp8KeyframeStart } from '../sfu/vp8.js';

/** What a slot takes media from: a published track (structurally), or a test double. */
export interface SlotSource {
  addSink(sink: RtpSink): void;
  removeSink(sink: RtpSink): void;
  requestKeyframe(): void;
}

export interface SlotRelayOptions {
  kind: TrackKind;
  /** The fixed SSRC of the slot's stream. */
  ssrc: number;
  payloadType: number;
  /** Where each outgoing RTP packet goes (serialized). */
  send: (packet: Buffer) => void;
  /**
   * Filler media: for video, one encoded VP8 keyframe (black) repeated; for audio, one Opus
   * packet of silence (20 ms) repeated. Defaults to an Opus silence frame for audio.
   */
  fillerFrame?: Buffer;
  /** After this long without packets from the assigned source, the filler takes over. */
  stallMs?: number;
  /** Filler frame interval (video default 100 ms, audio 20 ms). */
  fillerIntervalMs?: number;
  /** A keyframe is asked for again this often while a video switch waits for one. */
  keyframeRetryMs?: number;
  now?: () => number;
}

/** A 20 ms Opus frame of silence (TOC 0xF8: CELT FB 20 ms, mono). */
export const OPUS_SILENCE_FRAME = Buffer.from([0xf8, 0xff, 0xfe]);

const CLOCK_RATE: Record<TrackKind, number> = { video: 90_000, audio: 48_000 };
/** Largest VP8 payload per filler packet. */
const MAX_PAYLOAD = 1_100;

export interface SlotRelayStats {
  packetsSent: number;
  fillerFramesSent: number;
  /** Changes of what is shown: filler → source, or one source → another. */
  switches: number;
  /** `source` while the assigned track flows, `filler` otherwise. */
  showing: 'source' | 'filler';
}

export class SlotRelay {
  readonly kind: TrackKind;
  private readonly options: Required<Omit<SlotRelayOptions, 'fillerFrame'>> & { fillerFrame: Buffer | undefined };
  private readonly clockRate: number;
  /** What is forwarded now; undefined while the filler runs. */
  private current: { source: SlotSource; sink: RtpSink; tsOffset: number } | undefined;
  /** A newly assigned video source waiting for its first keyframe. */
  private pending: { source: SlotSource; sink: RtpSink } | undefined;
  private assigned: SlotSource | undefined;
  private sequence = Math.floor(Math.random() * 0x10000);
  private lastTimestamp = Math.floor(Math.random() * 0x7fffffff);
  private lastSentAt: number | undefined;
  private lastSourcePacketAt = 0;
  private fillerTimer: NodeJS.Timeout | undefined;
  private keyframeTimer: NodeJS.Timeout | undefined;
  private closed_ = false;
  private readonly stats_: SlotRelayStats = { packetsSent: 0, fillerFramesSent: 0, switches: 0, showing: 'filler' };

  constructor(options: SlotRelayOptions) {
    this.kind = options.kind;
    this.clockRate = CLOCK_RATE[options.kind];
    this.options = {
      stallMs: 500,
      fillerIntervalMs: options.kind === 'video' ? 100 : 20,
      keyframeRetryMs: 500,
      now: () => Date.now(),
      ...options,
      fillerFrame: options.fillerFrame ?? (options.kind === 'audio' ? OPUS_SILENCE_FRAME : undefined),
    };
    this.fillerTimer = setInterval(() => this.tick(), this.options.fillerIntervalMs);
    this.fillerTimer.unref();
  }

  get stats(): SlotRelayStats {
    return { ...this.stats_ };
  }

  get closed(): boolean {
    return this.closed_;
  }

  /** Puts a source in the slot (null: empty slot, the filler runs). Video switches at the source's next keyframe. */
  assign(source: SlotSource | null): void {
    if (this.closed_ || source === this.assigned) return;
    this.assigned = source ?? undefined;
    this.dropPending();
    if (!source) {
      this.detachCurrent();
      return;
    }
    const sink: RtpSink = { writeRtp: (packet) => this.onSourcePacket(source, sink, packet), restart: () => this.onSourceRestart(source) };
    if (this.kind === 'audio') {
      // Audio needs no keyframe: the new source takes over with its next packet.
      this.detachCurrent();
      this.current = { source, sink, tsOffset: Number.NaN };
      source.addSink(sink);
      return;
    }
    this.pending = { source, sink };
    source.addSink(sink);
    source.requestKeyframe();
    this.keyframeTimer = setInterval(() => source.requestKeyframe(), this.options.keyframeRetryMs);
    this.keyframeTimer.unref();
  }

  /** Asks the slot's source for a keyframe (the consumer lost its decoding state). */
  requestKeyframe(): void {
    if (this.kind === 'video') (this.pending ?? this.current)?.source.requestKeyframe();
  }

  close(): void {
    if (this.closed_) return;
    this.closed_ = true;
    clearInterval(this.fillerTimer);
    this.dropPending();
    this.detachCurrent();
  }

  private onSourcePacket(source: SlotSource, sink: RtpSink, packet: RtpPacket): void {
    if (this.closed_) return;
    const now = this.options.now();
    if (this.pending?.sink === sink) {
      if (!isVp8KeyframeStart(packet.payload)) return;
      // The new source's keyframe: switch now.
      const previous = this.current;
      this.current = { source, sink, tsOffset: Number.NaN };
      this.pending = undefined;
      clearInterval(this.keyframeTimer);
      if (previous) {
        previous.source.removeSink(previous.sink);
        if (this.stats_.showing === 'source') this.stats_.switches++;
      }
    }
    const current = this.current;
    if (current?.sink !== sink) return;
    if (this.stats_.showing === 'filler' || Number.isNaN(current.tsOffset) || now - this.lastSourcePacketAt > this.options.stallMs) {
      // (Re)joining the stream: for video only at a keyframe, so the decoder is never fed a
      // delta frame whose reference it lacks.
      if (this.kind === 'video' && !isVp8KeyframeStart(packet.payload)) {
        source.requestKeyframe();
        return;
      }
      current.tsOffset = (this.nextTimestamp(now) - packet.header.timestamp) >>> 0;
      if (this.stats_.showing === 'filler') this.stats_.switches++;
      this.stats_.showing = 'source';
    }
    this.lastSourcePacketAt = now;
    this.emit(packet.header.marker, (packet.header.timestamp + current.tsOffset) >>> 0, packet.payload, now);
  }

  private onSourceRestart(source: SlotSource): void {
    // The SFU resumes a blocked track: take it back at its next keyframe.
    if (this.current?.source === source) this.current.tsOffset = Number.NaN;
    if (this.kind === 'video') source.requestKeyframe();
  }

  /** Runs the filler when nothing flows: no source, a switch still waiting, or a stalled source. */
  private tick(): void {
    if (this.closed_) return;
    const now = this.options.now();
    const flowing = this.current !== undefined && this.stats_.showing === 'source' && now - this.lastSourcePacketAt <= this.options.stallMs;
    if (flowing) return;
    if (this.stats_.showing === 'source') this.stats_.showing = 'filler';
    const frame = this.options.fillerFrame;
    if (!frame) return;
    const timestamp = this.nextTimestamp(now);
    if (this.kind === 'audio') {
      this.emit(true, timestamp, frame, now);
    } else {
      // VP8 payload descriptor: S=1 on the first packet, partition 0; marker on the last.
      for (let offset = 0; offset < frame.length; offset += MAX_PAYLOAD) {
        const chunk = frame.subarray(offset, offset + MAX_PAYLOAD);
        const last = offset + MAX_PAYLOAD >= frame.length;
        this.emit(last, timestamp, Buffer.concat([Buffer.from([offset === 0 ? 0x10 : 0x00]), chunk]), now);
      }
    }
    this.stats_.fillerFramesSent++;
  }

  /** The output timestamp for media at wall time `now`: the last one plus the time since. */
  private nextTimestamp(now: number): number {
    if (this.lastSentAt === undefined) return this.lastTimestamp;
    const elapsed = Math.max(1, Math.round(((now - this.lastSentAt) * this.clockRate) / 1000));
    return (this.lastTimestamp + elapsed) >>> 0;
  }

  private emit(marker: boolean, timestamp: number, payload: Buffer, now: number): void {
    this.sequence = (this.sequence + 1) & 0xffff;
    if (timestamp !== this.lastTimestamp || this.lastSentAt === undefined) this.lastSentAt = now;
    this.lastTimestamp = timestamp;
    const header = new RtpHeader({ marker, payloadType: this.options.payloadType, sequenceNumber: this.sequence, timestamp, ssrc: this.options.ssrc });
    this.stats_.packetsSent++;
    this.options.send(new RtpPacket(header, payload).serialize());
  }

  private dropPending(): void {
    clearInterval(this.keyframeTimer);
    if (this.pending) this.pending.source.removeSink(this.pending.sink);
    this.pending = undefined;
  }

  private detachCurrent(): void {
    if (this.current) this.current.source.removeSink(this.current.sink);
    this.current = undefined;
    this.stats_.showing = 'filler';
  }
}
