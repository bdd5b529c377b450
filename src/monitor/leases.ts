// Shard leases of a shared campaign (PostgreSQL): which vantage probes which nodes. A shard is the nodes whose
// ID starts with one byte. Each monitor renews its leases every third of the lease time, takes its fair share of
// the shards that are free or lapsed (FOR UPDATE SKIP LOCKED: two takers never get one shard), and lets go of
// shards past its share so a vantage that joins gets some. Lease times are the database server's clock.
import type { Queryable } from '../store/backend.js';

/** One shard per value of a node ID's first byte: fine enough to balance tens of vantages, one row each. */
export const SHARDS = 256;

export function shardOf(id: Uint8Array): number { return id[0]!; }

/** The first two hex characters of the node IDs in a shard (node_id columns are lowercase hex). */
export function shardPrefix(shard: number): string { return shard.toString(16).padStart(2, '0'); }

/** Leases are renewed this many times per lease time: a renewal can be late twice before the lease lapses. */
const RENEWALS_PER_LEASE = 3;
/** A round after another vantage's lease lapses starts this long after the lapse, so the server sees it lapsed. */
const AFTER_LAPSE_MS = 50;

export interface LeaseRound {
  held: number;
  /** Shards taken this round (lapsed or let go by another vantage). */
  taken: number[];
  released: number[];
  /** Vantages running, this one included. */
  holders: number;
}

export class ShardLeases {
  /** 1 where this vantage holds the shard's lease (as of the latest round). */
  private readonly held = new Uint8Array(SHARDS);
  private heldCount = 0;
  /** Local time (performance.now) until which the held leases are surely live: past it nothing is held. */
  private validUntil = 0;
  /** Every vantage of the campaign seen so far: whose probe rows to read. */
  readonly vantages = new Set<string>();

  constructor(
    private readonly db: Queryable,
    private readonly campaignId: number,
    readonly vantage: string,
    /** Validated with the monitor's config (leaseMs). */
    readonly leaseMs: number,
    /** Runs after shards are let go here and before the database frees them (the rows written of them commit). */
    private readonly beforeRelease: () => Promise<void> = async () => {},
    /** Only say this vantage is present, hold no shards: every vantage probes every node. */
    private readonly presenceOnly = false,
  ) {}

  get renewEveryMs(): number { return this.leaseMs / RENEWALS_PER_LEASE; }

  /** Whether this vantage probes (and writes the sessions of) the nodes of `shard` now. */
  owns(shard: number): boolean { return this.held[shard] === 1 && performance.now() < this.validUntil; }

  /** Held shards, as of the latest round. */
  heldShards(): number[] {
    if (performance.now() >= this.validUntil) return [];
    const out: number[] = [];
    for (let s = 0; s < SHARDS; s++) if (this.held[s]) out.push(s);
    return out;
  }

  /** The campaign's lease rows, once (every monitor runs this; the first one's rows stand). */
  async init(): Promise<void> {
    await this.db.query(
      `INSERT INTO probe_leases (campaign_id, shard, holder, expires_at)
       SELECT $1, s, NULL, to_timestamp(0) FROM generate_series(0, ${SHARDS - 1}) AS s ON CONFLICT DO NOTHING`, [this.campaignId]);
  }

