import type { DatagramHandler } from './udp.js';

/**
 * What a datagram carries, told by the session layer (the link cannot read the masked header): the
 * simnet's delay link keeps per-node reply lateness by kind; a plain socket ignores it.
 */
export const enum PacketKind { Request = 0, Whoareyou = 1, Response = 2 }

/** What the session layer needs from a transport: the UDP socket or a simnet wrapper with delay and loss. */
export interface DatagramTransport {
  send(data: Uint8Array, ip: string, port: number, kind?: PacketKind): void;
  onDatagram(h: DatagramHandler): void;
}
export type { DatagramHandler };
