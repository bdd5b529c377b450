import { secp, type Secp256k1Backend } from '../crypto/index.js';
import { enrEndpoint } from '../enr/fields.js';
import { createEnr, type Enr, type EnrValue } from '../enr/enr.js';
import { SessionLayer, type NodeAddress, type SessionLayerConfig } from '../session/session-layer.js';
import { UdpTransport } from '../transport/udp.js';
import type { DatagramTransport } from '../transport/types.js';
import { ipToBytes, makeResponder, PROFILES, type ProfileName } from './responder.js';
import { RoutingTable, type NodeTable } from './table.js';

export interface NodeOptions {
  /** Static key; a fresh one when absent. */
  sk?: Uint8Array;
  /** Address to bind (and to advertise in the record). */
  ip?: string;
  port?: number;
  /** Use this transport instead of binding a socket (simnet links, shared sockets). */
  transport?: DatagramTransport;
  /** Answer from this table instead of an own RoutingTable. */
  table?: NodeTable;
  profile?: ProfileName;
  session?: Partial<SessionLayerConfig>;
  /** Extra record entries (eth2, client, ...). */
  enrFields?: Record<string, EnrValue>;
  enrSeq?: bigint;
  /** Put ip/udp into our record (a crawler leaves them out so nobody adds it to a table). */
  advertise?: boolean;
  /** A prebuilt, signed record for `sk` (skips signing, e.g. in the simnet). */
  enr?: Enr;
  backend?: Secp256k1Backend;
  rand?: () => number;
}

/** A discv5 node: a session layer that answers PING, FINDNODE and TALKREQ from a k-bucket table. */
export class Discv5Node {
  private ownTransport: UdpTransport | null = null;

  private constructor(
    readonly sk: Uint8Array,
    readonly enr: Enr,
    readonly session: SessionLayer,
    readonly table: NodeTable,
    readonly ip: string,
    readonly port: number,
  ) {}

  static async create(opts: NodeOptions = {}): Promise<Discv5Node> {
    const backend = opts.backend ?? secp();
    const sk = opts.sk ?? backend.generatePrivateKey();
    let transport = opts.transport ?? null;
    let own: UdpTransport | null = null;
    const ip = opts.ip ?? '127.0.0.1';
    let port = opts.port ?? 0;
    if (!transport) {
      own = await UdpTransport.bind({ address: ip, port });
      transport = own;
      port = own.address.port;
    }
    const advertise = opts.advertise ?? true;
    const fields: Record<string, EnrValue> = { ...(opts.enrFields ?? {}) };
    if (advertise) {
      const ipb = ipToBytes(ip);
      if (ipb.length === 4) { fields.ip = ipb; fields.udp = port; } else { fields.ip6 = ipb; fields.udp6 = port; }
    }
    const enr = opts.enr ?? createEnr(sk, opts.enrSeq ?? 1n, fields, backend);
    const id = enr.nodeId(backend);
    const table = opts.table ?? new RoutingTable(id);
    const session = new SessionLayer(transport, { sk, id, enr }, opts.session ?? {}, backend, (nid) => table.enrOf(nid));
    session.onRequest(makeResponder(() => enr, table, PROFILES[opts.profile ?? 'geth'], opts.rand));
    const n = new Discv5Node(sk, enr, session, table, ip, port);
    n.ownTransport = own;
    return n;
  }

  get id(): Uint8Array { return this.session.local.id; }

  /** How others reach this node. */
  get address(): NodeAddress {
    return { id: this.id, ip: this.ip, port: this.port, pubkey: this.enr.publicKey };
  }

  get transport(): UdpTransport | null { return this.ownTransport; }

  async close(): Promise<void> {
    this.session.close();
    await this.ownTransport?.close();
  }
}

/** NodeAddress from a record with ip/udp (or ip6/udp6); null when it has no usable endpoint. */
export function addressOf(enr: Enr, backend: Secp256k1Backend = secp()): NodeAddress | null {
  const e = enrEndpoint(enr);
  return e ? { id: enr.nodeId(backend), ip: e.ip, port: e.port, pubkey: enr.publicKey } : null;
}
