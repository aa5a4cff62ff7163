/**
 * @module Server configuration: environment variables parsed and validated once, with defaults
 * that make `npm start` work on a laptop.
 */
import path from 'node:path';
import { z } from 'zod';
import { parseCidrList, type Cidr } from './sfu/ice-filter.js';

export interface Config {
  /** TCP port for HTTP and WebSocket; 0 picks a free one (tests). */
  port: number;
  /** Address the HTTP server binds to. */
  host: string;
  /** Where the SQLite file, generated credentials and (later) recordings live. */
  dataDir: string;
  /** Postgres connection string; null keeps the SQLite file in `dataDir`. */
  databaseUrl: string | null;
  /** API credentials from the environment; when null, generated and kept in `dataDir`. */
  apiKey: string | null;
  apiSecret: string | null;
  /** Serve the demo page and its dev-only token route. */
  demo: boolean;
  /** An access token request naming a room that does not exist (`roomName`) creates it. */
  autoCreateRooms: boolean;
  /** Lifetime of each refresh token, in seconds. */
  refreshTokenTtlSeconds: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Ping interval on signaling sockets; a socket silent for two intervals is dropped. */
  signalHeartbeatMs: number;
  /** How long an endpoint whose signaling socket dropped is kept for `resume`, in ms. */
  reconnectGraceMs: number;
  /** Milliseconds in one minute of a room's `autoCloseConfig.duration` (tests shorten it). */
  autoCloseMinuteMs: number;
  rtc: RtcConfig;
  webhooks: WebhookConfig;
  /** Recordings: where files land and which ffmpeg/ffprobe make them. */
  recordings: { dir: string; ffmpegPath: string; ffprobePath: string };
  /** Live composites: RTMP/HLS outputs and room previews. */
  live: { dir: string; ffmpegPath: string; previewIntervalSeconds: number };
  playback: PlaybackConfig;
  /** Compositions: where the rendered files land. */
  compositions: { dir: string };
}

/** Which URLs `play` may read (everything else is PLAYBACK_URL_REFUSED). */
export interface PlaybackConfig {
  /** Network schemes allowed (a subset of http, https, rtmp, rtmps). */
  allowedSchemes: string[];
  /** Files may be played only from under this directory; null refuses every file. */
  fileDir: string | null;
  /** Allow hosts that resolve to loopback, private, link-local or other non-public addresses. */
  allowPrivateHosts: boolean;
  ffmpegPath: string;
  ffprobePath: string;
}

/** The network schemes playback can read. */
export const PLAYBACK_SCHEMES = ['http', 'https', 'rtmp', 'rtmps'] as const;

export interface WebhookConfig {
  /** Per-attempt timeout of a webhook POST. */
  timeoutMs: number;
  /** First retry delay; doubled per attempt (with jitter) up to an hour. */
  retryBaseMs: number;
  /** A delivery is retried until this long after its event, then marked failed. */
  maxAgeMs: number;
  /** How often the dispatcher looks for due deliveries. */
  pollIntervalMs: number;
}

