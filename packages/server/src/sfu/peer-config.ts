/**
 * @module The werift peer connection settings every SFU transport uses: our codecs and header
 * extensions, no STUN/TURN servers (the SFU has its own addresses), loopback gathered, and
 * candidate pairs only towards allowed networks.
 */
import {
  RTCRtpCodecParameters,
  type PeerConfig,
  type RTCRtpHeaderExtensionParameters,
  type RTCRtpTransceiver,
} from 'werift';
import type { RtcConfig } from '../config.js';
import type { IceAddressPolicy } from './ice-filter.js';

export const RtpExtensionUri = {
  mid: 'urn:ietf:params:rtp-hdrext:sdes:mid',
  absSendTime: 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
  audioLevel: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  videoOrientation: 'urn:3gpp:video-orientation',
  /** Names the simulcast layer a packet belongs to (RFC 8852). */
  rtpStreamId: 'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id',
} as const;

/** Extensions whose value travels from publisher to subscriber; werift writes the others itself. */
export const FORWARDED_EXTENSIONS: ReadonlySet<string> = new Set([
  RtpExtensionUri.audioLevel,
  RtpExtensionUri.videoOrientation,
]);

/**
 * Our payload types in the offers we make (subscribers); answers keep the publisher's. Fixed
 * rather than left to werift's numbering so that RTX's `apt` names VP8 whatever the codec order.
 */
export const PayloadType = { opus: 96, vp8: 97, vp8Rtx: 98 } as const;

function codecs(): PeerConfig['codecs'] {
  return {
    audio: [
      new RTCRtpCodecParameters({
        payloadType: PayloadType.opus,
        mimeType: 'audio/opus',
        clockRate: 48_000,
        channels: 2,
        parameters: 'minptime=10;useinbandfec=1',
      }),
    ],
    video: [
      new RTCRtpCodecParameters({
        payloadType: PayloadType.vp8,
        mimeType: 'video/VP8',
        clockRate: 90_000,
        rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'goog-remb' }],
      }),
      // Retransmissions on their own SSRC (RFC 4588): the receiver's loss statistics and
      // bandwidth estimate then tell repairs from first sends.
      new RTCRtpCodecParameters({
        payloadType: PayloadType.vp8Rtx,
        mimeType: 'video/rtx',
        clockRate: 90_000,
        parameters: `apt=${PayloadType.vp8}`,
      }),
    ],
  };
}

function headerExtensions(): PeerConfig['headerExtensions'] {
  const ext = (id: number, uri: string): RTCRtpHeaderExtensionParameters => ({ id, uri });
  return {
    audio: [ext(1, RtpExtensionUri.mid), ext(2, RtpExtensionUri.absSendTime), ext(3, RtpExtensionUri.audioLevel)],
    video: [
      ext(1, RtpExtensionUri.mid),
      ext(2, RtpExtensionUri.absSendTime),
      ext(4, RtpExtensionUri.videoOrientation),
      ext(10, RtpExtensionUri.rtpStreamId),
    ],
  };
}

export function createPeerConfig(rtc: RtcConfig, policy: IceAddressPolicy): Partial<PeerConfig> {
  return {
    iceServers: [],
    iceAdditionalHostAddresses: rtc.additionalHostAddresses,
    icePortRange: rtc.portRange,
    iceUseIpv4: true,
    iceUseIpv6: false,
    codecs: codecs(),
    headerExtensions: headerExtensions(),
    bundlePolicy: 'max-bundle',
    iceFilterCandidatePair: (pair) => policy.allows(pair.remoteCandidate.host),
    iceFilterStunResponse: (_message, address) => policy.allows(address[0]),
  };
}

/**
 * Removes transport-wide congestion control from a remote offer. werift answers with whatever
 * rtcp-fb the offer lists, and once `transport-cc` is negotiated its receiver runs its own TWCC
 * feedback — without the sequence-number extension, which we do not negotiate — beside our REMB;
 * that stock feedback is what collapses a libwebrtc publisher's bitrate. Without it libwebrtc
 * follows our REMB (and its own loss-based estimate).
 */
