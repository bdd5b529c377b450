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
    for (const argv of [['--protocol', 'kad'], ['--protocol', 'libp2p', '--dead', '5'], ['--protocol', 'libp2p', '--nodes', '200000']]) {
      const io = capture();
      assert.equal(await main(['simnet', ...argv], io), 2, argv.join(' '));
      assert.equal(io.errs.length, 1);
      assert.match(io.errs[0]!, /\[ERR_USAGE_/);
    }
  });

  it('refuses a libp2p churn that joins, moves or bumps a seq, naming the flag in one line', async () => {
    for (const [flag, argv] of [['ip-change', ['--churn', '--ip-change', '0.5']], ['joins', ['--joins=3']], ['seq-bump', ['--churn', '--seq-bump', '0.1']]] as const) {
      const io = capture();
      assert.equal(await main(['simnet', '--protocol', 'libp2p', ...argv], io), 2, argv.join(' '));
      assert.equal(io.errs.length, 1);
      assert.match(io.errs[0]!, new RegExp(`--${flag} must be 0 with --protocol libp2p .*\\[ERR_USAGE_BAD_VALUE\\]$`));
    }
  });

  it('runs a churning libp2p simnet and writes its script (the discv5-only churn flags given as 0)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dhtscope-l2p-cli-'));
    try {
      const truth = join(dir, 'truth.json');
      const io = capture();
      const argv = ['--protocol', 'libp2p', '--nodes', '4', '--shards', '0', '--port', '4103', '--truth', truth, '--duration', '300ms', '--json',
        '--churn', '--session', 'fixed:1', '--offline', 'fixed:1', '--stable', '0', '--leave-forever', '0', '--churn-horizon', '10s', '--ip-change', '0', '--seq-bump', '0'];
      assert.equal(await main(['simnet', ...argv], io), 0, io.errs.join('\n'));
      const summary = JSON.parse(io.outs[0]!) as { churnEvents: number };
      const t = JSON.parse(readFileSync(truth, 'utf8')) as { churn: { horizonMs: number; params: Record<string, unknown>; events: { kind: string; seq: string }[] } };
      // Three churning nodes, each down and up about every 2 s for 10 s.
      assert.ok(summary.churnEvents >= 12, String(summary.churnEvents));
      assert.equal(t.churn.events.length, summary.churnEvents);
      assert.equal(t.churn.horizonMs, 10_000);
      assert.deepEqual([t.churn.params.joins, t.churn.params.ipChange, t.churn.params.seqBump], [0, 0, 0]);
      assert.ok(t.churn.events.every((e) => ['down', 'up'].includes(e.kind) && e.seq === '0'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
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
