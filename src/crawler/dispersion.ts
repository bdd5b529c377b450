// Reply-train dispersion rate: how fast a node's NODES packets arrived back to back, from their spacing.
//
// Each FINDNODE reply is a train (the remote sends its NODES packets in one go). A pair's rate is the second
// packet's size over the gap between the two arrivals; a train's is the sum of its pairs' bytes over the
// time from its first arrival to its last: the pairs' rates weighted by their gaps (the train dispersion of
// cprobe and pathrate's "asymptotic dispersion rate"). Only the train's ends count, so receive batching
// that squeezes one pair (interrupt coalescing, a timer tick firing two sends at once) and stretches the
// next cancels out, and a zero gap adds bytes, not an infinite rate.
// Across the trains of a visit, a minimum-delay filter after CapProbe (Kapoor et al., SIGCOMM 2004): only
// the trains whose first packet came nearly as early as the visit's quickest are kept. One that waited
// longer met a queue (the remote's loop, the path, our socket), and a queue that drains while a train
// passes squeezes or stretches its spacing.
// What this measures is the spacing the remote, the path and our receive path produced together: a
// dispersion rate, not the link's capacity (README, "Reply-train dispersion rate").

/** Below this the longest train is one gap, with no other to average its timing error against. */
export const MIN_CONFIDENT_TRAIN_PACKETS = 3;

/**
 * Trains whose first packet took longer than the visit's quickest by more than this fraction are left out:
 * an idle path's RTT varies by a few percent between requests, a queue adds more.
 */
export const QUEUE_SLACK_FRACTION = 0.1;

/** 1 byte/ns is 8,000 Mbit/s. */
const MBPS_PER_BYTE_PER_NS = 8_000;

/** Numbers kept per finished train: first-packet delay, span, bytes after the first packet, packets. */
const FIELDS = 4;

export interface DispersionEstimate {
  /** Dispersion rate, Mbit/s; null without a train of 2+ packets, or when all of them arrived at once. */
  mbps: number | null;
  /** Packets in the longest train used; null when there was none. */
  trainPackets: number | null;
  /** The longest train used had fewer than MIN_CONFIDENT_TRAIN_PACKETS packets, or their spacing was not resolved; null without a train. */
  lowConfidence: boolean | null;
}

export const NO_DISPERSION: DispersionEstimate = Object.freeze({ mbps: null, trainPackets: null, lowConfidence: null });

/**
 * One visit's reply trains, fed packet by packet (no allocation per packet) and estimated once at the end.
 * Trains of one packet carry no spacing and are dropped when they end.
 */
export class TrainLog {
  private firstNs = 0;
  private lastNs = 0;
  /** Bytes of the current train after its first packet (the first one's size is not in any gap). */
  private bytes = 0;
  private packets = 0;
  /** FIELDS numbers per finished train of 2+ packets; allocated at the first such train. */
  private trains: number[] | null = null;

  /** A packet of the current train arrived: `arrivalNs` on any monotonic clock, `size` in bytes. */
  packet(arrivalNs: number, size: number): void {
    if (this.packets === 0) this.firstNs = arrivalNs;
    else this.bytes += size;
    this.lastNs = arrivalNs;
    this.packets++;
  }

  /** The current train is over; `delayNs` is how long its first packet took (request sent → first arrival), Infinity if unknown. */
  endTrain(delayNs: number): void {
    if (this.packets >= 2) (this.trains ??= []).push(delayNs, Math.max(0, this.lastNs - this.firstNs), this.bytes, this.packets);
    this.bytes = 0;
    this.packets = 0;
  }

  estimate(): DispersionEstimate {
    return this.trains ? estimateDispersion(this.trains) : NO_DISPERSION;
  }
}

/** The estimate over finished trains, FIELDS numbers each (see TrainLog.endTrain). */
export function estimateDispersion(trains: readonly number[]): DispersionEstimate {
  let minDelay = Infinity;
  for (let i = 0; i < trains.length; i += FIELDS) minDelay = Math.min(minDelay, trains[i]!);
  const maxDelay = minDelay * (1 + QUEUE_SLACK_FRACTION);
  let span = 0, bytes = 0, longest = 0;
  for (let i = 0; i < trains.length; i += FIELDS) {
    if (!(trains[i]! <= maxDelay)) continue;
    span += trains[i + 1]!;
    bytes += trains[i + 2]!;
    longest = Math.max(longest, trains[i + 3]!);
  }
  if (longest === 0) return NO_DISPERSION;
  if (span === 0) return { mbps: null, trainPackets: longest, lowConfidence: true };
  return { mbps: (bytes / span) * MBPS_PER_BYTE_PER_NS, trainPackets: longest, lowConfidence: longest < MIN_CONFIDENT_TRAIN_PACKETS };
}
