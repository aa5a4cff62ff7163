/**
 * @module What every SFU transport needs from the SFU that made it: peer settings, the ICE
 * address policy, announced addresses and a logger.
 */
import type { PeerConfig } from 'werift';
import type { Logger } from 'pino';
import type { IceAddressPolicy } from './ice-filter.js';
import type { BitrateLimits } from './published-track.js';

export interface TransportContext {
  peerConfig: Partial<PeerConfig>;
  policy: IceAddressPolicy;
  announcedIps: string[];
  keyframeIntervalMs: number;
  bitrate: BitrateLimits;
  log: Logger;
}
