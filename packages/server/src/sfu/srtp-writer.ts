/**
 * @module SRTP protection of outgoing RTP with the keys werift negotiated, written for the
 * forwarding hot path: werift's own `encryptRtp` serialises an `RtpHeader` object, builds a
 * counter with BigInt maths and imports the HMAC key again for every packet; here the header is
 * already bytes, the IV buffer is reused and the HMAC key is a `KeyObject` made once.
 * Supports the two profiles werift offers: AES_CM_128_HMAC_SHA1_80 and AEAD_AES_128_GCM.
 */
import { createCipheriv, createHmac, createSecretKey, type KeyObject } from 'node:crypto';

/** werift's profile ids (rtp/src/srtp/const). */
const PROFILE_AES_CM_HMAC_SHA1_80 = 0x0001;
const PROFILE_AEAD_AES_128_GCM = 0x0007;

/** The session keys of werift's local SRTP context (`dtlsTransport.srtp.localContext`). */
export interface SrtpSessionKeys {
  profile: number;
  srtpSessionKey: Buffer;
  srtpSessionSalt: Buffer;
  srtpSessionAuthTag: Buffer;
}

export class SrtpWriter {
  /** Bytes the protection adds after the payload. */
  readonly tagLength: number;
  private readonly gcm: boolean;
  private readonly key: Buffer;
  private readonly salt: Buffer;
  private readonly authKey: KeyObject | undefined;
  private readonly iv: Buffer;
  private readonly rocBytes = Buffer.alloc(4);

  constructor(keys: SrtpSessionKeys) {
    if (keys.profile !== PROFILE_AES_CM_HMAC_SHA1_80 && keys.profile !== PROFILE_AEAD_AES_128_GCM) {
      throw new Error(`unsupported SRTP profile ${keys.profile}`);
    }
    this.gcm = keys.profile === PROFILE_AEAD_AES_128_GCM;
    this.tagLength = this.gcm ? 16 : 10;
    this.key = Buffer.from(keys.srtpSessionKey);
    this.salt = Buffer.from(keys.srtpSessionSalt);
    this.authKey = this.gcm ? undefined : createSecretKey(Buffer.from(keys.srtpSessionAuthTag));
    this.iv = Buffer.alloc(this.gcm ? 12 : 16);
  }

  /**
   * Protects one packet in place: `packet[0, headerLength)` is the RTP header, then `payload`'s
   * bytes are written encrypted at `headerLength`, then the tag. `packet` must be
   * `headerLength + payload.length + tagLength` long.
   */
  protect(packet: Buffer, headerLength: number, payload: Buffer, ssrc: number, sequenceNumber: number, roc: number): void {
    const iv = this.iv;
    const salt = this.salt;
    const end = headerLength + payload.length;
    if (this.gcm) {
      // RFC 7714 §8.1: 00 00 || SSRC || ROC || SEQ, xor salt.
      iv.writeUInt16BE(0, 0);
      iv.writeUInt32BE(ssrc, 2);
      iv.writeUInt32BE(roc >>> 0, 6);
      iv.writeUInt16BE(sequenceNumber, 10);
      for (let i = 0; i < 12; i++) iv[i]! ^= salt[i]!;
      const cipher = createCipheriv('aes-128-gcm', this.key, iv);
      cipher.setAAD(packet.subarray(0, headerLength));
      cipher.update(payload).copy(packet, headerLength);
      cipher.final();
      cipher.getAuthTag().copy(packet, end);
      return;
    }
    // RFC 3711 §4.1.1: (SSRC || ROC || SEQ) << 16, xor salt.
    iv.fill(0);
    iv.writeUInt32BE(ssrc, 4);
    iv.writeUInt32BE(roc >>> 0, 8);
    iv.writeUInt16BE(sequenceNumber, 12);
    for (let i = 0; i < 14; i++) iv[i]! ^= salt[i]!;
    createCipheriv('aes-128-ctr', this.key, iv).update(payload).copy(packet, headerLength);
    this.rocBytes.writeUInt32BE(roc >>> 0, 0);
    const tag = createHmac('sha1', this.authKey!).update(packet.subarray(0, end)).update(this.rocBytes).digest();
    tag.copy(packet, end, 0, 10);
  }
}
