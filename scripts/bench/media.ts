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

/**
 * Like `cappedWrtc`, for an endpoint that receives video without decoding it: each offer is
 * applied with VP8 renumbered to a payload type the offerer did not use, and the answer is
 * handed back with the offerer's number. The SFU sends VP8 under its own number, which this
 * libwebrtc receiver counts (inbound-rtp packetsReceived, receiver reports) but never decodes —
 * so the load generator's core is not spent on decoders the benchmark does not look at.
 */
export function receiveOnlyWrtc(maxBitrate: number): WebRtcImplementation {
  const Capped = cappedWrtc(maxBitrate).RTCPeerConnection;
  class ReceiveOnlyPeerConnection extends Capped {
    constructor(configuration?: RTCConfiguration) {
      super(configuration);
      let renumbered: { from: number; to: number } | undefined;
      // node-webrtc defines localDescription on the instance (not configurable): wrap the instance.
      return new Proxy(this, {
        get(target, property) {
          if (property === 'setRemoteDescription') {
            return (description: RTCSessionDescriptionInit) => {
              if (description.type === 'offer' && description.sdp) {
                const renamed = renumberVp8(description.sdp);
                renumbered = renamed.mapping;
                return target.setRemoteDescription({ type: 'offer', sdp: renamed.sdp });
              }
              return target.setRemoteDescription(description);
            };
          }
          if (property === 'localDescription') {
            const local = target.localDescription;
            if (!local || !renumbered) return local;
            return { type: local.type, sdp: renumberPayloadType(local.sdp, renumbered.to, renumbered.from) };
          }
          const value: unknown = Reflect.get(target, property, target);
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
      });
    }
  }
  return { RTCPeerConnection: ReceiveOnlyPeerConnection, MediaStream: wrtc.MediaStream as unknown as typeof MediaStream };
}

/** Renumbers VP8 in an offer's video sections to a payload type no section uses. */
export function renumberVp8(sdp: string): { sdp: string; mapping: { from: number; to: number } | undefined } {
  const vp8 = /^a=rtpmap:(\d+) VP8\//m.exec(sdp);
  if (!vp8) return { sdp, mapping: undefined };
  const used = new Set<number>();
  for (const m of sdp.matchAll(/^m=\S+ \d+ \S+ ([\d ]+)$/gm)) for (const pt of (m[1] ?? '').split(' ')) used.add(Number(pt));
  let to = 127;
  while (used.has(to) && to > 96) to--;
  const from = Number(vp8[1]);
  return { sdp: renumberPayloadType(sdp, from, to), mapping: { from, to } };
}

/** Replaces payload type `from` by `to` in the video sections' m= line, rtpmap/rtcp-fb/fmtp lines and RTX apt. */
export function renumberPayloadType(sdp: string, from: number, to: number): string {
  let inVideo = false;
  const attribute = new RegExp(`^a=(rtpmap|rtcp-fb|fmtp):${from}(?= |$)`);
  return sdp
    .split('\r\n')
    .map((line) => {
      if (line.startsWith('m=')) {
        inVideo = line.startsWith('m=video');
        if (!inVideo) return line;
        return line
          .split(' ')
          .map((token, i) => (i >= 3 && token === String(from) ? String(to) : token))
          .join(' ');
      }
      if (!inVideo) return line;
      return line.replace(attribute, `a=$1:${to}`).replace(new RegExp(`apt=${from}$`), `apt=${to}`);
    })
    .join('\r\n');
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
