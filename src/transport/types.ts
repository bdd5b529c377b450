import type { DatagramHandler } from './udp.js';

/** What the session layer needs from a transport: the UDP socket or a simnet wrapper with delay and loss. */
export interface DatagramTransport {
  send(data: Uint8Array, ip: string, port: number): void;
  onDatagram(h: DatagramHandler): void;
}
export type { DatagramHandler };
