/**
 * @module The benchmark's printed table: per topology, Atrium beside Janus and their ratio.
 */
import type { TopologyResult } from './measure.js';

type Row = [label: string, pick: (r: TopologyResult) => number | null | string, lowerIsBetter?: boolean];

const ROWS: Row[] = [
  ['subscriptions', (r) => r.subscriptions],
  ['forwarded packets/s', (r) => r.forwardedPacketsPerSecond],
  ['forwarded Mbps', (r) => r.forwardedMbps],
  ['SFU CPU % of a core', (r) => r.sfuCpuPercent],
  ['CPU µs / forwarded packet', (r) => r.cpuMicrosPerPacket],
  ['RSS MiB', (r) => r.rssMiB],
  ['RSS growth in window MiB', (r) => r.rssGrowthMiB],
  ['memory / stream KiB', (r) => r.memoryPerStreamKiB],
  ['decoding subscriptions', (r) => r.decodingSubscriptions],
  ['decoded fps (mean)', (r) => r.decodedFps],
  ['decoded fps (slowest)', (r) => r.decodedFpsMin],
  ['loss %', (r) => r.lossPercent],
  ['  decoding / receive-only', (r) => `${show(r.lossPercentDecoding)} / ${show(r.lossPercentReceiveOnly)}`],
  ['NACKs sent (window)', (r) => r.nacksSent],
  ['PLIs sent (window)', (r) => r.plisSent],
  ['publisher Mbps', (r) => r.publisherMbps],
  ['publisher encoded fps', (r) => r.publisherFps],
  ['publisher frame width', (r) => r.publisherWidth],
  ['publisher limited by', (r) => r.publisherLimitation],
  ['publisher estimate Mbps', (r) => r.publisherEstimateMbps],
  ['time to target bitrate s', (r) => (r.timeToTargetPerPublisher.length === 0 ? null : r.timeToTargetSeconds ?? 'never')],
  ['join → first frame p50 ms', (r) => r.firstFrameP50Ms],
  ['join → first frame p95 ms', (r) => r.firstFrameP95Ms],
  ['subscriptions without packets', (r) => r.subscriptionsWithoutPackets],
  ['subscriptions without frames', (r) => r.subscriptionsWithoutFrames],
  ['setup s', (r) => r.setupSeconds],
  ['load generator CPU %', (r) => r.loadGeneratorCpuPercent],
];

const show = (value: number | null | string | undefined): string =>
  value === null || value === undefined ? '–' : typeof value === 'number' && Number.isNaN(value) ? 'NaN' : String(value);

/** One block per topology: a row per figure, a column per SFU, and Atrium/Janus when both ran. */
export function formatTable(results: (TopologyResult | { sfu: string; topology: string; error: string })[]): string {
  const topologies = [...new Set(results.map((r) => r.topology))];
  const lines: string[] = [];
  for (const topology of topologies) {
    const atrium = results.find((r) => r.topology === topology && r.sfu === 'atrium');
    const janus = results.find((r) => r.topology === topology && r.sfu === 'janus');
    lines.push('', `${topology}`.padEnd(32) + 'atrium'.padStart(12) + 'janus'.padStart(12) + 'atrium/janus'.padStart(14));
    for (const sfu of [atrium, janus]) if (sfu && 'error' in sfu) lines.push(`  ${sfu.sfu} failed: ${sfu.error}`);
    const a = atrium && !('error' in atrium) ? atrium : undefined;
    const j = janus && !('error' in janus) ? janus : undefined;
    for (const [label, pick] of ROWS) {
      const av = a ? pick(a) : null;
      const jv = j ? pick(j) : null;
      const ratio = typeof av === 'number' && typeof jv === 'number' && jv !== 0 ? (av / jv).toFixed(2) : '';
      lines.push(`  ${label}`.padEnd(32) + show(a ? av : undefined).padStart(12) + show(j ? jv : undefined).padStart(12) + ratio.padStart(14));
    }
  }
  return lines.join('\n');
}

type Column = [header: string, pick: (r: TopologyResult) => string, ratio?: (r: TopologyResult) => number | null];

const pair = (a: number | null, b: number | null): string => `${show(a)} / ${show(b)}`;
const COLUMNS: Column[] = [
  ['subs', (r) => show(r.subscriptions)],
  ['packets/s', (r) => show(r.forwardedPacketsPerSecond), (r) => r.forwardedPacketsPerSecond],
  ['Mbps', (r) => show(r.forwardedMbps), (r) => r.forwardedMbps],
  ['SFU CPU %', (r) => show(r.sfuCpuPercent), (r) => r.sfuCpuPercent],
  ['**µs / packet**', (r) => `**${show(r.cpuMicrosPerPacket)}**`, (r) => r.cpuMicrosPerPacket],
  ['RSS MiB', (r) => show(r.rssMiB), (r) => r.rssMiB],
  ['KiB / stream', (r) => show(r.memoryPerStreamKiB), (r) => r.memoryPerStreamKiB],
  ['fps mean / min', (r) => pair(r.decodedFps, r.decodedFpsMin), (r) => r.decodedFps],
  ['loss %', (r) => show(r.lossPercent)],
  ['NACK / PLI', (r) => pair(r.nacksSent, r.plisSent)],
  ['pub Mbps (est.)', (r) => `${show(r.publisherMbps)} (${show(r.publisherEstimateMbps)})`, (r) => r.publisherMbps],
  ['to target s', (r) => (r.timeToTargetPerPublisher.length === 0 ? '–' : show(r.timeToTargetSeconds ?? 'never'))],
  ['first frame p50 / p95 ms', (r) => pair(r.firstFrameP50Ms, r.firstFrameP95Ms), (r) => r.firstFrameP50Ms],
  ['loadgen CPU %', (r) => show(r.loadGeneratorCpuPercent)],
];

/** The results as one Markdown table (for docs/benchmarks.md): a row per SFU and a ratio row per topology. */
export function formatMarkdown(results: (TopologyResult | { sfu: string; topology: string; error: string })[]): string {
  const header = ['topology', 'SFU', ...COLUMNS.map(([h]) => h)];
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`];
  for (const topology of [...new Set(results.map((r) => r.topology))]) {
    const rows = results.filter((r) => r.topology === topology);
    for (const r of rows) {
      if ('error' in r) lines.push(`| ${topology} | ${r.sfu} | failed: ${r.error} |`);
      else lines.push(`| ${topology} | ${r.sfu} | ${COLUMNS.map(([, pick]) => pick(r)).join(' | ')} |`);
    }
    const a = rows.find((r): r is TopologyResult => r.sfu === 'atrium' && !('error' in r));
    const j = rows.find((r): r is TopologyResult => r.sfu === 'janus' && !('error' in r));
    if (a && j) {
      const ratios = COLUMNS.map(([, , ratio]) => {
        const av = ratio?.(a);
        const jv = ratio?.(j);
        return typeof av === 'number' && typeof jv === 'number' && jv !== 0 ? (av / jv).toFixed(2) : '';
      });
      lines.push(`| ${topology} | atrium/janus | ${ratios.join(' | ')} |`);
    }
  }
  return lines.join('\n');
}
