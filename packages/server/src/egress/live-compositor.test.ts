/**
 * The live compositor with Debian's ffmpeg: four fixed slots, one fed by a scripted VP8 source
 * that joins then leaves (a layout change), the others filler; its MPEG-TS copied to HLS on disk
 * by a LiveOutput. The segments are H.264 1280×720 + AAC by ffprobe, segments keep coming after
 * the member left with the same ffmpeg process (no restart), the slot follows its layer's
 * rectangle (what is seen there: test/live-streams.test.ts, with real publishers), and the
 * preview JPEG is written.
 * Also the pure filter/output builders.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { RtpHeader, RtpPacket } from 'werift';
import type { VideoLayoutLayer } from '@atrium/protocol';
import type { RtpSink } from '../sfu/published-track.js';
import { compositeFilter, gridOf, gridRect, layerRect, LiveCompositor, type LiveLayoutFeed } from './live-compositor.js';
import { HLS_PLAYLIST, LiveOutput, outputArgs, playlistSegments } from './live-output.js';
import type { SlotSource } from './slot-relay.js';
import { encodeVp8Frames } from './vp8-frames.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

class ScriptedSource implements SlotSource {
  readonly sinks = new Set<RtpSink>();
  private seq = 1;
  addSink(sink: RtpSink): void {
    this.sinks.add(sink);
  }
  removeSink(sink: RtpSink): void {
    this.sinks.delete(sink);
  }
  requestKeyframe(): void {}
  /** One VP8 frame as RTP packets of at most 1 100 payload bytes, as a publisher sends it (ffmpeg's RTP input reads datagrams of at most 1 472 bytes). */
  push(frame: Buffer, timestamp: number): void {
    for (let offset = 0; offset < frame.length; offset += 1100) {
      const last = offset + 1100 >= frame.length;
      const payload = Buffer.concat([Buffer.from([offset === 0 ? 0x10 : 0x00]), frame.subarray(offset, offset + 1100)]);
      const packet = new RtpPacket(new RtpHeader({ payloadType: 100, sequenceNumber: this.seq++ & 0xffff, timestamp, ssrc: 77, marker: last }), payload);
      for (const sink of this.sinks) sink.writeRtp(packet);
    }
  }
}

class Feed extends EventEmitter implements LiveLayoutFeed {
  current: VideoLayoutLayer[] = [];
  layers(): VideoLayoutLayer[] {
    return this.current;
  }
  set(layers: VideoLayoutLayer[]): void {
    this.current = layers;
    this.emit('layout');
  }
}

const layer = (memberId: string, rect = { x: 0, y: 0, width: 50, height: 50 }): VideoLayoutLayer => ({
  memberId, streamTag: 'camera', ...rect, layerIndex: 0, zIndex: 0,
  reservation: 'standard-1', position: 'auto', playingFile: false, visible: true,
});

const segmentsOf = (dir: string): string[] =>
  fs.existsSync(path.join(dir, HLS_PLAYLIST)) ? playlistSegments(fs.readFileSync(path.join(dir, HLS_PLAYLIST), 'utf8')) : [];

function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

test('filter graph and output arguments', () => {
  assert.deepEqual(gridOf(4), [2, 2]);
  assert.deepEqual(gridOf(2), [2, 1]);
  const graph = compositeFilter(4, 1280, 720, 25);
  assert.match(graph, /^color=c=black:size=1280x720:rate=25\[c0\]/);
  assert.match(graph, /\[0:v\]scale@s0=w=640:h=360:force_original_aspect_ratio=increase,crop@c0=w=640:h=360/);
  assert.match(graph, /\[c3\]\[v3\]overlay@o3=x=640:y=360:eof_action=repeat\[v\]/);
  assert.deepEqual(gridRect(1, 4, 1280, 720), { x: 640, y: 0, width: 640, height: 360 });
  assert.deepEqual(layerRect({ x: 25, y: 50, width: 50, height: 50 }, 1280, 720), { x: 320, y: 360, width: 640, height: 360 });
  assert.match(graph, /\[1:a\]\[3:a\]\[5:a\]\[7:a\]amix=inputs=4:normalize=0/);
  assert.match(compositeFilter(1, 640, 360, 25), /anull\[a\]/);
  assert.match(compositeFilter(4, 1280, 720, 25, 5), /\[v\]split=2\[vout\]\[vsplit\];\[vsplit\]fps=1\/5,scale=640:-2\[vpreview\]$/);
  assert.deepEqual(outputArgs({ kind: 'rtmp', url: 'rtmp://h/live/k' }), ['-f', 'flv', 'rtmp://h/live/k']);
  const hlsArgs = outputArgs({ kind: 'hls', dir: '/d' });
  assert.equal(hlsArgs.at(-1), '/d/index.m3u8');
  assert.equal(hlsArgs[hlsArgs.indexOf('-hls_segment_filename') + 1], '/d/seg-%05d.ts');
});

