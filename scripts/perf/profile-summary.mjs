/**
 * @module Prints the top functions of a V8 .cpuprofile by self time (and by inclusive time with
 * --inclusive), e.g. one written by `node scripts/perf/sfu-load.ts --cpu-prof`.
 * usage: node scripts/perf/profile-summary.mjs FILE.cpuprofile [--top=40] [--inclusive] [--skip=SECONDS]
 * (--skip leaves out the first seconds: start-up and joins.)
 */
import fs from 'node:fs';

const file = process.argv[2];
if (!file) {
  console.error('usage: profile-summary.mjs FILE.cpuprofile [--top=N] [--inclusive]');
  process.exit(2);
}
const top = Number((process.argv.find((a) => a.startsWith('--top=')) ?? '--top=40').slice(6));
const inclusive = process.argv.includes('--inclusive');
const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const skipUs = Number((process.argv.find((a) => a.startsWith('--skip=')) ?? '--skip=0').slice(7)) * 1e6;
const selfSamples = new Map();
let elapsed = 0;
let total = 0;
profile.samples.forEach((id, i) => {
  elapsed += profile.timeDeltas[i] ?? 0;
  if (elapsed < skipUs) return;
  total++;
  selfSamples.set(id, (selfSamples.get(id) ?? 0) + 1);
});
const key = (n) => {
  const f = n.callFrame;
  const url = f.url.replace(/^.*node_modules\//, '').replace(/^.*\/src\//, 'src/');
  return `${f.functionName || '(anonymous)'} ${url}:${f.lineNumber + 1}`;
};
const totals = new Map();
for (const [id, count] of selfSamples) {
  if (!inclusive) {
    const k = key(byId.get(id));
    totals.set(k, (totals.get(k) ?? 0) + count);
    continue;
  }
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const k = key(byId.get(cur));
    if (seen.has(k)) continue;
    seen.add(k);
    totals.set(k, (totals.get(k) ?? 0) + count);
  }
}
const idle = [...selfSamples].filter(([id]) => byId.get(id).callFrame.functionName === '(idle)').reduce((a, [, c]) => a + c, 0);
console.log(`${total} samples, ${(100 * idle / total).toFixed(1)}% idle`);
for (const [k, c] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${((100 * c) / (total - idle)).toFixed(1).padStart(5)}%  ${k}`);
}
