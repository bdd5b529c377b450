/** Test-side driver for chainsafe-peer.ts (a forked child hosting @chainsafe/discv5 nodes), plus shared helpers. */
import { fork, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { Discv5Node } from '../../src/node/node.js';
import { keccak256, secp } from '../../src/crypto/index.js';
import { decodePacket, type Packet } from '../../src/wire/packet.js';
import { UdpTransport, type DatagramHandler } from '../../src/transport/udp.js';
import type { DatagramTransport } from '../../src/transport/types.js';
import type { PeerNodeInfo, PeerReply } from './chainsafe-peer.js';

const PEER_SCRIPT = fileURLToPath(new URL('./chainsafe-peer.js', import.meta.url));

export interface EnrInfo { enr: string; nodeId: string; seq: string }
export interface PongInfo { enrSeq: string; ip: number[]; ipType: number; port: number }

/** One child process hosting chainsafe nodes; every call is bounded in time. */
export class ChainsafePeer {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private exited = false;
  private readonly exitP: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    this.exitP = new Promise((r) => child.once('exit', () => { this.exited = true; r(); }));
    child.on('message', (m: PeerReply) => {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      clearTimeout(w.timer);
      if (m.ok) w.resolve(m.result); else w.reject(new Error(`chainsafe peer: ${m.error}`));
    });
    child.once('exit', (code, sig) => {
      for (const [, w] of this.waiting) { clearTimeout(w.timer); w.reject(new Error(`chainsafe peer exited (${code ?? sig})`)); }
      this.waiting.clear();
    });
  }

  /** Forks the child and waits for its 'ready'. */
  static async spawn(timeoutMs = 15_000): Promise<ChainsafePeer> {
    const child = fork(PEER_SCRIPT, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const p = new ChainsafePeer(child);
    await p.wait(0, timeoutMs, 'ready');
    return p;
  }

  private wait(id: number, timeoutMs: number, what: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`chainsafe peer: ${what} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, { resolve, reject, timer });
    });
  }

  call<T>(cmd: string, args: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<T> {
    if (this.exited) return Promise.reject(new Error('chainsafe peer has exited'));
    const id = this.nextId++;
    const p = this.wait(id, timeoutMs, cmd) as Promise<T>;
    this.child.send({ id, cmd, ...args });
    return p;
  }

  /** Starts chainsafe nodes for the given secret keys on 127.0.0.1 ports; indexes continue across calls. */
  start(keys: Uint8Array[], ports: number[], config: Record<string, unknown> = {}): Promise<PeerNodeInfo[]> {
    return this.call('start', { keys: keys.map((k) => Buffer.from(k).toString('hex')), ports, config }, 30_000);
  }
  addEnr(node: number, enr: string): Promise<boolean> { return this.call('addEnr', { node, enr }); }
  ping(node: number, enr: string): Promise<PongInfo> { return this.call('ping', { node, enr }); }
  findNode(node: number, enr: string, distances: number[]): Promise<EnrInfo[]> { return this.call('findNode', { node, enr, distances }); }
  lookup(node: number, target: string, timeoutMs = 30_000): Promise<EnrInfo[]> { return this.call('lookup', { node, target }, timeoutMs); }
  discovered(node: number): Promise<string[]> { return this.call('discovered', { node }); }
  kad(node: number): Promise<EnrInfo[]> { return this.call('kad', { node }); }
  kadValue(node: number, nodeId: string): Promise<EnrInfo | null> { return this.call('kadValue', { node, nodeId }); }
  stopNode(node: number): Promise<boolean> { return this.call('stopNode', { node }); }

  /** Stops every node and the child; kills it if it does not exit in time. Never throws. */
  async close(timeoutMs = 5_000): Promise<void> {
    if (this.exited) return;
    try { await this.call('stop', {}, timeoutMs); } catch { /* killed below */ }
    const t = setTimeout(() => { if (!this.exited) this.child.kill('SIGKILL'); }, timeoutMs);
    await this.exitP;
    clearTimeout(t);
  }
}

/** A free-looking random loopback UDP port in 40000..59999 (checked by binding it briefly). */
const handedOut = new Set<number>();
export async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const p = 40_000 + Math.floor(Math.random() * 20_000);
    if (handedOut.has(p)) continue;
    const ok = await new Promise<boolean>((r) => {
      const s = createSocket('udp4');
      s.once('error', () => { s.close(); r(false); });
      s.bind(p, '127.0.0.1', () => { s.close(() => r(true)); });
    });
    if (ok) { handedOut.add(p); return p; }
  }
  throw new Error('no free UDP port found');
}

export async function freePorts(n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await freePort());
  return out;
}

export function hex(b: Uint8Array): string { return Buffer.from(b).toString('hex'); }

/** The node ID of a secret key, computed with our backend. */
export function idOfKey(sk: Uint8Array): Uint8Array {
  const be = secp();
  return keccak256(be.publicKeyConvert(be.publicKeyCreate(sk, true), false).subarray(1));
}

/** A packet seen on a wrapped transport. */
export interface Seen { dir: 'in' | 'out'; ip: string; port: number; data: Uint8Array }

/**
 * Wraps a bound UdpTransport and records every datagram both ways (copies), so a test can
 * decode WHOAREYOU and handshake packets and check what went over the wire.
 */
export class SniffingTransport implements DatagramTransport {
  readonly seen: Seen[] = [];
  constructor(readonly inner: UdpTransport) {}
  send(data: Uint8Array, ip: string, port: number): void {
    this.seen.push({ dir: 'out', ip, port, data: Uint8Array.from(data) });
    this.inner.send(data, ip, port);
  }
  onDatagram(h: DatagramHandler): void {
    this.inner.onDatagram((d, ip, port, at) => {
      this.seen.push({ dir: 'in', ip, port, data: Uint8Array.from(d) });
      h(d, ip, port, at);
    });
  }
  /** Packets to/from a port, decoded with the ID they are masked for (ours for 'in', theirs for 'out'). */
  decoded(dir: 'in' | 'out', port: number, maskId: Uint8Array): Packet[] {
    const out: Packet[] = [];
    for (const s of this.seen) {
      if (s.dir !== dir || s.port !== port) continue;
      try { out.push(decodePacket(s.data, maskId)); } catch { /* not for this ID */ }
    }
    return out;
  }
}

/** Our node on a sniffing transport; close with closeSniffed. */
export async function sniffedNode(opts: Omit<Parameters<typeof Discv5Node.create>[0] & object, 'transport'> & { port?: number }): Promise<{ node: Discv5Node; sniff: SniffingTransport }> {
  const ip = opts.ip ?? '127.0.0.1';
  const inner = await UdpTransport.bind({ address: ip, port: opts.port ?? await freePort() });
  const sniff = new SniffingTransport(inner);
  const node = await Discv5Node.create({ ...opts, ip, port: inner.address.port, transport: sniff });
  return { node, sniff };
}