export interface RtcConfig {
  /** Addresses written into our ICE candidates in place of the bound ones (NAT, containers). */
  announcedIps: string[];
  /** Extra local addresses to gather on (werift skips loopback by default). */
  additionalHostAddresses: string[];
  /** UDP port range for media; undefined lets the OS choose. */
  portRange: [number, number] | undefined;
  /** Remote ICE candidates must fall inside one of these networks; others are ignored. */
  allowedNetworks: Cidr[];
  /** Minimum interval between keyframe requests forwarded to one publisher track, in ms. */
  keyframeRequestIntervalMs: number;
  /** Video bitrate budget told to publishers (bits/s). */
  videoBitrate: { initial: number; min: number; max: number };
}

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(7880),
  HOST: z.string().default('0.0.0.0'),
  DATA_DIR: z.string().default('./data'),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  ATRIUM_API_KEY: z.string().min(8).max(200).optional(),
  ATRIUM_API_SECRET: z.string().min(16).max(500).optional(),
  ATRIUM_DEMO: z.enum(['0', '1', 'true', 'false']).default('1'),
  ATRIUM_AUTO_CREATE_ROOMS: z.enum(['0', '1', 'true', 'false']).default('1'),
  ATRIUM_REFRESH_TOKEN_TTL_SECONDS: z.coerce.number().int().min(1).max(90 * 86_400).default(7 * 86_400),
  ATRIUM_AUTO_CLOSE_MINUTE_MS: z.coerce.number().int().min(10).max(60_000).default(60_000),
  ATRIUM_SIGNAL_HEARTBEAT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** Seconds a dropped endpoint may `resume` before it leaves with `connection-lost` (fractions allowed; 0 = leave at once). */
  ATRIUM_RECONNECT_GRACE_SECONDS: z.coerce.number().min(0).max(3600).default(20),
  ATRIUM_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  ATRIUM_WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(1).max(3_600_000).default(1_000),
  /** Hours a delivery is retried; fractions allowed (tests). */
  ATRIUM_WEBHOOK_MAX_AGE_HOURS: z.coerce.number().positive().max(30 * 24).default(24),
  ATRIUM_WEBHOOK_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ATRIUM_ANNOUNCED_IP: z.string().optional(),
  ATRIUM_ICE_HOST_ADDRESSES: z.string().default('127.0.0.1'),
  ATRIUM_RTC_PORT_RANGE: z
    .string()
    .regex(/^\d+-\d+$/, 'expected MIN-MAX, e.g. 40000-49999')
    .optional(),
  /**
   * Comma-separated CIDRs that remote ICE candidates must fall in. The default admits every
   * unicast address except link-local, multicast and "this network" ranges.
   */
  ATRIUM_ICE_ALLOWED_NETWORKS: z.string().default('0.0.0.0/0,::/0'),
  ATRIUM_KEYFRAME_INTERVAL_MS: z.coerce.number().int().min(0).max(60_000).default(500),
  ATRIUM_VIDEO_BITRATE_INITIAL: z.coerce.number().int().min(50_000).max(50_000_000).default(1_000_000),
  ATRIUM_VIDEO_BITRATE_MAX: z.coerce.number().int().min(50_000).max(50_000_000).default(2_500_000),
  /** Where recording files land; default `DATA_DIR/recordings`. */
  ATRIUM_RECORDINGS_DIR: z.string().optional(),
  /** Where composition files land; default `DATA_DIR/compositions`. */
  ATRIUM_COMPOSITIONS_DIR: z.string().optional(),
  ATRIUM_FFMPEG_PATH: z.string().min(1).default('ffmpeg'),
  /** Where HLS playlists, segments and room previews are written; default `DATA_DIR/live`. */
  ATRIUM_LIVE_DIR: z.string().optional(),
  /** How often a room preview image is refreshed. */
  ATRIUM_PREVIEW_INTERVAL_SECONDS: z.coerce.number().min(1).max(300).default(5),
  ATRIUM_FFPROBE_PATH: z.string().min(1).default('ffprobe'),
  /** Comma-separated network schemes `play` may read (of http, https, rtmp, rtmps). */
  ATRIUM_PLAYBACK_ALLOWED_SCHEMES: z
    .string()
    .default('https,http,rtmp,rtmps')
    .refine(
      (v) => splitList(v).every((scheme) => (PLAYBACK_SCHEMES as readonly string[]).includes(scheme.toLowerCase())),
      `each scheme must be one of ${PLAYBACK_SCHEMES.join(', ')}`,
    ),
  /** Directory whose files `play` may read (file: URLs or paths); unset refuses files. */
  ATRIUM_PLAYBACK_FILE_DIR: z.string().min(1).optional(),
  ATRIUM_PLAYBACK_ALLOW_PRIVATE_HOSTS: z.enum(['0', '1', 'true', 'false']).default('false'),
});

