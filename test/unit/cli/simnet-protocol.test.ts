import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli/main.js';
import type { CliIo } from '../../../src/cli/io.js';

function capture(): CliIo & { outs: string[]; errs: string[] } {
  const outs: string[] = [], errs: string[] = [];
  return { outs, errs, out: (l) => outs.push(l), err: (l) => errs.push(l), isTty: false };
}

describe('cli: simnet --protocol', () => {
  it('documents --protocol in --help', async () => {
    const io = capture();
    assert.equal(await main(['simnet', '--help'], io), 0);
    assert.match(io.outs.join('\n'), /--protocol <name>.*libp2p.*\(default: discv5\)/);
  });

  it('refuses a bad protocol and discv5-only flags in one line with exit 2', async () => {
    for (const argv of [['--protocol', 'kad'], ['--protocol', 'libp2p', '--dead', '5'], ['--protocol', 'libp2p', '--churn'], ['--protocol', 'libp2p', '--nodes', '200000']]) {
      const io = capture();
      assert.equal(await main(['simnet', ...argv], io), 2, argv.join(' '));
      assert.equal(io.errs.length, 1);
      assert.match(io.errs[0]!, /\[ERR_USAGE_/);
    }
  });

  it('runs a libp2p simnet for --duration and writes its truth', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dhtscope-l2p-cli-'));
    try {
      const truth = join(dir, 'truth.json');
      const io = capture();
      assert.equal(await main(['simnet', '--protocol', 'libp2p', '--nodes', '5', '--shards', '0', '--port', '4102', '--truth', truth, '--duration', '200ms', '--json'], io), 0);
      const summary = JSON.parse(io.outs[0]!) as { protocol: string; nodes: number };
      assert.equal(summary.protocol, 'libp2p');
      assert.equal(summary.nodes, 5);
      assert.ok(existsSync(truth));
      assert.equal((JSON.parse(readFileSync(truth, 'utf8')) as { nodes: unknown[] }).nodes.length, 5);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
