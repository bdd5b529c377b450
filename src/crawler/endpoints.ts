// Which endpoints a record may send the crawler to. A hostile peer can return records naming any address, so,
// as go-ethereum and nim-eth do, the crawler never probes special addresses, and probes loopback or private
// ones only when the peer that returned the record is itself loopback or private (a simnet, a devnet on a LAN)
// or the user allows it (--allow-private).
import { isIPv4, isIPv6 } from 'node:net';

export type AddressClass = 'public' | 'private' | 'loopback' | 'link-local' | 'unspecified' | 'multicast' | 'broadcast' | 'reserved' | 'documentation';
export type EndpointDrop = Exclude<AddressClass, 'public'> | 'low-port' | 'bad-address' | 'self';

/** Below this are privileged ports: a discv5 node never listens there, other services do. */
export const MIN_NODE_PORT = 1024;

function v4Class(ip: string): AddressClass {
  const [a, b, c] = ip.split('.').map(Number) as [number, number, number, number];
  if (a === 0) return 'unspecified';
  if (a === 127) return 'loopback';
  if (a === 169 && b === 254) return 'link-local';
  if (a >= 224 && a <= 239) return 'multicast';
  if (ip === '255.255.255.255') return 'broadcast';
  if (a >= 240) return 'reserved';
  if ((a === 192 && b === 0 && c === 2) || (a === 198 && b === 51 && c === 100) || (a === 203 && b === 0 && c === 113)) return 'documentation';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127)) return 'private';
  return 'public';
}

/** The first 16-bit group of an IPv6 address (after expanding a leading '::'). */
function firstGroup(ip: string): number {
  return ip.startsWith('::') ? 0 : parseInt(ip.split(':')[0]!, 16);
}

/** The class of an IPv4 or IPv6 address text; null if it is neither. */
export function addressClass(ip: string): AddressClass | null {
  if (isIPv4(ip)) return v4Class(ip);
  if (!isIPv6(ip)) return null;
  const lower = ip.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (mapped) return v4Class(mapped[1]!);
  // The same, as records are printed: ::ffff:7f00:1 is 127.0.0.1 (a dual-stack socket reaches it).
  const hexMapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hexMapped) {
    const hi = parseInt(hexMapped[1]!, 16), lo = parseInt(hexMapped[2]!, 16);
    return v4Class(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
  }
  if (/^(0*:)*:?0*$/.test(lower) || lower === '::') return 'unspecified';
  if (lower === '::1') return 'loopback';
  const g = firstGroup(lower);
  if ((g & 0xffc0) === 0xfe80) return 'link-local';
  if ((g & 0xff00) === 0xff00) return 'multicast';
  if (g === 0x2001 && parseInt(lower.split(':')[1] ?? '0', 16) === 0x0db8) return 'documentation';
  if ((g & 0xfe00) === 0xfc00) return 'private';
  return 'public';
}

/**
 * The crawler's own endpoints: its port on the address it bound, or on every address of this host when it bound
 * a wildcard. A record naming one would have the crawler talk to itself.
 */
export class OwnEndpoints {
  /** Each entry: `ip|port`, the ip lowercased. */
  private readonly set: ReadonlySet<string>;
  constructor(sockets: ReadonlyArray<{ ip: string; port: number }>, hostAddresses: readonly string[]) {
    const out = new Set<string>();
    for (const s of sockets) {
      const wildcard = s.ip === '0.0.0.0' || s.ip === '::';
      const v6 = s.ip.includes(':');
      const ips = wildcard ? hostAddresses.filter((a) => a.includes(':') === v6) : [s.ip];
      for (const ip of ips) out.add(`${ip.toLowerCase()}|${s.port}`);
    }
    this.set = out;
  }
  static none(): OwnEndpoints { return new OwnEndpoints([], []); }
  has(ip: string, port: number): boolean { return this.set.size > 0 && this.set.has(`${ip.toLowerCase()}|${port}`); }
}

/**
 * Why the crawler must not probe ip:port, named in a record returned by a peer at `fromIp` (null: a bootnode
 * the user gave); null when it may.
 */
export function endpointDrop(ip: string, port: number, fromIp: string | null, allowPrivate: boolean, own: OwnEndpoints = OwnEndpoints.none()): EndpointDrop | null {
  const cls = addressClass(ip);
  if (cls === null) return 'bad-address';
  if (own.has(ip, port)) return 'self';
  if (fromIp === null) return null;
  if (cls === 'loopback' || cls === 'private') {
    const from = addressClass(fromIp);
    return allowPrivate || (from !== 'public' && from !== null) ? (port < MIN_NODE_PORT ? 'low-port' : null) : cls;
  }
  if (cls !== 'public') return cls;
  return port < MIN_NODE_PORT ? 'low-port' : null;
}
