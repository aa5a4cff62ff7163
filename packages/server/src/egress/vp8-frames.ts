/**
 * @module Encoded VP8 frames made by ffmpeg (libvpx) from a solid colour: the black keyframe a
 * video slot relay shows when its slot is empty, and test sources. Parsed from ffmpeg's IVF output.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Vp8Frame {
  data: Buffer;
  keyframe: boolean;
}

/** Splits an IVF stream (32-byte file header, then 12-byte frame headers) into frames. */
export function parseIvf(ivf: Buffer): Vp8Frame[] {
  if (ivf.length < 32 || ivf.toString('ascii', 0, 4) !== 'DKIF') throw new Error('not an IVF stream');
  const headerSize = ivf.readUInt16LE(6);
  const frames: Vp8Frame[] = [];
  for (let offset = headerSize; offset + 12 <= ivf.length; ) {
    const size = ivf.readUInt32LE(offset);
    const data = ivf.subarray(offset + 12, offset + 12 + size);
    // VP8 frame tag: bit 0 clear on a keyframe (RFC 6386 §9.1).
    frames.push({ data, keyframe: data.length > 0 && (data[0]! & 0x01) === 0 });
    offset += 12 + size;
  }
  return frames;
}

/** `count` VP8 frames of a solid colour (with a moving bar unless `still`), a keyframe every `gop`. */
export async function encodeVp8Frames(
  ffmpegPath: string,
  options: { color: string; width: number; height: number; count: number; gop?: number; still?: boolean },
): Promise<Vp8Frame[]> {
  const source = `color=c=${options.color}:s=${options.width}x${options.height}:r=30`;
  const filter = options.still ? 'null' : `drawbox=x='mod(t*240,iw)':y=0:w=16:h=ih:color=white:t=fill`;
  const { stdout } = await run(
    ffmpegPath,
    ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', source, '-vf', filter, '-frames:v', String(options.count),
      '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '300k', '-g', String(options.gop ?? 30), '-auto-alt-ref', '0', '-f', 'ivf', '-'],
    { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
  );
  return parseIvf(stdout);
}

/** One black VP8 keyframe: the filler of an empty video slot. */
export async function blackVp8Keyframe(ffmpegPath: string, width = 320, height = 180): Promise<Buffer> {
  const [frame] = await encodeVp8Frames(ffmpegPath, { color: 'black', width, height, count: 1, still: true });
  if (!frame?.keyframe) throw new Error('ffmpeg made no VP8 keyframe');
  return frame.data;
}
