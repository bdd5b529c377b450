// Child-process entry of one simnet shard; talks to the coordinator over IPC.
import { readFileSync } from 'node:fs';
import { SimShard, type ShardConditions } from './shard.js';
import { populationFromJson, type PopulationJson } from './population.js';
import { churnFromJson, type ChurnEventJson } from './churn.js';
import { serveShard } from './shard-ipc.js';

interface StartMsg { type: 'start'; popFile: string; from: number; to: number; cond: ShardConditions; churnFile: string | null }
type Msg = StartMsg | { type: 'go'; epochMs: number } | { type: 'stats' } | { type: 'lateness' };

let shard: SimShard | null = null;

serveShard<Msg>(async (m) => {
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
  }
}, async () => { await shard?.stop(); });
