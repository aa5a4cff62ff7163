/**
 * @module REMB (receiver estimated max bitrate, draft-alvestrand-rmcat-remb) packets. werift
 * never sends REMB, and without congestion feedback a libwebrtc publisher stays at its start
 * bitrate, so the SFU tells each publisher what its subscribers can take.
 */
import { ReceiverEstimatedMaxBitrate, RtcpPayloadSpecificFeedback } from 'werift';

/** A REMB for `mediaSsrc` at `bitrate` bits/s (18-bit mantissa, 6-bit exponent). */
export function createRemb(senderSsrc: number, mediaSsrc: number, bitrate: number): RtcpPayloadSpecificFeedback {
  let mantissa = Math.max(0, Math.floor(bitrate));
  let exp = 0;
  while (mantissa > 0x3ffff) {
    mantissa = Math.floor(mantissa / 2);
    exp++;
  }
  return new RtcpPayloadSpecificFeedback({
    feedback: new ReceiverEstimatedMaxBitrate({
      senderSsrc,
      mediaSsrc: 0,
      ssrcNum: 1,
      brExp: exp,
      brMantissa: mantissa,
      bitrate: BigInt(mantissa) << BigInt(exp),
      ssrcFeedbacks: [mediaSsrc],
    }),
  });
}
