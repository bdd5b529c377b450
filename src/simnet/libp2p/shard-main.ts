// Child-process entry of one libp2p simnet shard; talks to the coordinator over IPC.
import '../../util/node-compat.js';
import { Libp2pShard, type Libp2pShardParams } from './shard.js';

type Msg = { type: 'start'; params: Libp2pShardParams } | { type: 'stop' };

let shard: Libp2pShard | null = null;

process.on('message', (m: Msg) => {
  (async () => {
    try {
      if (m.type === 'start') {
        shard = new Libp2pShard(m.params);
        const nodes = await shard.start();
        process.send!({ type: 'ready', nodes, rssBytes: process.memoryUsage().rss });
      } else if (m.type === 'stop') {
        await shard?.stop();
        process.send!({ type: 'stopped' }, () => process.exit(0));
      }
    } catch (e) {
      process.send!({ type: 'error', message: (e as Error).message });
    }
  })().catch((e: unknown) => process.send?.({ type: 'error', message: (e as Error).message }));
});
// The coordinator died: do not linger holding hundreds of listening sockets.
process.on('disconnect', () => process.exit(0));
