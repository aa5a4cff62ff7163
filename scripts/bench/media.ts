/**
 * @module The load generator's WebRTC side: `@roamhq/wrtc` peer connections whose video senders
 * are capped at the benchmark's bitrate, and the getStats counters the benchmark sums.
 */
import wrtc from '@roamhq/wrtc';
import type { WebRtcImplementation } from '../../packages/sdk/src/index.js';

const NativePeerConnection = wrtc.RTCPeerConnection as unknown as typeof RTCPeerConnection;

/**
 * A WebRTC implementation whose peer connections add `sendEncodings: [{ maxBitrate }]` to every
 * video transceiver they send on, so the SDK's own `publish` is capped like a browser page
 * that sets its sender's encodings.
 */
export function cappedWrtc(maxBitrate: number): WebRtcImplementation {
  class CappedPeerConnection extends NativePeerConnection {
    override addTransceiver(trackOrKind: MediaStreamTrack | string, init?: RTCRtpTransceiverInit): RTCRtpTransceiver {
      const kind = typeof trackOrKind === 'string' ? trackOrKind : trackOrKind.kind;
      const sends = init?.direction === 'sendonly' || init?.direction === 'sendrecv';
      if (kind === 'video' && sends && !init?.sendEncodings) {
        init = { ...init, sendEncodings: [{ maxBitrate }] };
      }
      return super.addTransceiver(trackOrKind, init);
    }
  }
  return { RTCPeerConnection: CappedPeerConnection, MediaStream: wrtc.MediaStream as unknown as typeof MediaStream };
}

/** Received-side counters of one peer connection (all inbound-rtp streams summed). */
export interface InboundCounters {
  packetsReceived: number;
  packetsLost: number;
  /** Payload + RTP header bytes. */
  bytesReceived: number;
  framesDecoded: number;
  nackCount: number;
  pliCount: number;
  firCount: number;
}

/** Sent-side counters of a publisher's video (outbound-rtp). */
export interface OutboundCounters {
  bytesSent: number;
  packetsSent: number;
  nackCount: number;
  pliCount: number;
  firCount: number;
  /** The sender's bandwidth estimate (candidate-pair availableOutgoingBitrate), bits/s; 0 if unknown. */
  availableOutgoingBitrate: number;
  framesEncoded: number;
  frameWidth: number;
  /** Why libwebrtc holds the encoder back: none, bandwidth, cpu, other. */
  qualityLimitationReason: string;
}

export function emptyInbound(): InboundCounters {
  return { packetsReceived: 0, packetsLost: 0, bytesReceived: 0, framesDecoded: 0, nackCount: 0, pliCount: 0, firCount: 0 };
}

type StatsEntry = Record<string, unknown> & { type?: string; kind?: string };
const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

export function inboundCounters(report: RTCStatsReport): InboundCounters {
  const sum = emptyInbound();
  report.forEach((entry: StatsEntry) => {
    if (entry.type !== 'inbound-rtp') return;
    sum.packetsReceived += num(entry.packetsReceived);
    sum.packetsLost += num(entry.packetsLost);
    sum.bytesReceived += num(entry.bytesReceived) + num(entry.headerBytesReceived);
    sum.framesDecoded += num(entry.framesDecoded);
    sum.nackCount += num(entry.nackCount);
    sum.pliCount += num(entry.pliCount);
    sum.firCount += num(entry.firCount);
  });
  return sum;
}

export function outboundVideoCounters(report: RTCStatsReport): OutboundCounters {
  const sum: OutboundCounters = {
    bytesSent: 0,
    packetsSent: 0,
    nackCount: 0,
    pliCount: 0,
    firCount: 0,
    availableOutgoingBitrate: 0,
    framesEncoded: 0,
    frameWidth: 0,
    qualityLimitationReason: '',
  };
  report.forEach((entry: StatsEntry) => {
    if (entry.type === 'outbound-rtp' && entry.kind === 'video') {
      sum.bytesSent += num(entry.bytesSent) + num(entry.headerBytesSent);
      sum.packetsSent += num(entry.packetsSent);
      sum.nackCount += num(entry.nackCount);
      sum.pliCount += num(entry.pliCount);
      sum.firCount += num(entry.firCount);
      sum.framesEncoded += num(entry.framesEncoded);
      sum.frameWidth = Math.max(sum.frameWidth, num(entry.frameWidth));
      if (typeof entry.qualityLimitationReason === 'string') sum.qualityLimitationReason = entry.qualityLimitationReason;
    } else if (entry.type === 'candidate-pair' && entry.nominated === true) {
      sum.availableOutgoingBitrate = Math.max(sum.availableOutgoingBitrate, num(entry.availableOutgoingBitrate));
    }
  });
  return sum;
}

export function subtractInbound(after: InboundCounters, before: InboundCounters): InboundCounters {
  return {
    packetsReceived: after.packetsReceived - before.packetsReceived,
    packetsLost: after.packetsLost - before.packetsLost,
    bytesReceived: after.bytesReceived - before.bytesReceived,
    framesDecoded: after.framesDecoded - before.framesDecoded,
    nackCount: after.nackCount - before.nackCount,
    pliCount: after.pliCount - before.pliCount,
    firCount: after.firCount - before.firCount,
  };
}

export function addInbound(into: InboundCounters, more: InboundCounters): void {
  into.packetsReceived += more.packetsReceived;
  into.packetsLost += more.packetsLost;
  into.bytesReceived += more.bytesReceived;
  into.framesDecoded += more.framesDecoded;
  into.nackCount += more.nackCount;
  into.pliCount += more.pliCount;
  into.firCount += more.firCount;
}
