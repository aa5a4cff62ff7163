/**
 * The `atrium` CLI against a real server: the installed bin (`node_modules/.bin/atrium`, what
 * `npx atrium` runs) is spawned for each command; it prints JSON, and on failure the error body
 * on stderr with a non-zero exit status.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import {
  accessTokenResponseSchema,
  apiKeySchema,
  createdApiKeySchema,
  errorBodySchema,
  roomSchema,
  sessionSchema,
} from '@atrium/protocol';
import { startTestServer, waitFor, type TestServer } from './helpers/server.js';
import { connect } from './helpers/signal.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(repoRoot, 'node_modules/.bin/atrium');

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

let t: TestServer;
let env: NodeJS.ProcessEnv;
before(async () => {
  t = await startTestServer();
  const { apiKey, apiSecret } = t.server.credentials;
  env = { PATH: process.env.PATH, ATRIUM_URL: t.url, ATRIUM_API_KEY: apiKey, ATRIUM_API_SECRET: apiSecret };
});
after(async () => {
  await t.close();
});

function atrium(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(BIN, args, { env: options.env ?? env, cwd: options.cwd ?? repoRoot, timeout: 30_000 }, (error, stdout, stderr) => {
      const status = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ status, stdout, stderr });
    });
  });
}

/** Runs a command that must succeed; returns its parsed JSON output. */
async function ok(args: string[], options?: { env?: NodeJS.ProcessEnv; cwd?: string }): Promise<unknown> {
  const run = await atrium(args, options);
  assert.equal(run.status, 0, `atrium ${args.join(' ')}: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

/** Runs a command that must fail with `code`; returns the run. */
async function fails(args: string[], code: string, status = 1, options?: { env?: NodeJS.ProcessEnv; cwd?: string }): Promise<Run> {
  const run = await atrium(args, options);
  assert.equal(run.status, status, `atrium ${args.join(' ')} exited ${run.status}: ${run.stdout} ${run.stderr}`);
  assert.equal(run.stdout, '', 'nothing on stdout');
  const body = errorBodySchema.parse(JSON.parse(run.stderr));
  assert.equal(body.error.code, code, body.error.message);
  return run;
}

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('atrium CLI', () => {
  test('the bin is installed for npx, and --help lists every command', async () => {
    assert.ok(fs.existsSync(BIN), `${BIN} exists (npm links the server workspace's bin)`);
    const run = await atrium(['--help']);
    assert.equal(run.status, 0, run.stderr);
    for (const command of ['rooms create', 'rooms list', 'tokens create', 'sessions list', 'sessions end', 'api-keys create', 'api-keys list', 'api-keys revoke']) {
      assert.ok(run.stdout.includes(`atrium ${command}`), `help mentions ${command}`);
    }
    const sub = await atrium(['tokens', 'create', '--help']);
    assert.equal(sub.status, 0);
    assert.match(sub.stdout, /--room/);
  });

  test('rooms create and rooms list', async () => {
    const room = roomSchema.parse(await ok(['rooms', 'create', '--title', 'From the CLI', '--name', 'cli-room', '--max-endpoints', '3']));
    assert.equal(room.title, 'From the CLI');
    assert.equal(room.name, 'cli-room');
    assert.equal(room.maxEndpoints, 3);
    const list = z.object({ data: z.array(roomSchema), nextCursor: z.string().nullable() }).parse(await ok(['rooms', 'list']));
    assert.ok(list.data.some((r) => r.id === room.id));
    assert.deepEqual(roomSchema.parse(await ok(['rooms', 'get', room.id])), room);
  });

  test('tokens create by room id, by customRoomId and by name (auto-creating it), with moderator and ttl', async () => {
    const room = roomSchema.parse(await ok(['rooms', 'create', '--custom-id', 'cli-custom']));
    const byId = accessTokenResponseSchema.parse(await ok(['tokens', 'create', 'alice', '--room', room.id, '--name', 'Alice', '--ttl', '120']));
    const claims = claimsOf(byId.token);
    assert.equal(claims.roomId, room.id);
    assert.deepEqual(claims.endpoint, { id: 'alice', name: 'Alice' });
    assert.equal((claims.exp as number) - (claims.iat as number), 120);

    assert.equal(claimsOf(accessTokenResponseSchema.parse(await ok(['tokens', 'create', 'bob', '--room', 'cli-custom'])).token).roomId, room.id);

    const moderator = accessTokenResponseSchema.parse(await ok(['tokens', 'create', 'mod', '--room', 'cli-new-room', '--moderator']));
    const modClaims = claimsOf(moderator.token);
    assert.ok((modClaims.permissions as string[]).includes('room.member.remove'));
    const created = roomSchema.parse(await ok(['rooms', 'get', modClaims.roomId as string]));
    assert.equal(created.name, 'cli-new-room', 'the named room was created');

    const limited = claimsOf(
      accessTokenResponseSchema.parse(await ok(['tokens', 'create', 'guest', '--room', room.id, '--permissions', 'room.self.audio_mute,room.recording', '--meta', '{"seat":3}']))
        .token,
    );
    assert.deepEqual(limited.permissions, ['room.recording', 'room.self.audio_mute']);
    assert.deepEqual(limited.meta, { seat: 3 });

    const refreshed = accessTokenResponseSchema.parse(await ok(['tokens', 'refresh', byId.refreshToken]));
    assert.equal(claimsOf(refreshed.token).roomId, room.id);
  });

  test('sessions list and sessions end', async () => {
    const room = roomSchema.parse(await ok(['rooms', 'create', '--title', 'cli session']));
    const client = await connect(t.url);
    try {
      await client.call('join', { roomId: room.id, token: await t.token('talker', room.id) });
      const list = z.object({ data: z.array(sessionSchema) }).passthrough();
      const sessions = await waitFor('the session to be listed', async () => {
        const page = list.parse(await ok(['sessions', 'list', '--room', room.id]));
        return page.data.length === 1 ? page.data : undefined;
      });
      const [session] = sessions;
      assert.ok(session);
      assert.equal(session.roomId, room.id);
      await ok(['sessions', 'end', session.id]);
      assert.deepEqual(await client.waitForNotification('room.finished'), { reason: 'session-ended' });
    } finally {
      await client.close();
    }
  });

  test('api-keys create, list and revoke', async () => {
    const created = createdApiKeySchema.parse(await ok(['api-keys', 'create', '--name', 'from cli']));
    assert.equal(created.name, 'from cli');
    const withNewKey = { ...env, ATRIUM_API_KEY: created.key, ATRIUM_API_SECRET: created.secret };
    const listed = z.object({ data: z.array(apiKeySchema.strict()) }).passthrough().parse(await ok(['api-keys', 'list'], { env: withNewKey }));
    assert.ok(listed.data.some((k) => k.key === created.key && k.revokedAt === null));
    assert.deepEqual(await ok(['api-keys', 'revoke', created.key]), { key: created.key, revoked: true });
    await fails(['rooms', 'list'], 'UNAUTHORIZED', 1, { env: withNewKey });
  });

  test('--key/--secret flags, and the data directory credentials file as a fallback', async () => {
    const { apiKey, apiSecret } = t.server.credentials;
    const bare = { PATH: process.env.PATH };
    await ok(['rooms', 'list', '--url', t.url, '--key', apiKey, '--secret', apiSecret], { env: bare });
    // startTestServer generated credentials.json in its data directory.
    assert.ok(fs.existsSync(path.join(t.dataDir, 'credentials.json')));
    await ok(['rooms', 'list'], { env: { ...bare, ATRIUM_URL: t.url, DATA_DIR: t.dataDir } });
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'atrium-cli-'));
    try {
      await fails(['rooms', 'list'], 'NO_CREDENTIALS', 1, { env: { ...bare, ATRIUM_URL: t.url }, cwd: empty });
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
    await fails(['rooms', 'list', '--secret', 'wrong-secret-0123456789'], 'UNAUTHORIZED');
  });

  test('failures exit non-zero with the error code', async () => {
    await fails(['rooms', 'get', 'no-such-room'], 'ROOM_NOT_FOUND');
    await fails(['tokens', 'create', 'x', '--room', 'cli-room', '--ttl', '5'], 'VALIDATION_FAILED');
    await fails(['sessions', 'end', '00000000-0000-4000-8000-000000000000'], 'SESSION_NOT_FOUND');
    await fails(['api-keys', 'revoke', 'AKnosuchkey'], 'API_KEY_NOT_FOUND');
    await fails(['rooms', 'list', '--url', 'http://127.0.0.1:1'], 'CONNECTION_FAILED');
    // Usage mistakes exit 2.
    await fails(['rooms', 'explode'], 'USAGE', 2);
    await fails(['tokens', 'create', 'x'], 'USAGE', 2);
    await fails(['rooms', 'list', '--colour', 'blue'], 'USAGE', 2);
    await fails(['tokens', 'create', 'x', '--room', 'r', '--ttl', 'soon'], 'USAGE', 2);
    const noCommand = await atrium([]);
    assert.equal(noCommand.status, 2);
    assert.match(noCommand.stderr, /Usage: atrium/);
  });
});
