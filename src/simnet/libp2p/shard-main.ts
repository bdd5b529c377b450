// Child-process entry of one libp2p simnet shard; talks to the coordinator over IPC.
import '../../util/node-compat.js';
import { Libp2pShard, type Libp2pShardParams } from './shard.js';
import { serveShard } from '../shard-ipc.js';

type Msg = { type: 'start'; params: Libp2pShardParams };

let shard: Libp2pShard | null = null;

serveShard<Msg>(async (m) => {
  shard = new Libp2pShard(m.params);
  const nodes = await shard.start();
  process.send!({ type: 'ready', nodes, rssBytes: process.memoryUsage().rss });
}, async () => { await shard?.stop(); });