test('live composite to HLS: h264 + aac segments, a member joins and leaves without an ffmpeg restart', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrium-live-'));
  const hls = path.join(dir, 'hls');
  const feed = new Feed();
  const alice = new ScriptedSource();
  const compositor = new LiveCompositor({
    ffmpegPath: 'ffmpeg',
    workDir: dir,
    feed,
    resolve: (memberId, _tag, kind) => (memberId === 'alice' && kind === 'video' ? alice : null),
    previewFile: path.join(dir, 'preview.jpg'),
    previewIntervalSeconds: 1,
  });
  const output = new LiveOutput('ffmpeg', { kind: 'hls', dir: hls, segmentSeconds: 1 });
  let playable = false;
  output.on('playable', () => (playable = true));
  compositor.on('mpegts', (chunk) => output.write(chunk));
  try {
    await compositor.start();
    const pid = compositor.pid;
    assert.ok(pid);
    const frames = await encodeVp8Frames('ffmpeg', { color: 'red', width: 320, height: 180, count: 150, gop: 25 });
    // ffmpeg probes its 8 inputs before it encodes: wait for the first segment (filler only).
    const firstDeadline = Date.now() + 20_000;
    while (segmentsOf(hls).length === 0) {
      assert.ok(compositor.running, `ffmpeg ended: ${compositor.stderrTail().join(' | ')}`);
      assert.ok(Date.now() < firstDeadline, `no segment: ${compositor.stderrTail().join(' | ')}`);
      await sleep(100);
    }
    feed.set([layer('alice')]);
    assert.deepEqual(compositor.slotKeys(), ['alice:camera', undefined, undefined, undefined]);
    const cpuBefore = cpuSeconds(pid);
    const started = Date.now();
    for (let i = 0; i < frames.length; i++) {
      alice.push(frames[i]!.data, i * 3600);
      await sleep(40);
      // Placed by its layer: the top-left quarter, then the whole canvas (ffmpeg commands, no restart).
      if (i === 75) feed.set([layer('alice', { x: 0, y: 0, width: 100, height: 100 })]);
    }
    assert.deepEqual(compositor.slotRects()[0], { x: 0, y: 0, width: 1280, height: 720 });
    assert.deepEqual(compositor.slotRects()[1], { x: 1280, y: 720, width: 640, height: 360 }, 'an empty slot is off the canvas');
    console.log(`live compositor ffmpeg CPU (4 slots, 1 fed, 1280x720 25 fps): ${(((cpuSeconds(pid) - cpuBefore) / ((Date.now() - started) / 1000)) * 100).toFixed(1)}% of one core`);
    feed.set([]);
    assert.deepEqual(compositor.slotKeys(), [undefined, undefined, undefined, undefined]);
    const countAfterLeave = segmentsOf(hls).length;
    // Segments keep coming with only fillers, from the same process.
    const deadline = Date.now() + 15_000;
    while (segmentsOf(hls).length < Math.max(3, countAfterLeave + 2)) {
      assert.ok(compositor.running, `ffmpeg ended: ${compositor.stderrTail().join(' | ')}`);
      assert.ok(Date.now() < deadline, `segments: ${segmentsOf(hls).join(', ')}; ${compositor.stderrTail().join(' | ')}`);
      await sleep(200);
    }
    assert.equal(compositor.pid, pid);
    assert.ok(playable, 'the output said playable');
    const jpeg = fs.readFileSync(path.join(dir, 'preview.jpg'));
    assert.deepEqual([...jpeg.subarray(0, 2)], [0xff, 0xd8], 'the preview is a JPEG');
    const segment = path.join(hls, segmentsOf(hls)[0]!);
    const probed = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', segment]).toString()) as {
      streams: Array<{ codec_type: string; codec_name: string; width?: number; height?: number }>;
    };
    const video = probed.streams.find((s) => s.codec_type === 'video');
    assert.equal(video?.codec_name, 'h264');
    assert.equal(video?.width, 1280);
    assert.equal(video?.height, 720);
    assert.equal(probed.streams.find((s) => s.codec_type === 'audio')?.codec_name, 'aac');
  } finally {
    await output.stop();
    await compositor.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
