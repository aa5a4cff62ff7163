/**
 * @module Talking detection from synthetic werift RTP packets carrying the RFC 6464 audio level:
 * speech, silence, a click, pauses between words, sensitivity changes, and the speaker choice.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RtpHeader, RtpPacket } from 'werift';
import {
  AudioLevelMonitor,
  SILENCE_DBOV,
  chooseActiveSpeaker,
  readAudioLevel,
  sensitivityToThreshold,
  type AudioLevelOptions,
} from './audio-level.js';
import { RtpExtensionUri } from './peer-config.js';

const LEVEL_ID = 3;
const EXTENSIONS = [
  { id: 1, uri: RtpExtensionUri.mid },
  { id: LEVEL_ID, uri: RtpExtensionUri.audioLevel },
];

/** A publisher's audio packets: 20 ms Opus frames on a 48 kHz clock, each with a level (dBov). */
class SyntheticAudio {
  private timestamp = 0xffff_f000; // wraps soon: the monitor must follow it
  private sequenceNumber = 100;

  constructor(private readonly monitor: AudioLevelMonitor) {}

  /** Sends `ms` of audio at `dbov` (one packet per 20 ms). */
  send(dbov: number, ms: number, extensionId = LEVEL_ID): void {
    for (let t = 0; t < ms; t += 20) {
      this.timestamp = (this.timestamp + 960) >>> 0;
      this.monitor.writeRtp(this.packet(dbov, extensionId));
    }
  }

  packet(dbov: number, extensionId = LEVEL_ID, timestamp = this.timestamp): RtpPacket {
    const header = new RtpHeader({
      payloadType: 111,
      sequenceNumber: this.sequenceNumber++ & 0xffff,
      timestamp,
      ssrc: 1234,
      extension: true,
      // V bit set as libwebrtc does for voice; the level is the low 7 bits.
      extensions: [{ id: extensionId, payload: Buffer.from([0x80 | Math.round(-dbov)]) }],
    });
    return new RtpPacket(header, Buffer.alloc(40));
  }
}

function monitored(options: AudioLevelOptions = {}): { monitor: AudioLevelMonitor; audio: SyntheticAudio; changes: boolean[] } {
  const monitor = new AudioLevelMonitor(EXTENSIONS, options);
  const changes: boolean[] = [];
  monitor.on('talking', (talking) => changes.push(talking));
  return { monitor, audio: new SyntheticAudio(monitor), changes };
}

describe('AudioLevelMonitor', () => {
  test('reads the level from the negotiated extension id', () => {
    const { monitor, audio } = monitored();
    assert.equal(readAudioLevel(audio.packet(-42), LEVEL_ID), -42);
    assert.equal(readAudioLevel(audio.packet(-42, 7), LEVEL_ID), undefined);
    assert.equal(monitor.measurable, true);
    assert.equal(new AudioLevelMonitor([{ id: 1, uri: RtpExtensionUri.mid }]).measurable, false);
    monitor.close();
  });

  test('speech starts talking; silence stops it after the hold; the level follows', () => {
    const { monitor, audio, changes } = monitored();
    audio.send(SILENCE_DBOV, 1000);
    assert.equal(monitor.talking, false);
    assert.ok(monitor.level < -120, `silent level ${monitor.level}`);
    audio.send(-20, 600);
    assert.equal(monitor.talking, true);
    assert.ok(monitor.level > -21, `loud level ${monitor.level}`);
    assert.deepEqual(changes, [true]);
    audio.send(SILENCE_DBOV, 1500);
    assert.equal(monitor.talking, false);
    assert.deepEqual(changes, [true, false]);
    assert.ok(monitor.level < -110);
    monitor.close();
  });

  test('a brief click does not count as talking', () => {
    const { monitor, audio, changes } = monitored();
    audio.send(SILENCE_DBOV, 500);
    audio.send(0, 20); // one full-scale packet
    audio.send(SILENCE_DBOV, 500);
    audio.send(-10, 40); // two loud packets
    audio.send(SILENCE_DBOV, 500);
    assert.deepEqual(changes, []);
    monitor.close();
  });

  test('pauses between words do not flap', () => {
    const { monitor, audio, changes } = monitored();
    for (let word = 0; word < 10; word++) {
      audio.send(-22, 300);
      audio.send(SILENCE_DBOV, 200);
    }
    assert.deepEqual(changes, [true]);
    assert.equal(monitor.talking, true);
    monitor.close();
  });

  test('sensitivity decides what counts: quiet speech is talking only when sensitive enough', () => {
    const { monitor, audio, changes } = monitored({ sensitivity: 30 });
    audio.send(-50, 1000);
    assert.equal(monitor.talking, false, '-50 dBov is below the default −36 dBov threshold');
    monitor.setSensitivity(60); // threshold −72 dBov
    assert.equal(monitor.talking, true);
    audio.send(-50, 500);
    assert.equal(monitor.talking, true);
    monitor.setSensitivity(0); // essentially muted
    assert.equal(monitor.talking, false);
    audio.send(0, 1000);
    assert.equal(monitor.talking, false, 'sensitivity 0 never talks');
    monitor.setSensitivity(100);
    assert.equal(monitor.talking, true);
    assert.deepEqual(changes, [true, false, true]);
    assert.equal(sensitivityToThreshold(30), -36);
    assert.equal(sensitivityToThreshold(150), -120);
    let closed = 0;
    monitor.on('close', () => closed++);
    monitor.close();
    monitor.close();
    assert.equal(closed, 1, 'close is idempotent');
    audio.send(SILENCE_DBOV, 2000);
    assert.equal(monitor.talking, true, 'a closed monitor reads nothing');
  });

  test('packets without the extension, late packets and repeated timestamps are ignored', () => {
    const { monitor, audio, changes } = monitored();
    audio.send(-10, 1000, 9);
    assert.equal(monitor.level, SILENCE_DBOV);
    audio.send(SILENCE_DBOV, 100);
    const before = monitor.level;
    monitor.writeRtp(audio.packet(0, LEVEL_ID, 0)); // far in the past
    assert.equal(monitor.level, before);
    assert.deepEqual(changes, []);
    monitor.close();
  });

  test('no packets for a while counts as silence', async () => {
    const { monitor, audio, changes } = monitored({ silenceTimeoutMs: 50 });
    audio.send(-20, 600);
    assert.equal(monitor.talking, true);
    // The monitor's timer does not hold the process open; this one does until the event.
    const keepAlive = setInterval(() => undefined, 1000);
    await new Promise<void>((resolve) => monitor.once('talking', () => resolve()));
    clearInterval(keepAlive);
    assert.deepEqual(changes, [true, false]);
    assert.equal(monitor.level, SILENCE_DBOV);
    monitor.close();
  });
});

describe('chooseActiveSpeaker', () => {
  test('the loudest talker, with a margin for the current one; the last speaker stays when all are quiet', () => {
    const a = { id: 'a', level: -30, talking: true };
    const b = { id: 'b', level: -28, talking: true };
    assert.equal(chooseActiveSpeaker([a, b], undefined), 'b');
    assert.equal(chooseActiveSpeaker([a, b], 'a'), 'a', 'b is not 3 dB louder');
    assert.equal(chooseActiveSpeaker([a, { ...b, level: -20 }], 'a'), 'b');
    assert.equal(chooseActiveSpeaker([{ ...a, talking: false }, b], 'a'), 'b');
    assert.equal(chooseActiveSpeaker([{ ...a, talking: false }, { ...b, talking: false }], 'a'), 'a');
    assert.equal(chooseActiveSpeaker([{ ...b, talking: false }], 'a'), undefined);
  });
});
