// The libp2p simnet's population: who each node is, where it listens, what it says it runs and whom it
// knows. Pure and seeded, so the coordinator and every shard derive the same network without talking.
import { Prng, derivedKey } from '../../util/prng.js';
import { loopbackAddress } from '../population.js';
import { SimnetError } from '../errors.js';

/** The Kademlia protocol every node serves (IPFS's Amino DHT). */
export const KAD_PROTOCOL = '/ipfs/kad/1.0.0';
/** IPFS's default swarm port; every node has its own address, so all share it. */
export const DEFAULT_LIBP2P_PORT = 4001;
/**
 * Nodes live on 127.60.x.y: clear of the discv5 simnet's blocks (live from 127.20, dead from 127.100,
 * NAT from 127.180 at their defaults), so both can run at once.
 */
export const LIBP2P_OCTET = 60;
/**
 * Peers each node holds in its routing table. Forty fills about two k-buckets (k = 20): the graph is
 * connected many times over, and a FIND_NODE answers with peers spread over the ID space.
 */
export const DEFAULT_TABLE_PEERS = 40;
/** Upper bound on --nodes: 127.60-99 holds 40 /16s of hosts, and past this a machine runs out of fds anyway. */
export const MAX_LIBP2P_NODES = 100_000;

/**
 * Agent versions as real Amino DHT servers report them, with rough shares: the crawler's check that every
 * node's agent matches the truth compares strings that differ in family, version and suffix.
 */
const AGENTS: Record<string, number> = {
  'kubo/0.30.0/846c5c7': 30,
  'kubo/0.29.0/3f0947b': 15,
  'kubo/0.32.1/desktop': 10,
  'go-ipfs/0.9.0/': 8,
  'go-ipfs/0.8.0/48f94e2': 4,
  'js-libp2p/2.8.0 UserAgent=v20.20.2': 8,
  'helia/5.2.0 libp2p/2.8.0 node/20.20.2': 5,
  'rust-libp2p/0.54.1': 8,
  'hydra-booster/0.7.4': 4,
  'edgevpn': 3,
  'storm': 5,
};
/** Protocols some nodes serve beyond identify, ping and the DHT, with the share of nodes that do. */
export const EXTRA_PROTOCOLS: readonly (readonly [string, number])[] = [
  ['/ipfs/bitswap/1.2.0', 0.5],
  ['/ipfs/lan/kad/1.0.0', 0.1],
  ['/libp2p/autonat/1.0.0', 0.25],
];

export interface Libp2pNodeSpec {
  index: number;
  ip: string;
  port: number;
  /** Ed25519 seed: the same simnet seed gives the same peer ID. */
  keySeed: Uint8Array;
  agentVersion: string;
  extraProtocols: string[];
  /** Indexes of the nodes in this node's routing table. */
  tablePeers: number[];
}

export interface Libp2pPopulationParams { nodes: number; seed: string | number; port: number; tablePeers: number }

/** Every node of a libp2p simnet, by index; the same params give the same population. */
export function libp2pPopulation(p: Libp2pPopulationParams): Libp2pNodeSpec[] {
  validateLibp2pParams(p);
  const rng = new Prng(`libp2p/${p.seed}`);
  const want = Math.min(p.tablePeers, p.nodes - 1);
  const out: Libp2pNodeSpec[] = [];
  for (let i = 0; i < p.nodes; i++) {
    const agentVersion = rng.weighted(AGENTS);
    const extraProtocols = EXTRA_PROTOCOLS.filter(([, share]) => rng.next() < share).map(([proto]) => proto);
    // The next node by index is always known, so every node is in some table whatever the draw.
    const peers = new Set<number>([(i + 1) % p.nodes]);
    while (peers.size < want) {
      const j = rng.int(p.nodes);
      if (j !== i) peers.add(j);
    }
    out.push({
      index: i, ip: loopbackAddress(LIBP2P_OCTET, i), port: p.port, keySeed: derivedKey(p.seed, 'libp2p', i),
      agentVersion, extraProtocols, tablePeers: [...peers].sort((a, b) => a - b),
    });
  }
  return out;
}

/** Throws ERR_SIMNET_CONFIG for parameters no population can have. */
export function validateLibp2pParams(p: Libp2pPopulationParams): void {
  if (!Number.isInteger(p.nodes) || p.nodes < 2 || p.nodes > MAX_LIBP2P_NODES) throw new SimnetError('ERR_SIMNET_CONFIG', `libp2p simnet: nodes must be 2..${MAX_LIBP2P_NODES}`);
  if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) throw new SimnetError('ERR_SIMNET_CONFIG', 'libp2p simnet: port must be 1..65535');
  if (!Number.isInteger(p.tablePeers) || p.tablePeers < 1) throw new SimnetError('ERR_SIMNET_CONFIG', 'libp2p simnet: tablePeers must be at least 1');
}
