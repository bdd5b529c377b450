// Databases of real libp2p crawls for the report and serve tests: a 30-node loopback libp2p simnet crawled into
// a file of its own, and again into a file that already holds a discv5 crawl of a discv5 simnet (`demo`). Two
// extra bootnodes fail their dials: one at a closed port (refused), one at a live node under another peer ID.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id';
import { startLibp2pSimnet, type Libp2pTruth } from '../../src/simnet/libp2p/simnet.js';
import { runLibp2pCrawlJob, type Libp2pCrawlJobSummary } from '../../src/app/libp2p-crawl-job.js';
import { kadId } from '../../src/libp2p/keys.js';
import { main } from '../../src/cli/main.js';

export const LIBP2P_NODES = 30;
/** Peers of the simnet's tables: few enough that 30 nodes start in a second, enough that every node is listed. */
const TABLE_PEERS = 10;

export interface Libp2pDb {
  path: string;
  summary: Libp2pCrawlJobSummary;
}

export interface Libp2pDbs {
  truth: Libp2pTruth;
  /** Peer IDs of the two bootnodes whose dials fail. */
  failing: string[];
  libp2p: Libp2pDb;
  /** The discv5 crawl is crawl 1, the libp2p crawl crawl 2. */
  mixed: Libp2pDb & { discv5Port: number };
}

/** A TCP port nothing listens on: one the kernel just handed out and took back. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** The Kademlia ID (node_id) of a peer ID, as the store keys it. */
export const nodeIdOf = (peerId: string) => Buffer.from(kadId(peerIdFromString(peerId).toMultihash().bytes)).toString('hex');

/** The first `/` part of an agent, lowercased: what the report and serve call its family. */
export const familyOf = (agent: string) => agent.split('/')[0]!.trim().toLowerCase() || 'empty';

/** Counts of `key` over the items. */
export function countBy<T>(items: readonly T[], key: (t: T) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of items) m.set(key(t), (m.get(key(t)) ?? 0) + 1);
  return m;
}

export async function makeLibp2pDbs(dir: string): Promise<Libp2pDbs> {
  const discv5Port = 20000 + Math.floor(Math.random() * 20000);
  const mixed = join(dir, 'mixed.duckdb');
  const io = { out: () => {}, err: () => {}, isTty: false };
  assert.equal(await main(['demo', '--nodes', '200', '--dead', '100', '--rtt', '5-40', '--port', String(discv5Port), '--db', mixed, '--no-report', '--json'], io), 0);

  const net = await startLibp2pSimnet({ nodes: LIBP2P_NODES, seed: 'report-e2e', shards: 0, port: 4100 + Math.floor(Math.random() * 1000), tablePeers: TABLE_PEERS });
  try {
    const seeded = async (i: number) => peerIdFromPrivateKey(await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(i))).toString();
    const failing = [await seeded(1), await seeded(2)];
    const bootnodes = [...net.truth.bootnodes, `/ip4/127.0.0.1/tcp/${await closedPort()}/p2p/${failing[0]}`, `${net.truth.nodes[1]!.multiaddrs[0]}/p2p/${failing[1]}`];
    const crawl = (path: string) => runLibp2pCrawlJob({ bootnodes, dbPath: path, config: { concurrency: 16, listenIp: '127.0.0.1' }, vantage: 'e2e', version: 'test' });
    const l2p = join(dir, 'libp2p.duckdb');
    const libp2p = { path: l2p, summary: await crawl(l2p) };
    const both = { path: mixed, discv5Port, summary: await crawl(mixed) };
    for (const s of [libp2p.summary, both.summary]) {
      assert.equal(s.measured, LIBP2P_NODES, JSON.stringify(s));
      assert.equal(s.unreachable, 2, JSON.stringify(s));
    }
    return { truth: net.truth, failing, libp2p, mixed: both };
  } finally {
    await net.stop();
  }
}
