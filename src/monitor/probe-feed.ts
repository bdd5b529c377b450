// The other vantages' probes of a shared campaign, read from their `probes` rows into this vantage's tracker:
// every monitor then knows every node's state, so one that takes over a shard carries its sessions on unbroken.
import type { Queryable } from '../store/backend.js';
import { fromHex } from '../util/bytes.js';
import type { Tracker } from './tracker.js';

/** Rows read per vantage per poll at most: a poll's work stays bounded after a long pause. */
export const FEED_ROWS_PER_POLL = 20_000;

interface ProbeRow { seq_no: bigint | string; node_id: string; ip: string; udp: number; enr_seq: bigint | string; sent: bigint | number; ok: boolean; rtt_ms: number | null }

export class ProbeFeed {
  /** The last row read of each vantage; bound: the campaign's vantages. */
  private readonly cursors = new Map<string, bigint>();
  applied = 0;

  constructor(
    private readonly db: Queryable,
    private readonly campaignId: number,
    private readonly self: string,
    private readonly tracker: Tracker,
    /** Rows of probes sent before this (unix ms) are skipped: the tracker's state already covers them. */
    private readonly fromMs: number,
  ) {}

  /** Reads what the other vantages probed since the last poll and tells the tracker, oldest first. */
  async poll(vantages: Iterable<string>): Promise<number> {
    const rows: ProbeRow[] = [];
    for (const v of vantages) {
      if (v === this.self) continue;
      let cursor = this.cursors.get(v);
      if (cursor === undefined) {
        const [c] = await this.db.query<{ s: bigint | string | null }>(
          `SELECT max(seq_no) AS s FROM probes WHERE campaign_id = $1 AND vantage = $2 AND sent_at < epoch_ms($3::bigint)`,
          [this.campaignId, v, BigInt(Math.floor(this.fromMs))]);
        cursor = c?.s == null ? 0n : BigInt(c.s);
      }
      const got = await this.db.query<ProbeRow>(
        `SELECT seq_no, node_id, ip, udp, enr_seq, epoch_ms(sent_at) AS sent, ok, rtt_ms FROM probes
         WHERE campaign_id = $1 AND vantage = $2 AND seq_no > $3 ORDER BY seq_no LIMIT ${FEED_ROWS_PER_POLL}`,
        [this.campaignId, v, cursor]);
      if (got.length > 0) cursor = BigInt(got[got.length - 1]!.seq_no);
      this.cursors.set(v, cursor);
      for (const r of got) rows.push(r);
    }
    // In time order across vantages: the tracker judges each observation against the ones before it.
    rows.sort((a, b) => Number(a.sent) - Number(b.sent));
    for (const r of rows) this.apply(r);
    this.applied += rows.length;
    return rows.length;
  }

  private apply(r: ProbeRow): void {
    const id = fromHex(r.node_id);
    const sent = Number(r.sent);
    const n = this.tracker.get(id) ?? this.tracker.sight({ id, ip: r.ip, port: r.udp, seq: BigInt(r.enr_seq), listedBy: 0 }, sent);
    if (!n) return;
    if (r.ok) this.tracker.answered(n, Math.round(sent + (r.rtt_ms ?? 0)));
    else this.tracker.failed(n, sent);
  }
}
