// Kernel receive timestamps (native/src/netstamp.rs): how long a datagram waited in its socket and the event
// loop before JS saw it. Without the addon (or off Linux) arrival is when JS saw it, late by that wait.
import { loadNativeAddon } from '../native/addon.js';

/** Returns the datagram's wait in ns, or -1 when unknown. */
export type RecvDelay = (fd: number) => number;

let cached: RecvDelay | null | undefined;

/** The native receive-delay function, or null when arrival times come from the event loop. */
export function recvDelayFn(): RecvDelay | null {
  if (cached !== undefined) return cached;
  const load = loadNativeAddon();
  const f = load.ok ? load.addon.recvDelayNs : undefined;
  cached = typeof f === 'function' ? f : null;
  return cached;
}

/**
 * The OS descriptor of a bound node:dgram socket, or -1. Node keeps the handle under a private symbol (the
 * public `_handle` alias is deprecated); the fd is only read for the timestamp query, never used for I/O.
 */
export function socketFd(sock: object): number {
  for (const k of Object.getOwnPropertySymbols(sock)) {
    if (k.description !== 'state symbol') continue;
    const fd = (sock as Record<symbol, { handle?: { fd?: unknown } } | undefined>)[k]?.handle?.fd;
    if (typeof fd === 'number' && Number.isInteger(fd) && fd >= 0) return fd;
  }
  return -1;
}

/** Where a transport's arrival times come from, for `doctor` and the crawl summary. */
export type RxClock = 'kernel' | 'event-loop';
