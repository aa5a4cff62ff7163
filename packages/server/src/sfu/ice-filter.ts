/**
 * @module Which remote ICE addresses the SFU may send media to, and SDP candidate rewriting.
 * A client must not be able to make the SFU send packets to arbitrary hosts (internal services,
 * cloud metadata addresses), so remote candidates outside the operator's networks are dropped
 * from the SDP, STUN checks from such addresses go unanswered (no peer-reflexive candidate is
 * learned from them), and candidate pairs towards them are never formed.
 */
import net from 'node:net';

export interface Cidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** Parses `10.0.0.0/8,127.0.0.1,::1/128`; throws on a malformed entry. */
export function parseCidrList(list: string): Cidr[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((entry) => {
      const parts = entry.split('/');
      const [address = '', prefixText] = parts;
      const version = net.isIP(address);
      if (version === 0) throw new Error(`invalid network "${entry}": not an IP address`);
      if (parts.length > 2) throw new Error(`invalid network "${entry}": expected ADDRESS or ADDRESS/PREFIX`);
      const max = version === 4 ? 32 : 128;
      // A typo such as "10.0.0.0/" must not become /0 (the whole internet).
      if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) {
        throw new Error(`invalid network "${entry}": prefix must be 0..${max}`);
      }
      const prefix = prefixText === undefined ? max : Number(prefixText);
      if (prefix > max) {
        throw new Error(`invalid network "${entry}": prefix must be 0..${max}`);
      }
      return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
    });
}

/** Ranges no media peer can legitimately be at, refused whatever the allowed list says. */
const ALWAYS_DENIED: Cidr[] = parseCidrList(
  '0.0.0.0/8,169.254.0.0/16,224.0.0.0/4,240.0.0.0/4,::/128,fe80::/10,ff00::/8',
);

function blockListOf(cidrs: Cidr[]): net.BlockList {
  const list = new net.BlockList();
  for (const c of cidrs) list.addSubnet(c.address, c.prefix, c.family);
  return list;
}

export class IceAddressPolicy {
  private readonly allowed: net.BlockList;
  private readonly denied = blockListOf(ALWAYS_DENIED);

  constructor(allowedNetworks: Cidr[]) {
    this.allowed = blockListOf(allowedNetworks);
  }

  /** True when media may be sent to this address. Hostnames (mDNS) are never allowed. */
  allows(address: string): boolean {
    const version = net.isIP(address);
    if (version === 0) return false;
    const family = version === 4 ? 'ipv4' : 'ipv6';
    return this.allowed.check(address, family) && !this.denied.check(address, family);
  }
}

const CANDIDATE_LINE = /^a=candidate:(\S+) (\d+) (\S+) (\d+) (\S+) (\d+) typ (\S+)(.*)$/;

/**
 * Removes remote candidates the policy refuses; returns the SDP and what was dropped. The address
 * is read as werift reads it (the fifth space-separated field), so a line this module cannot
 * parse is judged by the same address werift would use.
 */
export function filterRemoteCandidates(
  sdp: string,
  policy: IceAddressPolicy,
): { sdp: string; dropped: string[] } {
  const dropped: string[] = [];
  const lines = sdp.split(/\r?\n/).filter((line) => {
    if (!line.startsWith('a=candidate:')) return true;
    const address = line.split(' ')[4] ?? '';
    if (policy.allows(address)) return true;
    dropped.push(address);
    return false;
  });
  return { sdp: lines.join('\r\n'), dropped };
}

/** Adds, after each local host candidate, the same candidate at each announced address. */
export function announceCandidates(sdp: string, announcedIps: string[]): string {
  if (announcedIps.length === 0) return sdp;
  const out: string[] = [];
  for (const line of sdp.split(/\r?\n/)) {
    out.push(line);
    const match = CANDIDATE_LINE.exec(line);
    if (!match || match[7] !== 'host') continue;
    const [, foundation, component, transport, priority, address, port, , rest] = match;
    announcedIps.forEach((ip, i) => {
      if (ip === address) return;
      out.push(
        `a=candidate:${foundation}a${i} ${component} ${transport} ${priority} ${ip} ${port} typ host${rest}`,
      );
    });
  }
  return out.join('\r\n');
}
