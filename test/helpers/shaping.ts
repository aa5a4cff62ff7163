/**
 * @module Rate caps for impairment tests: an htb class on the test namespace's loopback that
 * holds every UDP packet sent to one port to `rate` (inside one namespace all traffic between its
 * addresses crosses `lo`). Needs root in the isolated namespace `npm test` runs in.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

const tc = (...args: string[]): void => void execFileSync('tc', args);

/**
 * Caps UDP towards `ports` (together) at `rate` (a tc rate such as `500kbit`); returns the
 * function that lifts the cap. Give every local candidate port of the receiving peer connection:
 * the sender may use another candidate pair than the one the receiver reports as selected.
 */
export function capUdpPorts(ports: readonly number[], rate: string): () => void {
  assert.equal(process.env.ATRIUM_ISOLATED, '1', 'run through npm test (isolated network namespace)');
  tc('qdisc', 'add', 'dev', 'lo', 'root', 'handle', '1:', 'htb', 'default', '10');
  const lift = (): void => tc('qdisc', 'del', 'dev', 'lo', 'root');
  try {
    tc('class', 'add', 'dev', 'lo', 'parent', '1:', 'classid', '1:10', 'htb', 'rate', '10gbit', 'quantum', '60000');
    tc('class', 'add', 'dev', 'lo', 'parent', '1:', 'classid', '1:20', 'htb', 'rate', rate, 'ceil', rate, 'quantum', '1514');
    // A short queue, as a real bottleneck has: about a second of packets at 500 kbit/s.
    tc('qdisc', 'add', 'dev', 'lo', 'parent', '1:20', 'handle', '20:', 'pfifo', 'limit', '50');
    for (const port of new Set(ports)) {
      tc('filter', 'add', 'dev', 'lo', 'protocol', 'ip', 'parent', '1:', 'prio', '1', 'u32', 'match', 'ip', 'protocol', '17', '0xff', 'match', 'ip', 'dport', String(port), '0xffff', 'flowid', '1:20');
    }
  } catch (error) {
    lift();
    throw error;
  }
  return lift;
}

/** Every local UDP candidate port in WebRTC stats (a report, or its entries from a page). */
export function localCandidatePorts(report: { forEach(callback: (s: Record<string, unknown>) => void): void }): number[] {
  const ports: number[] = [];
  report.forEach((s) => {
    if (s['type'] === 'local-candidate' && typeof s['port'] === 'number' && s['protocol'] !== 'tcp') ports.push(s['port']);
  });
  return ports;
}
