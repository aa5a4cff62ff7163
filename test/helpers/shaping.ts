/**
 * @module Rate caps for impairment tests: an htb class on the test namespace's loopback that
 * holds every UDP packet sent to one port to `rate` (inside one namespace all traffic between its
 * addresses crosses `lo`). Needs root in the isolated namespace `npm test` runs in.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

const tc = (...args: string[]): void => void execFileSync('tc', args);

/** Caps UDP towards `port` at `rate` (a tc rate such as `500kbit`); resolves with the function that lifts the cap. */
export function capUdpPort(port: number, rate: string): () => void {
  assert.equal(process.env.ATRIUM_ISOLATED, '1', 'run through npm test (isolated network namespace)');
  tc('qdisc', 'add', 'dev', 'lo', 'root', 'handle', '1:', 'htb', 'default', '10');
  const lift = (): void => tc('qdisc', 'del', 'dev', 'lo', 'root');
  try {
    tc('class', 'add', 'dev', 'lo', 'parent', '1:', 'classid', '1:10', 'htb', 'rate', '10gbit', 'quantum', '60000');
    tc('class', 'add', 'dev', 'lo', 'parent', '1:', 'classid', '1:20', 'htb', 'rate', rate, 'ceil', rate, 'quantum', '1514');
    // A short queue, as a real bottleneck has: about a second of packets at 500 kbit/s.
    tc('qdisc', 'add', 'dev', 'lo', 'parent', '1:20', 'handle', '20:', 'pfifo', 'limit', '50');
    tc('filter', 'add', 'dev', 'lo', 'protocol', 'ip', 'parent', '1:', 'prio', '1', 'u32', 'match', 'ip', 'protocol', '17', '0xff', 'match', 'ip', 'dport', String(port), '0xffff', 'flowid', '1:20');
  } catch (error) {
    lift();
    throw error;
  }
  return lift;
}

/**
 * The local UDP port media flows on, from WebRTC stats (a report, or its entries from a page): the
 * transport's selected candidate pair, else the nominated pair that received most (libwebrtc may
 * nominate several). 0 when none.
 */
export function selectedLocalPort(report: { forEach(callback: (s: Record<string, unknown>) => void): void }): number {
  const stats: Record<string, unknown>[] = [];
  report.forEach((s) => stats.push(s));
  const selectedId = stats.find((s) => s['type'] === 'transport' && typeof s['selectedCandidatePairId'] === 'string')?.['selectedCandidatePairId'];
  const received = (s: Record<string, unknown>): number => (typeof s['bytesReceived'] === 'number' ? s['bytesReceived'] : 0);
  const pair =
    stats.find((s) => s['id'] === selectedId) ??
    stats
      .filter((s) => s['type'] === 'candidate-pair' && s['nominated'] === true && s['state'] === 'succeeded')
      .sort((a, b) => received(b) - received(a))[0];
  const local = stats.find((s) => s['id'] === pair?.['localCandidateId']);
  return typeof local?.['port'] === 'number' ? local['port'] : 0;
}
