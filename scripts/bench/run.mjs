/**
 * @module `npm run bench`: runs scripts/bench/main.ts (flags pass through, see there) inside
 * ../shared/net/isolated.sh when root — so WebRTC media stays in a throwaway network namespace —
 * with the SFUs pinned to core 0 and the load generator to core 1 (`taskset`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const isolatedScript = path.resolve(repoRoot, '../shared/net/isolated.sh');
const isRoot = process.getuid?.() === 0;
const isolate = isRoot && process.env.ATRIUM_ISOLATED !== '1';
const canPin = os.availableParallelism() >= 2 && existsSync('/usr/bin/taskset');

if (isolate && !existsSync(isolatedScript)) {
  console.error(`bench: running as root needs ${isolatedScript} (the shared/ directory beside the repository) to keep media off the machine's interfaces`);
  process.exit(1);
}
if (!isRoot) console.error('bench: not root, so no isolated network namespace: media may use this machine\'s interfaces');
if (!canPin) console.error('bench: fewer than 2 cores or no taskset: the SFUs and the load generator are not pinned, figures mix');

// Janus comes from Debian; its start script installs it with apt, which cannot reach the mirror
// from inside the network namespace: install it (and gcc, for its loopback shim) here first.
const wantsJanus = !process.argv.slice(2).some((arg) => arg.startsWith('--sfu=')) || process.argv.slice(2).some((arg) => arg.startsWith('--sfu=') && arg.includes('janus'));
if (wantsJanus && isRoot && spawnSync('sh', ['-c', 'command -v janus && command -v gcc'], { stdio: 'ignore' }).status !== 0) {
  console.error('bench: installing Debian\'s janus (and gcc) for the side-by-side run');
  const installed = spawnSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq janus gcc >/dev/null'], { stdio: 'inherit' });
  if (installed.status !== 0) console.error('bench: janus could not be installed; its columns will say why it failed');
}

const iceNetworks = process.env.ATRIUM_TEST_ICE_NETWORKS ?? (isolate || process.env.ATRIUM_ISOLATED === '1' ? '127.0.0.0/8,10.77.0.0/24' : '127.0.0.0/8');
const env = [
  'ATRIUM_ISOLATED=1',
  `ATRIUM_TEST_ICE_NETWORKS=${iceNetworks}`,
  `ATRIUM_BENCH_SFU_CPU=${canPin ? '0' : 'none'}`,
  ...(canPin ? ['ATRIUM_BENCH_LOADGEN_CPU=1'] : []),
];
const bench = [process.execPath, '--import', 'tsx', path.join(repoRoot, 'scripts/bench/main.ts'), ...process.argv.slice(2)];
const command = ['env', ...env, ...(canPin ? ['taskset', '-c', '1'] : []), ...bench];
const [file, ...args] = isolate ? ['bash', isolatedScript, ...command] : command;

const child = spawn(file, args, { cwd: repoRoot, stdio: 'inherit' });
const forward = (signal) => child.kill(signal);
process.on('SIGINT', forward).on('SIGTERM', forward);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
