// One libp2p simnet node: a real js-libp2p host (TCP, Noise, Yamux) serving identify, ping and the
// Kademlia DHT in server mode on its own loopback address, its routing table filled from the population.
import '../../util/node-compat.js';
import { createLibp2p, type Libp2p } from 'libp2p';
import { tcp } from '@libp2p/tcp';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify } from '@libp2p/identify';
import { ping } from '@libp2p/ping';
import { kadDHT, passthroughMapper, type KadDHT } from '@libp2p/kad-dht';
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';
import { SimnetError } from '../errors.js';
import { sha256 } from '../../crypto/hash.js';
import { toHex } from '../../util/bytes.js';
import { KAD_PROTOCOL, type Libp2pNodeSpec } from './population.js';

/** setTimeout's longest delay (2^31 - 1 ms, ~24.8 days); a longer one fires at once. Used as "never". */
const NEVER_MS = 2 ** 31 - 1;
/**
 * Connections one node accepts. A crawler needs one per node, but several crawlers and tests may visit
 * at once; a shard of 100 nodes at this limit stays well under the 20,000 fds of a process in practice.
 */
export const MAX_CONNECTIONS_PER_NODE = 1024;
/** Inbound connections per second from one host (default 5): a crawler reconnects to retry, all from 127.x. */
const INBOUND_PER_HOST_PER_SEC = 1000;
/** Every simnet peer and crawler is on loopback; allow-listed hosts skip the rate and pending limits. */
const LOOPBACK_NET = '/ip4/127.0.0.0/ipcidr/8';

export type SimNode = Libp2p<{ dht: KadDHT }>;
/** libp2p's own PeerId type (the top-level @libp2p/interface is an older major than libp2p's). */
export type PeerId = Parameters<SimNode['peerStore']['merge']>[0];
/**
 * libp2p's Multiaddr (@multiformats/multiaddr 13); ours is 12. Both carry the same bytes and string and the
 * peer store keeps only those, so a 12 is passed where a 13 is typed.
 */
type LibMultiaddr = ReturnType<SimNode['getMultiaddrs']>[number];

/** Deterministic identity of a spec: the same seed gives the same peer ID. */
export async function specPeerId(spec: Libp2pNodeSpec): Promise<PeerId> {
  return peerIdFromPrivateKey(await generateKeyPairFromSeed('Ed25519', spec.keySeed));
}

/**
 * A peer's Kademlia ID in lowercase hex: SHA-256 of its peer-ID bytes, as src/libp2p/keys.ts `kadId` computes
 * it for the crawl's node_id (that layer sits above this one; a test checks the two agree).
 */
export function kadIdHex(peerId: PeerId): string {
  return toHex(sha256(peerId.toMultihash().bytes));
}

/** The TCP listen address of a spec, without /p2p. */
export function specAddr(spec: Libp2pNodeSpec): string {
  return `/ip4/${spec.ip}/tcp/${spec.port}`;
}

/** Starts one node listening; its routing table is empty until `fillTable`. */
export async function startSimNode(spec: Libp2pNodeSpec): Promise<SimNode> {
  const node = await createLibp2p({
    privateKey: await generateKeyPairFromSeed('Ed25519', spec.keySeed),
    nodeInfo: { userAgent: spec.agentVersion },
    addresses: { listen: [specAddr(spec)] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: {
      maxConnections: MAX_CONNECTIONS_PER_NODE,
      inboundConnectionThreshold: INBOUND_PER_HOST_PER_SEC,
      allow: [LOOPBACK_NET],
    },
    // No ping-based pruning: a crawler that holds a connection idle must not see it torn down mid-visit.
    connectionMonitor: { enabled: false },
    // Table entries come from the population, never observed: they must not age out of a long-running simnet.
    peerStore: { maxAddressAge: NEVER_MS, maxPeerAge: NEVER_MS },
    services: {
      ping: ping(),
      identify: identify(),
      dht: kadDHT({
        protocol: KAD_PROTOCOL,
        // Server mode from the start: kad-dht would otherwise wait for a public address it never gets.
        clientMode: false,
        // Loopback addresses are all there is; the default mapper for '/ipfs/kad' strips them from replies.
        peerInfoMapper: passthroughMapper,
        // The tables are given; nodes looking themselves up would only dial each other in the background.
        initialQuerySelfInterval: NEVER_MS,
        querySelfInterval: NEVER_MS,
        allowQueryWithZeroPeers: true,
      }),
    },
    start: false,
  });
  quietTable(node);
  for (const proto of spec.extraProtocols) {
    // Listed by identify; a stream opened on it is closed at once (the simnet serves no content).
    await node.handle(proto, (stream) => { stream.abort(new Error('simnet: no service behind this protocol')); });
  }
  try {
    await node.start();
  } catch (e) {
    await Promise.resolve(node.stop()).catch(() => {});
    throw new SimnetError('ERR_SIMNET_BIND', `libp2p node ${spec.index} could not listen on ${specAddr(spec)}: ${(e as Error).message}`);
  }
  return node;
}

/** The routing table's internals the simnet tunes; checked at run time since kad-dht does not export them. */
interface KadInternals {
  routingTable?: { kb?: { lastPingThreshold?: number }; add(peerId: PeerId): Promise<void> };
  routingTableRefresh?: { refreshInterval?: number };
}

function internals(node: SimNode): Required<KadInternals> & { routingTable: { kb: { lastPingThreshold: number } } } {
  const k = node.services.dht as unknown as KadInternals;
  if (typeof k.routingTable?.kb?.lastPingThreshold !== 'number' || typeof k.routingTableRefresh?.refreshInterval !== 'number') {
    throw new SimnetError('ERR_SIMNET_LIBP2P', 'kad-dht internals changed: routingTable.kb.lastPingThreshold / routingTableRefresh.refreshInterval not found');
  }
  return k as ReturnType<typeof internals>;
}

/**
 * A table entry counts as freshly pinged forever, so adding one costs no dial (a k-bucket pings every new
 * contact first, which for 40 peers a node would be 12,000 connections in a 300-node simnet), and a full
 * bucket never evicts; the periodic table refresh would dial too, so it is pushed out of reach.
 */
function quietTable(node: SimNode): void {
  const k = internals(node);
  k.routingTable.kb.lastPingThreshold = Number.POSITIVE_INFINITY;
  k.routingTableRefresh.refreshInterval = NEVER_MS;
}

/** Puts peers (ID, listen address) into the node's peer store and routing table; returns the table's size. */
export async function fillTable(node: SimNode, peers: readonly { id: PeerId; addr: string }[]): Promise<number> {
  const rt = internals(node).routingTable;
  for (const p of peers) {
    await node.peerStore.merge(p.id, { multiaddrs: [multiaddr(p.addr) as unknown as LibMultiaddr], protocols: [KAD_PROTOCOL] });
    await rt.add(p.id);
  }
  return (node.services.dht as unknown as { routingTable: { size: number } }).routingTable.size;
}
