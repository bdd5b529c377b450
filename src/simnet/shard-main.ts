// Child-process entry of one simnet shard; talks to the coordinator over IPC.
import { readFileSync } from 'node:fs';
import { SimShard, type ShardConditions } from './shard.js';
import { populationFromJson, type PopulationJson } from './population.js';
import { churnFromJson, type ChurnEventJson } from './churn.js';

interface StartMsg { type: 'start'; popFile: string; from: number; to: number; cond: ShardConditions; churnFile: string | null }
type Msg = StartMsg | { type: 'go'; epochMs: number } | { type: 'stats' } | { type: 'lateness' } | { type: 'stop' };

let shard: SimShard | null = null;

process.on('message', (m: Msg) => {
  (async () => {
    try {
      if (m.type === 'start') {
        const pop = populationFromJson(JSON.parse(readFileSync(m.popFile, 'utf8')) as PopulationJson[]);
        const churn = m.churnFile ? churnFromJson(JSON.parse(readFileSync(m.churnFile, 'utf8')) as ChurnEventJson[]) : null;
        shard = new SimShard(pop, m.from, m.to, m.cond, churn);
        const r = await shard.start();
        process.send!({ type: 'ready', ...r });
      } else if (m.type === 'go') {
        shard?.go(m.epochMs);
      } else if (m.type === 'stats') {
        process.send!({ type: 'stats', stats: shard?.stats() ?? null });
      } else if (m.type === 'lateness') {
        process.send!({ type: 'lateness', lateness: shard?.latenessReport() ?? null });
      } else if (m.type === 'stop') {
        await shard?.stop();
        process.send!({ type: 'stopped' }, () => process.exit(0));
      }
    } catch (e) {
      process.send!({ type: 'error', message: (e as Error).message });
    }
  })().catch((e: unknown) => process.send?.({ type: 'error', message: (e as Error).message }));
});
// The coordinator died: do not linger holding thousands of sockets.
process.on('disconnect', () => process.exit(0));
