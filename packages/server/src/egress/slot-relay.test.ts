/**
 * @module The slot relay: one continuous RTP stream per layout slot. Unit checks with scripted
 * sources (fixed SSRC, continuous sequence numbers, video switches only at a keyframe, filler while
 * empty or stalled), then Debian's ffmpeg decoding a slot whose source comes, leaves and is
 * replaced: the decoded stream never stalls.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { after, test } from 'node:test';
import { RtpHeader, RtpPacket } from 'werift';
import type { RtpSink } from '../sfu/published-track.js';
import { FfmpegProcess } from './ffmpeg-process.js';
import { freeRtpPort, trackSdp, udpPortBound } from './rtp-sdp.js';
import { OPUS_SILENCE_FRAME, SlotRelay, type SlotSource } from './slot-relay.js';
import { blackVp8Keyframe, encodeVp8Frames, type Vp8Frame } from './vp8-frames.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A scripted source: the test pushes packets; it records keyframe requests and its sinks. */
class ScriptedSource implements SlotSource {
  readonly sinks = new Set<RtpSink>();
  keyframeRequests = 0;
  private seq = 1000;
  constructor(readonly ssrc: number) {}
  addSink(sink: RtpSink): void {
    this.sinks.add(sink);
  }
  removeSink(sink: RtpSink): void {
    this.sinks.delete(sink);
  }
  requestKeyframe(): void {
    this.keyframeRequests++;
  }
  push(payload: Buffer, timestamp: number, marker = true): void {
    const packet = new RtpPacket(new RtpHeader({ payloadType: 100, sequenceNumber: this.seq++ & 0xffff, timestamp, ssrc: this.ssrc, marker }), payload);
    for (const sink of this.sinks) sink.writeRtp(packet);
  }
}

/** VP8 payloads: descriptor (S=1, partition 0) then a frame whose first byte marks key/delta. */
const vp8 = (keyframe: boolean, tag = 0): Buffer => Buffer.from([0x10, keyframe ? 0x00 : 0x01, tag]);

function collect(): { packets: RtpPacket[]; send: (b: Buffer) => void } {
  const packets: RtpPacket[] = [];
  return { packets, send: (b) => packets.push(RtpPacket.deSerialize(b)) };
}

function assertContinuous(packets: RtpPacket[], ssrc: number): void {
  for (let i = 1; i < packets.length; i++) {
    assert.equal(packets[i]!.header.ssrc, ssrc);
    assert.equal(packets[i]!.header.sequenceNumber, (packets[i - 1]!.header.sequenceNumber + 1) & 0xffff, `sequence at ${i}`);
    const dt = (packets[i]!.header.timestamp - packets[i - 1]!.header.timestamp) | 0;
    assert.ok(dt >= 0, `timestamp goes back at ${i}: ${dt}`);
  }
}

const relays: SlotRelay[] = [];
after(() => relays.forEach((r) => r.close()));

test('audio slot: silence while empty, then the assigned source, then another; one SSRC, continuous sequence', async () => {
  const out = collect();
  const relay = new SlotRelay({ kind: 'audio', ssrc: 0xabc, payloadType: 111, send: out.send });
  relays.push(relay);
  await sleep(100);
  assert.ok(out.packets.length >= 2, 'silence flows while the slot is empty');
  assert.deepEqual(out.packets[0]!.payload, OPUS_SILENCE_FRAME);
  const a = new ScriptedSource(1);
  const b = new ScriptedSource(2);
  relay.assign(a);
  for (let i = 0; i < 5; i++) a.push(Buffer.from([0x78, 1, i]), 5000 + i * 960);
  relay.assign(b);
  assert.equal(a.sinks.size, 0, 'the old source is released');
  for (let i = 0; i < 5; i++) b.push(Buffer.from([0x78, 2, i]), 900_000 + i * 960);
  a.push(Buffer.from([0x78, 1, 99]), 99_999); // not forwarded any more
  const forwarded = out.packets.filter((p) => p.payload[0] === 0x78);
  assert.deepEqual(forwarded.map((p) => `${p.payload[1]}:${p.payload[2]}`), ['1:0', '1:1', '1:2', '1:3', '1:4', '2:0', '2:1', '2:2', '2:3', '2:4']);
  // Within one source, the source's own timestamp spacing is kept.
  assert.equal((forwarded[1]!.header.timestamp - forwarded[0]!.header.timestamp) | 0, 960);
  assertContinuous(out.packets, 0xabc);
  relay.close();
});

