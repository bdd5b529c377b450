// The child side of a simnet shard's IPC: each message from the coordinator is handled in turn, a failure goes
// back as one `error` message, `stop` ends the process once answered (with what the stop returned, if anything),
// and a dead coordinator ends it too (a shard must not linger holding its sockets).
export interface ShardStop { type: 'stop' }

export function serveShard<M extends { type: string }>(handle: (m: M) => Promise<void>, stop: () => Promise<object | void>): void {
  process.on('message', (m: M | ShardStop) => {
    (async () => {
      try {
        if (m.type === 'stop') {
          const last = await stop();
          process.send!({ ...last, type: 'stopped' }, () => process.exit(0));
        } else {
          await handle(m as M);
        }
      } catch (e) {
        process.send!({ type: 'error', message: (e as Error).message });
      }
    })().catch((e: unknown) => process.send?.({ type: 'error', message: (e as Error).message }));
  });
  process.on('disconnect', () => process.exit(0));
}
