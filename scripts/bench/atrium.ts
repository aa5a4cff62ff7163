/**
 * @module Atrium under test: the real server (`packages/server/src/main.ts`) as its own process,
 * pinned to one core, with a throwaway data directory; clients are our Node SDK over `@roamhq/wrtc`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { join, type WebSocketConstructor } from '../../packages/sdk/src/index.js';
import { freePort } from '../../test/helpers/child-server.js';
import { cappedWrtc, receiveOnlyWrtc } from './media.js';
import { sleep, until, type BenchClient, type BenchPublication, type SfuStartOptions, type SfuUnderTest } from './sfu.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const API_KEY = 'bench-key-0001';
const API_SECRET = 'bench-secret-0123456789abcdef';
const TAG = 'camera';

/** Starts an Atrium server process and creates the room the topology runs in. */
export async function startAtrium(options: SfuStartOptions): Promise<SfuUnderTest> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrium-bench-'));
  const port = await freePort();
  const server = [process.execPath, ...(options.serverNodeArgs ?? []), '--import', 'tsx', path.join(repoRoot, 'packages/server/src/main.ts')];
  const command = options.cpu === undefined ? server : ['taskset', '-c', options.cpu, ...server];
  const child = spawn(command[0] as string, command.slice(1), {
    cwd: repoRoot,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: dataDir,
      ATRIUM_DEMO: '0',
      LOG_LEVEL: 'warn',
      ATRIUM_API_KEY: API_KEY,
      ATRIUM_API_SECRET: API_SECRET,
      // Inside isolated.sh libwebrtc offers the namespace's veth addresses beside loopback.
      ATRIUM_ICE_ALLOWED_NETWORKS: process.env.ATRIUM_TEST_ICE_NETWORKS ?? '127.0.0.0/8,10.77.0.0/24',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const auth = `Basic ${Buffer.from(`${API_KEY}:${API_SECRET}`).toString('base64')}`;
  const stop = async (): Promise<void> => {
    await stopProcess(child);
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`atrium exited early:\n${output}`);
      try {
        await fetch(`${url}/api/v1/rooms`, { headers: { authorization: auth } });
        break;
      } catch {
        if (Date.now() > deadline) throw new Error(`atrium did not start:\n${output}`);
        await sleep(100);
      }
    }
    const api = async <T>(pathname: string, body: unknown): Promise<T> => {
      const res = await fetch(`${url}${pathname}`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (res.status !== 201) throw new Error(`POST ${pathname}: ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    };
    const room = await api<{ id: string }>('/api/v1/rooms', { title: 'bench' });
    const wrtc = cappedWrtc(options.maxBitrate);
    const receiveOnly = receiveOnlyWrtc(options.maxBitrate);
    const pid = child.pid;
    if (pid === undefined) throw new Error('atrium: no pid');
    return {
      name: 'atrium',
      pid,
      async connect(name, connectOptions = {}): Promise<BenchClient> {
        const { token } = await api<{ token: string }>(`/api/v1/endpoints/${name}/access-tokens`, { roomId: room.id, name });
        const session = await join(room.id, token, {
          url,
          wrtc: connectOptions.receiveOnly ? receiveOnly : wrtc,
          WebSocket: WebSocket as unknown as WebSocketConstructor,
        });
        return {
          async publish(stream) {
            const local = await session.room.publish(TAG, stream);
            return { id: name, getStats: () => local.getStats() };
          },
          async subscribe(publication: BenchPublication) {
            // The SDK needs to have heard of the endpoint and its stream before subscribing.
            await until(`${name} hears of ${publication.id}`, () =>
              session.room.getEndpoint(publication.id)?.streams.some((s) => s.tag === TAG),
            );
            const subscription = await session.endpoint.subscribe(publication.id, TAG);
            return { videoTrack: () => subscription.track('video'), getStats: () => subscription.getStats() };
          },
          close: () => session.room.leave(),
        };
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** SIGTERM, then SIGKILL if the process is still there after 5 s. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