test('video slot: a new source takes over only at its keyframe; a stalled source gives way to the filler and comes back at a keyframe', async () => {
  const out = collect();
  const filler = Buffer.from([0x00, 0x42, 0x42]);
  const relay = new SlotRelay({ kind: 'video', ssrc: 0xdef, payloadType: 96, send: out.send, fillerFrame: filler, stallMs: 150, fillerIntervalMs: 30 });
  relays.push(relay);
  const a = new ScriptedSource(1);
  relay.assign(a);
  assert.ok(a.keyframeRequests >= 1, 'a keyframe is asked for at once');
  a.push(vp8(false, 1), 1000);
  a.push(vp8(false, 2), 4000);
  assert.equal(out.packets.filter((p) => p.payload[2] === 1 || p.payload[2] === 2).length, 0, 'delta frames before the keyframe are not forwarded');
  a.push(vp8(true, 3), 7000);
  a.push(vp8(false, 4), 10_000);
  assert.deepEqual(out.packets.filter((p) => p.payload.length === 3 && p.payload[2]! >= 3).map((p) => p.payload[2]), [3, 4]);
  assert.equal(relay.stats.showing, 'source');

  const b = new ScriptedSource(2);
  relay.assign(b);
  a.push(vp8(false, 5), 13_000); // a still shows until b has a keyframe
  b.push(vp8(false, 6), 50);
  b.push(vp8(true, 7), 3050);
  a.push(vp8(false, 8), 16_000); // released
  b.push(vp8(false, 9), 6050);
  const shown = out.packets.filter((p) => p.payload.length === 3 && p.payload[2]! >= 3 && p.payload[1] !== 0x42).map((p) => p.payload[2]);
  assert.deepEqual(shown, [3, 4, 5, 7, 9]);
  assert.equal(a.sinks.size, 0);
  assert.equal(relay.stats.switches, 2);

  // b stops sending: the filler takes over; b's next delta frame is not shown, its keyframe is.
  const fillerBefore = relay.stats.fillerFramesSent;
  await sleep(400);
  assert.ok(relay.stats.fillerFramesSent > fillerBefore, 'filler runs while the source is stalled');
  assert.equal(relay.stats.showing, 'filler');
  const requests = b.keyframeRequests;
  b.push(vp8(false, 10), 40_000);
  assert.ok(b.keyframeRequests > requests, 'a keyframe is asked for to come back');
  b.push(vp8(true, 11), 43_000);
  const last = out.packets.filter((p) => p.payload[1] !== 0x42).map((p) => p.payload[2]);
  assert.ok(!last.includes(10) && last.includes(11));
  assertContinuous(out.packets, 0xdef);
  relay.close();
});

