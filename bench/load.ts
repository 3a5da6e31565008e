/**
 * How busy the machine is besides the benchmark: these machines are shared, and a window of
 * measurement during which other processes took CPU time is redone rather than trusted.
 */
import { readFileSync } from 'node:fs';

/** CPU time used by the whole machine so far (ms), or null where /proc/stat is unavailable. */
export function machineBusyMs(): number | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1).map(Number);
    return (f[0] + f[1] + f[2] + f[5] + f[6]) * 10; // user, nice, system, irq, softirq; USER_HZ = 100
  } catch {
    return null;
  }
}

/**
 * Cores' worth of CPU that processes other than the measured ones used over a window: the
 * machine's busy time between `busy0` and `busy1`, less `ownMs` (the measured processes' CPU
 * time), over `wallMs`. Null where the machine's busy time is unknown.
 */
export function foreignLoad(busy0: number | null, busy1: number | null, ownMs: number, wallMs: number): number | null {
  if (busy0 === null || busy1 === null || wallMs <= 0) return null;
  return (busy1 - busy0 - ownMs) / wallMs;
}
