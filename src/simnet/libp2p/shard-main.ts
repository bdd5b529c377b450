// Child-process entry of one libp2p simnet shard; talks to the coordinator over IPC.
import '../../util/node-compat.js';
import { setMaxListeners } from 'node:events';
import { MAX_CONNECTIONS_PER_NODE } from './node.js';
import { Libp2pShard, type Libp2pShardParams } from './shard.js';
import { serveShard } from '../shard-ipc.js';

type Msg = { type: 'start'; params: Libp2pShardParams } | { type: 'go'; epochMs: number } | { type: 'stats' };

// Each connection a node accepts listens on the node's shutdown signal; a node being crawled and probed at once
// holds more than Node's default of 10, which would print a leak warning per node.
setMaxListeners(MAX_CONNECTIONS_PER_NODE);

let shard: Libp2pShard | null = null;

serveShard<Msg>(async (m) => {
  if (m.type === 'start') {
    shard = new Libp2pShard(m.params);
    const nodes = await shard.start();
    process.send!({ type: 'ready', nodes, rssBytes: process.memoryUsage().rss });
  } else if (m.type === 'go') {
    shard?.go(m.epochMs);
  } else if (m.type === 'stats') {
    process.send!({ type: 'stats', stats: shard?.stats() ?? null });
  }
}, async () => {
  await shard?.stop();
  return { applied: shard?.applied() ?? [] };
});
