/**
 * @module Processes of this machine, for crash tests: which ones are still running a given job.
 */
import fs from 'node:fs';

/** Pids of live processes whose command line contains `needle` (a zombie's is empty: not listed). */
export function processesWith(needle: string): number[] {
  return fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number).filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle);
    } catch {
      return false;
    }
  });
}
