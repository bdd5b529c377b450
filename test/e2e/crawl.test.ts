import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimnet, type Simnet } from '../../src/simnet/simnet.js';
import { runCrawlJob } from '../../src/app/crawl-job.js';
import { compareWithTruth } from '../../src/app/truth-compare.js';
import { lookupForkDigest } from '../../src/enr/networks.js';
import { Store } from '../../src/store/index.js';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';

const PORT = 20000 + Math.floor(Math.random() * 20000);
const dir = mkdtempSync(join(tmpdir(), 'dhtscope-e2e-'));

function capture(): CliIo & { outs: string[]; errs: string[] } {
  const outs: string[] = [], errs: string[] = [];
  return { outs, errs, out: (l) => outs.push(l), err: (l) => errs.push(l), isTty: false };
}

describe('e2e: crawl a simnet into DuckDB and check coverage against the truth', () => {
  let net: Simnet;
  const truthFile = join(dir, 'truth.json');
  before(async () => {
    net = await startSimnet({ nodes: 800, dead: 1200, seed: 11, rttMs: [1, 20], port: PORT, shards: 1, loss: 0.01, truthFile });
  });
  after(async () => { await net?.stop(); rmSync(dir, { recursive: true, force: true }); });

  it('sweep finds every live record and nearly every dead one; the store holds the crawl', { timeout: 120_000 }, async () => {
    const db = join(dir, 'sweep.duckdb');
    const { summary, crawler } = await runCrawlJob({
      config: { strategy: 'sweep', ratePerSec: 1500, requestTimeoutMs: 1000, retransmits: 2, bindAddress: '127.0.0.1' },
      bootnodes: net.truth.bootnodes, dbPath: db, keyFile: null, freshIdentity: true, version: 'test',
    });
    const cov = compareWithTruth(crawler, net.truth);
    // Every live record is found; with 1% loss a visit can still fail after its retransmits.
    assert.equal(cov.liveDiscovered, cov.liveTotal, `live records found ${cov.liveDiscovered}/${cov.liveTotal}`);
    assert.ok(cov.liveMeasured >= cov.liveTotal - 2, `live measured ${cov.liveMeasured}/${cov.liveTotal}`);
    assert.ok(cov.coverageDead > 0.97, `dead coverage ${cov.coverageDead}`);
    assert.equal(cov.unexpectedMeasured, 0);
    assert.ok(cov.t99Ms !== null);
    assert.equal(summary.measured, cov.liveMeasured);
    assert.ok(summary.records.duplicate > 0 && summary.records.badSignature === 0);
    const store = await Store.open(db);
    try {
      const [v] = await store.query<{ n: bigint; m: bigint }>(`select count(*) as n, count(*) filter (where status = 'measured') as m from visits where crawl_id = ${summary.crawlId}`);
      assert.equal(Number(v!.m), cov.liveMeasured);
      const [r] = await store.query<{ n: bigint }>(`select count(distinct node_id) as n from records where crawl_id = ${summary.crawlId}`);
      assert.equal(Number(r!.n), summary.discovered);
      const [p] = await store.query<{ n: bigint }>(`select count(*) as n from packet_train where crawl_id = ${summary.crawlId}`);
      assert.ok(Number(p!.n) >= cov.liveMeasured);
      const [e] = await store.query<{ n: bigint }>(`select count(*) as n from edges where crawl_id = ${summary.crawlId}`);
      assert.ok(Number(e!.n) >= summary.discovered - 1);
      const [rtt] = await store.query<{ n: bigint }>(`select count(*) as n from visits where status = 'measured' and rtt1_ms is not null and rtt2_ms is not null`);
      assert.ok(Number(rtt!.n) > cov.liveMeasured * 0.9);
      // Every visit with a reply train of 2+ packets has a train length and a flag; a rate unless they arrived at once.
      const [d] = await store.query<{ t: bigint; r: bigint; bad: bigint }>(`select count(train_packets) as t, count(dispersion_mbps) as r,
        count(*) filter (where (train_packets is null) <> (dispersion_low_confidence is null) or dispersion_mbps <= 0) as bad from visits where crawl_id = ${summary.crawlId}`);
      assert.ok(Number(d!.r) > 0 && Number(d!.r) <= Number(d!.t));
      assert.equal(Number(d!.bad), 0);
      const [g] = await store.query<{ n: bigint }>(`select count(*) as n from progress where crawl_id = ${summary.crawlId}`);
      assert.ok(Number(g!.n) > 2);
    } finally { await store.close(); }
  });

  it('the default strategy measures every live node via the crawl command, with --out and exports', { timeout: 120_000 }, async () => {
    const db = join(dir, 'prefix.duckdb');
    const out = join(dir, 'summary.json');
    const io = capture();
    const code = await main(['crawl', '--simnet', truthFile, '--db', db, '--out', out, '--json', '--rate', '1500', '--timeout-ms', '1000', '--retransmits', '2', '--retries', '1', '--fresh-identity', '--bind', '127.0.0.1'], io);
    assert.equal(code, 0, io.errs.join('\n'));
    const s = JSON.parse(io.outs[0]!);
    assert.equal(s.strategy, 'adaptive');
    // With 1% loss a visit can still fail after its retransmits and retry.
    assert.ok(s.measured >= net.truth.live.length - 2, `measured ${s.measured} of ${net.truth.live.length}`);
    assert.ok(statSync(out).size > 0);
    for (const fmt of ['ndjson', 'csv', 'parquet', 'nodes.json']) {
      const f = join(dir, `nodes.${fmt}`);
      const eio = capture();
      assert.equal(await main(['export', '--db', db, '--what', 'nodes', '--format', fmt, '--out', f], eio), 0, eio.errs.join('\n'));
      assert.ok(statSync(f).size > 1000, `${fmt} export is empty`);
    }
    // Simnet records advertise today's digests: each names its network and fork.
    const rows = readFileSync(join(dir, 'nodes.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, string | null>);
    const eth2 = rows.filter((r) => r.eth2_fork_digest);
    assert.ok(eth2.length > 100, `${eth2.length} eth2 nodes exported`);
    for (const r of eth2) {
      const d = lookupForkDigest(r.eth2_fork_digest!);
      assert.deepEqual([r.network, r.fork], [d!.network, d!.stage], r.node_id!);
    }
  });

  it('rejects bad input before sending anything', async () => {
    let io = capture();
    assert.equal(await main(['crawl', '--bootnode', 'enr:garbage', '--db', join(dir, 'x.duckdb')], io), 2);
    assert.match(io.errs[0]!, /ERR_USAGE_BAD_BOOTNODE/);
    io = capture();
    assert.equal(await main(['crawl', '--rate', 'fast', '--simnet', truthFile], io), 2);
    io = capture();
    assert.equal(await main(['crawl', '--order', 'random', '--simnet', truthFile], io), 2);
    assert.match(io.errs[0]!, /one of seen, fifo.*ERR_USAGE_BAD_ORDER/);
    io = capture();
    assert.equal(await main(['crawl', '--simnet', truthFile, '--db', join(dir, 'nope', 'sub', 'x.duckdb')], io), 3); // a store error: exit 3
    assert.match(io.errs[0]!, /ERR_STORE/);
    // A truth file with an unreachable bootnode: exit 1 with a clear message.
    const dead = { bootnodes: [net.truth.dead[0]!.enr] };
    const deadTruth = join(dir, 'dead.json');
    writeFileSync(deadTruth, JSON.stringify(dead));
    io = capture();
    assert.equal(await main(['crawl', '--simnet', deadTruth, '--db', join(dir, 'd.duckdb'), '--timeout-ms', '200', '--fresh-identity', '--json'], io), 1);
    assert.match(io.errs[0]!, /no bootnode answered/);
  });
});
