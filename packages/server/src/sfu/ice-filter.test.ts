/**
 * @module Tests for the ICE address policy and SDP candidate rewriting.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { IceAddressPolicy, announceCandidates, filterRemoteCandidates, parseCidrList } from './ice-filter.js';

/** The candidate lines of an SDP. */
function candidateLines(sdp: string): string[] {
  return sdp.split('\r\n').filter((line) => line.startsWith('a=candidate:'));
}

describe('parseCidrList', () => {
  test('parses IPv4 and IPv6 networks, with and without a prefix', () => {
    assert.deepEqual(parseCidrList('10.0.0.0/8, 127.0.0.1 ,::1/128,fd00::/8'), [
      { address: '10.0.0.0', prefix: 8, family: 'ipv4' },
      { address: '127.0.0.1', prefix: 32, family: 'ipv4' },
      { address: '::1', prefix: 128, family: 'ipv6' },
      { address: 'fd00::', prefix: 8, family: 'ipv6' },
    ]);
  });

  test('an empty list, or one of only commas and spaces, allows nothing', () => {
    assert.deepEqual(parseCidrList(''), []);
    assert.deepEqual(parseCidrList(' , ,'), []);
  });

  test('throws on an entry that is not an IP address, naming it', () => {
    assert.throws(() => parseCidrList('10.0.0.0/8,example.com'), /invalid network "example\.com": not an IP address/);
    assert.throws(() => parseCidrList('10.0.0/8'), /not an IP address/);
    assert.throws(() => parseCidrList('256.1.1.1'), /not an IP address/);
  });

  test('throws on a prefix out of range or not a whole number', () => {
    assert.throws(() => parseCidrList('10.0.0.0/33'), /prefix must be 0\.\.32/);
    assert.throws(() => parseCidrList('::1/129'), /prefix must be 0\.\.128/);
    assert.throws(() => parseCidrList('10.0.0.0/-1'), /prefix must be 0\.\.32/);
    assert.throws(() => parseCidrList('10.0.0.0/8.5'), /prefix must be/);
    assert.throws(() => parseCidrList('10.0.0.0/abc'), /prefix must be/);
  });
});

describe('IceAddressPolicy.allows', () => {
  const policy = new IceAddressPolicy(parseCidrList('127.0.0.0/8,10.77.0.0/16,fd00::/8,::1'));

  test('allows addresses inside the configured networks', () => {
    assert.equal(policy.allows('127.0.0.1'), true);
    assert.equal(policy.allows('10.77.0.2'), true);
    assert.equal(policy.allows('10.77.255.254'), true);
    assert.equal(policy.allows('fd00::1234'), true);
    assert.equal(policy.allows('::1'), true);
  });

  test('refuses addresses outside them', () => {
    assert.equal(policy.allows('10.78.0.1'), false);
    assert.equal(policy.allows('192.168.1.5'), false);
    assert.equal(policy.allows('8.8.8.8'), false);
    assert.equal(policy.allows('2001:db8::1'), false);
  });

  test('refuses hostnames, including mDNS names, and junk', () => {
    assert.equal(policy.allows('abc.local'), false);
    assert.equal(policy.allows('3b4c2c2a-1f0e-4d8a-9e0b-0c6f2b1c1a7e.local'), false);
    assert.equal(policy.allows('localhost'), false);
    assert.equal(policy.allows(''), false);
  });

  test('always refuses link-local, multicast, reserved and unspecified addresses, even when allowed', () => {
    const everything = new IceAddressPolicy(parseCidrList('0.0.0.0/0,::/0'));
    assert.equal(everything.allows('8.8.8.8'), true);
    assert.equal(everything.allows('2001:db8::1'), true);
    for (const address of [
      '169.254.169.254', // cloud metadata
      '169.254.0.1',
      '224.0.0.251', // multicast
      '239.255.255.250',
      '240.0.0.1', // reserved
      '255.255.255.255',
      '0.0.0.0',
      '0.1.2.3',
      '::',
      'fe80::1', // IPv6 link-local
      'ff02::1', // IPv6 multicast
    ]) {
      assert.equal(everything.allows(address), false, address);
    }
  });

  test('refuses the metadata address written as an IPv4-mapped IPv6 address', () => {
    const everything = new IceAddressPolicy(parseCidrList('0.0.0.0/0,::/0'));
    assert.equal(everything.allows('::ffff:169.254.169.254'), false);
  });

  test('an empty allowed list refuses everything', () => {
    const none = new IceAddressPolicy([]);
    assert.equal(none.allows('127.0.0.1'), false);
    assert.equal(none.allows('::1'), false);
  });
});

