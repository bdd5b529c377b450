// Real discv5 nodes on 127.0.0.1 for session tests, all closed when the test file ends.
import { after } from 'node:test';
import { Discv5Node, type NodeOptions } from '../../../src/node/node.js';

const nodes: Discv5Node[] = [];
after(async () => { await Promise.all(nodes.map((n) => n.close())); });

export async function loopbackNode(opts: NodeOptions = {}): Promise<Discv5Node> {
  const n = await Discv5Node.create({ ip: '127.0.0.1', ...opts });
  nodes.push(n);
  return n;
}
