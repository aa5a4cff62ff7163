/**
 * @module Benchmark: CPU cost of recording. One Node endpoint (@roamhq/wrtc, 640x360@30 + Opus)
 * publishes through a real server; a recording runs for WINDOW seconds; prints each ffmpeg's CPU
 * (from /proc/<pid>/stat) and the server process's CPU with and without the recording.
 *
 *   /work/shared/net/isolated.sh node --import tsx scripts/bench-recording.ts [seconds]
 */
import fs from 'node:fs';
import os from 'node:os';
import { join } from '../packages/sdk/src/index.js';
import { startTestServer } from '../test/helpers/server.js';
import { syntheticCamera, wrtcImpl } from '../test/helpers/wrtc-media.js';

const WINDOW_S = Number(process.argv[2] ?? 20);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function cpuSeconds(pid: number | 'self'): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const t = await startTestServer();
const room = await t.createRoom();
const { room: joined } = await join(room.id, await t.token('alice', room.id), { url: t.url, wrtc: wrtcImpl });
const media = syntheticCamera();
await joined.publish('camera', media.stream);
await sleep(3000);

// The whole test process (server + publisher) without a recording, as the baseline.
let before = cpuSeconds('self');
await sleep(WINDOW_S * 1000);
const baseline = ((cpuSeconds('self') - before) / WINDOW_S) * 100;

const res = await t.api('POST', `/api/v1/sessions/${joined.sessionId}/recordings`);
const recording = (await res.json()) as { id: string };
await sleep(2000);
const pids = t.server.recordings.ffmpegPids(recording.id);
const start = pids.map((pid) => cpuSeconds(pid));
before = cpuSeconds('self');
await sleep(WINDOW_S * 1000);
const withRecording = ((cpuSeconds('self') - before) / WINDOW_S) * 100;
const perFfmpeg = pids.map((pid, i) => ((cpuSeconds(pid) - start[i]!) / WINDOW_S) * 100);
const stopped = (await (await t.api('POST', `/api/v1/recordings/${recording.id}/actions/stop`)).json()) as { files: Array<{ kind: string; sizeBytes: number; durationMs: number }> };

console.log(`cores: ${os.cpus().length}, window: ${WINDOW_S} s, one publisher 640x360@30 VP8 + Opus`);
console.log(`ffmpeg -c copy per track: ${perFfmpeg.map((p) => `${p.toFixed(2)}%`).join(', ')} of one core`);
console.log(`server+publisher process: ${baseline.toFixed(1)}% without recording, ${withRecording.toFixed(1)}% with (tap cost ≈ ${(withRecording - baseline).toFixed(1)}%)`);
for (const f of stopped.files) console.log(`  ${f.kind}: ${(f.sizeBytes / 1024).toFixed(0)} KiB, ${(f.durationMs / 1000).toFixed(1)} s`);
media.stop();
await joined.leave();
await t.close();
process.exit(0);
