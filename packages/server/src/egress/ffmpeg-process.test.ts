/**
 * @module The ffmpeg supervisor with Debian's real ffmpeg: a stop closes the output properly, and
 * failures read as what they are — ffmpeg missing, the disk full (writing to /dev/full gives
 * ENOSPC), or ffmpeg's own last error lines.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { FfmpegProcess } from './ffmpeg-process.js';
import { trackSdp } from './rtp-sdp.js';

const failureOf = (process: FfmpegProcess): Promise<string> => new Promise((resolve) => process.once('failed', resolve));

test('stop() has ffmpeg close its file: the output is complete and readable', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrium-ffmpeg-'));
  try {
    const out = path.join(dir, 'tone.webm');
    const ffmpeg = new FfmpegProcess('ffmpeg', ['-hide_banner', '-loglevel', 'warning', '-nostats', '-re', '-f', 'lavfi', '-i', 'sine=frequency=440', '-c:a', 'libopus', '-f', 'webm', out]);
    let failed = false;
    ffmpeg.on('failed', () => (failed = true));
    await new Promise((r) => setTimeout(r, 1500));
    const exit = await ffmpeg.stop();
    assert.equal(exit.code, 0);
    assert.equal(failed, false);
    const duration = Number(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', out]).toString());
    assert.ok(duration > 0.5, `duration ${duration}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a missing ffmpeg is reported as such', async () => {
  const ffmpeg = new FfmpegProcess('/nonexistent/ffmpeg', ['-version']);
  assert.match(await failureOf(ffmpeg), /ffmpeg is not installed.*ATRIUM_FFMPEG_PATH/);
});

test('a full disk (ENOSPC) is reported as such', async () => {
  const ffmpeg = new FfmpegProcess('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'sine', '-t', '5', '-f', 'wav', '/dev/full']);
  assert.match(await failureOf(ffmpeg), /disk is full \(ENOSPC\)/);
});

test('any other failure carries ffmpeg’s last error lines', async () => {
  const ffmpeg = new FfmpegProcess('ffmpeg', ['-hide_banner', '-i', '/nonexistent/input.sdp', '-f', 'null', '-']);
  const reason = await failureOf(ffmpeg);
  assert.match(reason, /exited with code 1/);
  assert.match(reason, /No such file or directory/);
  assert.ok(ffmpeg.stderrTail().length > 0);
});

test('the SDP names the codec, clock rate and port ffmpeg listens on', () => {
  const video = trackSdp('video', 50000);
  assert.match(video, /^m=video 50000 RTP\/AVP 96$/m);
  assert.match(video, /^a=rtpmap:96 VP8\/90000$/m);
  const audio = trackSdp('audio', 50002);
  assert.match(audio, /^m=audio 50002 RTP\/AVP 111$/m);
  assert.match(audio, /^a=rtpmap:111 opus\/48000\/2$/m);
});
