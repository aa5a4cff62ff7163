/**
 * @module The benchmark's topologies: who publishes, who subscribes, audio+video or audio only.
 */

export interface Topology {
  /** As printed: `1→10`, `4×4`, `1+100 audio`. */
  label: string;
  /** As given on the command line: `1-10`, `4x4`, `large`. */
  spec: string;
  publishers: number;
  /** Endpoints that only subscribe, each to every publisher. */
  subscribers: number;
  /** Every publisher also subscribes to every other publisher. */
  mesh: boolean;
  /** Publishers send audio only (the large-room case). */
  audioOnly: boolean;
}

export const DEFAULT_TOPOLOGIES = ['1-10', '1-20', '1-40', '4x4', 'large'];

/**
 * `P-S`: P publishers, S subscribers of all of them (`1-40`); `NxN`: N endpoints all publishing
 * and subscribing to each other (`4x4`); `audio-P-S`: P audio-only publishers, S listeners;
 * `large`: `audio-1-100`.
 */
export function parseTopology(spec: string): Topology {
  const given = spec.trim();
  const s = given === 'large' ? 'audio-1-100' : given;
  let match = /^(\d+)x(\d+)$/.exec(s);
  if (match && match[1] === match[2]) {
    const n = Number(match[1]);
    if (n >= 2) return { label: `${n}×${n}`, spec: given, publishers: n, subscribers: 0, mesh: true, audioOnly: false };
  }
  match = /^(audio-)?(\d+)-(\d+)$/.exec(s);
  if (match) {
    const publishers = Number(match[2]);
    const subscribers = Number(match[3]);
    const audioOnly = match[1] !== undefined;
    if (publishers >= 1 && subscribers >= 1) {
      const label = audioOnly ? `${publishers}+${subscribers} audio` : `${publishers}→${subscribers}`;
      return { label, spec: given, publishers, subscribers, mesh: false, audioOnly };
    }
  }
  throw new Error(`unknown topology "${spec}": use P-S (1-40), NxN (4x4), audio-P-S (audio-1-100) or large`);
}
