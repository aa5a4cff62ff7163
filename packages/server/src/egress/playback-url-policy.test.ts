/**
 * @module The playback URL policy: schemes the operator allowed, files only under the playback
 * directory (no `..`, no symlink out), hosts resolving to non-public addresses refused unless
 * allowed, and what ffmpeg is then told (protocol whitelist, no redirects, redacted display URL).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { AtriumError } from '@atrium/protocol';
import type { PlaybackConfig } from '../config.js';
import { checkPlaybackUrl, isNonPublicAddress, type HostLookup } from './playback-url-policy.js';

let dir: string;
let config: PlaybackConfig;
const hosts: Record<string, string[]> = {
  'cdn.example': ['93.184.216.34'],
  'intranet.example': ['10.1.2.3'],
  'mixed.example': ['93.184.216.34', '192.168.1.5'],
  'v6local.example': ['fe80::1'],
};
const lookup: HostLookup = async (hostname) => {
  const found = hosts[hostname];
  if (!found) throw new Error('ENOTFOUND');
  return found;
};

const refusedWith = (pattern: RegExp) => (error: unknown) =>
  AtriumError.is(error, 'PLAYBACK_URL_REFUSED') && error.status === 403 && pattern.test(error.message);

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrium-policy-'));
  fs.writeFileSync(path.join(dir, 'clip.mp4'), 'x');
  fs.mkdirSync(path.join(dir, 'sub'));
  fs.writeFileSync(path.join(dir, 'sub', 'b c.webm'), 'x');
  fs.symlinkSync('/etc/hostname', path.join(dir, 'out.mp4'));
  config = { allowedSchemes: ['https', 'http', 'rtmp', 'rtmps'], fileDir: dir, allowPrivateHosts: false, ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe' };
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('files: under the directory only, by file: URL, absolute or relative path', async () => {
  const real = fs.realpathSync(dir);
  const byUrl = await checkPlaybackUrl(`file://${dir}/clip.mp4`, config, lookup);
  assert.equal(byUrl.input, `file:${real}/clip.mp4`);
  assert.equal(byUrl.protocols, 'file');
  assert.equal(byUrl.name, 'clip.mp4');
  assert.equal(byUrl.seekable, true);
  assert.equal((await checkPlaybackUrl('sub/b c.webm', config, lookup)).name, 'b c.webm');
  assert.equal((await checkPlaybackUrl(`${dir}/sub/../clip.mp4`, config, lookup)).name, 'clip.mp4');
  for (const outside of ['file:///etc/passwd', '/etc/passwd', '../x.mp4', `${dir}/../x.mp4`, `file://${dir}/%2e%2e/x.mp4`, 'out.mp4']) {
    await assert.rejects(checkPlaybackUrl(outside, config, lookup), refusedWith(/playback directory/), outside);
  }
  await assert.rejects(checkPlaybackUrl('missing.mp4', config, lookup), refusedWith(/no file "missing.mp4"/));
  await assert.rejects(checkPlaybackUrl('sub', config, lookup), refusedWith(/not a file/));
  await assert.rejects(checkPlaybackUrl('file://otherhost/clip.mp4', config, lookup), refusedWith(/local file/));
  await assert.rejects(checkPlaybackUrl('clip.mp4', { ...config, fileDir: null }, lookup), refusedWith(/ATRIUM_PLAYBACK_FILE_DIR/));
});

test('schemes: only those allowed; the message lists them', async () => {
  await assert.rejects(checkPlaybackUrl('ftp://cdn.example/a.mp4', config, lookup), refusedWith(/"ftp:" is not allowed.*https, http, rtmp, rtmps, file/));
  await assert.rejects(checkPlaybackUrl('rtsp://cdn.example/a', config, lookup), refusedWith(/"rtsp:"/));
  await assert.rejects(checkPlaybackUrl('rtmp://cdn.example/live/key', { ...config, allowedSchemes: ['https'] }, lookup), refusedWith(/"rtmp:" is not allowed for playback \(allowed: https, file\)/));
});

test('hosts: public ones pass; loopback, private, link-local and unresolvable ones are refused unless allowed', async () => {
  const https = await checkPlaybackUrl('https://user:secret@cdn.example/videos/talk%201.mp4?sig=1', config, lookup);
  assert.equal(https.input, 'https://user:secret@cdn.example/videos/talk%201.mp4?sig=1');
  assert.equal(https.displayUrl, 'https://***:***@cdn.example/videos/talk%201.mp4?sig=1');
  assert.equal(https.name, 'talk 1.mp4');
  assert.equal(https.protocols, 'http,https,tcp,tls,crypto');
  assert.deepEqual(https.inputOptions, ['-max_redirects', '0'], 'a redirect could lead to a private host');
  const rtmp = await checkPlaybackUrl('rtmp://cdn.example/live/stream-key', config, lookup);
  assert.equal(rtmp.name, 'cdn.example', 'the stream key stays out of the member name');
  assert.equal(rtmp.seekable, false);
  for (const url of ['http://127.0.0.1/a', 'http://localhost.:80/a', 'http://[::1]/a', 'http://intranet.example/a', 'http://mixed.example/a', 'http://v6local.example/a', 'http://169.254.169.254/latest', 'http://[::ffff:10.0.0.1]/a', 'http://0.0.0.0/a']) {
    await assert.rejects(checkPlaybackUrl(url, { ...config }, async (h) => (h === 'localhost.' ? ['127.0.0.1'] : lookup(h))), refusedWith(/resolves to|could not be resolved/), url);
  }
  await assert.rejects(checkPlaybackUrl('http://nowhere.example/a', config, lookup), refusedWith(/could not be resolved/));
  const allowed = await checkPlaybackUrl('http://127.0.0.1:8080/a.mp4', { ...config, allowPrivateHosts: true }, lookup);
  assert.deepEqual(allowed.inputOptions, [], 'redirects are followed when private hosts are allowed anyway');
});

test('non-public addresses', () => {
  for (const address of ['127.0.0.1', '10.0.0.1', '172.16.5.4', '192.168.0.1', '169.254.1.1', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', '::', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1']) {
    assert.equal(isNonPublicAddress(address), true, address);
  }
  for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700::1111', '172.32.0.1']) {
    assert.equal(isNonPublicAddress(address), false, address);
  }
});
