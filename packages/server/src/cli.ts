/**
 * @module The `atrium` command line: rooms, access tokens, room sessions and API keys through the
 * REST API of a running server. Answers are printed as JSON on stdout; a failure prints the error
 * body (`{"error":{"code","message"}}`) on stderr and exits 1 (2 for a usage mistake).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UUID_PATTERN, errorBodySchema } from '@atrium/protocol';
import { CREDENTIALS_FILE } from './auth/credentials.js';

export const DEFAULT_URL = 'http://localhost:7880';

type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | undefined>;

/** Where output goes and what the environment says; tests pass their own. */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** A failure with the code printed in the error body. */
class CliError extends Error {
  readonly code: string;
  readonly exitCode: number;
  readonly details?: unknown;

  constructor(code: string, message: string, options: { exitCode?: number; details?: unknown } = {}) {
    super(message);
    this.code = code;
    this.exitCode = options.exitCode ?? 1;
    this.details = options.details;
  }

  static usage(message: string): CliError {
    return new CliError('USAGE', `${message} (see atrium --help)`, { exitCode: 2 });
  }
}

/** The REST API of one server, with Basic auth. */
class ApiClient {
  private readonly url: string;
  private readonly authorization: string;

  constructor(url: string, key: string, secret: string) {
    this.url = url.replace(/\/+$/, '');
    this.authorization = `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`;
  }

