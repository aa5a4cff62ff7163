/**
 * @module Runs one topology against one SFU and measures it: clients join and subscribe, a
 * warm-up passes, then a fixed window is measured (SFU CPU from /proc, subscribers' getStats,
 * decoded frames) and everyone leaves.
 */
import { performance } from 'node:perf_hooks';
import wrtc from '@roamhq/wrtc';
import { syntheticCamera, type SyntheticMedia } from '../../test/helpers/wrtc-media.js';
import {
  addInbound,
  emptyInbound,
  inboundCounters,
  outboundVideoCounters,
  subtractInbound,
  type InboundCounters,
  type OutboundCounters,
} from './media.js';
import { cpuSeconds, rssBytes } from './proc.js';
import { sleep, type BenchClient, type BenchPublication, type BenchSubscription, type SfuUnderTest } from './sfu.js';
import type { Topology } from './topology.js';

export interface MeasureOptions {
  warmupSeconds: number;
  windowSeconds: number;
  /**
   * Subscribing endpoints that decode video (counted by RTCVideoSink); the others receive it
   * without decoding. Mesh endpoints always decode.
   */
  decoders: number;
  /** Publishers' video sender cap, bits/s. */
  maxBitrate: number;
  /** Subscribers joining at once. */
  joinConcurrency: number;
  /** Progress lines go here. */
  log(line: string): void;
}

export interface TopologyResult {
  sfu: string;
  topology: string;
  publishers: number;
  /** Subscribed streams (one per subscriber per publisher). */
  subscriptions: number;
  videoSubscriptions: number;
  /** Seconds from the first publisher's join to the last subscription answered. */
  setupSeconds: number;
  windowSeconds: number;
  /** RTP packets the SFU sent to subscribers per second (received + lost at the subscribers). */
  forwardedPacketsPerSecond: number;
  /** Same, in megabits per second (payload + RTP headers). */
  forwardedMbps: number;
  /** SFU process CPU (utime + stime, all threads) over the window, % of one core. */
  sfuCpuPercent: number;
  /** SFU CPU time per forwarded packet. */
  cpuMicrosPerPacket: number;
  rssMiB: number;
  rssBaselineMiB: number;
  /** RSS at the end of the window − RSS at its start (a long `--window` shows growth). */
  rssGrowthMiB: number;
  /** RSS sampled every 10 s through the window (MiB), for long runs. */
  rssSamplesMiB: number[];
  /** (RSS at the end − RSS before anyone joined) / subscriptions. */
  memoryPerStreamKiB: number;
  /** Video subscriptions that decoded (the rest received without decoding). */
  decodingSubscriptions: number;
  /** Mean frames/s delivered to the decoding subscriptions' RTCVideoSinks; null for audio only. */
  decodedFps: number | null;
  /** The slowest decoding subscription's frames/s; null for audio only. */
  decodedFpsMin: number | null;
  /** Packets lost / (received + lost) at the subscribers in the window, %. */
  lossPercent: number;
  /** Loss % of the decoding subscriptions alone, and of the receive-only ones alone (null if none). */
  lossPercentDecoding: number | null;
  lossPercentReceiveOnly: number | null;
  /** NACK / PLI / FIR the subscribers sent during the window. */
  nacksSent: number;
  plisSent: number;
  firsSent: number;
  /** NACK / PLI the publishers received during the window. */
  publisherNacksReceived: number;
  publisherPlisReceived: number;
  /** Slowest publisher: seconds from publish to a 1 s video bitrate ≥ 90% of the cap; null if never. */
  timeToTargetSeconds: number | null;
  /** Per publisher, same figure. */
  timeToTargetPerPublisher: (number | null)[];
  /** Mean video send bitrate per publisher in the window. */
  publisherMbps: number | null;
  /** Publishers' mean encoded frames/s in the window and their widest frame; null for audio only. */
  publisherFps: number | null;
  publisherWidth: number | null;
  /** Publishers' qualityLimitationReason at the end of the window (libwebrtc: none, bandwidth, cpu). */
  publisherLimitation: string | null;
  /** Publishers' mean bandwidth estimate (availableOutgoingBitrate) at the end, Mbps. */
  publisherEstimateMbps: number | null;
  /** Join (or, in a mesh, subscribe) → first decoded frame over the decoding subscriptions, ms; null for audio only. */
  firstFrameP50Ms: number | null;
  firstFrameP95Ms: number | null;
  /** Subscriptions (decoding or not) that received no packet in the window. */
  subscriptionsWithoutPackets: number;
  /** Decoding subscriptions that never delivered a frame. */
  subscriptionsWithoutFrames: number;
  /** The load generator's own CPU over the window, % of one core (≈100 means it was the bottleneck). */
  loadGeneratorCpuPercent: number;
}

