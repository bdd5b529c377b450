// A range of libp2p simnet nodes in one process: start them, fill their tables, stop them.
import { libp2pPopulation, type Libp2pNodeSpec, type Libp2pPopulationParams } from './population.js';
import { fillTable, specAddr, specPeerId, startSimNode, type PeerId, type SimNode } from './node.js';

/** Nodes started at once: each start binds a socket and derives a key; more at once only queues in libuv. */
const START_CONCURRENCY = 32;

export interface Libp2pShardParams extends Libp2pPopulationParams { from: number; to: number }

/** One node as the truth file lists it. */
export interface Libp2pTruthNode {
  peerId: string;
  /** Listen addresses, without /p2p (as a FIND_NODE reply carries them). */
  multiaddrs: string[];
  agentVersion: string;
  /** What identify lists, sorted. */
  protocols: string[];
  /** Peers in its routing table once filled. */
  tableSize: number;
}

export class Libp2pShard {
  private nodes: SimNode[] = [];
  constructor(private readonly params: Libp2pShardParams) {}

  /** Starts nodes [from, to) and fills their tables; on failure stops what it started and throws. */
  async start(): Promise<Libp2pTruthNode[]> {
    const pop = libp2pPopulation(this.params);
    const mine = pop.slice(this.params.from, this.params.to);
    const ids = new Map<number, PeerId>();
    const idOf = async (s: Libp2pNodeSpec) => {
      let id = ids.get(s.index);
      if (!id) { id = await specPeerId(s); ids.set(s.index, id); }
      return id;
    };
    try {
      for (let i = 0; i < mine.length; i += START_CONCURRENCY) {
        this.nodes.push(...await Promise.all(mine.slice(i, i + START_CONCURRENCY).map((s) => startSimNode(s))));
      }
      const out: Libp2pTruthNode[] = [];
      for (let i = 0; i < mine.length; i++) {
        const spec = mine[i]!, node = this.nodes[i]!;
        const peers = await Promise.all(spec.tablePeers.map(async (j) => ({ id: await idOf(pop[j]!), addr: specAddr(pop[j]!) })));
        const tableSize = await fillTable(node, peers);
        out.push({ peerId: node.peerId.toString(), multiaddrs: [specAddr(spec)], agentVersion: spec.agentVersion, protocols: node.getProtocols().slice().sort(), tableSize });
      }
      return out;
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  async stop(): Promise<void> {
    const nodes = this.nodes;
    this.nodes = [];
    await Promise.all(nodes.map((n) => Promise.resolve(n.stop()).catch(() => {})));
  }
}
