/**
 * @module A real RTMP server for tests: node-media-server (npm) as a child process on 127.0.0.1
 * with free ports and a throwaway data directory. Streams published to
 * `rtmp://127.0.0.1:<port>/live/<key>` can be played back from the same URL (ffprobe).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { freePort } from './child-server.js';

export interface TestRtmpServer {
  /** `rtmp://127.0.0.1:<port>` */
  baseUrl: string;
  /** A URL with a fresh stream key. */
  streamUrl(): string;
  /** What node-media-server printed (for failure messages). */
  output(): string;
  close(): Promise<void>;
}

export async function startRtmpServer(): Promise<TestRtmpServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrium-rtmp-'));
  const rtmpPort = await freePort();
  const httpPort = await freePort();
  const config = {
    bind: '127.0.0.1',
    notify: { url: '' },
    store: { path: path.join(dir, 'data') },
    auth: { play: false, publish: false, secret: '' },
    rtmp: { port: rtmpPort },
    http: { port: httpPort },
    webadmin: { enable: false },
    record: { auto: false, path: path.join(dir, 'record') },
  };
  const configFile = path.join(dir, 'config.json');
  fs.writeFileSync(configFile, JSON.stringify(config));
  const app = path.join(path.dirname(createRequire(import.meta.url).resolve('node-media-server/package.json')), 'bin', 'app.js');
  const child: ChildProcess = spawn(process.execPath, [app, '-c', configFile, '--no-admin'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let printed = '';
  child.stdout?.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`node-media-server did not start: ${printed}`)), 15_000);
    const check = (): void => {
      if (/Rtmp Server listening/i.test(printed)) {
        clearTimeout(deadline);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(deadline);
      reject(new Error(`node-media-server exited with ${code}: ${printed}`));
    });
  });
  let keys = 0;
  const baseUrl = `rtmp://127.0.0.1:${rtmpPort}`;
  return {
    baseUrl,
    streamUrl: () => `${baseUrl}/live/atrium-${process.pid}-${Date.now()}-${keys++}`,
    output: () => printed,
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
