// One connection, several users. js-libp2p's dial queue joins a dial to a peer already being dialed, even
// with `force`, so a monitor probe and a crawl visit that overlap get one connection, and the probe used to
// close it under the visit. Dials to one peer are joined here instead, so that every user of the connection is
// counted before any of them can let go; the last to let go closes it.
import type { Libp2pHost } from './visit.js';

export type Libp2pConnection = Awaited<ReturnType<Libp2pHost['dial']>>;

interface PendingDial { conn: Promise<HeldConnection>; users: number }

/** A held connection, and when the dial that made it started (performance.now): a joined caller's connect time. */
export interface HeldConnection { conn: Libp2pConnection; dialStartedAtMs: number }

/** Dials in progress per host, by peer ID text; bound: the host's dials in flight. */
const pending = new WeakMap<Libp2pHost, Map<string, PendingDial>>();
/** Users per open connection; weak, so a connection dropped without a release leaves nothing behind. */
const holders = new WeakMap<Libp2pConnection, number>();

/**
 * A connection of its own to `peerId` (`force`: not an open one, whose connect time would not be this dial's),
 * or the one a dial in progress to the same peer is making; the caller must `release` it. A joined caller
 * shares the first dial's time limit.
 */
export function dialHeld(host: Libp2pHost, peerId: string, target: Parameters<Libp2pHost['dial']>[0], signal: AbortSignal): Promise<HeldConnection> {
  let byPeer = pending.get(host);
  if (!byPeer) { byPeer = new Map(); pending.set(host, byPeer); }
  const inProgress = byPeer.get(peerId);
  if (inProgress) { inProgress.users++; return inProgress.conn; }
  const dialStartedAtMs = performance.now();
  const p: PendingDial = {
    users: 1,
    // The entry leaves the map in the same callback that counts its users: no caller can join uncounted between.
    conn: host.dial(target, { signal, force: true }).then((conn) => {
      byPeer.delete(peerId);
      holders.set(conn, (holders.get(conn) ?? 0) + p.users);
      return { conn, dialStartedAtMs };
    }, (e: unknown) => {
      byPeer.delete(peerId);
      throw e;
    }),
  };
  byPeer.set(peerId, p);
  return p.conn;
}

/** Lets go of a held connection; the last holder closes it. Never rejects. */
export async function release(conn: Libp2pConnection): Promise<void> {
  const left = (holders.get(conn) ?? 1) - 1;
  if (left > 0) { holders.set(conn, left); return; }
  holders.delete(conn);
  await conn.close().catch(() => {});
}
