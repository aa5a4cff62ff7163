/**
 * @module A small SFU load and profiling program (not a test; `npm run bench` in scripts/bench is
 * the full benchmark). Starts the real server as a child process, publishes one synthetic
 * @roamhq/wrtc camera (+ microphone) and subscribes N receive-only @roamhq/wrtc endpoints to it,
 * then prints the publisher's bitrate ramp, server CPU µs per forwarded packet (from
 * /proc/<pid>/stat over a fixed window after a warm-up), RSS and NACK/PLI counters.
 *
 * Run as root inside the isolated network namespace:
 *   /work/shared/net/isolated.sh node --import tsx scripts/perf/sfu-load.ts [options]
 * Options (all optional):
 *   --subscribers=40  --warmup=10  --window=20 (seconds)  --target=1000000 (bits/s, the
 *   publisher's cap, given to the server as ATRIUM_VIDEO_BITRATE_MAX)  --noise=0.1 (share of the
 *   picture that is random)  --size=640x360 (smaller frames make the 40 decoders cheaper)
 *   --cpu-prof (server writes a .cpuprofile into $TMPDIR/atrium-perf-profiles)  --pin (server on cpu 0,
 *   this process on cpu 1)  --minutes=N (memory run: print RSS every 30 s for N minutes)
 *   --loss=0.05 (drop this share of UDP with iptables while measuring; needs isolated.sh)
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { join } from '../../packages/sdk/src/index.js';
import { syntheticCamera, wrtcImpl } from '../../test/helpers/wrtc-media.js';
import { freePort } from '../../test/helpers/child-server.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function option(name: string, fallback: string): string {
  const hit = process.argv.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (!hit) return fallback;
  return hit.includes('=') ? hit.slice(hit.indexOf('=') + 1) : 'true';
}

const subscriberCount = Number(option('subscribers', '40'));
const warmupS = Number(option('warmup', '10'));
const windowS = Number(option('window', '20'));
const target = Number(option('target', '1000000'));
const noise = Number(option('noise', '0.1'));
const [width, height] = option('size', '640x360').split('x').map(Number) as [number, number];
const cpuProf = option('cpu-prof', 'false') === 'true';
const pin = option('pin', 'false') === 'true';
const minutes = Number(option('minutes', '0'));
const loss = Number(option('loss', '0'));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** utime + stime of a process, in seconds, and its RSS in bytes. */
function procUsage(pid: number): { cpu: number; system: number; rss: number } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rssPages = Number(fields[21]);
  return { cpu: ticks / 100, system: Number(fields[12]) / 100, rss: rssPages * 4096 };
}

/** The namespace's UDP counters (receive-buffer overflows show a starved receiver). */
function udpCounters(): { rcvbufErrors: number; sndbufErrors: number } {
  const lines = fs.readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
  const names = lines[0]!.split(/\s+/);
  const values = lines[1]!.split(/\s+/).map(Number);
  return { rcvbufErrors: values[names.indexOf('RcvbufErrors')]!, sndbufErrors: values[names.indexOf('SndbufErrors')]! };
}

interface Counters {
  packets: number;
  videoBytes: number;
  framesDecoded: number;
  nackSent: number;
  pliSent: number;
  lost: number;
}

async function subscriberCounters(reports: RTCStatsReport[]): Promise<Counters> {
  const c: Counters = { packets: 0, videoBytes: 0, framesDecoded: 0, nackSent: 0, pliSent: 0, lost: 0 };
  for (const report of reports) {
    report.forEach((s: Record<string, unknown>) => {
      if (s.type !== 'inbound-rtp') return;
      c.packets += Number(s.packetsReceived ?? 0);
      c.lost += Number(s.packetsLost ?? 0);
      if (s.kind === 'video') {
        c.videoBytes += Number(s.bytesReceived ?? 0);
        c.framesDecoded += Number(s.framesDecoded ?? 0);
        c.nackSent += Number(s.nackCount ?? 0);
        c.pliSent += Number(s.pliCount ?? 0);
      }
    });
  }
  return c;
}

function publisherVideo(report: RTCStatsReport): { bytesSent: number; packetsSent: number; nackReceived: number; pliReceived: number; retransmitted: number } {
  const out = { bytesSent: 0, packetsSent: 0, nackReceived: 0, pliReceived: 0, retransmitted: 0 };
  report.forEach((s: Record<string, unknown>) => {
    // Every packet the publisher sends (audio and video) is forwarded once to each subscriber.
    if (s.type === 'outbound-rtp') out.packetsSent += Number(s.packetsSent ?? 0) - Number(s.retransmittedPacketsSent ?? 0);
    if (s.type === 'outbound-rtp' && s.kind === 'video') {
      out.bytesSent += Number(s.bytesSent ?? 0);
      out.nackReceived += Number(s.nackCount ?? 0);
      out.pliReceived += Number(s.pliCount ?? 0);
      out.retransmitted += Number(s.retransmittedPacketsSent ?? 0);
    }
  });
  return out;
}

