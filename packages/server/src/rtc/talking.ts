/**
 * @module Who is talking in a room session: one `AudioLevelMonitor` per published audio track,
 * a member talking while any of its streams is, and the active speaker (the loudest talker, who
 * keeps the floor until someone is clearly louder) that speaker-driven layouts feature.
 */
import { AudioLevelMonitor, chooseActiveSpeaker, type SpeakerCandidate } from '../sfu/audio-level.js';
import type { PublishedTrack } from '../sfu/published-track.js';

interface Watched {
  endpointId: string;
  monitor: AudioLevelMonitor;
}

export class SessionTalking {
  /** By `endpointId` + `\0` + stream tag. */
  private readonly watched = new Map<string, Watched>();
  private readonly onTalking: (endpointId: string, talking: boolean) => void;
  private speaker: string | undefined;

  /** `onTalking` is called when a member starts or stops talking, after the active speaker is updated. */
  constructor(onTalking: (endpointId: string, talking: boolean) => void) {
    this.onTalking = onTalking;
  }

  /** The member featured by speaker-driven layouts, once anyone has talked. */
  get activeSpeaker(): string | undefined {
    return this.speaker;
  }

  /** Starts measuring a published stream's audio track with the member's input sensitivity. */
  watch(endpointId: string, tag: string, track: PublishedTrack, sensitivity: number): void {
    const key = `${endpointId}\0${tag}`;
    this.watched.get(key)?.monitor.close();
    const monitor = AudioLevelMonitor.attach(track, { sensitivity });
    this.watched.set(key, { endpointId, monitor });
    monitor.on('talking', () => this.update(endpointId));
  }

  /** Stops measuring one stream (unpublished). */
  unwatch(endpointId: string, tag: string): void {
    const key = `${endpointId}\0${tag}`;
    const watched = this.watched.get(key);
    if (!watched) return;
    this.watched.delete(key);
    watched.monitor.close();
    this.update(endpointId);
  }

  /** Stops measuring every stream of a member (it left); it no longer holds the floor. */
  forget(endpointId: string): void {
    for (const [key, watched] of this.watched) {
      if (watched.endpointId !== endpointId) continue;
      this.watched.delete(key);
      watched.monitor.close();
    }
    if (this.speaker === endpointId) this.speaker = chooseActiveSpeaker(this.candidates(), undefined);
  }

  /**
   * The member's audio was muted (the SFU blocks it, so its monitors read nothing more): it stops
   * talking now rather than after the monitors' silence timeout.
   */
  silence(endpointId: string): void {
    for (const watched of this.watched.values()) {
      if (watched.endpointId === endpointId) watched.monitor.reset();
    }
    // A member that was not talking still loses the floor's level (the monitors emit nothing then).
    this.update(endpointId);
  }

  /** The member's `input_sensitivity` changed: its threshold follows. */
  setSensitivity(endpointId: string, sensitivity: number): void {
    for (const watched of this.watched.values()) {
      if (watched.endpointId === endpointId) watched.monitor.setSensitivity(sensitivity);
    }
  }

  close(): void {
    for (const watched of this.watched.values()) watched.monitor.close();
    this.watched.clear();
  }

  private update(endpointId: string): void {
    this.speaker = chooseActiveSpeaker(this.candidates(), this.speaker);
    this.onTalking(endpointId, this.isTalking(endpointId));
  }

  private isTalking(endpointId: string): boolean {
    for (const watched of this.watched.values()) {
      if (watched.endpointId === endpointId && watched.monitor.talking) return true;
    }
    return false;
  }

  /** One candidate per member: its loudest stream. */
  private candidates(): SpeakerCandidate[] {
    const byMember = new Map<string, SpeakerCandidate>();
    for (const { endpointId, monitor } of this.watched.values()) {
      const known = byMember.get(endpointId);
      if (!known || monitor.level > known.level) {
        byMember.set(endpointId, { id: endpointId, level: monitor.level, talking: monitor.talking || (known?.talking ?? false) });
      } else if (monitor.talking) {
        known.talking = true;
      }
    }
    return [...byMember.values()];
  }
}
