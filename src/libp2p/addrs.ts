// What a peer's advertised multiaddrs say about whether others can dial it (issue 22 item 3): a peer that lists
// only relay (/p2p-circuit) addresses, or only private ones, sits behind a NAT or firewall.
import { multiaddr } from 'multiaddr13';
import { addressClass } from '../crawler/endpoints.js';

/** Why a peer counts as NAT'd: `peers.nat_evidence`. */
export type NatEvidence = 'relay-only' | 'private-only';

/** How one advertised address could be reached. */
export type AddrScope = 'relay' | 'public' | 'private';

/** Name components: a DNS name is taken as public (it is published for others to resolve). */
const DNS_COMPONENTS = new Set(['dns', 'dns4', 'dns6', 'dnsaddr']);

/** The scope of one multiaddr text; null when it does not parse or names no host. */
export function addrScope(text: string): AddrScope | null {
  let comps: Array<{ name: string; value?: string }>;
  try { comps = multiaddr(text).getComponents(); } catch { return null; }
  if (comps.some((c) => c.name === 'p2p-circuit')) return 'relay';
  const host = comps[0];
  if (!host) return null;
  if (DNS_COMPONENTS.has(host.name)) return 'public';
  if ((host.name !== 'ip4' && host.name !== 'ip6') || !host.value) return null;
  return addressClass(host.value) === 'public' ? 'public' : 'private';
}

/**
 * Whether a peer advertising `addrs` is behind a NAT, and the evidence: `relay-only` when it lists relay addresses
 * and nothing directly dialable, `private-only` when it lists only private (or loopback, link-local) ones. On a
 * network reached at private addresses itself (`publicNetwork` false: a simnet, a LAN), private addresses are
 * dialable and not evidence. nat null: no address that says anything.
 */
export function natOf(addrs: readonly string[], publicNetwork: boolean): { nat: boolean | null; evidence: NatEvidence | null } {
  let relay = false, priv = false, dialable = false;
  for (const a of addrs) {
    const s = addrScope(a);
    if (s === 'relay') relay = true;
    else if (s === 'public' || (s === 'private' && !publicNetwork)) dialable = true;
    else if (s === 'private') priv = true;
  }
  if (dialable) return { nat: false, evidence: null };
  if (relay) return { nat: true, evidence: 'relay-only' };
  if (priv) return { nat: true, evidence: 'private-only' };
  return { nat: null, evidence: null };
}

/** An /ip4 or /ip6 TCP address, as a monitor's tracker holds one (ip, port). */
const TCP_ADDR = /^\/ip([46])\/([^/]+)\/tcp\/(\d+)/;

/** The /ip4 or /ip6 TCP address a multiaddr starts with (its text up to the port), or null. */
export function tcpAddr(a: string): { ip: string; port: number; text: string } | null {
  const m = TCP_ADDR.exec(a);
  return m ? { ip: m[2]!, port: Number(m[3]), text: m[0] } : null;
}

/** The TCP address a visit reached, else the first it dialed; null if it had none. */
export function tcpAddrOf(v: { remoteAddr: string | null; dialedAddrs: readonly string[] }): { ip: string; port: number; text: string } | null {
  for (const a of [v.remoteAddr, ...v.dialedAddrs]) {
    const t = a ? tcpAddr(a) : null;
    if (t) return t;
  }
  return null;
}