  /**
   * Renews, balances and takes; returns what changed and how long until the next round should run (sooner than
   * the renewal period when another vantage's lease lapses before it, so a dead vantage's shards are taken at once).
   */
  async round(): Promise<{ round: LeaseRound; nextInMs: number }> {
    const t0 = performance.now();
    const lease = this.leaseMs;
    // Present (with or without shards), so the others leave this vantage its share. Written before the leases
    // are renewed, so it lapses first: a round after a dead vantage's leases lapse no longer counts it.
    await this.db.query(
      `INSERT INTO campaign_vantages (campaign_id, vantage, joined_at, alive_until) VALUES ($1, $2, now(), now() + $3 * interval '1 millisecond')
       ON CONFLICT (campaign_id, vantage) DO UPDATE SET alive_until = excluded.alive_until`, [this.campaignId, this.vantage, lease]);
    if (this.presenceOnly) {
      this.vantages.add(this.vantage);
      return { round: { held: 0, taken: [], released: [], holders: await this.liveCount() }, nextInMs: this.renewEveryMs };
    }
    const mine = await this.db.query<{ shard: number }>(
      `UPDATE probe_leases SET expires_at = now() + $3 * interval '1 millisecond' WHERE campaign_id = $1 AND holder = $2 RETURNING shard`,
      [this.campaignId, this.vantage, lease]);
    // The renewal counts from before it was sent: the server's expiry is later than that.
    this.setHeld(mine.map((r) => Number(r.shard)), t0 + lease);
    const present = await this.db.query<{ vantage: string; alive: boolean }>(
      `SELECT vantage, alive_until > now() AS alive FROM campaign_vantages WHERE campaign_id = $1`, [this.campaignId]);
    for (const r of present) this.vantages.add(r.vantage);
    const holders = new Set(present.filter((r) => r.alive).map((r) => r.vantage)); holders.add(this.vantage);
    const share = Math.ceil(SHARDS / holders.size);
    let taken: number[] = [], released: number[] = [];
    if (this.heldCount > share) {
      // Past the fair share (a vantage joined): the highest shards go back to the pool for it to take.
      released = this.heldShards().slice(share);
      for (const s of released) this.held[s] = 0;
      this.heldCount -= released.length;
      await this.beforeRelease();
      await this.db.query(
        `UPDATE probe_leases SET expires_at = to_timestamp(0) WHERE campaign_id = $1 AND holder = $2 AND shard = ANY(string_to_array($3, ',')::int[])`,
        [this.campaignId, this.vantage, released.join(',')]);
    } else if (this.heldCount < share) {
      const got = await this.db.query<{ shard: number; prev: string | null }>(
        `UPDATE probe_leases p SET holder = $2, expires_at = now() + $3 * interval '1 millisecond', taken_at = now(), taken_from = f.holder
         FROM (SELECT shard, holder FROM probe_leases WHERE campaign_id = $1 AND expires_at <= now() ORDER BY shard LIMIT $4 FOR UPDATE SKIP LOCKED) f
         WHERE p.campaign_id = $1 AND p.shard = f.shard RETURNING p.shard, f.holder AS prev`,
        [this.campaignId, this.vantage, lease, share - this.heldCount]);
      taken = got.map((r) => Number(r.shard));
      for (const r of got) if (r.prev) this.vantages.add(r.prev);
      for (const s of taken) this.held[s] = 1;
      this.heldCount += taken.length;
    }
    const [next] = await this.db.query<{ ms: number | null }>(
      `SELECT extract(epoch FROM min(expires_at) - now()) * 1000 AS ms FROM probe_leases
       WHERE campaign_id = $1 AND holder <> $2 AND expires_at > now()`, [this.campaignId, this.vantage]);
    const lapseMs = next?.ms == null ? Infinity : Number(next.ms) + AFTER_LAPSE_MS;
    // Short of its share: the vantages past theirs let shards go at their own rounds, so look again sooner.
    const periodMs = this.heldCount < share ? this.renewEveryMs / 2 : this.renewEveryMs;
    const nextInMs = Math.max(AFTER_LAPSE_MS, Math.min(periodMs, lapseMs));
    return { round: { held: this.heldCount, taken, released, holders: holders.size }, nextInMs };
  }

  /** Gives every lease back at a clean stop and leaves, so the other vantages take the shards at once. */
  async releaseAll(): Promise<void> {
    this.held.fill(0); this.heldCount = 0; this.validUntil = 0;
    await this.db.query(`UPDATE probe_leases SET expires_at = to_timestamp(0) WHERE campaign_id = $1 AND holder = $2`, [this.campaignId, this.vantage]);
    await this.db.query(`UPDATE campaign_vantages SET alive_until = now() WHERE campaign_id = $1 AND vantage = $2`, [this.campaignId, this.vantage]);
  }

  private async liveCount(): Promise<number> {
    const [r] = await this.db.query<{ n: number | bigint | string }>(`SELECT count(*) AS n FROM campaign_vantages WHERE campaign_id = $1 AND alive_until > now()`, [this.campaignId]);
    return Number(r?.n ?? 0);
  }

  /** Whether another vantage is running (the campaign is not over when this one stops). */
  async othersLive(): Promise<boolean> {
    const r = await this.db.query(`SELECT 1 FROM campaign_vantages WHERE campaign_id = $1 AND vantage <> $2 AND alive_until > now() LIMIT 1`, [this.campaignId, this.vantage]);
    return r.length > 0;
  }

  /** Whether a monitor with this vantage is running in the campaign now (another process given the same name). */
  async selfLive(): Promise<boolean> {
    const r = await this.db.query(`SELECT 1 FROM campaign_vantages WHERE campaign_id = $1 AND vantage = $2 AND alive_until > now()`, [this.campaignId, this.vantage]);
    return r.length > 0;
  }

  private setHeld(shards: number[], validUntil: number): void {
    this.held.fill(0);
    for (const s of shards) this.held[s] = 1;
    this.heldCount = shards.length;
    this.validUntil = validUntil;
    if (shards.length > 0) this.vantages.add(this.vantage);
  }
}
