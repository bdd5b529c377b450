import { createSocket, type Socket, type RemoteInfo } from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';
import { DhtscopeError } from '../util/errors.js';
import { recvDelayFn, socketFd, type RecvDelay, type RxClock } from './rx-stamp.js';

/** Asked of the OS for each socket; Linux caps at net.core.{r,w}mem_max, so we report what we got. */
export const DEFAULT_SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;
/** Bound on the per-remote counter map; the oldest remote is dropped past it. */
export const DEFAULT_MAX_TRACKED_REMOTES = 100_000;

export class TransportError extends DhtscopeError {}

/**
 * Called for every datagram: bytes (a view valid only during the call), sender, arrival hrtime (the kernel's
 * receive time when the transport has it, see rx-stamp.ts).
 */
export type DatagramHandler = (data: Uint8Array, ip: string, port: number, arrivedAtNs: bigint) => void;

export interface TransportStats {
  packetsIn: number; packetsOut: number; bytesIn: number; bytesOut: number;
  sendErrors: number;
  /** Datagrams whose arrival time is the kernel's receive timestamp (the rest: when JS saw them). */
  kernelStamped: number;
  /** Actual socket buffer sizes granted by the OS (bytes). */
  recvBufferBytes: number; sendBufferBytes: number;
}

export interface RemoteCounters { packetsIn: number; packetsOut: number; bytesIn: number; bytesOut: number }

export interface UdpTransportOptions {
  /** IPv4 address to bind, e.g. 127.0.0.1 or 0.0.0.0. */
  address?: string;
  port?: number;
  /** Also bind an IPv6 socket (for ENRs that only offer ip6/udp6). */
  ip6Address?: string | null;
  bufferBytes?: number;
  /** Track counters per remote ip:port (bounded); off for simnet nodes to save memory. */
  trackRemotes?: boolean;
  maxTrackedRemotes?: number;
}

/** The only owner of UDP sockets: it moves bytes and counts them, and decodes nothing. */
export class UdpTransport {
  readonly stats: TransportStats = { packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0, sendErrors: 0, kernelStamped: 0, recvBufferBytes: 0, sendBufferBytes: 0 };
  /** Kernel receive delays, when the native addon provides them. */
  private readonly recvDelay: RecvDelay | null = recvDelayFn();
  private handler: DatagramHandler = () => {};
  private readonly remotes: Map<string, RemoteCounters> | null;
  private closed = false;
  /** One callback for every send, not a closure per packet. */
  private readonly afterSend = (err: Error | null): void => { if (err) this.stats.sendErrors++; };

  private constructor(private readonly sock4: Socket, private readonly sock6: Socket | null, private readonly opts: UdpTransportOptions) {
    this.remotes = opts.trackRemotes ? new Map() : null;
  }

  static async bind(opts: UdpTransportOptions = {}): Promise<UdpTransport> {
    const bufferBytes = opts.bufferBytes ?? DEFAULT_SOCKET_BUFFER_BYTES;
    const s4 = await bindSocket('udp4', opts.address ?? '0.0.0.0', opts.port ?? 0, bufferBytes);
    let s6: Socket | null = null;
    if (opts.ip6Address) {
      try { s6 = await bindSocket('udp6', opts.ip6Address, 0, bufferBytes); } catch { s6 = null; }
    }
    const t = new UdpTransport(s4, s6, opts);
    t.stats.recvBufferBytes = safe(() => s4.getRecvBufferSize());
    t.stats.sendBufferBytes = safe(() => s4.getSendBufferSize());
    for (const s of [s4, s6]) {
      if (!s) continue;
      const fd = t.recvDelay ? socketFd(s) : -1;
      // The first query turns the socket's timestamping on, so datagrams from now on carry one.
      if (fd >= 0) t.recvDelay!(fd);
      s.on('message', (msg: Buffer, rinfo: RemoteInfo) => t.onMessage(msg, rinfo, fd));
    }
    return t;
  }

  get address(): { ip: string; port: number } {
    const a = this.sock4.address();
    return { ip: a.address, port: a.port };
  }

  get hasIpv6(): boolean { return this.sock6 !== null; }

