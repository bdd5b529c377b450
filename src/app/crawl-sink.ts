// A crawl's measurements into the store: each crawler event becomes a row of a declared table. Every call
// only fills a column batch; the store's writer thread decodes records and commits.
import type { CrawlNode } from '../crawler/nodes.js';
import type { BadRecordReason, CrawlSink, ProgressSample, VisitRecord } from '../crawler/types.js';
import type { LoadProbe } from '../crawler/rate.js';
import { toHex } from '../util/bytes.js';
import { BAD_RECORDS, EDGE_IX, PACKET_TRAIN, PROGRESS, RECORDS, VISITS, type InputRow, type Store } from '../store/index.js';

export class StoreSink implements CrawlSink {
  readonly load: LoadProbe;
  constructor(private readonly store: Store, private readonly crawlId: number) {
    this.load = store.loadProbe;
  }

  /** The node's number for edges: given once per crawl and kept on the node, so an edge costs no lookup. */
  private ref(n: CrawlNode): number {
    if (n.sinkRef < 0) n.sinkRef = this.store.newNodeRef(this.crawlId, n.id);
    return n.sinkRef;
  }

  record(node: CrawlNode, seenAtMs: number): void {
    this.ref(node);
    this.store.add(RECORDS, { crawl_id: this.crawlId, node_id: node.id, seq: node.seq, raw: node.raw!, first_seen: seenAtMs });
    this.store.touchNode(node.id, seenAtMs);
  }

  visit(v: VisitRecord): void {
    this.store.add(VISITS, {
      crawl_id: this.crawlId, node_id: v.node.id, ip: v.node.addr?.ip ?? null, udp: v.node.addr?.port ?? null, status: v.status, error: v.error,
      rtt1_ms: v.rtt1Ms, rtt2_ms: v.rtt2Ms, bytes_in: v.bytesIn, bytes_out: v.bytesOut, packets_in: v.packetsIn, packets_out: v.packetsOut,
      requests: v.requests, records_returned: v.recordsReturned, started_at: v.startedAtMs, ended_at: v.endedAtMs, distances: v.distances.flat().join(','),
      dispersion_mbps: v.dispersion.mbps, train_packets: v.dispersion.trainPackets, dispersion_low_confidence: v.dispersion.lowConfidence, cpl_errors: null,
    });
    if (v.status === 'measured') this.store.touchNode(v.node.id, v.endedAtMs);
  }

  packet(nodeId: Uint8Array, requestNo: number, packetIndex: number, arrivalNs: bigint, size: number): void {
    this.store.add(PACKET_TRAIN, { crawl_id: this.crawlId, node_id: nodeId, request_no: requestNo, packet_index: packetIndex, arrival_ns: arrivalNs, size });
  }

  edge(from: CrawlNode, to: CrawlNode, seq: bigint): void {
    this.store.add(EDGE_IX, { crawl_id: this.crawlId, from_ix: this.ref(from), to_ix: this.ref(to), seq });
  }

  badRecord(raw: Uint8Array, reason: BadRecordReason, claimed: Uint8Array | null, from: CrawlNode | null): void {
    // The bytes may be a view into a reused receive buffer: the row keeps a copy.
    this.store.add(BAD_RECORDS, { crawl_id: this.crawlId, node_id: claimed && toHex(claimed), from_node: from && toHex(from.id), reason, raw: raw.slice(), seen_at: Date.now() });
  }

  progress(s: ProgressSample): void {
    this.store.add(PROGRESS, progressRow(this.crawlId, s));
  }
}

/** A crawler's progress sample as a `progress` row (discv5's and libp2p's). */
export function progressRow(crawlId: number, s: ProgressSample): InputRow<typeof PROGRESS> {
  return {
    crawl_id: crawlId, t_ms: s.tMs, discovered: s.discovered, queued: s.queued, pending: s.pending,
    measured: s.measured, failed: s.failed, requests: s.requests, records: s.records,
  };
}
