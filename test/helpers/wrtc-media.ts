/**
 * @module Headless media for Node endpoints (`@roamhq/wrtc`): a synthetic camera (noisy moving
 * frames through `RTCVideoSource`), a tone microphone (`RTCAudioSource`), and frame counters.
 */
import wrtc from '@roamhq/wrtc';
import type { WebRtcImplementation } from '../../packages/sdk/src/index.js';

export const wrtcImpl = wrtc as unknown as WebRtcImplementation;

// libwebrtc's native finalizers crash at Node's environment teardown (known @roamhq/wrtc issue,
// WonderInventions/node-webrtc#35): leave before them, keeping the exit code.
process.on('exit', (code) => {
  (process as unknown as { reallyExit(code: number): void }).reallyExit(code);
});

export interface SyntheticMedia {
  stream: MediaStream;
  stop(): void;
}

/**
 * A 640x360@30 camera and a 440 Hz microphone. Frames carry a moving bar and random noise over
 * `noise` of the picture (0..1; default 0.1) so the encoder has real work to do.
 */
export function syntheticCamera(
  options: { width?: number; height?: number; fps?: number; audio?: boolean; noise?: number } = {},
): SyntheticMedia {
  const width = options.width ?? 640;
  const height = options.height ?? 360;
  const fps = options.fps ?? 30;
  const noisyRows = Math.round(height * Math.min(1, Math.max(0, options.noise ?? 0.1)));
  const video = new wrtc.nonstandard.RTCVideoSource();
  const tracks: MediaStreamTrack[] = [video.createTrack() as unknown as MediaStreamTrack];
  const frame = new Uint8Array(width * height * 1.5);
  let n = 0;
  const videoTimer = setInterval(() => {
    const lumaSize = width * height;
    for (let i = 0; i < noisyRows * width; i += 3) frame[i] = (Math.random() * 255) | 0;
    const bar = (n * 4) % width;
    for (let y = 0; y < height; y++) frame[y * width + bar] = 255;
    frame.fill(128, lumaSize);
    video.onFrame({ width, height, data: frame });
    n++;
  }, 1000 / fps);
  let audioTimer: NodeJS.Timeout | undefined;
  if (options.audio !== false) {
    const audio = new wrtc.nonstandard.RTCAudioSource();
    tracks.push(audio.createTrack() as unknown as MediaStreamTrack);
    const sampleRate = 48_000;
    const samples = new Int16Array(sampleRate / 100);
    let t = 0;
    audioTimer = setInterval(() => {
      for (let i = 0; i < samples.length; i++) samples[i] = Math.sin((2 * Math.PI * 440 * t++) / sampleRate) * 8000;
      audio.onData({ samples, sampleRate });
    }, 10);
  }
  const stream = new wrtc.MediaStream(tracks as never) as unknown as MediaStream;
  return {
    stream,
    stop() {
      clearInterval(videoTimer);
      clearInterval(audioTimer);
      for (const track of tracks) track.stop();
    },
  };
}

/** Counts decoded frames of a received video track. */
export function countFrames(track: MediaStreamTrack): { readonly frames: number; readonly width: number; stop(): void } {
  const sink = new wrtc.nonstandard.RTCVideoSink(track as never);
  const state = { frames: 0, width: 0 };
  sink.onframe = (event: { frame: { width: number } }) => {
    state.frames++;
    state.width = event.frame.width;
  };
  return {
    get frames() {
      return state.frames;
    },
    get width() {
      return state.width;
    },
    stop: () => sink.stop(),
  };
}

/** Sums inbound-rtp counters of a stats report. */
export function inboundStats(report: RTCStatsReport): { framesDecoded: number; audioPackets: number; videoPackets: number } {
  let framesDecoded = 0;
  let audioPackets = 0;
  let videoPackets = 0;
  report.forEach((s: { type?: string; kind?: string; framesDecoded?: number; packetsReceived?: number }) => {
    if (s.type !== 'inbound-rtp') return;
    if (s.kind === 'video') {
      framesDecoded += s.framesDecoded ?? 0;
      videoPackets += s.packetsReceived ?? 0;
    } else if (s.kind === 'audio') {
      audioPackets += s.packetsReceived ?? 0;
    }
  });
  return { framesDecoded, audioPackets, videoPackets };
}

/** A microphone playing a 440 Hz tone whose amplitude (0…32767) can change while it runs. */
export function toneMicrophone(): { stream: MediaStream; setAmplitude(value: number): void; stop(): void } {
  const source = new wrtc.nonstandard.RTCAudioSource();
  const track = source.createTrack() as unknown as MediaStreamTrack;
  const sampleRate = 48_000;
  const samples = new Int16Array(sampleRate / 100);
  let amplitude = 0;
  let t = 0;
  const timer = setInterval(() => {
    for (let i = 0; i < samples.length; i++) samples[i] = Math.sin((2 * Math.PI * 440 * t++) / sampleRate) * amplitude;
    source.onData({ samples, sampleRate });
  }, 10);
  return {
    stream: new wrtc.MediaStream([track] as never) as unknown as MediaStream,
    setAmplitude: (value) => {
      amplitude = value;
    },
    stop() {
      clearInterval(timer);
      track.stop();
    },
  };
}