  /** The IPv6 socket's address, null without one. */
  get address6(): { ip: string; port: number } | null {
    if (!this.sock6) return null;
    const a = this.sock6.address();
    return { ip: a.address, port: a.port };
  }

  /** Where arrival times come from. */
  get rxClock(): RxClock { return this.recvDelay && socketFd(this.sock4) >= 0 ? 'kernel' : 'event-loop'; }

  onDatagram(h: DatagramHandler): void { this.handler = h; }

  private onMessage(msg: Buffer, rinfo: RemoteInfo, fd: number): void {
    let at = process.hrtime.bigint();
    if (fd >= 0) {
      const waitedNs = this.recvDelay!(fd);
      if (waitedNs >= 0) { at -= BigInt(Math.round(waitedNs)); this.stats.kernelStamped++; }
    }
    this.stats.packetsIn++;
    this.stats.bytesIn += msg.length;
    if (this.remotes) {
      const c = this.remote(rinfo.address, rinfo.port);
      c.packetsIn++; c.bytesIn += msg.length;
    }
    this.handler(msg, rinfo.address, rinfo.port, at);
  }

  private remote(ip: string, port: number): RemoteCounters {
    const k = ip + ':' + port;
    let c = this.remotes!.get(k);
    if (!c) {
      c = { packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0 };
      this.remotes!.set(k, c);
      if (this.remotes!.size > (this.opts.maxTrackedRemotes ?? DEFAULT_MAX_TRACKED_REMOTES)) {
        this.remotes!.delete(this.remotes!.keys().next().value as string);
      }
    }
    return c;
  }

  remoteCounters(ip: string, port: number): RemoteCounters | undefined {
    return this.remotes?.get(ip + ':' + port);
  }

  /** Fire-and-forget send; errors are counted, never thrown (UDP has no delivery anyway). */
  send(data: Uint8Array, ip: string, port: number): void {
    if (this.closed) return;
    // Sends take IP literals (records carry no names): a colon is IPv6, without net.isIPv6's regex per packet.
    const s = ip.indexOf(':') >= 0 ? this.sock6 : this.sock4;
    if (!s) { this.stats.sendErrors++; return; }
    this.stats.packetsOut++;
    this.stats.bytesOut += data.length;
    if (this.remotes) {
      const c = this.remote(ip, port);
      c.packetsOut++; c.bytesOut += data.length;
    }
    s.send(data, port, ip, this.afterSend);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([closeSocket(this.sock4), this.sock6 ? closeSocket(this.sock6) : undefined]);
  }
}

function safe(f: () => number): number { try { return f(); } catch { return 0; } }

function bindSocket(type: 'udp4' | 'udp6', address: string, port: number, bufferBytes: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket({ type, reuseAddr: false, lookup: literalLookup });
    const onErr = (e: NodeJS.ErrnoException) => {
      s.close();
      reject(new TransportError(e.code === 'EADDRINUSE' ? 'ERR_TRANSPORT_ADDR_IN_USE' : 'ERR_TRANSPORT_BIND',
        `cannot bind ${type} ${address}:${port}: ${e.code ?? e.message}`));
    };
    s.once('error', onErr);
    s.bind(port, address, () => {
      s.off('error', onErr);
      // Raise as far as the OS allows: a burst of NODES replies overflows the default buffer.
      try { s.setRecvBufferSize(bufferBytes); } catch { /* capped by rmem_max */ }
      try { s.setSendBufferSize(bufferBytes); } catch { /* capped by wmem_max */ }
      s.on('error', () => { /* ICMP-driven errors on unconnected UDP sockets are not actionable */ });
      resolve(s);
    });
  });
}

/**
 * Answers at once for IP literals (every send here), so the datagram leaves inside send(); dns.lookup answers
 * them on the next tick, after the rest of the caller's work, which the round trip clock would count.
 */
function literalLookup(host: string, opts: LookupOneOptions, cb: (err: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  const family = isIP(host);
  if (family) cb(null, host, family);
  else dnsLookup(host, opts, cb);
}

function closeSocket(s: Socket): Promise<void> {
  return new Promise((r) => { try { s.close(() => r()); } catch { r(); } });
}
