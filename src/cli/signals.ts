// How the long-running commands stop: SIGINT, SIGTERM and SIGHUP (a closed terminal) ask for a clean stop
// (flush, close, summary); a second one while that runs exits at once, since the user has stopped waiting.
import type { CliIo } from './io.js';

export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Exit status after a second signal: 128 + SIGINT, as shells report an interrupted command. */
const SECOND_SIGNAL_EXIT = 130;

/** Installs the handlers; returns an uninstaller. `exit` is injectable for tests. */
export function onSignals(stop: () => void, io?: CliIo, exit: (code: number) => void = (c) => process.exit(c)): () => void {
  let stopping = false;
  const h = (sig: NodeJS.Signals) => {
    if (!stopping) { stopping = true; stop(); return; }
    io?.err(`dhtscope: second ${sig}: exiting now; committed rows are in the database, rows still queued are lost`);
    exit(SECOND_SIGNAL_EXIT);
  };
  for (const sig of STOP_SIGNALS) process.on(sig, h);
  return () => { for (const sig of STOP_SIGNALS) process.off(sig, h); };
}