export function withoutTransportCc(sdp: string): string {
  return sdp.replace(/^a=rtcp-fb:\S+ transport-cc\r?\n/gm, '').replace(/^a=extmap:\d+(\/\w+)? \S*transport-wide-cc\S*\r?\n/gm, '');
}

/**
 * Adds `x-google-start-bitrate` (kbit/s) to every video codec of an answer sent to a libwebrtc
 * publisher. libwebrtc otherwise starts at 300 kbit/s and climbs from there on its loss-based
 * estimate (about 8% a second): several seconds to reach a 1 Mbit/s target. Starting at the SFU's
 * initial bitrate puts the publisher at its target at once; our REMB still caps it.
 */
export function withStartBitrate(sdp: string, kbps: number): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = sdp.split(eol);
  const out: string[] = [];
  let video = false;
  const videoPayloads = new Set<string>();
  const withFmtp = new Set<string>();
  const param = `x-google-start-bitrate=${Math.round(kbps)}`;
  const flushMissing = (): void => {
    for (const pt of videoPayloads) if (!withFmtp.has(pt)) out.push(`a=fmtp:${pt} ${param}`);
    videoPayloads.clear();
    withFmtp.clear();
  };
  for (const line of lines) {
    if (line.startsWith('m=')) {
      if (video) flushMissing();
      video = line.startsWith('m=video');
    }
    if (video) {
      const rtpmap = /^a=rtpmap:(\d+) (VP8|VP9|H264|AV1)\//i.exec(line);
      if (rtpmap) videoPayloads.add(rtpmap[1]!);
      const fmtp = /^a=fmtp:(\d+) (.*)$/.exec(line);
      if (fmtp && videoPayloads.has(fmtp[1]!)) {
        withFmtp.add(fmtp[1]!);
        if (!fmtp[2]!.includes('x-google-start-bitrate')) {
          out.push(`${line};${param}`);
          continue;
        }
      }
    }
    out.push(line);
  }
  if (video) {
    // The trailing empty line of the SDP stays last.
    const tail = out[out.length - 1] === '' ? out.pop() : undefined;
    flushMissing();
    if (tail !== undefined) out.push(tail);
  }
  return out.join(eol);
}

/**
 * Removes the RTX codecs (`a=rtpmap:<pt> rtx/…`, their `a=fmtp` and `a=rtcp-fb` lines, and their
 * payload types on the `m=` line) from a remote offer. For simulcast offers: werift maps RTX
 * streams to their media streams by SSRC (`a=ssrc-group:FID`) only, not by rid
 * (`repaired-rtp-stream-id`), so a simulcast publisher retransmits on its layers' own SSRCs.
 */
export function withoutRtx(sdp: string): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  // Payload types are per media section: each section drops its own RTX ones.
  const sections = sdp.split(new RegExp(`${eol}(?=m=)`));
  return sections
    .map((section) => {
      const rtx = new Set([...section.matchAll(/^a=rtpmap:(\d+) rtx\//gim)].map((m) => m[1]!));
      if (rtx.size === 0) return section;
      return section
        .split(eol)
        .filter((line) => {
          const attribute = /^a=(?:rtpmap|fmtp|rtcp-fb):(\d+)[ \t]/.exec(line);
          return !attribute || !rtx.has(attribute[1]!);
        })
        .map((line) => {
          if (!line.startsWith('m=')) return line;
          const [media, port, proto, ...formats] = line.split(' ');
          return [media, port, proto, ...formats.filter((f) => !rtx.has(f))].join(' ');
        })
        .join(eol);
    })
    .join(eol);
}

/**
 * Names the transceiver's track in our descriptions (`a=msid:- <track id>`: a track in no
 * stream). With RTX negotiated werift lists two SSRCs for the m-line (media and RTX, grouped by
 * `a=ssrc-group:FID`); without an msid libwebrtc takes each SSRC for a track of its own and
 * rejects the description ("more than one track specified with a=ssrc lines").
 */
export function nameTrackInSdp(transceiver: RTCRtpTransceiver): void {
  transceiver.sender.streamId = '-';
}