test('ffmpeg decodes a video slot whose source arrives, leaves and is replaced, without stalling', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrium-slot-'));
  const port = await freeRtpPort();
  const sdp = path.join(dir, 'slot.sdp');
  fs.writeFileSync(sdp, trackSdp('video', port));
  const out = path.join(dir, 'slot.webm');
  const ffmpeg = new FfmpegProcess('ffmpeg', ['-hide_banner', '-loglevel', 'warning', '-protocol_whitelist', 'file,udp,rtp', '-i', sdp, '-c', 'copy', '-f', 'webm', out]);
  const socket = dgram.createSocket('udp4');
  try {
    while (!(await udpPortBound(port))) {
      assert.ok(ffmpeg.running, `ffmpeg ended: ${ffmpeg.stderrTail().join(' | ')}`);
      await sleep(20);
    }
    const [red, blue, black] = await Promise.all([
      encodeVp8Frames('ffmpeg', { color: 'red', width: 320, height: 180, count: 60, gop: 15 }),
      encodeVp8Frames('ffmpeg', { color: 'blue', width: 320, height: 180, count: 60, gop: 15 }),
      blackVp8Keyframe('ffmpeg', 320, 180),
    ]);
    const relay = new SlotRelay({ kind: 'video', ssrc: 0x5107, payloadType: 96, fillerFrame: black, send: (b) => socket.send(b, port, '127.0.0.1') });
    relays.push(relay);
    /** Plays frames at 30 fps into a scripted source, each frame one packet. */
    const play = async (source: ScriptedSource, frames: Vp8Frame[]): Promise<void> => {
      for (let i = 0; i < frames.length; i++) {
        source.push(Buffer.concat([Buffer.from([0x10]), frames[i]!.data]), i * 3000);
        await sleep(33);
      }
    };
    // Empty slot (filler) 0.5 s → red 2 s → empty 0.5 s → blue 2 s.
    await sleep(500);
    const a = new ScriptedSource(1);
    relay.assign(a);
    await play(a, red);
    relay.assign(null);
    await sleep(500);
    const b = new ScriptedSource(2);
    relay.assign(b);
    await play(b, blue);
    relay.close();
    socket.send(Buffer.from([0x82, 203, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0]), port, '127.0.0.1');
    await ffmpeg.stop();
    const frames = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0', out])
      .toString()
      .split('\n')
      .map(Number.parseFloat)
      .filter(Number.isFinite);
    // Everything decodes: filler, both sources, across every switch; the timeline has no hole.
    assert.ok(frames.length > 100, `${frames.length} frames decoded`);
    let gap = 0;
    for (let i = 1; i < frames.length; i++) gap = Math.max(gap, frames[i]! - frames[i - 1]!);
    assert.ok(gap < 0.3, `longest gap between decoded frames: ${gap}s`);
    assert.ok(frames[frames.length - 1]! - frames[0]! > 4, `covers ${frames[frames.length - 1]! - frames[0]!}s`);
  } finally {
    ffmpeg.kill();
    socket.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a two-slot composite keeps producing frames while one slot is empty throughout and the other comes and goes', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrium-composite-'));
  const first = await freeRtpPort();
  let second = await freeRtpPort();
  while (second === first) second = await freeRtpPort();
  const ports = [first, second];
  const sdps = ports.map((port, i) => {
    const file = path.join(dir, `slot-${i}.sdp`);
    fs.writeFileSync(file, trackSdp('video', port));
    return file;
  });
  const out = path.join(dir, 'composite.webm');
  const ffmpeg = new FfmpegProcess('ffmpeg', [
    '-hide_banner', '-loglevel', 'warning',
    // Input options apply to the next -i only.
    ...sdps.flatMap((sdp) => ['-protocol_whitelist', 'file,udp,rtp', '-listen_timeout', '-1', '-i', sdp]),
    '-filter_complex', '[0:v]scale=320:180,setsar=1,fps=15[a];[1:v]scale=320:180,setsar=1,fps=15[b];[a][b]hstack[v]',
    '-map', '[v]', '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '300k', '-t', '4', '-f', 'webm', out,
  ]);
  const socket = dgram.createSocket('udp4');
  try {
    const [green, black] = await Promise.all([
      encodeVp8Frames('ffmpeg', { color: 'green', width: 320, height: 180, count: 45, gop: 15 }),
      blackVp8Keyframe('ffmpeg', 320, 180),
    ]);
    // ffmpeg opens and probes its inputs one after the other: each slot must already flow
    // (filler) for the next input to be opened at all — what the relays guarantee.
    const [left, right] = ports.map(
      (port, i) => new SlotRelay({ kind: 'video', ssrc: 0x100 + i, payloadType: 96, fillerFrame: black, send: (b) => socket.send(b, port, '127.0.0.1') }),
    ) as [SlotRelay, SlotRelay];
    relays.push(left, right);
    for (const port of ports) {
      while (!(await udpPortBound(port))) {
        assert.ok(ffmpeg.running, `ffmpeg ended: ${ffmpeg.stderrTail().join(' | ')}`);
        await sleep(20);
      }
    }
    // The right slot never gets anyone; the left one gets a source for 1.5 s, then is empty again.
    await sleep(1000);
    const a = new ScriptedSource(7);
    left.assign(a);
    for (let i = 0; i < green.length; i++) {
      a.push(Buffer.concat([Buffer.from([0x10]), green[i]!.data]), i * 3000);
      await sleep(33);
    }
    left.assign(null);
    const finished = await Promise.race([ffmpeg.exited.then(() => true), sleep(10_000).then(() => false)]);
    assert.ok(finished, `the composite did not finish: ${ffmpeg.stderrTail().join(' | ')}`);
    left.close();
    right.close();
    const frames = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0', out])
      .toString()
      .split('\n')
      .map(Number.parseFloat)
      .filter(Number.isFinite);
    // 4 s at 15 fps, nothing missing: the composite ran before, during and after the source.
    assert.ok(frames.length >= 55, `${frames.length} composite frames`);
    let gap = 0;
    for (let i = 1; i < frames.length; i++) gap = Math.max(gap, frames[i]! - frames[i - 1]!);
    assert.ok(gap < 0.2, `longest gap ${gap}s`);
  } finally {
    ffmpeg.kill();
    socket.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
