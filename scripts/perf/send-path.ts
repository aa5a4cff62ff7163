/**
 * @module Microbenchmark of the per-subscriber send path, in one process, without the noise of a
 * load generator: two werift peer connections connected over loopback, then the same 1100-byte
 * VP8-sized packet sent N times through (a) werift's stock path (a fresh packet copy +
 * `RTCRtpSender.sendRtp`, what the SFU did before) and (b) our `RtpStreamSender`. Prints CPU µs
 * per sent packet (process CPU time, so other load on the machine matters less than wall time).
 *
 *   /work/shared/net/isolated.sh node --import tsx scripts/perf/send-path.ts [--packets=20000]
 */
import { RTCPeerConnection, RtpHeader, RtpPacket } from 'werift';
import { createPeerConfig } from '../../packages/server/src/sfu/peer-config.js';
import { IceAddressPolicy } from '../../packages/server/src/sfu/ice-filter.js';
import { RtpStreamSender } from '../../packages/server/src/sfu/rtp-stream-sender.js';
import { copyForSubscriber } from '../../packages/server/src/sfu/rtp-copy.js';
import { loadConfig } from '../../packages/server/src/config.js';

const packets = Number(process.argv.find((a) => a.startsWith('--packets='))?.slice(10) ?? '20000');
const BATCH = 200;

async function connectedPair(): Promise<{ a: RTCPeerConnection; b: RTCPeerConnection }> {
  const config = loadConfig({ DATA_DIR: '/tmp', ATRIUM_ICE_ALLOWED_NETWORKS: '127.0.0.0/8' });
  const peer = createPeerConfig(config.rtc, new IceAddressPolicy(config.rtc.allowedNetworks));
  const a = new RTCPeerConnection(peer);
  const b = new RTCPeerConnection(peer);
  a.addTransceiver('video', { direction: 'sendonly' });
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription(a.localDescription!);
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription!);
  await new Promise<void>((resolve) => {
    if (a.connectionState === 'connected') resolve();
    a.connectionStateChange.subscribe((s) => s === 'connected' && resolve());
  });
  return { a, b };
}

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

const nextTick = (): Promise<void> => new Promise((r) => process.nextTick(r));
const drain = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

async function main(): Promise<void> {
  const { a, b } = await connectedPair();
  const transceiver = a.getTransceivers()[0]!;
  const source = new RtpPacket(
    new RtpHeader({
      payloadType: 96,
      sequenceNumber: 1,
      timestamp: 1000,
      ssrc: 1234,
      marker: true,
      extension: true,
      extensionProfile: 0xbede,
      extensions: [{ id: 4, payload: Buffer.from([1]) }],
    }),
    Buffer.alloc(1100, 7),
  );
  const extensionIds = new Map([[4, 4]]);
  const ours = new RtpStreamSender(transceiver, { keepHistory: true });
  ours.negotiated(extensionIds);

  let seq = 0;
  const results: Record<string, number[]> = { werift: [], ours: [] };
  for (let round = 0; round < 3; round++) {
    for (const name of ['werift', 'ours'] as const) {
      let cpu = 0;
      for (let sent = 0; sent < packets; sent += BATCH) {
        const start = cpuMicros();
        if (name === 'werift') {
          const pending: Promise<void>[] = [];
          for (let i = 0; i < BATCH; i++) pending.push(transceiver.sender.sendRtp(copyForSubscriber(source, ++seq & 0xffff, extensionIds)));
          await Promise.all(pending);
        } else {
          for (let i = 0; i < BATCH; i++) ours.send(source, ++seq & 0xffff);
          await nextTick();
        }
        cpu += cpuMicros() - start;
        // Let the receiving peer (same process) read its socket outside the measured time.
        await drain();
      }
      results[name]!.push(cpu / packets);
    }
  }
  for (const [name, runs] of Object.entries(results)) {
    console.log(`${name.padEnd(7)} ${runs.map((r) => r.toFixed(1)).join(' / ')} µs CPU per sent packet (best ${Math.min(...runs).toFixed(1)})`);
  }
  await a.close();
  await b.close();
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
