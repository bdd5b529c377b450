// How the long-running commands stop: SIGINT, SIGTERM and SIGHUP (a closed terminal) ask for a clean stop
// (flush, close, summary); a second one while that runs exits soon, since the user has stopped waiting: after
// one last attempt to commit the rows still queued, bounded by LAST_FLUSH_MS.
/** Where the handlers say what they do (the CLI's stderr). */
export interface SignalLog { err(line: string): void }

export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Exit status after a second signal: 128 + SIGINT, as shells report an interrupted command. */
const SECOND_SIGNAL_EXIT = 130;
/** The last flush's time limit: long enough to commit a batch or two, short enough to feel immediate. */
export const LAST_FLUSH_MS = 2000;

export interface SignalOptions {
  /** Injectable for tests. */
  exit?: (code: number) => void;
  /** Commits what is queued (the store's flush), tried once on the second signal. */
  lastFlush?: () => Promise<void>;
}

/** Installs the handlers; returns an uninstaller. */
export function onSignals(stop: () => void, io?: SignalLog, opts: SignalOptions = {}): () => void {
  const exit = opts.exit ?? ((c: number) => process.exit(c));
  let stopping = false, exiting = false;
  const h = (sig: NodeJS.Signals) => {
    if (!stopping) { stopping = true; stop(); return; }
    if (exiting) { exit(SECOND_SIGNAL_EXIT); return; } // a third: no more waiting
    exiting = true;
    if (!opts.lastFlush) {
      io?.err(`dhtscope: second ${sig}: exiting now; committed rows are in the database, rows still queued are lost`);
      exit(SECOND_SIGNAL_EXIT);
      return;
    }
    io?.err(`dhtscope: second ${sig}: committing what is queued (at most ${LAST_FLUSH_MS / 1000} s), then exiting`);
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<string>((r) => { timer = setTimeout(() => r('timed out'), LAST_FLUSH_MS); });
    Promise.race([opts.lastFlush().then(() => 'ok', (e: unknown) => (e as Error).message), limit])
      .then((how) => {
        if (how !== 'ok') io?.err(`dhtscope: the last flush did not finish (${how}); rows still queued are lost`);
      })
      .catch(() => undefined)
      .finally(() => { clearTimeout(timer); exit(SECOND_SIGNAL_EXIT); });
  };
  for (const sig of STOP_SIGNALS) process.on(sig, h);
  return () => { for (const sig of STOP_SIGNALS) process.off(sig, h); };
}
