import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';
import { loadConfig } from '../config.js';
import { IceAddressPolicy } from './ice-filter.js';
import { createPeerConfig, withoutTransportCc } from './peer-config.js';

/**
 * werift's receive-side transport-wide CC feedback collapses a libwebrtc publisher's bitrate, and
 * it would fight the REMB we send: the SFU must never negotiate it, even when a browser offers it.
 */
test('a publish answer keeps REMB, NACK and PLI but declines transport-wide congestion control', async () => {
  const rtc = loadConfig({ DATA_DIR: '/tmp', ATRIUM_ICE_ALLOWED_NETWORKS: '127.0.0.0/8' }).rtc;
  const browserLike = new RTCPeerConnection({
    codecs: {
      video: [
        new RTCRtpCodecParameters({
          mimeType: 'video/VP8',
          clockRate: 90_000,
          rtcpFeedback: [{ type: 'transport-cc' }, { type: 'goog-remb' }, { type: 'nack' }, { type: 'nack', parameter: 'pli' }],
        }),
      ],
    },
    headerExtensions: {
      video: [
        { id: 3, uri: 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time' },
        { id: 5, uri: 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01' },
      ],
    },
  });
  const sfu = new RTCPeerConnection(createPeerConfig(rtc, new IceAddressPolicy(rtc.allowedNetworks)));
  try {
    browserLike.addTransceiver('video', { direction: 'sendonly' });
    const offer = await browserLike.createOffer();
    assert.match(offer.sdp, /transport-cc/);
    await sfu.setRemoteDescription({ type: 'offer', sdp: withoutTransportCc(offer.sdp) });
    const answer = (await sfu.createAnswer()).sdp;
    assert.doesNotMatch(answer, /transport-cc|transport-wide-cc/);
    assert.match(answer, /a=rtcp-fb:\d+ goog-remb/);
    assert.match(answer, /a=rtcp-fb:\d+ nack\r?\n/);
    assert.match(answer, /a=rtcp-fb:\d+ nack pli/);
    assert.match(answer, /abs-send-time/);
  } finally {
    await browserLike.close();
    await sfu.close();
  }
});
