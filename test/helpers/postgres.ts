/**
 * @module A real PostgreSQL server for tests: a throwaway cluster (initdb + postgres on a free
 * 127.0.0.1 port, data in a temp directory), or a fresh database on the server named by
 * `ATRIUM_TEST_DATABASE_URL` when that is set.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export interface TestPostgres {
  /** `postgres://…` of an empty database the caller owns. */
  url: string;
  /** Stops the cluster and removes its files (or drops the database); idempotent. */
  stop(): Promise<void>;
}

const BINARIES = ['initdb', 'pg_ctl', 'postgres'] as const;
const INSTALL_HINT =
  'install Debian\'s postgresql (`bash scripts/ensure-system-deps.sh` as root does it) or set ATRIUM_TEST_DATABASE_URL to a server the tests may create databases on';
const START_TIMEOUT_MS = 30_000;

/** Starts a throwaway Postgres (or uses ATRIUM_TEST_DATABASE_URL's server) with an empty database. */
export async function startPostgres(): Promise<TestPostgres> {
  const external = process.env.ATRIUM_TEST_DATABASE_URL;
  if (!external) return startCluster();
  try {
    return await createTestDatabase(external);
  } catch (error) {
    const isolated = process.env.ATRIUM_ISOLATED === '1'
      ? ' (inside the isolated test network only a Unix-socket URL, e.g. postgres:///postgres?host=/var/run/postgresql, reaches a server outside it)'
      : '';
    throw new Error(`startPostgres: ATRIUM_TEST_DATABASE_URL is unusable${isolated}: ${(error as Error).message}`);
  }
}

/** A directory holding initdb, pg_ctl and postgres: PATH first, then Debian's versioned directories, newest first. */
export function findPostgresBinDir(): string | undefined {
  const fromPath = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  const debianRoot = '/usr/lib/postgresql';
  const debian = fs.existsSync(debianRoot)
    ? fs
        .readdirSync(debianRoot)
        .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))
        .map((version) => path.join(debianRoot, version, 'bin'))
    : [];
  const isExecutable = (file: string): boolean => {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return fs.statSync(file).isFile();
    } catch {
      return false;
    }
  };
  return [...fromPath, ...debian, '/usr/local/pgsql/bin'].find((dir) => BINARIES.every((name) => isExecutable(path.join(dir, name))));
}

interface RunAs {
  uid: number;
  gid: number;
}

/** Postgres refuses to run as root, so root runs the cluster as `nobody`. */
function unprivilegedUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const entry = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields[0] === 'nobody');
  if (!entry || entry[2] === undefined || entry[3] === undefined) {
    throw new Error('startPostgres: running as root, and there is no `nobody` user to run the PostgreSQL server as');
  }
  return { uid: Number(entry[2]), gid: Number(entry[3]) };
}

