// piscina worker: synchronous CPU work only, one batch per task; the packed result is transferred.
import { move } from 'piscina';
import { runTask, type CryptoTask } from './batch.js';

export default function (task: CryptoTask): unknown {
  return move(runTask(task));
}
