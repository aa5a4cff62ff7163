/**
 * @module `npm run bench` (entered through run.mjs, inside isolated.sh and pinned to the load
 * generator's core): runs each topology against Atrium and Janus, prints the side-by-side table
 * and writes bench-results/latest.json.
 *
 * Flags: --topologies=1-10,1-20,1-40,4x4,large  --sfu=atrium,janus  --warmup=S  --window=S
 *        --quick (warm-up 3 s, window 5 s)  --decoders=N  --bitrate=BPS  --join-concurrency=N
 *        --sfu-cpu=LIST (taskset list for the SFUs; "none" to not pin)  --out=FILE
 *        --server-args="--cpu-prof --cpu-prof-dir=bench-results/prof" (Node flags for the Atrium server)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startAtrium } from './atrium.js';
import { startJanus } from './janus.js';
import { measureTopology, type MeasureOptions, type TopologyResult } from './measure.js';
import { machineInfo } from './proc.js';
import { formatMarkdown, formatTable } from './report.js';
import type { SfuName, SfuStartOptions, SfuUnderTest } from './sfu.js';
import { DEFAULT_TOPOLOGIES, parseTopology, type Topology } from './topology.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface BenchOptions extends Omit<MeasureOptions, 'log'> {
  topologies: Topology[];
  sfus: SfuName[];
  sfuCpu: string | undefined;
  serverNodeArgs: string[];
  out: string;
}

export function parseArgs(argv: string[]): BenchOptions {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match) throw new Error(`unexpected argument "${arg}" (flags look like --window=20)`);
    flags.set(match[1] as string, match[2] ?? 'true');
  }
  const known = ['topologies', 'sfu', 'warmup', 'window', 'quick', 'decoders', 'bitrate', 'join-concurrency', 'sfu-cpu', 'out', 'server-args'];
  for (const name of flags.keys()) if (!known.includes(name)) throw new Error(`unknown flag --${name}; known: --${known.join(', --')}`);
  const quick = flags.get('quick') === 'true';
  const number = (name: string, fallback: number): number => {
    const value = Number(flags.get(name) ?? fallback);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
    return value;
  };
  const sfus = (flags.get('sfu') ?? 'atrium,janus').split(',').map((s) => s.trim());
  for (const sfu of sfus) if (sfu !== 'atrium' && sfu !== 'janus') throw new Error(`--sfu: unknown SFU "${sfu}"`);
  const sfuCpu = flags.get('sfu-cpu') ?? process.env.ATRIUM_BENCH_SFU_CPU;
  return {
    topologies: (flags.get('topologies') ?? DEFAULT_TOPOLOGIES.join(',')).split(',').map(parseTopology),
    sfus: sfus as SfuName[],
    warmupSeconds: number('warmup', quick ? 3 : 10),
    windowSeconds: number('window', quick ? 5 : 20),
    decoders: number('decoders', 10),
    maxBitrate: number('bitrate', 1_000_000),
    joinConcurrency: number('join-concurrency', 4),
    sfuCpu: sfuCpu === undefined || sfuCpu === 'none' || sfuCpu === '' ? undefined : sfuCpu,
    serverNodeArgs: (flags.get('server-args') ?? '').split(' ').filter((arg) => arg.length > 0),
    out: path.resolve(repoRoot, flags.get('out') ?? 'bench-results/latest.json'),
  };
}

const starters: Record<SfuName, (options: SfuStartOptions) => Promise<SfuUnderTest>> = { atrium: startAtrium, janus: startJanus };

/** Runs every topology against every SFU (a fresh SFU process each time). */
export async function runBench(options: BenchOptions, log: (line: string) => void): Promise<(TopologyResult | { sfu: string; topology: string; error: string })[]> {
  const results: (TopologyResult | { sfu: string; topology: string; error: string })[] = [];
  for (const topology of options.topologies) {
    for (const name of options.sfus) {
      log(`${topology.label} on ${name}`);
      let sfu: SfuUnderTest | undefined;
      try {
        sfu = await starters[name]({ cpu: options.sfuCpu, maxBitrate: options.maxBitrate, serverNodeArgs: options.serverNodeArgs });
        const result = await measureTopology(sfu, topology, { ...options, log });
        log(
          `  ${result.forwardedPacketsPerSecond} packets/s, CPU ${result.sfuCpuPercent}%, ${result.cpuMicrosPerPacket} µs/packet, ` +
            `fps ${result.decodedFps ?? '–'}, loss ${result.lossPercent}%`,
        );
        results.push(result);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        log(`  failed: ${message}`);
        results.push({ sfu: name, topology: topology.label, error: message.split('\n')[0] ?? message });
      } finally {
        await sfu?.stop();
      }
    }
  }
  return results;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const machine = machineInfo();
  const startedAt = new Date().toISOString();
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  log(
    `bench: ${machine.nproc} cores (${machine.cpuModel}), ${machine.ramGiB} GiB; SFUs pinned to ${options.sfuCpu ?? 'nothing'}, ` +
      `load generator on ${process.env.ATRIUM_BENCH_LOADGEN_CPU ?? 'any core'}; warm-up ${options.warmupSeconds} s, window ${options.windowSeconds} s`,
  );
  const results = await runBench(options, log);
  const table = formatTable(results);
  process.stdout.write(
    `\nAtrium vs Janus — ${startedAt}, ${machine.nproc} cores ${machine.cpuModel}, ${machine.ramGiB} GiB RAM, ` +
      `Node ${machine.node}; video capped at ${options.maxBitrate / 1e6} Mbps; window ${options.windowSeconds} s after ${options.warmupSeconds} s warm-up\n${table}\n`,
  );
  mkdirSync(path.dirname(options.out), { recursive: true });
  const { topologies, ...settings } = options;
  writeFileSync(
    options.out,
    `${JSON.stringify({ startedAt, machine, settings: { ...settings, topologies: topologies.map((t) => t.spec), loadGeneratorCpu: process.env.ATRIUM_BENCH_LOADGEN_CPU ?? null }, results }, null, 2)}\n`,
  );
  const markdown = options.out.replace(/\.json$/, '') + '.md';
  writeFileSync(
    markdown,
    `${startedAt}, ${machine.nproc} cores ${machine.cpuModel}, ${machine.ramGiB} GiB RAM, Node ${machine.node}, ` +
      `warm-up ${options.warmupSeconds} s, window ${options.windowSeconds} s, cap ${options.maxBitrate / 1e6} Mbps, ` +
      `${options.decoders} decoding subscribers\n\n${formatMarkdown(results)}\n`,
  );
  process.stdout.write(`\nwrote ${path.relative(process.cwd(), options.out)} and ${path.relative(process.cwd(), markdown)}\n`);
  // libwebrtc's native handles keep the loop alive; the exit hook in wrtc-media.ts skips their finalizers.
  process.exit(results.some((r) => 'error' in r) ? 1 : 0);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  });
}
