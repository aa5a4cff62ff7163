import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';
import { loadConfig } from '../config.js';
import { IceAddressPolicy } from './ice-filter.js';
import { createPeerConfig, withoutTransportCc, withStartBitrate } from './peer-config.js';

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

test('a publish answer tells libwebrtc to start video at the initial bitrate (x-google-start-bitrate), audio untouched', () => {
  const answer = [
    'v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 't=0 0',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=rtpmap:111 opus/48000/2', 'a=fmtp:111 minptime=10;useinbandfec=1',
    'm=video 9 UDP/TLS/RTP/SAVPF 96 102', 'a=rtpmap:96 VP8/90000', 'a=rtcp-fb:96 goog-remb',
    'a=rtpmap:102 H264/90000', 'a=fmtp:102 profile-level-id=42e01f;packetization-mode=1', '',
  ].join('\r\n');
  const munged = withStartBitrate(answer, 1000);
  assert.match(munged, /a=fmtp:111 minptime=10;useinbandfec=1\r\n/, 'audio keeps its fmtp as it was');
  assert.match(munged, /a=fmtp:102 profile-level-id=42e01f;packetization-mode=1;x-google-start-bitrate=1000\r\n/);
  assert.match(munged, /a=fmtp:96 x-google-start-bitrate=1000\r\n/, 'VP8 gets an fmtp line of its own');
  assert.ok(munged.endsWith('\r\n'), 'the SDP still ends with its line break');
  assert.equal(withStartBitrate(munged, 1000), munged, 'applied twice, nothing changes');
});