/** Frames a decoding subscription delivered to its sink, and when the first came. */
class FrameCounter {
  frames = 0;
  firstFrameAt: number | undefined;
  private sink: { stop(): void; onframe: ((event: unknown) => void) | null } | undefined;

  constructor(track: MediaStreamTrack, readonly startedAt: number) {
    const sink = new wrtc.nonstandard.RTCVideoSink(track as never) as unknown as { stop(): void; onframe: ((event: unknown) => void) | null };
    this.sink = sink;
    sink.onframe = () => {
      this.frames++;
      if (this.firstFrameAt === undefined) this.firstFrameAt = performance.now();
    };
  }

  stop(): void {
    if (!this.sink) return;
    this.sink.onframe = null;
    this.sink.stop();
    this.sink = undefined;
  }
}

/** Polls a publisher's video bytes to find when it first reaches its target bitrate. */
class BitrateMonitor {
  private readonly samples: { t: number; bytes: number }[] = [];
  reachedAt: number | null = null;
  private timer: NodeJS.Timeout | undefined;
  last: OutboundCounters | undefined;

  constructor(private readonly publication: BenchPublication, private readonly startedAt: number, private readonly target: number) {
    this.timer = setInterval(() => void this.sample(), 250);
  }

  private async sample(): Promise<void> {
    const counters = outboundVideoCounters(await this.publication.getStats());
    this.last = counters;
    const t = performance.now();
    this.samples.push({ t, bytes: counters.bytesSent });
    while (this.samples.length > 2 && (this.samples[1]?.t ?? t) <= t - 1000) this.samples.shift();
    const first = this.samples[0];
    if (this.reachedAt === null && first && t - first.t >= 900) {
      const bitrate = ((counters.bytesSent - first.bytes) * 8 * 1000) / (t - first.t);
      if (bitrate >= this.target) this.reachedAt = (t - this.startedAt) / 1000;
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** Runs `work` over `items` with at most `limit` at once. */
async function inBatches<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  });
  await Promise.all(lanes);
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? null;
}

const mean = (values: number[]): number | null => (values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length);

interface Snapshot {
  at: number;
  inbound: InboundCounters;
  perSubscription: InboundCounters[];
  outbound: OutboundCounters[];
}

async function snapshot(subscriptions: BenchSubscription[], publications: BenchPublication[]): Promise<Snapshot> {
  const started = performance.now();
  const perSubscription = await Promise.all(subscriptions.map(async (s) => inboundCounters(await s.getStats())));
  const outbound = await Promise.all(publications.map(async (p) => outboundVideoCounters(await p.getStats())));
  const inbound = emptyInbound();
  for (const counters of perSubscription) addInbound(inbound, counters);
  return { at: (started + performance.now()) / 2, inbound, perSubscription, outbound };
}