  /** Resolves with the parsed body (null for 204); throws CliError with the server's code. */
  async call(method: string, pathname: string, body?: unknown): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${this.url}${pathname}`, {
        method,
        headers: { authorization: this.authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
      throw new CliError('CONNECTION_FAILED', `cannot reach ${this.url}${cause}`);
    }
    const text = await response.text();
    let parsed: unknown = null;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new CliError('BAD_RESPONSE', `${method} ${pathname} answered ${response.status} with a body that is not JSON`);
      }
    }
    if (!response.ok) {
      const error = errorBodySchema.safeParse(parsed);
      if (error.success) throw new CliError(error.data.error.code, error.data.error.message, { details: error.data.error.details });
      throw new CliError('HTTP_ERROR', `${method} ${pathname} answered ${response.status}`);
    }
    return parsed;
  }
}

interface Command {
  /** e.g. `rooms create [--title <title>]`. */
  usage: string;
  summary: string;
  /** How many positional arguments follow the command words. */
  positionals: string[];
  options: Options;
  run(api: ApiClient, args: string[], values: Values): Promise<unknown>;
}

const str = (values: Values, name: string): string | undefined => {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
};

function integer(values: Values, name: string): number | undefined {
  const value = str(values, name);
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value)) throw CliError.usage(`--${name} must be an integer`);
  return Number(value);
}

function json(values: Values, name: string): unknown {
  const value = str(values, name);
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value);
  } catch {
    throw CliError.usage(`--${name} must be JSON`);
  }
}

/** Drops undefined fields, so the server applies its defaults. */
function defined(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
}

function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

const seg = encodeURIComponent;

const commands: Record<string, Command> = {
  'rooms create': {
    usage: 'rooms create [--title <t>] [--name <n>] [--custom-id <id>] [--max-endpoints <n>] [--max-duration <s>] [--timeout <s>] [--body <json>]',
    summary: 'create a room (--body adds any other room field)',
    positionals: [],
    options: {
      title: { type: 'string' },
      name: { type: 'string' },
      'custom-id': { type: 'string' },
      'max-endpoints': { type: 'string' },
      'max-duration': { type: 'string' },
      timeout: { type: 'string' },
      body: { type: 'string' },
    },
    run: (api, _args, v) => {
      const extra = json(v, 'body');
      if (extra !== undefined && (typeof extra !== 'object' || extra === null || Array.isArray(extra))) {
        throw CliError.usage('--body must be a JSON object');
      }
      return api.call('POST', '/api/v1/rooms', {
        ...(extra as Record<string, unknown> | undefined),
        ...defined({
          title: str(v, 'title'),
          name: str(v, 'name'),
          customRoomId: str(v, 'custom-id'),
          maxEndpoints: integer(v, 'max-endpoints'),
          maxDuration: integer(v, 'max-duration'),
          timeout: integer(v, 'timeout'),
        }),
      });
    },
  },
  'rooms list': {
    usage: 'rooms list [--active true|false] [--limit <n>] [--cursor <c>]',
    summary: 'list rooms, newest first',
    positionals: [],
    options: { active: { type: 'string' }, limit: { type: 'string' }, cursor: { type: 'string' } },
    run: (api, _args, v) =>
      api.call('GET', `/api/v1/rooms${query({ active: str(v, 'active'), limit: integer(v, 'limit'), cursor: str(v, 'cursor') })}`),
  },
  'rooms get': {
    usage: 'rooms get <roomId|customRoomId>',
    summary: 'show a room',
    positionals: ['room'],
    options: {},
    run: (api, [room = '']) => api.call('GET', `/api/v1/rooms/${seg(room)}`),
  },
  'tokens create': {
    usage: 'tokens create <endpointId> --room <id|customRoomId|name> [--name <n>] [--moderator] [--permissions <p,…>] [--meta <json>] [--ttl <s>]',
    summary: 'mint an access token and refresh token (--room <id|name>; a new name may create the room)',
    positionals: ['endpointId'],
    options: {
      room: { type: 'string' },
      name: { type: 'string' },
      moderator: { type: 'boolean' },
      permissions: { type: 'string' },
      meta: { type: 'string' },
      ttl: { type: 'string' },
    },
    run: async (api, [endpointId = ''], v) => {
      const room = str(v, 'room');
      if (room === undefined) throw CliError.usage('tokens create needs --room');
      const permissions = str(v, 'permissions')
        ?.split(',')
        .map((p) => p.trim())
        .filter((p) => p.length > 0);
      return api.call('POST', `/api/v1/endpoints/${seg(endpointId)}/access-tokens`, {
        ...(await roomReference(api, room)),
        ...defined({
          name: str(v, 'name'),
          moderator: v.moderator === true ? true : undefined,
          permissions,
          meta: json(v, 'meta'),
          ttlSeconds: integer(v, 'ttl'),
        }),
      });
    },
  },
  'tokens refresh': {
    usage: 'tokens refresh <refreshToken>',
    summary: 'exchange a refresh token for a new access token and refresh token',
    positionals: ['refreshToken'],
    options: {},
    run: (api, [refreshToken = '']) => api.call('POST', '/api/v1/access-tokens/refresh', { refreshToken }),
  },
  'sessions list': {
    usage: 'sessions list [--room <id|customRoomId>] [--active true|false] [--limit <n>] [--cursor <c>]',
    summary: 'list room sessions',
    positionals: [],
    options: { room: { type: 'string' }, active: { type: 'string' }, limit: { type: 'string' }, cursor: { type: 'string' } },
    run: (api, _args, v) =>
      api.call(
        'GET',
        `/api/v1/sessions${query({ roomId: str(v, 'room'), active: str(v, 'active'), limit: integer(v, 'limit'), cursor: str(v, 'cursor') })}`,
      ),
  },
  'sessions end': {
    usage: 'sessions end <sessionId>',
    summary: 'end a live room session (every endpoint is finished)',
    positionals: ['sessionId'],
    options: {},
    run: (api, [sessionId = '']) => api.call('POST', `/api/v1/sessions/${seg(sessionId)}/actions/end`),
  },
  'api-keys create': {
    usage: 'api-keys create [--name <label>]',
    summary: 'create an API key; its secret is shown only now',
    positionals: [],
    options: { name: { type: 'string' } },
    run: (api, _args, v) => api.call('POST', '/api/v1/api-keys', defined({ name: str(v, 'name') })),
  },
  'api-keys list': {
    usage: 'api-keys list',
    summary: 'list API keys (never their secrets)',
    positionals: [],
    options: {},
    run: (api) => api.call('GET', '/api/v1/api-keys'),
  },
  'api-keys revoke': {
    usage: 'api-keys revoke <key>',
    summary: 'revoke an API key and every access token it issued',
    positionals: ['key'],
    options: {},
    run: async (api, [key = '']) => {
      await api.call('DELETE', `/api/v1/api-keys/${seg(key)}`);
      return { key, revoked: true };
    },
  },
};

/**
 * `--room` of `tokens create`: a UUID is a room id; otherwise an existing room's customRoomId,
 * or else a room name (which the server may create).
 */
async function roomReference(api: ApiClient, room: string): Promise<{ roomId: string } | { roomName: string }> {
  if (UUID_PATTERN.test(room)) return { roomId: room };
  try {
    await api.call('GET', `/api/v1/rooms/${seg(room)}`);
    return { roomId: room };
  } catch (error) {
    if (error instanceof CliError && error.code === 'ROOM_NOT_FOUND') return { roomName: room };
    throw error;
  }
}

const globalOptions: Options = {
  url: { type: 'string' },
  key: { type: 'string' },
  secret: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

export function helpText(): string {
  const heads = Object.entries(commands).map(([name, c]) => [name, ...c.positionals.map((p) => `<${p}>`)].join(' '));
  const width = Math.max(...heads.map((h) => h.length));
  const lines = Object.values(commands).map((c, i) => `  atrium ${(heads[i] ?? '').padEnd(width)}  ${c.summary}`);
  return [
    'Usage: atrium <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `atrium <command> --help` for its options. Options for every command:',
    `  --url <url>        the server (default $ATRIUM_URL or ${DEFAULT_URL})`,
    '  --key <key>        API key (default $ATRIUM_API_KEY, else <$DATA_DIR or ./data>/credentials.json)',
    '  --secret <secret>  API secret (default $ATRIUM_API_SECRET, else the credentials file)',
    '  -h, --help         this help, or a command\'s',
    '',
    'Answers are JSON on stdout; errors are {"error":{"code","message"}} on stderr with exit status 1.',
    '',
  ].join('\n');
}

/** The API credentials: flags, then the environment, then the data directory's credentials file. */
function credentials(values: Values, io: CliIo): { key: string; secret: string } {
  const key = str(values, 'key') ?? io.env.ATRIUM_API_KEY;
  const secret = str(values, 'secret') ?? io.env.ATRIUM_API_SECRET;
  if (key && secret) return { key, secret };
  if (key || secret) throw CliError.usage('give both the API key and the secret');
  const file = path.resolve(io.cwd, io.env.DATA_DIR ?? './data', CREDENTIALS_FILE);
  let stored: unknown;
  try {
    stored = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    throw new CliError(
      'NO_CREDENTIALS',
      `no API credentials: pass --key and --secret, set ATRIUM_API_KEY and ATRIUM_API_SECRET, or run where ${path.relative(io.cwd, file) || file} exists`,
    );
  }
  const { apiKey, apiSecret } = (stored ?? {}) as { apiKey?: unknown; apiSecret?: unknown };
  if (typeof apiKey !== 'string' || typeof apiSecret !== 'string') throw new CliError('NO_CREDENTIALS', `${file} holds no apiKey and apiSecret`);
  return { key: apiKey, secret: apiSecret };
}

function parse(argv: string[], options: Options): { values: Values; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: values as Values, positionals };
  } catch (error) {
    throw CliError.usage(error instanceof Error ? error.message : String(error));
  }
}

/** Runs one command line; resolves with the exit status. */
export async function main(
  argv: string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() },
): Promise<number> {
  try {
    // First pass with every option known, only to find the command words among the arguments.
    const allOptions: Options = Object.assign({}, globalOptions, ...Object.values(commands).map((c) => c.options));
    const words = parse(argv, allOptions).positionals;
    const name = words.slice(0, 2).join(' ');
    const command = commands[name];
    const wantsHelp = argv.includes('--help') || argv.includes('-h');
    if (!command) {
      if (wantsHelp) {
        io.stdout.write(helpText());
        return 0;
      }
      if (words.length === 0) {
        io.stderr.write(helpText());
        return 2;
      }
      throw CliError.usage(`unknown command "${name}"`);
    }
    if (wantsHelp) {
      io.stdout.write(`Usage: atrium ${command.usage}\n\n${command.summary}\n`);
      return 0;
    }
    const { values, positionals } = parse(argv, { ...globalOptions, ...command.options });
    const args = positionals.slice(2);
    if (args.length !== command.positionals.length) {
      throw CliError.usage(`expected: atrium ${command.usage}`);
    }
    const { key, secret } = credentials(values, io);
    const api = new ApiClient(str(values, 'url') ?? io.env.ATRIUM_URL ?? DEFAULT_URL, key, secret);
    const result = await command.run(api, args, values);
    io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    const body: { error: { code: string; message: string; details?: unknown } } = { error: { code: error.code, message: error.message } };
    if (error.details !== undefined) body.error.details = error.details;
    io.stderr.write(`${JSON.stringify(body)}\n`);
    return error.exitCode;
  }
}