/** Runs a command to completion; rejects with its output when it fails. */
function run(command: string, args: string[], runAs: RunAs | undefined, cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], ...runAs });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${path.basename(command)} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${output.trim()}`));
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Starts `postgres` under a small shell watchdog: the watchdog reads its stdin (a pipe from this
 * process) and sends the postmaster SIGQUIT (immediate shutdown) at EOF, so a test process that
 * dies without calling `stop()` — crash, kill, forced exit — still takes its server with it.
 */
const WATCHDOG = 'exec 3<&0; "$@" </dev/null 3<&- & pg=$!; (cat <&3 >/dev/null; kill -QUIT "$pg" 2>/dev/null) & wait "$pg"';

/** Clusters not yet stopped: removed on exit if the test forgot to (or could not) stop them. */
const liveClusters = new Set<{ dataDir: string; dir: string }>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const cluster of liveClusters) {
      try {
        const pid = Number(fs.readFileSync(path.join(cluster.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
        if (pid > 0) process.kill(pid, 'SIGQUIT');
      } catch {
        // Already gone; the watchdog covers the rest.
      }
      fs.rmSync(cluster.dir, { recursive: true, force: true });
    }
  });
}

const CLUSTER_DIR_PREFIX = 'atrium-pg-';
const OWNER_FILE = 'owner.pid';

/**
 * Removes the directories of clusters whose test process was killed (SIGKILL skips exit hooks;
 * the watchdog has already stopped their servers).
 */
function removeAbandonedClusters(): void {
  for (const name of fs.readdirSync(os.tmpdir())) {
    if (!name.startsWith(CLUSTER_DIR_PREFIX)) continue;
    const dir = path.join(os.tmpdir(), name);
    try {
      const owner = Number(fs.readFileSync(path.join(dir, OWNER_FILE), 'utf8'));
      process.kill(owner, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

async function startCluster(): Promise<TestPostgres> {
  const binDir = findPostgresBinDir();
  if (!binDir) {
    throw new Error(`startPostgres: PostgreSQL server binaries (${BINARIES.join(', ')}) not found on PATH or in /usr/lib/postgresql/*/bin; ${INSTALL_HINT}`);
  }
  const runAs = unprivilegedUser();
  removeAbandonedClusters();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), CLUSTER_DIR_PREFIX));
  fs.writeFileSync(path.join(dir, OWNER_FILE), String(process.pid));
  const dataDir = path.join(dir, 'data');
  const cluster = { dir, dataDir };
  liveClusters.add(cluster);
  installExitHook();
  let postmaster: ChildProcess | undefined;
  try {
    if (runAs) fs.chownSync(dir, runAs.uid, runAs.gid);
    await run(
      path.join(binDir, 'initdb'),
      ['-D', dataDir, '-U', 'atrium', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
      runAs,
      dir,
    );
    // A port found free can be taken before postgres binds it: try a few.
    let port = 0;
    let lastError: Error | undefined;
    for (let attempt = 0; attempt < 3 && !postmaster; attempt++) {
      port = await freePort();
      const child = spawnPostmaster(path.join(binDir, 'postgres'), dataDir, dir, port, runAs);
      try {
        await waitUntilAccepting(child, port, path.join(dir, 'postgres.log'));
        postmaster = child;
      } catch (error) {
        child.stdin?.end();
        lastError = error as Error;
      }
    }
    if (!postmaster) throw lastError ?? new Error('startPostgres: postgres did not start');
    await withClient(`postgres://atrium@127.0.0.1:${port}/postgres`, (client) => client.query('CREATE DATABASE atrium'));
    const running = postmaster;
    let stopping: Promise<void> | undefined;
    return {
      url: `postgres://atrium@127.0.0.1:${port}/atrium`,
      stop: () => (stopping ??= stopCluster(binDir, cluster, running, runAs)),
    };
  } catch (error) {
    postmaster?.stdin?.end();
    liveClusters.delete(cluster);
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

function spawnPostmaster(postgres: string, dataDir: string, dir: string, port: number, runAs: RunAs | undefined): ChildProcess {
  const log = fs.openSync(path.join(dir, 'postgres.log'), 'w');
  try {
    const settings = {
      listen_addresses: '127.0.0.1',
      port: String(port),
      unix_socket_directories: dir,
      // Throwaway data: durability only costs time here.
      fsync: 'off',
      synchronous_commit: 'off',
      full_page_writes: 'off',
    };
    const args = Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
    return spawn('sh', ['-c', WATCHDOG, 'postgres-watchdog', postgres, '-D', dataDir, ...args], {
      cwd: dir,
      stdio: ['pipe', log, log],
      ...runAs,
    });
  } finally {
    fs.closeSync(log);
  }
}

/** Resolves once the server answers queries; rejects with its log when it exits or times out. */
async function waitUntilAccepting(child: ChildProcess, port: number, logFile: string): Promise<void> {
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + START_TIMEOUT_MS;
  const failure = (why: string): Error => {
    const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').trim() : '';
    return new Error(`startPostgres: postgres ${why} on 127.0.0.1:${port}${log ? `; its log:\n${log}` : ''}`);
  };
  for (;;) {
    if (exited) throw failure('exited while starting');
    try {
      await withClient(`postgres://atrium@127.0.0.1:${port}/postgres`, (client) => client.query('SELECT 1'));
      return;
    } catch {
      if (Date.now() > deadline) throw failure(`did not accept connections within ${START_TIMEOUT_MS / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

async function stopCluster(binDir: string, cluster: { dir: string; dataDir: string }, postmaster: ChildProcess, runAs: RunAs | undefined): Promise<void> {
  const exited = postmaster.exitCode !== null || postmaster.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => postmaster.once('exit', () => resolve()));
  try {
    await run(path.join(binDir, 'pg_ctl'), ['stop', '-D', cluster.dataDir, '-m', 'immediate', '-w'], runAs, cluster.dir);
  } catch {
    // Not running any more; the watchdog below makes sure.
  }
  postmaster.stdin?.end();
  await exited;
  liveClusters.delete(cluster);
  fs.rmSync(cluster.dir, { recursive: true, force: true });
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  // An error event from a client being closed must not crash the test process.
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A fresh, empty database on the server of `serverUrl` (whose role may create databases);
 * `stop()` drops it. Cheaper than a cluster per test.
 */
export async function createTestDatabase(serverUrl: string): Promise<TestPostgres> {
  const name = `atrium_test_${randomBytes(6).toString('hex')}`;
  try {
    await withClient(serverUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  } catch (error) {
    throw new Error(`createTestDatabase: cannot create a database on ${new URL(serverUrl).host}: ${(error as Error).message}`);
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  let stopping: Promise<void> | undefined;
  return {
    url: url.toString(),
    stop: () =>
      (stopping ??= withClient(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined)),
  };
}