async function main(): Promise<void> {
  if (pin) execFileSync('taskset', ['-p', '-c', '1', String(process.pid)]);
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrium-perf-'));
  const apiKey = 'perf-api-key';
  const apiSecret = 'perfsecret-perfsecret-perfsecret-0123';
  const profDir = path.join(os.tmpdir(), 'atrium-perf-profiles');
  const nodeArgs = ['--import', 'tsx'];
  if (cpuProf) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${profDir}`);
  const command = pin ? 'taskset' : process.execPath;
  const args = pin ? ['-c', '0', process.execPath, ...nodeArgs] : nodeArgs;
  args.push(path.join(repoRoot, 'packages/server/src/main.ts'));
  const child = spawn(command, args, {
    cwd: repoRoot,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: dataDir,
      ATRIUM_DEMO: '0',
      LOG_LEVEL: 'warn',
      ATRIUM_API_KEY: apiKey,
      ATRIUM_API_SECRET: apiSecret,
      ATRIUM_ICE_ALLOWED_NETWORKS: process.env.ATRIUM_PERF_ICE_NETWORKS ?? '127.0.0.0/8',
      ATRIUM_VIDEO_BITRATE_MAX: String(target),
      ATRIUM_VIDEO_BITRATE_INITIAL: String(target),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error('server exited early');
    try {
      await fetch(`${url}/api/v1/rooms`);
      break;
    } catch {
      if (i > 300) throw new Error('server did not start');
      await sleep(100);
    }
  }
  const auth = `Basic ${Buffer.from(`${apiKey}:${apiSecret}`).toString('base64')}`;
  const post = async (pathname: string, body: unknown): Promise<Record<string, string>> => {
    const res = await fetch(`${url}${pathname}`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${pathname}: ${res.status} ${await res.text()}`);
    return (await res.json()) as Record<string, string>;
  };
  const room = await post('/api/v1/rooms', { title: 'perf', maxEndpoints: subscriberCount + 10 });
  const token = async (id: string): Promise<string> =>
    (await post(`/api/v1/endpoints/${id}/access-tokens`, { roomId: room.id })).token!;
  // Serverside werift reads the server's pid; tsx may run it in the same process.
  const serverPid = child.pid!;

  const publisher = await join(room.id!, await token('publisher'), { url, wrtc: wrtcImpl });
  const subscribers = [];
  for (let i = 0; i < subscriberCount; i++) {
    subscribers.push(await join(room.id!, await token(`sub-${i}`), { url, wrtc: wrtcImpl }));
  }
  const media = syntheticCamera({ noise, width, height });
  const publishedAt = Date.now();
  const local = await publisher.room.publish('camera', media.stream);
  // Subscribe everyone at once, as a room filling up does.
  const subscriptionsPromise = Promise.all(subscribers.map((s) => s.endpoint.subscribe('publisher', 'camera')));

  // Publisher ramp: bits/s over the last second, sampled every 250 ms.
  const samples: { t: number; bytes: number }[] = [];
  let reachedAt: number | undefined;
  let subscribedAt: number | undefined;
  void subscriptionsPromise.then(() => (subscribedAt = Date.now()));
  const rampUntil = Date.now() + warmupS * 1000;
  while (Date.now() < rampUntil) {
    const { bytesSent } = publisherVideo(await local.getStats());
    const now = Date.now();
    samples.push({ t: now, bytes: bytesSent });
    const old = samples.find((s) => s.t >= now - 1000);
    if (old && now - old.t >= 750 && reachedAt === undefined) {
      const bps = ((bytesSent - old.bytes) * 8 * 1000) / (now - old.t);
      if (bps >= 0.9 * target) reachedAt = now;
    }
    if (process.env.PERF_DEBUG) {
      (await local.getStats()).forEach((s: Record<string, unknown>) => {
        if ((s.type === 'outbound-rtp' && s.kind === 'video') || (s.type === 'candidate-pair' && s.state === 'succeeded')) {
          const { frameWidth, framesPerSecond, qualityLimitationReason, availableOutgoingBitrate, targetBitrate } = s;
          console.log(JSON.stringify({ t: now - publishedAt, frameWidth, framesPerSecond, qualityLimitationReason, availableOutgoingBitrate, targetBitrate }));
        }
      });
    }
    await sleep(250);
  }
  const subscriptions = await subscriptionsPromise;
  const rateAt = (sec: number): number => {
    const end = samples.find((s) => s.t >= publishedAt + sec * 1000);
    const start = samples.find((s) => s.t >= publishedAt + (sec - 1) * 1000);
    if (!end || !start || end.t === start.t) return 0;
    return ((end.bytes - start.bytes) * 8 * 1000) / (end.t - start.t);
  };
  const ramp = [1, 2, 3, 4, 5, 6, 8, 10].filter((s) => s <= warmupS).map((s) => `${s}s:${(rateAt(s) / 1e6).toFixed(2)}`);
  console.log(`publisher video Mbps after publish: ${ramp.join(' ')}`);
  console.log(
    `time to 90% of ${(target / 1e6).toFixed(2)} Mbps: ${reachedAt ? ((reachedAt - publishedAt) / 1000).toFixed(2) + ' s' : 'not reached'}` +
      `; all ${subscriberCount} subscribed after ${subscribedAt ? ((subscribedAt - publishedAt) / 1000).toFixed(2) : '?'} s`,
  );

  if (loss > 0) {
    execFileSync('iptables', ['-A', 'INPUT', '-p', 'udp', '-m', 'statistic', '--mode', 'random', '--probability', String(loss), '-j', 'DROP']);
  }
  // A subscription the server dropped (e.g. ICE consent lost on a starved load generator) is skipped.
  const getReports = async (): Promise<RTCStatsReport[]> =>
    (await Promise.all(subscriptions.map((s) => s.getStats().catch(() => undefined)))).filter((r): r is RTCStatsReport => r !== undefined);
  const before = await subscriberCounters(await getReports());
  const pubBefore = publisherVideo(await local.getStats());
  const usageBefore = procUsage(serverPid);
  const udpBefore = udpCounters();
  const t0 = process.hrtime.bigint();
  await sleep(windowS * 1000);
  const usageAfter = procUsage(serverPid);
  const udpAfter = udpCounters();
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  const after = await subscriberCounters(await getReports());
  const pubAfter = publisherVideo(await local.getStats());
  if (loss > 0) {
    execFileSync('iptables', ['-D', 'INPUT', '-p', 'udp', '-m', 'statistic', '--mode', 'random', '--probability', String(loss), '-j', 'DROP']);
  }
  const received = after.packets - before.packets;
  const packets = (pubAfter.packetsSent - pubBefore.packetsSent) * subscriberCount;
  const cpuS = usageAfter.cpu - usageBefore.cpu;
  const mbps = ((after.videoBytes - before.videoBytes) * 8) / elapsed / 1e6;
  const pubMbps = ((pubAfter.bytesSent - pubBefore.bytesSent) * 8) / elapsed / 1e6;
  console.log(`window ${elapsed.toFixed(1)} s, cores ${os.cpus().length}${pin ? ' (server pinned to cpu 0)' : ''}`);
  console.log(
    `publisher video ${pubMbps.toFixed(2)} Mbps; forwarded ${(packets / elapsed).toFixed(0)} packets/s ` +
      `(publisher's packets × ${subscriberCount}; subscribers received ${(received / elapsed).toFixed(0)}/s, video ${mbps.toFixed(1)} Mbps)`,
  );
  const systemS = usageAfter.system - usageBefore.system;
  console.log(
    `server CPU ${((cpuS / elapsed) * 100).toFixed(1)}% of a core (${((100 * systemS) / cpuS).toFixed(0)}% of it in the kernel); ` +
      `${((cpuS * 1e6) / packets).toFixed(1)} µs per forwarded packet`,
  );
  console.log(`server RSS ${(usageAfter.rss / 1e6).toFixed(1)} MB (${(usageAfter.rss / 1e6 / (2 * subscriberCount)).toFixed(2)} MB per forwarded track incl. base)`);
  console.log(
    `subscribers: decoded ${(((after.framesDecoded - before.framesDecoded) / elapsed) / subscriberCount).toFixed(1)} fps each, ` +
      `lost ${after.lost - before.lost}, NACKs sent ${after.nackSent - before.nackSent}, PLIs sent ${after.pliSent - before.pliSent}; ` +
      `publisher got NACKs ${pubAfter.nackReceived - pubBefore.nackReceived}, retransmitted ${pubAfter.retransmitted - pubBefore.retransmitted}, PLIs ${pubAfter.pliReceived - pubBefore.pliReceived}`,
  );

  console.log(
    `UDP receive-buffer overflows ${udpAfter.rcvbufErrors - udpBefore.rcvbufErrors}, send-buffer errors ${udpAfter.sndbufErrors - udpBefore.sndbufErrors}`,
  );
  for (let m = 0; m < minutes * 2; m++) {
    await sleep(30_000);
    const u = procUsage(serverPid);
    const c = await subscriberCounters(await getReports());
    console.log(`t+${(m + 1) * 30}s RSS ${(u.rss / 1e6).toFixed(1)} MB, ${(await getReports()).length} subscriptions open, decoded frames total ${c.framesDecoded}`);
  }

  media.stop();
  await publisher.room.leave().catch(() => undefined);
  await Promise.all(subscribers.map((s) => s.room.leave().catch(() => undefined)));
  // The server ends its room sessions on shutdown; a second signal makes it hurry.
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGINT');
  const hurry = setTimeout(() => child.kill('SIGINT'), 5000);
  await exited;
  clearTimeout(hurry);
  fs.rmSync(dataDir, { recursive: true, force: true });
  if (cpuProf) console.log(`cpu profile in ${profDir}`);
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
