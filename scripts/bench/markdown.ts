/**
 * @module Prints a bench JSON file (default bench-results/latest.json) as the Markdown table used
 * in docs/benchmarks.md: `node --import tsx scripts/bench/markdown.ts [file]`.
 */
import { readFileSync } from 'node:fs';
import { formatMarkdown } from './report.js';
import type { TopologyResult } from './measure.js';

const file = process.argv[2] ?? 'bench-results/latest.json';
const run = JSON.parse(readFileSync(file, 'utf8')) as {
  startedAt: string;
  machine: { nproc: number; cpuModel: string; ramGiB: number; node: string };
  results: (TopologyResult | { sfu: string; topology: string; error: string })[];
};
const m = run.machine;
process.stdout.write(`${run.startedAt}, ${m.nproc} cores ${m.cpuModel}, ${m.ramGiB} GiB RAM, Node ${m.node}\n\n${formatMarkdown(run.results)}\n`);
