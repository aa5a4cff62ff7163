/**
 * @module Talking detection for one published audio track, from the RFC 6464 audio level the
 * publisher writes into each packet (`urn:ietf:params:rtp-hdrext:ssrc-audio-level`), so the SFU
 * never decodes audio.
 *
 * Method:
 * - Each packet carries the level of its audio in -dBov (0 = full scale, 127 = silence).
 * - The level is smoothed with an exponential moving average in dB over media time (RTP
 *   timestamps, so bursts and jitter do not distort it): `level += α (sample − level)` with
 *   `α = 1 − exp(−Δt / τ)`, τ = 50 ms while the level rises (attack) and 300 ms while it falls
 *   (release), like a level meter's ballistics: speech onset shows within ~100 ms, pauses
 *   between words fade slowly. A single loud packet (a click) lifts a silent average by a third
 *   of the way, 40 dB short of the default threshold.
 * - Talking starts when the average reaches the on-threshold given by the sensitivity, and stops
 *   only after it stayed `hysteresisDb` below that for `holdMs` of media (defaults 6 dB, 400 ms),
 *   so pauses between words do not flap.
 * - Sensitivity is the reference's `input_sensitivity`: 0 (essentially muted: never talking) to
 *   100 (most sensitive); the on-threshold is `−1.2 × sensitivity` dBov (default 30 → −36 dBov,
 *   50 → −60 dBov, 100 → −120 dBov, just above digital silence).
 * - No packets for `silenceTimeoutMs` (wall clock: the track was muted, blocked or lost) count
 *   as silence.
 */
import type { RTCRtpHeaderExtensionParameters, RtpPacket } from 'werift';
import { DEFAULT_INPUT_SENSITIVITY, TypedEmitter } from '@atrium/protocol';
import type { PublishedTrack, RtpSink } from './published-track.js';
import { RtpExtensionUri } from './peer-config.js';

/** The quietest level RFC 6464 can express (dBov). */
export const SILENCE_DBOV = -127;

export interface AudioLevelOptions {
  /** `input_sensitivity`, 0–100; default 30. */
  sensitivity?: number;
  /** Time constant of the moving average while the level rises (media ms); default 50. */
  attackMs?: number;
  /** Time constant while it falls (media ms); default 300. */
  releaseMs?: number;
  /** How far below the on-threshold the level must fall to stop talking (dB); default 6. */
  hysteresisDb?: number;
  /** How long (media ms) it must stay there; default 400. */
  holdMs?: number;
  /** Without packets this long (wall-clock ms) the track counts as silent; default 1000. */
  silenceTimeoutMs?: number;
  /** RTP clock rate of the track; default 48000 (Opus). */
  clockRate?: number;
}

export type AudioLevelEvents = {
  /** The track started (true) or stopped (false) talking. */
  talking: [talking: boolean];
  /** Closed: it reads no more packets and emits nothing more. */
  close: [];
};

/** Frame length assumed for the first packet and after a timestamp jump (ms). */
const TYPICAL_FRAME_MS = 20;
/** Longest media gap one packet may stand for; a longer jump (DTX, a restart) counts as this. */
const MAX_STEP_MS = 1000;

/** The on-threshold (dBov) for a sensitivity; +Infinity for 0 (never talking). */
export function sensitivityToThreshold(sensitivity: number): number {
  const s = Math.min(100, Math.max(0, sensitivity));
  return s === 0 ? Number.POSITIVE_INFINITY : -1.2 * s;
}

/** The extension id the publisher negotiated for the audio level, if it did. */
export function audioLevelExtensionId(extensions: readonly RTCRtpHeaderExtensionParameters[]): number | undefined {
  return extensions.find((ext) => ext.uri === RtpExtensionUri.audioLevel)?.id;
}

/** The level (dBov, −127…0) a packet carries, or undefined when it has no audio-level extension. */
export function readAudioLevel(packet: RtpPacket, extensionId: number): number | undefined {
  const extension = packet.header.extensions.find((ext) => ext.id === extensionId);
  const byte = extension?.payload[0];
  return byte === undefined ? undefined : -(byte & 0x7f);
}

/** Talking detection for one audio track; add it to the track as a sink (or use `attach`). */
export class AudioLevelMonitor extends TypedEmitter<AudioLevelEvents> implements RtpSink {
  private readonly extensionId: number | undefined;
  private readonly attackMs: number;
  private readonly releaseMs: number;
  private readonly hysteresisDb: number;
  private readonly holdMs: number;
  private readonly clockRate: number;
  private readonly silenceTimer: NodeJS.Timeout;
  private sensitivity_: number;
  private onThreshold: number;
  private level_ = SILENCE_DBOV;
  private talking_ = false;
  private belowForMs = 0;
  private lastTimestamp: number | undefined;
  private detach: (() => void) | undefined;
  private closed_ = false;