/** Runs one topology against a started SFU; the caller starts and stops the SFU. */
export async function measureTopology(sfu: SfuUnderTest, topology: Topology, options: MeasureOptions): Promise<TopologyResult> {
  const rssBaseline = rssBytes(sfu.pid);
  const clients: BenchClient[] = [];
  const media: SyntheticMedia[] = [];
  const monitors: BitrateMonitor[] = [];
  const subscriptions: BenchSubscription[] = [];
  /** Per subscription (same order): does it decode video? */
  const decodes: boolean[] = [];
  const counters: FrameCounter[] = [];
  const target = 0.9 * options.maxBitrate;
  const setupStarted = performance.now();
  let videoSubscriptions = 0;

  const watch = (subscription: BenchSubscription, startedAt: number, decode: boolean): void => {
    subscriptions.push(subscription);
    decodes.push(decode || topology.audioOnly);
    const track = subscription.videoTrack();
    if (!track) return;
    videoSubscriptions++;
    if (decode) counters.push(new FrameCounter(track, startedAt));
  };

  try {
    // Publishers join and publish one after another.
    const publishers: { client: BenchClient; publication: BenchPublication }[] = [];
    for (let i = 0; i < topology.publishers; i++) {
      const client = await sfu.connect(`pub-${i}`);
      clients.push(client);
      const camera = syntheticCamera();
      media.push(camera);
      const stream = topology.audioOnly ? new wrtc.MediaStream(camera.stream.getAudioTracks() as never) : camera.stream;
      const publishStarted = performance.now();
      const publication = await client.publish(stream as unknown as MediaStream);
      publishers.push({ client, publication });
      if (!topology.audioOnly) monitors.push(new BitrateMonitor(publication, publishStarted, target));
    }
    const publications = publishers.map((p) => p.publication);

    if (topology.mesh) {
      const pairs = publishers.flatMap((me) => publishers.filter((other) => other !== me).map((other) => ({ me, other })));
      await inBatches(pairs, options.joinConcurrency, async ({ me, other }) => {
        const startedAt = performance.now();
        watch(await me.client.subscribe(other.publication), startedAt, true);
      });
    }
    const subscriberIndexes = Array.from({ length: topology.subscribers }, (_, i) => i);
    await inBatches(subscriberIndexes, options.joinConcurrency, async (i) => {
      const startedAt = performance.now();
      const decode = i < options.decoders;
      const client = await sfu.connect(`sub-${i}`, { receiveOnly: !decode && !topology.audioOnly });
      clients.push(client);
      for (const publication of publications) watch(await client.subscribe(publication), startedAt, decode);
    });
    const setupSeconds = (performance.now() - setupStarted) / 1000;
    options.log(`  ${subscriptions.length} subscriptions in ${setupSeconds.toFixed(1)} s; warming up ${options.warmupSeconds} s`);

    await sleep(options.warmupSeconds * 1000);

    const before = await snapshot(subscriptions, publications);
    const framesBefore = counters.map((c) => c.frames);
    const rssWindowStart = rssBytes(sfu.pid);
    const cpu0 = cpuSeconds(sfu.pid);
    const ownCpu0 = process.cpuUsage();
    const t0 = performance.now();
    const rssSamples = [rssWindowStart];
    const windowEnd = t0 + options.windowSeconds * 1000;
    for (let now = performance.now(); now < windowEnd; now = performance.now()) {
      await sleep(Math.min(10_000, windowEnd - now));
      if (performance.now() < windowEnd - 1) rssSamples.push(rssBytes(sfu.pid));
    }
    const cpu1 = cpuSeconds(sfu.pid);
    const ownCpu = process.cpuUsage(ownCpu0);
    const t1 = performance.now();
    const framesAfter = counters.map((c) => c.frames);
    const after = await snapshot(subscriptions, publications);
    const rssEnd = rssBytes(sfu.pid);

    const window = (t1 - t0) / 1000;
    const statsWindow = (after.at - before.at) / 1000;
    const delta = subtractInbound(after.inbound, before.inbound);
    const forwarded = delta.packetsReceived + delta.packetsLost;
    const packetsPerSecond = forwarded / statsWindow;
    const cpuRate = (cpu1 - cpu0) / window;

    const lossOf = (decoding: boolean): number | null => {
      let lost = 0;
      let total = 0;
      after.perSubscription.forEach((counter, i) => {
        if (decodes[i] !== decoding) return;
        const d = subtractInbound(counter, before.perSubscription[i] ?? emptyInbound());
        lost += d.packetsLost;
        total += d.packetsLost + d.packetsReceived;
      });
      return total > 0 ? (100 * lost) / total : null;
    };
    const sinkFps = counters.map((_, i) => ((framesAfter[i] ?? 0) - (framesBefore[i] ?? 0)) / window);
    const firstFrames = counters
      .filter((c) => c.firstFrameAt !== undefined)
      .map((c) => (c.firstFrameAt as number) - c.startedAt)
      .sort((a, b) => a - b);
    const publisherBitrates = after.outbound.map((o, i) => ((o.bytesSent - (before.outbound[i]?.bytesSent ?? 0)) * 8) / statsWindow / 1e6);
    const sumOut = (pick: (o: OutboundCounters) => number): number =>
      after.outbound.reduce((sum, o, i) => sum + pick(o) - pick(before.outbound[i] ?? o), 0);
    const perPublisher = monitors.map((m) => m.reachedAt);
    const estimates = monitors.map((m) => m.last?.availableOutgoingBitrate ?? 0).filter((b) => b > 0);
    const round = (value: number, digits = 1): number => Math.round(value * 10 ** digits) / 10 ** digits;
    const roundOrNull = (value: number | null, digits = 1): number | null => (value === null ? null : round(value, digits));

    return {
      sfu: sfu.name,
      topology: topology.label,
      publishers: topology.publishers,
      subscriptions: subscriptions.length,
      videoSubscriptions,
      setupSeconds: round(setupSeconds),
      windowSeconds: round(window),
      forwardedPacketsPerSecond: Math.round(packetsPerSecond),
      forwardedMbps: round((delta.bytesReceived * 8) / statsWindow / 1e6, 2),
      sfuCpuPercent: round(cpuRate * 100),
      cpuMicrosPerPacket: round(packetsPerSecond > 0 ? (cpuRate * 1e6) / packetsPerSecond : Number.NaN),
      rssMiB: round(rssEnd / 1048576),
      rssBaselineMiB: round(rssBaseline / 1048576),
      rssGrowthMiB: round((rssEnd - rssWindowStart) / 1048576),
      rssSamplesMiB: [...rssSamples, rssEnd].map((bytes) => round(bytes / 1048576)),
      memoryPerStreamKiB: round((rssEnd - rssBaseline) / 1024 / Math.max(1, subscriptions.length)),
      decodingSubscriptions: counters.length,
      decodedFps: roundOrNull(mean(sinkFps)),
      decodedFpsMin: roundOrNull(sinkFps.length === 0 ? null : Math.min(...sinkFps)),
      lossPercent: round(forwarded > 0 ? (100 * delta.packetsLost) / forwarded : 0, 2),
      lossPercentDecoding: roundOrNull(lossOf(true), 2),
      lossPercentReceiveOnly: roundOrNull(lossOf(false), 2),
      nacksSent: delta.nackCount,
      plisSent: delta.pliCount,
      firsSent: delta.firCount,
      publisherNacksReceived: sumOut((o) => o.nackCount),
      publisherPlisReceived: sumOut((o) => o.pliCount),
      timeToTargetSeconds: perPublisher.length === 0 || perPublisher.some((t) => t === null) ? null : round(Math.max(...(perPublisher as number[]))),
      timeToTargetPerPublisher: perPublisher.map((t) => roundOrNull(t)),
      publisherMbps: roundOrNull(topology.audioOnly ? null : mean(publisherBitrates), 2),
      publisherFps: topology.audioOnly ? null : round(sumOut((o) => o.framesEncoded) / statsWindow / after.outbound.length),
      publisherWidth: topology.audioOnly ? null : Math.max(...after.outbound.map((o) => o.frameWidth)),
      publisherLimitation: topology.audioOnly ? null : [...new Set(after.outbound.map((o) => o.qualityLimitationReason || 'none'))].join(','),
      publisherEstimateMbps: roundOrNull(estimates.length > 0 ? (mean(estimates) as number) / 1e6 : null, 2),
      firstFrameP50Ms: roundOrNull(percentile(firstFrames, 50), 0),
      firstFrameP95Ms: roundOrNull(percentile(firstFrames, 95), 0),
      subscriptionsWithoutPackets: after.perSubscription.filter(
        (counter, i) => counter.packetsReceived - (before.perSubscription[i]?.packetsReceived ?? 0) === 0,
      ).length,
      subscriptionsWithoutFrames: counters.filter((c) => c.firstFrameAt === undefined).length,
      loadGeneratorCpuPercent: round(((ownCpu.user + ownCpu.system) / 1e6 / window) * 100),
    };
  } finally {
    for (const monitor of monitors) monitor.stop();
    for (const counter of counters) counter.stop();
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    for (const m of media) m.stop();
  }
}
