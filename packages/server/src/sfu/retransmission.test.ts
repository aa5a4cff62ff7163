import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { RtpHeader, RtpPacket, SrtpSession, unwrapRtx } from 'werift';
import { buildRtxPacket, NACK_HISTORY, RetransmissionHistory } from './retransmission.js';
import { SrtpWriter, type SrtpSessionKeys } from './srtp-writer.js';

const MEDIA_SSRC = 0x11223344;
const RTX_SSRC = 0x55667788;

function sentPacket(sequenceNumber: number, payload: Buffer): { bytes: Buffer; headerLength: number } {
  const header = new RtpHeader({
    marker: true,
    payloadType: 97,
    sequenceNumber,
    timestamp: 0xfedcba98,
    ssrc: MEDIA_SSRC,
    extension: true,
    extensionProfile: 0xbede,
    extensions: [
      { id: 1, payload: Buffer.from('1') },
      { id: 4, payload: Buffer.from([0x03]) },
    ],
  });
  const headerBytes = header.serialize(header.serializeSize);
  return { bytes: Buffer.concat([headerBytes, payload]), headerLength: headerBytes.length };
}

test('an RTX packet repairs the original: RTX type, SSRC and number, original header fields and extensions, OSN + payload', () => {
  for (const profile of [0x0001, 0x0007]) {
    const keys = { localMasterKey: randomBytes(16), localMasterSalt: randomBytes(profile === 0x0007 ? 12 : 14) };
    const session = (): SrtpSession =>
      new SrtpSession({ keys: { ...keys, remoteMasterKey: keys.localMasterKey, remoteMasterSalt: keys.localMasterSalt }, profile });
    const writer = new SrtpWriter(session().localContext as unknown as SrtpSessionKeys);
    const payload = randomBytes(1000);
    const original = sentPacket(65535, payload);
    const rtx = buildRtxPacket(original.bytes, original.headerLength, payload, { payloadType: 98, ssrc: RTX_SSRC, sequenceNumber: 7 }, writer.tagLength);
    writer.protect(rtx, original.headerLength, rtx.subarray(original.headerLength, rtx.length - writer.tagLength), RTX_SSRC, 7, 3);

    const receiver = session().remoteContext;
    receiver.srtpSSRCStates[RTX_SSRC] = { ssrc: RTX_SSRC, rolloverCounter: 3, lastSequenceNumber: 7 };
    const [plain] = receiver.decryptRtp(rtx);
    const received = RtpPacket.deSerialize(plain);
    assert.equal(received.header.payloadType, 98);
    assert.equal(received.header.ssrc, RTX_SSRC);
    assert.equal(received.header.sequenceNumber, 7);
    assert.equal(received.header.marker, true);
    assert.equal(received.header.timestamp, 0xfedcba98);
    assert.deepEqual(
      received.header.extensions.map((e) => [e.id, [...e.payload]]),
      [[1, [0x31]], [4, [0x03]]],
    );
    const repaired = unwrapRtx(received, 97, MEDIA_SSRC);
    assert.equal(repaired.header.sequenceNumber, 65535);
    assert.deepEqual(repaired.payload, payload);
  }
});

test('the history finds what was sent in its window and nothing else', () => {
  const history = new RetransmissionHistory();
  const payload = Buffer.from([1, 2, 3]);
  for (let seq = 65000; seq < 65000 + NACK_HISTORY + 10; seq++) {
    const n = seq & 0xffff;
    history.store(n, sentPacket(n, payload).bytes, 20, payload);
  }
  const newest = (65000 + NACK_HISTORY + 9) & 0xffff;
  assert.ok(history.find(newest) >= 0);
  assert.equal(history.payload(history.find(newest)), payload);
  assert.equal(history.headerLength(history.find(newest)), 20);
  assert.equal(history.find((newest - NACK_HISTORY + 1) & 0xffff) >= 0, true, 'the oldest kept');
  assert.equal(history.find((newest - NACK_HISTORY) & 0xffff), -1, 'overwritten');
  assert.equal(history.find((newest + 1) & 0xffff), -1, 'not sent yet');
  history.clear();
  assert.equal(history.find(newest), -1);
});

test('a packet is resent again only once the interval (a round trip) has passed; a new packet in its slot starts afresh', () => {
  const history = new RetransmissionHistory();
  const payload = Buffer.from([1]);
  history.store(10, sentPacket(10, payload).bytes, 20, payload);
  const slot = history.find(10);
  assert.equal(history.claimResend(slot, 1000, 50), true, 'the first NACK is answered');
  assert.equal(history.claimResend(slot, 1040, 50), false, 'a NACK within the round trip is not');
  assert.equal(history.claimResend(slot, 1050, 50), true, 'one after it is');
  history.store(10 + NACK_HISTORY, sentPacket(10 + NACK_HISTORY, payload).bytes, 20, payload);
  assert.equal(history.claimResend(history.find(10 + NACK_HISTORY), 1060, 50), true, 'another packet in the slot');
});
