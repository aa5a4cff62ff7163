import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { RtpHeader, RtpPacket, SrtpSession } from 'werift';
import { SrtpWriter, type SrtpSessionKeys } from './srtp-writer.js';

const PROFILES = { 'AES_CM_128_HMAC_SHA1_80': 0x0001, 'AEAD_AES_128_GCM': 0x0007 } as const;

function packet(sequenceNumber: number, payloadLength: number): RtpPacket {
  const header = new RtpHeader({
    marker: true,
    payloadType: 96,
    sequenceNumber,
    timestamp: 123456789,
    ssrc: 0x11223344,
    extension: true,
    extensionProfile: 0xbede,
    extensions: [{ id: 1, payload: Buffer.from('0') }],
  });
  return new RtpPacket(header, randomBytes(payloadLength));
}

describe('SrtpWriter', () => {
  for (const [name, profile] of Object.entries(PROFILES)) {
    const saltLength = profile === 0x0007 ? 12 : 14;
    test(`${name}: same bytes as werift's SRTP context, and the receiver decrypts them`, () => {
      const masterKey = randomBytes(16);
      const masterSalt = randomBytes(saltLength);
      // werift's exported `SrtpContext` is a DTLS class; its RTP contexts come from a session.
      const session = (): SrtpSession =>
        new SrtpSession({
          keys: { localMasterKey: masterKey, localMasterSalt: masterSalt, remoteMasterKey: masterKey, remoteMasterSalt: masterSalt },
          profile,
        });
      const werift = session().localContext;
      const receiver = session().remoteContext;
      const writer = new SrtpWriter(session().localContext as unknown as SrtpSessionKeys);
      for (const [seq, roc, size] of [[1, 0, 1100], [65535, 0, 3], [0, 1, 17], [42, 1, 0]] as const) {
        const rtp = packet(seq, size);
        // werift tracks the rollover counter from the sequence numbers it sees.
        werift.srtpSSRCStates[rtp.header.ssrc] = { ssrc: rtp.header.ssrc, rolloverCounter: roc, lastSequenceNumber: seq };
        const expected = werift.encryptRtp(rtp.payload, rtp.header);
        const headerBytes = rtp.header.serialize(rtp.header.serializeSize);
        const out = Buffer.alloc(headerBytes.length + size + writer.tagLength);
        headerBytes.copy(out);
        writer.protect(out, headerBytes.length, rtp.payload, rtp.header.ssrc, seq, roc);
        assert.deepEqual(out, expected, `seq ${seq} roc ${roc}`);
        receiver.srtpSSRCStates[rtp.header.ssrc] = { ssrc: rtp.header.ssrc, rolloverCounter: roc, lastSequenceNumber: seq };
        const [plain] = receiver.decryptRtp(out);
        assert.deepEqual(RtpPacket.deSerialize(plain).payload, rtp.payload);
      }
    });
  }

  test('refuses a profile it does not implement', () => {
    assert.throws(() => new SrtpWriter({ profile: 2, srtpSessionKey: Buffer.alloc(16), srtpSessionSalt: Buffer.alloc(14), srtpSessionAuthTag: Buffer.alloc(20) }));
  });
});