  constructor(headerExtensions: readonly RTCRtpHeaderExtensionParameters[], options: AudioLevelOptions = {}) {
    super();
    this.extensionId = audioLevelExtensionId(headerExtensions);
    this.attackMs = options.attackMs ?? 50;
    this.releaseMs = options.releaseMs ?? 300;
    this.hysteresisDb = options.hysteresisDb ?? 6;
    this.holdMs = options.holdMs ?? 400;
    this.clockRate = options.clockRate ?? 48_000;
    this.sensitivity_ = options.sensitivity ?? DEFAULT_INPUT_SENSITIVITY;
    this.onThreshold = sensitivityToThreshold(this.sensitivity_);
    this.silenceTimer = setTimeout(() => this.reset(), options.silenceTimeoutMs ?? 1000);
    this.silenceTimer.unref();
  }

  /** Watches a published audio track until `close()` (or the track closes). */
  static attach(track: PublishedTrack, options: AudioLevelOptions = {}): AudioLevelMonitor {
    const monitor = new AudioLevelMonitor(track.headerExtensions, options);
    track.addSink(monitor);
    monitor.detach = () => track.removeSink(monitor);
    return monitor;
  }

  /** False when the publisher did not negotiate the audio-level extension: nothing to measure. */
  get measurable(): boolean {
    return this.extensionId !== undefined;
  }

  /** The smoothed level in dBov (−127 silence … 0 full scale), for choosing the active speaker. */
  get level(): number {
    return this.level_;
  }

  get talking(): boolean {
    return this.talking_;
  }

  get sensitivity(): number {
    return this.sensitivity_;
  }

  get closed(): boolean {
    return this.closed_;
  }

  /** Applies a new `input_sensitivity` at once: talking may start, or stop without the hold. */
  setSensitivity(sensitivity: number): void {
    this.sensitivity_ = Math.min(100, Math.max(0, sensitivity));
    this.onThreshold = sensitivityToThreshold(this.sensitivity_);
    if (this.level_ >= this.onThreshold) this.setTalking(true);
    else if (this.level_ < this.onThreshold - this.hysteresisDb) this.setTalking(false);
  }

  writeRtp(packet: RtpPacket): void {
    if (this.closed_ || this.extensionId === undefined) return;
    const sample = readAudioLevel(packet, this.extensionId);
    if (sample === undefined) return;
    const stepMs = this.stepMs(packet.header.timestamp);
    if (stepMs === undefined) return;
    this.silenceTimer.refresh();
    const tau = sample > this.level_ ? this.attackMs : this.releaseMs;
    this.level_ += (1 - Math.exp(-stepMs / tau)) * (sample - this.level_);
    this.decide(stepMs);
  }

  /** After a gap (the track was blocked): start the average afresh. */
  restart(): void {
    this.lastTimestamp = undefined;
  }

  /** Silence now: the level drops to −127 and talking, if on, stops. */
  reset(): void {
    this.level_ = SILENCE_DBOV;
    this.lastTimestamp = undefined;
    this.belowForMs = 0;
    this.setTalking(false);
  }

  close(): void {
    if (this.closed_) return;
    this.closed_ = true;
    clearTimeout(this.silenceTimer);
    this.detach?.();
    this.emit('close');
    this.removeAllListeners();
  }

  /** Media time since the previous packet (ms); undefined for a late (reordered) or repeated packet. */
  private stepMs(timestamp: number): number | undefined {
    const previous = this.lastTimestamp;
    if (previous === undefined) {
      this.lastTimestamp = timestamp;
      return TYPICAL_FRAME_MS;
    }
    const ticks = (timestamp - previous) >>> 0;
    if (ticks === 0 || ticks >= 0x80000000) return undefined;
    this.lastTimestamp = timestamp;
    return Math.min(MAX_STEP_MS, (ticks * 1000) / this.clockRate);
  }

  private decide(stepMs: number): void {
    if (this.level_ >= this.onThreshold) {
      this.belowForMs = 0;
      this.setTalking(true);
      return;
    }
    if (!this.talking_) return;
    if (this.level_ >= this.onThreshold - this.hysteresisDb) {
      this.belowForMs = 0;
      return;
    }
    this.belowForMs += stepMs;
    if (this.belowForMs >= this.holdMs) this.setTalking(false);
  }

  private setTalking(talking: boolean): void {
    if (this.talking_ === talking) return;
    this.talking_ = talking;
    this.belowForMs = 0;
    this.emit('talking', talking);
  }
}

export interface SpeakerCandidate {
  id: string;
  /** Smoothed level, dBov. */
  level: number;
  talking: boolean;
}

/**
 * The active speaker: the loudest talking candidate, but the current one keeps the floor unless
 * another is `marginDb` louder, and stays when nobody talks (layouts do not jump back). Returns
 * undefined only when the current speaker is gone and nobody talks.
 */
export function chooseActiveSpeaker(
  candidates: Iterable<SpeakerCandidate>,
  current: string | undefined,
  marginDb = 3,
): string | undefined {
  let loudest: SpeakerCandidate | undefined;
  let incumbent: SpeakerCandidate | undefined;
  for (const candidate of candidates) {
    if (candidate.id === current) incumbent = candidate;
    if (candidate.talking && (!loudest || candidate.level > loudest.level)) loudest = candidate;
  }
  if (!loudest) return incumbent?.id;
  if (incumbent?.talking && loudest.level < incumbent.level + marginDb) return incumbent.id;
  return loudest.id;
}
