/**
 * Child process hosting real @chainsafe/discv5 nodes for the interop tests (see chainsafe-harness.ts).
 *
 * Started with child_process.fork; driven over IPC with { id, cmd, ...args } messages, answered
 * with { id, ok: true, result } or { id, ok: false, error }. Chainsafe signs and verifies with
 * pure-JS secp256k1, so it lives in its own process: its CPU time never stalls our nodes' timers.
 *
 * Run without an IPC channel (e.g. picked up by `node --test dist/test/`), it does nothing.
 */
import type { EventEmitter } from 'node:events';
import { Discv5 } from '@chainsafe/discv5';
import { ENR, SignableENR } from '@chainsafe/enr';
import { privateKeyFromRaw } from '@libp2p/crypto/keys';
import { multiaddr } from '@multiformats/multiaddr';

export interface PeerRequest { id: number; cmd: string; [k: string]: unknown }
export interface PeerReply { id: number; ok: boolean; result?: unknown; error?: string }

/** What `start` / `enrs` report per node. */
export interface PeerNodeInfo { index: number; enr: string; nodeId: string; seq: string; port: number }

interface Hosted {
  d: Discv5;
  port: number;
  /** Node IDs seen in `discovered` events (NODES records from lookups and sendFindNode). */
  discovered: Set<string>;
  stopped: boolean;
}

const hosted: Hosted[] = [];

function node(i: unknown): Hosted {
  const h = typeof i === 'number' ? hosted[i] : undefined;
  if (!h || h.stopped) throw new Error(`no running chainsafe node #${String(i)}`);
  return h;
}

function info(i: number): PeerNodeInfo {
  const h = hosted[i]!;
  return { index: i, enr: h.d.enr.encodeTxt(), nodeId: h.d.enr.nodeId, seq: h.d.enr.seq.toString(), port: h.port };
}

function hexToBytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

function enrInfo(e: ENR): { enr: string; nodeId: string; seq: string } {
  return { enr: e.encodeTxt(), nodeId: e.nodeId, seq: e.seq.toString() };
}

async function handle(req: PeerRequest): Promise<unknown> {
  switch (req.cmd) {
    case 'start': {
      // keys: hex secp256k1 secret keys (32 bytes); ports: UDP ports on 127.0.0.1.
      const keys = req.keys as string[];
      const ports = req.ports as number[];
      const config = (req.config ?? {}) as Record<string, unknown>;
      const out: PeerNodeInfo[] = [];
      for (let k = 0; k < keys.length; k++) {
        // @libp2p/crypto and chainsafe may resolve different copies of @libp2p/interface: same shape, other type.
        const privateKey = privateKeyFromRaw(hexToBytes(keys[k]!)) as unknown as Parameters<typeof SignableENR.createFromPrivateKey>[0];
        const enr = SignableENR.createFromPrivateKey(privateKey);
        enr.ip = '127.0.0.1';
        enr.udp = ports[k]!;
        const d = Discv5.create({
          enr,
          privateKey,
          bindAddrs: { ip4: multiaddr(`/ip4/127.0.0.1/udp/${ports[k]!}`) },
          // No ENR rewriting from PONG votes: the records the tests compare must stay put.
          config: { enrUpdate: false, ...config },
        });
        const h: Hosted = { d, port: ports[k]!, discovered: new Set(), stopped: false };
        (d as unknown as EventEmitter).on('discovered', (e: ENR) => { h.discovered.add(e.nodeId); });
        await d.start();
        hosted.push(h);
        out.push(info(hosted.length - 1));
      }
      return out;
    }
    case 'enrs':
      return hosted.map((h, i) => (h.stopped ? null : info(i)));
    case 'addEnr': {
      const h = node(req.node);
      h.d.addEnr(req.enr as string);
      return h.d.kadValues().some((e) => e.nodeId === ENR.decodeTxt(req.enr as string).nodeId);
    }
    case 'ping': {
      const r = await node(req.node).d.sendPing(ENR.decodeTxt(req.enr as string));
      return { enrSeq: r.enrSeq.toString(), ip: Array.from(r.addr.ip.octets), ipType: r.addr.ip.type, port: r.addr.port };
    }
    case 'findNode': {
      // One FINDNODE request (sendFindNode): records the remote returned, filtered by chainsafe to the asked distances.
      const enrs = await node(req.node).d.sendFindNode(ENR.decodeTxt(req.enr as string), req.distances as number[]);
      return enrs.map(enrInfo);
    }
    case 'lookup': {
      // An iterative lookup (Discv5.findNode) towards a hex node ID.
      const enrs = await node(req.node).d.findNode(req.target as string);
      return enrs.map(enrInfo);
    }
    case 'discovered':
      return [...node(req.node).discovered];
    case 'kad':
      return node(req.node).d.kadValues().map(enrInfo);
    case 'kadValue': {
      const e = node(req.node).d.getKadValue(req.nodeId as string);
      return e ? enrInfo(e) : null;
    }
    case 'stopNode': {
      const h = node(req.node);
      h.stopped = true;
      await h.d.stop();
      return true;
    }
    case 'stop':
      await stopAll();
      return true;
    default:
      throw new Error(`unknown command ${req.cmd}`);
  }
}

async function stopAll(): Promise<void> {
  await Promise.allSettled(hosted.map(async (h) => {
    if (h.stopped) return;
    h.stopped = true;
    await h.d.stop();
  }));
}

if (process.send) {
  const send = process.send.bind(process);
  process.on('message', (m: PeerRequest) => {
    handle(m).then(
      (result) => { send({ id: m.id, ok: true, result } satisfies PeerReply); },
      (e: unknown) => {
        const err = e as { message?: string; code?: string; name?: string };
        send({ id: m.id, ok: false, error: `${err.code ?? err.name ?? 'Error'}: ${err.message ?? String(e)}` } satisfies PeerReply);
      },
    ).finally(() => {
      if (m.cmd === 'stop') process.disconnect();
    });
  });
  // The parent went away (test crashed or was killed): do not linger holding ports.
  process.on('disconnect', () => { void stopAll().finally(() => process.exit(0)); });
  send({ id: 0, ok: true, result: 'ready' } satisfies PeerReply);
}