function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Parses the environment into a Config; throws a readable error naming the bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.join('.')}: ${i.message}`)
      .join('; ');
    throw new Error(`invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  if ((e.ATRIUM_API_KEY === undefined) !== (e.ATRIUM_API_SECRET === undefined)) {
    throw new Error('invalid configuration: set both ATRIUM_API_KEY and ATRIUM_API_SECRET, or neither');
  }
  let portRange: [number, number] | undefined;
  if (e.ATRIUM_RTC_PORT_RANGE) {
    const [min, max] = e.ATRIUM_RTC_PORT_RANGE.split('-').map(Number) as [number, number];
    if (!(min >= 1024 && max <= 65_535 && min < max)) {
      throw new Error('invalid configuration: ATRIUM_RTC_PORT_RANGE must be MIN-MAX within 1024-65535, MIN < MAX');
    }
    portRange = [min, max];
  }
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: path.resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL ?? null,
    apiKey: e.ATRIUM_API_KEY ?? null,
    apiSecret: e.ATRIUM_API_SECRET ?? null,
    demo: e.ATRIUM_DEMO === '1' || e.ATRIUM_DEMO === 'true',
    autoCreateRooms: e.ATRIUM_AUTO_CREATE_ROOMS === '1' || e.ATRIUM_AUTO_CREATE_ROOMS === 'true',
    refreshTokenTtlSeconds: e.ATRIUM_REFRESH_TOKEN_TTL_SECONDS,
    logLevel: e.LOG_LEVEL,
    signalHeartbeatMs: e.ATRIUM_SIGNAL_HEARTBEAT_MS,
    reconnectGraceMs: Math.round(e.ATRIUM_RECONNECT_GRACE_SECONDS * 1000),
    autoCloseMinuteMs: e.ATRIUM_AUTO_CLOSE_MINUTE_MS,
    webhooks: {
      timeoutMs: e.ATRIUM_WEBHOOK_TIMEOUT_MS,
      retryBaseMs: e.ATRIUM_WEBHOOK_RETRY_BASE_MS,
      maxAgeMs: Math.round(e.ATRIUM_WEBHOOK_MAX_AGE_HOURS * 3_600_000),
      pollIntervalMs: e.ATRIUM_WEBHOOK_POLL_MS,
    },
    recordings: {
      dir: path.resolve(e.ATRIUM_RECORDINGS_DIR ?? path.join(e.DATA_DIR, 'recordings')),
      ffmpegPath: e.ATRIUM_FFMPEG_PATH,
      ffprobePath: e.ATRIUM_FFPROBE_PATH,
    },
    live: {
      dir: path.resolve(e.ATRIUM_LIVE_DIR ?? path.join(e.DATA_DIR, 'live')),
      ffmpegPath: e.ATRIUM_FFMPEG_PATH,
      previewIntervalSeconds: e.ATRIUM_PREVIEW_INTERVAL_SECONDS,
    },
    playback: {
      allowedSchemes: splitList(e.ATRIUM_PLAYBACK_ALLOWED_SCHEMES).map((scheme) => scheme.toLowerCase()),
      fileDir: e.ATRIUM_PLAYBACK_FILE_DIR ? path.resolve(e.ATRIUM_PLAYBACK_FILE_DIR) : null,
      allowPrivateHosts: e.ATRIUM_PLAYBACK_ALLOW_PRIVATE_HOSTS === '1' || e.ATRIUM_PLAYBACK_ALLOW_PRIVATE_HOSTS === 'true',
      ffmpegPath: e.ATRIUM_FFMPEG_PATH,
      ffprobePath: e.ATRIUM_FFPROBE_PATH,
    },
    compositions: {
      dir: path.resolve(e.ATRIUM_COMPOSITIONS_DIR ?? path.join(e.DATA_DIR, 'compositions')),
    },
    rtc: {
      announcedIps: splitList(e.ATRIUM_ANNOUNCED_IP),
      additionalHostAddresses: splitList(e.ATRIUM_ICE_HOST_ADDRESSES),
      portRange,
      allowedNetworks: parseCidrList(e.ATRIUM_ICE_ALLOWED_NETWORKS),
      keyframeRequestIntervalMs: e.ATRIUM_KEYFRAME_INTERVAL_MS,
      videoBitrate: {
        initial: Math.min(e.ATRIUM_VIDEO_BITRATE_INITIAL, e.ATRIUM_VIDEO_BITRATE_MAX),
        min: 100_000,
        max: e.ATRIUM_VIDEO_BITRATE_MAX,
      },
    },
  };
}
