/**
 * @module What ffmpeg is told about one track's RTP on loopback: the codec table of the SFU's
 * negotiated codecs (VP8 90000, Opus 48000/2) with the payload type the tap writes, the SDP file
 * ffmpeg reads, and a free even/odd UDP port pair (RTP and ffmpeg's RTCP on port + 1).
 */
import dgram from 'node:dgram';
import fs from 'node:fs/promises';
import type { TrackKind } from '@atrium/protocol';

export interface EgressCodec {
  /** As written in `a=rtpmap`. */
  name: 'VP8' | 'opus';
  clockRate: number;
  channels?: number;
  /** The payload type the tap writes into every packet it sends to ffmpeg. */
  payloadType: number;
  /** The container of a per-track file (`-c copy`). */
  container: 'webm';
  extension: 'webm';
}

/** The codecs the SFU negotiates (sfu/peer-config.ts): one per kind. */
export const egressCodecs: Record<TrackKind, EgressCodec> = {
  video: { name: 'VP8', clockRate: 90_000, payloadType: 96, container: 'webm', extension: 'webm' },
  audio: { name: 'opus', clockRate: 48_000, channels: 2, payloadType: 111, container: 'webm', extension: 'webm' },
};

/**
 * ffmpeg's receive buffer for each RTP input (`-buffer_size`, capped by the kernel's
 * `net.core.rmem_max`): a keyframe of a detailed picture is a burst of 50–100 packets, more than
 * the default buffer holds while ffmpeg is busy.
 */
export const RTP_INPUT_BUFFER_ARGS = ['-buffer_size', String(4 * 1024 * 1024)] as const;

/** ffmpeg's words for a VP8 RTP input that lost a frame and waits for the next keyframe. */
export const LOST_VP8_FRAME = /Keyframe missing|no start marker|dropping frame|Discarding interframe/i;

export function trackSdp(kind: TrackKind, port: number): string {
  const codec = egressCodecs[kind];
  const rtpmap = `${codec.name}/${codec.clockRate}${codec.channels ? `/${codec.channels}` : ''}`;
  return [
    'v=0',
    'o=- 0 0 IN IP4 127.0.0.1',
    's=Atrium egress',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=${kind} ${port} RTP/AVP ${codec.payloadType}`,
    `a=rtpmap:${codec.payloadType} ${rtpmap}`,
    'a=recvonly',
    '',
  ].join('\n');
}

export async function writeSdpFile(file: string, kind: TrackKind, port: number): Promise<void> {
  await fs.writeFile(file, trackSdp(kind, port));
}

async function bind(port: number): Promise<dgram.Socket | undefined> {
  const socket = dgram.createSocket('udp4');
  return new Promise((resolve) => {
    socket.once('error', () => {
      socket.close();
      resolve(undefined);
    });
    socket.bind(port, '127.0.0.1', () => resolve(socket));
  });
}

/** An even port whose odd neighbour is free too (ffmpeg binds both); released for ffmpeg to take. */
export async function freeRtpPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const probe = await bind(0);
    if (!probe) continue;
    const port = probe.address().port & ~1;
    probe.close();
    if (port < 1024) continue;
    const rtp = await bind(port);
    const rtcp = rtp && (await bind(port + 1));
    rtp?.close();
    rtcp?.close();
    if (rtp && rtcp) return port;
  }
  throw new Error('no free UDP port pair for egress on 127.0.0.1');
}

/** True once some process has bound `port` on UDP (read from /proc/net/udp, Linux). */
export async function udpPortBound(port: number): Promise<boolean> {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  try {
    const table = await fs.readFile('/proc/net/udp', 'utf8');
    return table.split('\n').some((line) => line.trim().split(/\s+/)[1]?.endsWith(hex) ?? false);
  } catch {
    return true;
  }
}
