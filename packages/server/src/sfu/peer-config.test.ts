import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';
import { loadConfig } from '../config.js';
import { IceAddressPolicy } from './ice-filter.js';
import { createPeerConfig, nameTrackInSdp, PayloadType, withoutRtx, withoutTransportCc, withStartBitrate } from './peer-config.js';

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

test('a subscriber offer lists RTX for VP8 with its own SSRC grouped to the media SSRC, under one msid', async () => {
  const rtc = loadConfig({ DATA_DIR: '/tmp', ATRIUM_ICE_ALLOWED_NETWORKS: '127.0.0.0/8' }).rtc;
  const sfu = new RTCPeerConnection(createPeerConfig(rtc, new IceAddressPolicy(rtc.allowedNetworks)));
  try {
    const transceiver = sfu.addTransceiver('video', { direction: 'sendonly' });
    nameTrackInSdp(transceiver);
    const offer = (await sfu.createOffer()).sdp;
    assert.match(offer, new RegExp(`^m=video \\d+ \\S+ ${PayloadType.vp8} ${PayloadType.vp8Rtx}\\r?$`, 'm'));
    assert.match(offer, new RegExp(`^a=rtpmap:${PayloadType.vp8Rtx} rtx/90000\\r?$`, 'm'));
    assert.match(offer, new RegExp(`^a=fmtp:${PayloadType.vp8Rtx} apt=${PayloadType.vp8}\\r?$`, 'm'));
    const { ssrc, rtxSsrc } = transceiver.sender;
    assert.match(offer, new RegExp(`^a=ssrc-group:FID ${ssrc} ${rtxSsrc}\\r?$`, 'm'));
    // libwebrtc needs the msid to see the two SSRCs as one track.
    assert.equal([...offer.matchAll(/^a=msid:- \S+\r?$/gm)].length, 1);
  } finally {
    await sfu.close();
  }
});

test('withoutRtx removes the RTX codecs of each media section and nothing else', () => {
  const offer = [
    'v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0 1',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111 97', 'a=mid:0', 'a=rtpmap:111 opus/48000/2', 'a=rtpmap:97 telephone-event/8000',
    'm=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99', 'a=mid:1',
    'a=rtpmap:96 VP8/90000', 'a=rtcp-fb:96 nack', 'a=rtcp-fb:96 nack pli',
    'a=rtpmap:97 rtx/90000', 'a=fmtp:97 apt=96', 'a=rtcp-fb:97 nack',
    'a=rtpmap:98 VP9/90000', 'a=fmtp:98 profile-id=0',
    'a=rtpmap:99 rtx/90000', 'a=fmtp:99 apt=98',
    'a=rid:q send', 'a=rid:f send', 'a=simulcast:send q;f', '',
  ].join('\r\n');
  const stripped = withoutRtx(offer);
  assert.ok(stripped.includes('m=audio 9 UDP/TLS/RTP/SAVPF 111 97\r\n'), 'another section keeps its payload type 97');
  assert.ok(stripped.includes('a=rtpmap:97 telephone-event/8000\r\n'));
  assert.ok(stripped.includes('m=video 9 UDP/TLS/RTP/SAVPF 96 98\r\n'));
  assert.doesNotMatch(stripped, /rtx|apt=|a=rtcp-fb:97|a=fmtp:99/);
  assert.match(stripped, /a=rtcp-fb:96 nack pli\r\na=rtpmap:98 VP9\/90000\r\na=fmtp:98 profile-id=0\r\na=rid:q send/);
  assert.ok(stripped.endsWith('a=simulcast:send q;f\r\n'), 'the SDP still ends with its line break');
  assert.equal(withoutRtx(stripped), stripped, 'nothing left to strip');
  assert.equal(withoutRtx(offer.replaceAll('\r\n', '\n')), stripped.replaceAll('\r\n', '\n'), 'LF line ends too');
});
