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
  /**
   * Ends the native threads (the store's writer) before the exit, after the last flush: a process that exits
   * while DuckDB runs a call on its thread aborts (SIGABRT, "terminate called ... Napi::Error").
   */
  release?: () => Promise<void>;
}

/** How long the release may take: Store.abort waits 2 s for the writer, then ends its thread regardless. */
export const RELEASE_MS = 3000;

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
    const release = opts.release;
    within(opts.lastFlush(), LAST_FLUSH_MS)
      .then((how) => {
        if (how !== 'ok') io?.err(`dhtscope: the last flush did not finish (${how}); rows still queued are lost`);
        return release ? within(release(), RELEASE_MS) : 'ok';
      })
      .catch(() => undefined)
      .finally(() => exit(SECOND_SIGNAL_EXIT));
  };
  for (const sig of STOP_SIGNALS) process.on(sig, h);
  return () => { for (const sig of STOP_SIGNALS) process.off(sig, h); };
}

/** 'ok', the error's message, or 'timed out' after `ms`; never rejects. */
function within(p: Promise<void>, ms: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<string>((r) => { timer = setTimeout(() => r('timed out'), ms); });
  return Promise.race([p.then(() => 'ok', (e: unknown) => (e as Error).message), limit]).finally(() => clearTimeout(timer));
}
