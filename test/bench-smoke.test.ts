/**
 * Keeps `npm run bench` from rotting: the Atrium side of a 1→2 topology, through the benchmark's
 * own code (server process, SDK clients, measurement, table), for a few seconds. No figure is
 * judged here — only that frames were decoded and every figure is a finite number.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startAtrium } from '../scripts/bench/atrium.js';
import { parseArgs } from '../scripts/bench/main.js';
import { measureTopology, type TopologyResult } from '../scripts/bench/measure.js';
import { formatTable } from '../scripts/bench/report.js';
import { DEFAULT_TOPOLOGIES, parseTopology } from '../scripts/bench/topology.js';

test('bench topologies and flags parse', () => {
  assert.deepEqual(DEFAULT_TOPOLOGIES.map((spec) => parseTopology(spec).label), ['1→10', '1→20', '1→40', '4×4', '1+100 audio']);
  assert.deepEqual(parseTopology('4x4'), { label: '4×4', spec: '4x4', publishers: 4, subscribers: 0, mesh: true, audioOnly: false });
  assert.throws(() => parseTopology('3x5'), /unknown topology/);
  const quick = parseArgs(['--quick', '--topologies=1-2', '--sfu=atrium']);
  assert.equal(quick.windowSeconds, 5);
  assert.deepEqual(quick.sfus, ['atrium']);
  assert.throws(() => parseArgs(['--sfu=mediasoup']), /unknown SFU/);
  assert.throws(() => parseArgs(['--windw=3']), /unknown flag/);
});

test('bench: Atrium 1→2 decodes frames and yields finite figures', async () => {
  const sfu = await startAtrium({ cpu: undefined, maxBitrate: 1_000_000 });
  let result: TopologyResult;
  try {
    result = await measureTopology(sfu, parseTopology('1-2'), {
      warmupSeconds: 2,
      windowSeconds: 3,
      // One decoding subscriber and one that receives without decoding.
      decoders: 1,
      maxBitrate: 1_000_000,
      joinConcurrency: 2,
      log: () => undefined,
    });
  } finally {
    await sfu.stop();
  }
  assert.equal(result.subscriptions, 2);
  assert.equal(result.decodingSubscriptions, 1);
  assert.equal(result.subscriptionsWithoutFrames, 0);
  assert.equal(result.subscriptionsWithoutPackets, 0, 'the receive-only subscriber got media too');
  assert.ok((result.decodedFps ?? 0) > 0, `decoded fps ${result.decodedFps}`);
  assert.ok(result.forwardedPacketsPerSecond > 0);
  for (const key of [
    'forwardedPacketsPerSecond',
    'forwardedMbps',
    'sfuCpuPercent',
    'cpuMicrosPerPacket',
    'rssMiB',
    'memoryPerStreamKiB',
    'decodedFps',
    'decodedFpsMin',
    'lossPercent',
    'nacksSent',
    'plisSent',
    'publisherMbps',
    'firstFrameP50Ms',
    'firstFrameP95Ms',
    'loadGeneratorCpuPercent',
  ] as const) {
    assert.ok(Number.isFinite(result[key]), `${key} = ${String(result[key])}`);
  }
  const table = formatTable([result]);
  assert.match(table, /1→2/);
  assert.match(table, new RegExp(`CPU µs / forwarded packet\\s+${result.cpuMicrosPerPacket}`));
});
