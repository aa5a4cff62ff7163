/**
 * @module `npm test`: system packages, demo bundle, typecheck, then every `*.test.ts` under
 * packages/<name>/src and test/ with Node's test runner — inside an isolated network namespace
 * when running as root, so WebRTC media never leaves the machine.
 *
 * `npm test -- path/to/a.test.ts test/e2e` runs only those files (directories are searched);
 * arguments starting with `--` (e.g. `--test-name-pattern=join`) go to the test runner.
 *
 * The store tests run on SQLite and on a real Postgres: a throwaway server they start themselves
 * (test/helpers/postgres.ts), or the one `ATRIUM_TEST_DATABASE_URL` names.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const isolatedScript = path.resolve(repoRoot, '../shared/net/isolated.sh');
const isRoot = process.getuid?.() === 0;
const alreadyIsolated = process.env.ATRIUM_ISOLATED === '1';

/** Runs a command with inherited stdio; resolves with its exit status (signals count as failure). */
function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: repoRoot, stdio: 'inherit', ...options });
    const forward = (signal) => child.kill(signal);
    process.on('SIGINT', forward).on('SIGTERM', forward);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward).off('SIGTERM', forward);
      resolve(code ?? 128 + (constants.signals[signal] ?? 0));
    });
  });
}

async function step(name, command, args) {
  const status = await run(command, args);
  if (status !== 0) {
    console.error(`test: ${name} failed (exit ${status})`);
    process.exit(status);
  }
}

/** Every `*.test.ts` below `dir`, skipping node_modules and dot-directories. */
function findTestFiles(dir) {
  if (!existsSync(dir)) return [];
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...findTestFiles(full));
    else if (entry.isFile() && entry.name.endsWith('.test.ts')) found.push(full);
  }
  return found;
}

function defaultTestFiles() {
  const packagesDir = path.join(repoRoot, 'packages');
  const packageSources = existsSync(packagesDir)
    ? readdirSync(packagesDir, { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => path.join(packagesDir, entry.name, 'src'))
    : [];
  return [...packageSources, path.join(repoRoot, 'test')].flatMap(findTestFiles);
}

/** Files and directories given on the command line, relative to where `npm test` was invoked. */
function requestedTestFiles(paths) {
  const base = process.env.INIT_CWD ?? process.cwd();
  return paths.flatMap((given) => {
    const full = path.resolve(base, given);
    if (!existsSync(full)) {
      console.error(`test: no such file or directory: ${given}`);
      process.exit(2);
    }
    return statSync(full).isDirectory() ? findTestFiles(full) : [full];
  });
}

/** True when a postgres:// URL connects through a socket directory (`host=/dir`, or an encoded path as host). */
function usesUnixSocket(url) {
  try {
    const parsed = new URL(url);
    const host = parsed.searchParams.get('host') ?? decodeURIComponent(parsed.hostname);
    return host.startsWith('/');
  } catch {
    return false;
  }
}

const cliArgs = process.argv.slice(2);
const runnerFlags = cliArgs.filter((arg) => arg.startsWith('--'));
const requested = cliArgs.filter((arg) => !arg.startsWith('--'));
const files = (requested.length > 0 ? requestedTestFiles(requested) : defaultTestFiles())
  .map((file) => path.relative(repoRoot, file))
  .sort();
if (files.length === 0) {
  console.error('test: no *.test.ts files found');
  process.exit(1);
}

const isolate = isRoot && !alreadyIsolated;
if (isolate && !existsSync(isolatedScript)) {
  console.error(
    `test: running as root, so media tests must run in an isolated network namespace, but ${isolatedScript} ` +
      'is missing (the shared/ directory must sit beside the repository). Run as a non-root user to test without it.',
  );
  process.exit(1);
}

// Inside the namespace 127.0.0.1 is the namespace's own loopback: only a Unix socket reaches a server outside.
const externalDatabase = process.env.ATRIUM_TEST_DATABASE_URL;
if (isolate && externalDatabase && !usesUnixSocket(externalDatabase)) {
  console.error(
    'test: ATRIUM_TEST_DATABASE_URL must name a Unix socket when the tests run in the isolated network namespace ' +
      '(e.g. postgres:///postgres?host=/var/run/postgresql), or be unset so the tests start their own Postgres.',
  );
  process.exit(1);
}

await step('system dependencies', 'bash', [path.join(repoRoot, 'scripts/ensure-system-deps.sh')]);
await step('build', 'npm', ['run', '--silent', 'build']);
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
await step('typecheck', process.execPath, [tsc, '-p', 'tsconfig.json', '--noEmit']);

// Allowed ICE networks for the server under test: the namespace's veth pair joins loopback there.
process.env.ATRIUM_TEST_ICE_NETWORKS ??= isolate || alreadyIsolated ? '127.0.0.0/8,10.77.0.0/24' : '127.0.0.0/8';

const testCommand = [
  process.execPath,
  '--import',
  'tsx',
  '--test',
  '--test-concurrency=1',
  '--test-reporter=spec',
  // A hung test fails on its own instead of stalling CI; a file whose native handles (libwebrtc)
  // outlive its tests still ends.
  '--test-timeout=180000',
  '--test-force-exit',
  ...runnerFlags,
  ...files,
];
const status = isolate
  ? await run('bash', [
      isolatedScript,
      'env',
      'ATRIUM_ISOLATED=1',
      `ATRIUM_TEST_ICE_NETWORKS=${process.env.ATRIUM_TEST_ICE_NETWORKS}`,
      ...testCommand,
    ])
  : await run(testCommand[0], testCommand.slice(1));
process.exit(status);