describe('filterRemoteCandidates', () => {
  const policy = new IceAddressPolicy(parseCidrList('127.0.0.0/8,10.77.0.0/16'));
  const offer = [
    'v=0',
    'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'a=group:BUNDLE 0',
    'a=msid-semantic: WMS',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111',
    'c=IN IP4 0.0.0.0',
    'a=rtcp:9 IN IP4 0.0.0.0',
    'a=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host generation 0 network-id 1',
    'a=candidate:2 1 udp 2122194687 10.77.0.2 50001 typ host generation 0 network-id 2',
    'a=candidate:3 1 udp 2122129151 192.168.1.5 50002 typ host generation 0 network-id 3',
    'a=candidate:4 1 udp 2122063615 x.local 50003 typ host generation 0 network-id 4',
    'a=candidate:5 1 udp 1686052607 192.168.1.5 50002 typ srflx raddr 10.77.0.2 rport 50001 generation 0',
    'a=ice-ufrag:Fz3k',
    'a=ice-pwd:6uTqUqGzQm5vX1b2c3d4e5f6',
    'a=fingerprint:sha-256 AA:BB:CC',
    'a=setup:actpass',
    'a=mid:0',
    'a=sendonly',
    'a=rtpmap:111 opus/48000/2',
    'a=end-of-candidates',
    '',
  ].join('\r\n');

  test('keeps only candidates at allowed addresses and reports the dropped ones', () => {
    const { sdp, dropped } = filterRemoteCandidates(offer, policy);
    assert.deepEqual(candidateLines(sdp), [
      'a=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host generation 0 network-id 1',
      'a=candidate:2 1 udp 2122194687 10.77.0.2 50001 typ host generation 0 network-id 2',
    ]);
    assert.deepEqual(dropped, ['192.168.1.5', 'x.local', '192.168.1.5']);
  });

  test('leaves every other line as it was, with CRLF line endings', () => {
    const { sdp } = filterRemoteCandidates(offer, policy);
    const expected = offer
      .split('\r\n')
      .filter((line) => !/^a=candidate:[345] /.test(line))
      .join('\r\n');
    assert.equal(sdp, expected);
    assert.ok(sdp.endsWith('a=end-of-candidates\r\n'));
  });

  test('an SDP with only allowed candidates comes back unchanged', () => {
    const allowedOnly = offer
      .split('\r\n')
      .filter((line) => !/^a=candidate:[345] /.test(line))
      .join('\r\n');
    assert.deepEqual(filterRemoteCandidates(allowedOnly, policy), { sdp: allowedOnly, dropped: [] });
  });

  test('also filters an SDP with bare LF line endings, answering with CRLF', () => {
    const { sdp, dropped } = filterRemoteCandidates(offer.replaceAll('\r\n', '\n'), policy);
    assert.equal(candidateLines(sdp).length, 2);
    assert.equal(dropped.length, 3);
    assert.ok(!/[^\r]\n/.test(sdp), 'every line ends in CRLF');
  });
});

describe('announceCandidates', () => {
  const local = [
    'v=0',
    'm=video 9 UDP/TLS/RTP/SAVPF 96',
    'c=IN IP4 0.0.0.0',
    'a=candidate:abc 1 udp 2130706431 127.0.0.1 40000 typ host',
    'a=candidate:def 1 tcp 1694498815 127.0.0.1 40001 typ host tcptype passive',
    'a=candidate:ghi 1 udp 1694498815 198.51.100.9 40000 typ srflx raddr 127.0.0.1 rport 40000',
    'a=candidate:jkl 1 udp 16777215 198.51.100.10 3478 typ relay raddr 127.0.0.1 rport 40000',
    'a=end-of-candidates',
    '',
  ].join('\r\n');

  test('adds one candidate per announced IP right after each host candidate', () => {
    const out = announceCandidates(local, ['203.0.113.7', '10.77.0.1']);
    assert.deepEqual(candidateLines(out), [
      'a=candidate:abc 1 udp 2130706431 127.0.0.1 40000 typ host',
      'a=candidate:abca0 1 udp 2130706431 203.0.113.7 40000 typ host',
      'a=candidate:abca1 1 udp 2130706431 10.77.0.1 40000 typ host',
      'a=candidate:def 1 tcp 1694498815 127.0.0.1 40001 typ host tcptype passive',
      'a=candidate:defa0 1 tcp 1694498815 203.0.113.7 40001 typ host tcptype passive',
      'a=candidate:defa1 1 tcp 1694498815 10.77.0.1 40001 typ host tcptype passive',
      'a=candidate:ghi 1 udp 1694498815 198.51.100.9 40000 typ srflx raddr 127.0.0.1 rport 40000',
      'a=candidate:jkl 1 udp 16777215 198.51.100.10 3478 typ relay raddr 127.0.0.1 rport 40000',
    ]);
  });

  test('adds nothing for server-reflexive or relay candidates', () => {
    const out = announceCandidates(local, ['203.0.113.7']);
    assert.equal(candidateLines(out).filter((line) => line.includes(' typ srflx')).length, 1);
    assert.equal(candidateLines(out).filter((line) => line.includes(' typ relay')).length, 1);
    assert.equal(candidateLines(out).filter((line) => line.includes(' 203.0.113.7 ')).length, 2);
  });

  test('does not repeat a host candidate at its own address', () => {
    const out = announceCandidates(local, ['127.0.0.1']);
    assert.equal(out, local);
  });

  test('keeps every non-candidate line in place', () => {
    const out = announceCandidates(local, ['203.0.113.7']);
    const others = (sdp: string): string[] => sdp.split('\r\n').filter((line) => !line.startsWith('a=candidate:'));
    assert.deepEqual(others(out), others(local));
  });

  test('returns the SDP unchanged when nothing is announced', () => {
    assert.equal(announceCandidates(local, []), local);
    const lf = local.replaceAll('\r\n', '\n');
    assert.equal(announceCandidates(lf, []), lf);
  });
});
