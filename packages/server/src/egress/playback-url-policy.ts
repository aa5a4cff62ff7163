/**
 * @module Which URLs a playback may read, decided before ffmpeg sees them: a network scheme the
 * operator allowed, a host that does not resolve to a loopback/private/link-local address (unless
 * allowed), or a file under the playback directory (real path inside it: no `..`, no symlink out).
 * Everything else is PLAYBACK_URL_REFUSED with a message saying why.
 *
 * ffmpeg is then held to the same decision: `-protocol_whitelist` limits it to the input's own
 * protocols (an HLS playlist over HTTP cannot name a `file:` segment), and HTTP redirects are not
 * followed unless private hosts are allowed (a redirect could lead to one). Known gap: the host is
 * resolved here and again by ffmpeg (DNS rebinding), and nested URLs of a playlist are not checked.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AtriumError, ErrorCode } from '@atrium/protocol';
import type { PlaybackConfig } from '../config.js';

/** What ffmpeg is given for an allowed URL. */
export interface PlaybackInput {
  /** ffmpeg's `-i`. */
  input: string;
  /** ffmpeg's `-protocol_whitelist` for it. */
  protocols: string;
  /** Extra input options (before `-i`). */
  inputOptions: string[];
  /** The URL as shown to endpoints: user and password redacted. */
  displayUrl: string;
  /** The virtual member's name: the file's name, or the host of a stream. */
  name: string;
  /** Files and HTTP can seek; RTMP is live. */
  seekable: boolean;
}

export type HostLookup = (hostname: string) => Promise<string[]>;

const defaultLookup: HostLookup = async (hostname) => (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

/** Addresses a playback may not reach unless the operator allows private hosts. */
const nonPublic = new net.BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  nonPublic.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  nonPublic.addSubnet(network, prefix, 'ipv6');
}

/** True for loopback, private, link-local, CGNAT, multicast and unspecified addresses. */
export function isNonPublicAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return nonPublic.check(mapped[1]!, 'ipv4');
  const family = net.isIP(address);
  if (family === 0) return true;
  return nonPublic.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

function refused(message: string): AtriumError {
  return new AtriumError(ErrorCode.PLAYBACK_URL_REFUSED, message);
}

/** Checks `raw` against the operator's playback settings; resolves with what ffmpeg gets, or rejects PLAYBACK_URL_REFUSED. */
export async function checkPlaybackUrl(raw: string, config: PlaybackConfig, lookup: HostLookup = defaultLookup): Promise<PlaybackInput> {
  const trimmed = raw.trim();
  // A bare path (absolute, or relative to the playback directory) is a file.
  if (!/^[a-z][a-z0-9+.-]*:/i.test(trimmed)) return checkFile(trimmed, config);
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw refused('the playback URL could not be parsed');
  }
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  if (scheme === 'file') {
    if (url.host !== '' && url.host !== 'localhost') throw refused('file: URLs must name a local file (file:///path)');
    return checkFile(fileURLToPath(url), config);
  }
  if (!config.allowedSchemes.includes(scheme)) {
    const allowed = [...config.allowedSchemes, ...(config.fileDir ? ['file'] : [])];
    throw refused(`the scheme "${scheme}:" is not allowed for playback (allowed: ${allowed.join(', ') || 'none'})`);
  }
  await checkHost(url.hostname, config, lookup);
  const display = new URL(url.href);
  if (display.username || display.password) {
    display.username = display.username ? '***' : '';
    display.password = display.password ? '***' : '';
  }
  const http = scheme === 'http' || scheme === 'https';
  const lastSegment = decodeURIComponent(url.pathname.split('/').filter(Boolean).pop() ?? '');
  return {
    input: url.href,
    protocols: http ? 'http,https,tcp,tls,crypto' : 'rtmp,rtmps,tcp,tls',
    // A redirect could lead to a private host: follow none unless those are allowed.
    inputOptions: http && !config.allowPrivateHosts ? ['-max_redirects', '0'] : [],
    displayUrl: display.href,
    // An RTMP path ends in the stream key, a secret: name the member after the host instead.
    name: http && lastSegment ? lastSegment : url.hostname,
    seekable: http,
  };
}

async function checkHost(hostname: string, config: PlaybackConfig, lookup: HostLookup): Promise<void> {
  if (!hostname) throw refused('the playback URL has no host');
  if (config.allowPrivateHosts) return;
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  let addresses: string[];
  if (net.isIP(bare) !== 0) {
    addresses = [bare];
  } else {
    try {
      addresses = await lookup(bare);
    } catch {
      throw refused(`the host "${bare}" could not be resolved`);
    }
  }
  if (addresses.length === 0) throw refused(`the host "${bare}" could not be resolved`);
  const blocked = addresses.find((address) => isNonPublicAddress(address));
  if (blocked) {
    throw refused(
      `the host "${bare}" resolves to ${blocked}, a loopback, private or link-local address; ` +
        'playback of such hosts is refused unless the operator sets ATRIUM_PLAYBACK_ALLOW_PRIVATE_HOSTS=true',
    );
  }
}

async function checkFile(requested: string, config: PlaybackConfig): Promise<PlaybackInput> {
  if (!config.fileDir) throw refused('playing files is not enabled on this server (ATRIUM_PLAYBACK_FILE_DIR is not set)');
  const outside = refused('files may only be played from the server’s playback directory');
  if (requested.includes('\0')) throw outside;
  let root: string;
  try {
    root = await fs.realpath(config.fileDir);
  } catch {
    throw refused('the server’s playback directory does not exist');
  }
  const lexical = path.resolve(root, requested);
  if (!isInside(root, lexical) && !isInside(config.fileDir, lexical)) throw outside;
  let real: string;
  try {
    real = await fs.realpath(lexical);
  } catch {
    throw refused(`no file "${path.basename(lexical)}" in the playback directory`);
  }
  // A symlink inside the directory may point outside it.
  if (!isInside(root, real)) throw outside;
  const stat = await fs.stat(real);
  if (!stat.isFile()) throw refused(`"${path.basename(real)}" is not a file`);
  return {
    input: `file:${real}`,
    protocols: 'file',
    inputOptions: [],
    displayUrl: pathToFileURL(real).href,
    name: path.basename(real),
    seekable: true,
  };
}

function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative !== '' && relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}
