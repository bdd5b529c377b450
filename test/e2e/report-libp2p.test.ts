// `dhtscope report` over libp2p crawls (issue 22): a database of a libp2p crawl of a 30-node loopback simnet gets
// the libp2p figures only, one that also holds a discv5 crawl gets both; the figures' numbers match the simnet's
// truth and the crawl's own summary, libp2p visits stay out of the discv5 figures, every PNG decodes, and every
// report query runs on both databases.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';
import { StoreReader } from '../../src/store/index.js';
import { DISCV5_FIGURES, type Scope } from '../../src/app/report-figures.js';
import { LIBP2P_FIGURES } from '../../src/app/report-libp2p.js';
import { geoFigures } from '../../src/app/report-geo.js';
import { geoFilesInDir } from '../../src/app/geo.js';
import { assertPng, repoRoot } from '../helpers.js';
import { countBy, familyOf, LIBP2P_NODES, makeLibp2pDbs, nodeIdOf, type Libp2pDbs } from './libp2p-dbs.js';

const dir = mkdtempSync(join(tmpdir(), 'dhtscope-report-l2p-'));
const DISCV5_IDS = ['states', 'rtt', 'dispersion', 'networks', 'clients', 'traffic', 'accumulation', 'failures', 'density'];
const LIBP2P_IDS = ['libp2p-states', 'libp2p-agents', 'libp2p-protocols', 'libp2p-dial-errors', 'libp2p-connect', 'libp2p-nat'];

function capture(): CliIo & { outs: string[]; errs: string[] } {
  const outs: string[] = [], errs: string[] = [];
  return { outs, errs, out: (l) => outs.push(l), err: (l) => errs.push(l), isTty: false };
}

/** A CSV of the report (no quoted commas in these) as rows keyed by its header. */
function csv(out: string, name: string): Array<Record<string, string>> {
  const [head, ...lines] = readFileSync(join(out, `${name}.csv`), 'utf8').trimEnd().split('\n');
  const cols = head!.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])));
}

/** Figure ids in the order index.html shows them. */
const figureIds = (out: string) => [...readFileSync(join(out, 'index.html'), 'utf8').matchAll(/<section id="([^"]+)">/g)].map((m) => m[1]);

async function report(db: string, out: string): Promise<{ figures: number; crawlIds: number[] }> {
  const io = capture();
  assert.equal(await main(['report', '--db', db, '--out', out, '--json'], io), 0, io.errs.join('\n'));
  return JSON.parse(io.outs[0]!);
}

let dbs: Libp2pDbs;

describe('e2e: dhtscope report on libp2p crawls', () => {
  before(async () => { dbs = await makeLibp2pDbs(dir); }, { timeout: 90_000 });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** The truth's nodes the crawl measured (every one, as makeLibp2pDbs checks). */
  const measured = () => dbs.truth.nodes;

  /** The libp2p figures' numbers against the truth and the crawl's summary. */
  function checkLibp2pFigures(out: string, summary: Libp2pDbs['libp2p']['summary']): void {
    for (const f of LIBP2P_IDS) assertPng(readFileSync(join(out, `${f}.png`)), 400);
    // The crawl's progress samples, ending with every visit done and counted as the summary counts them.
    const states = csv(out, 'libp2p-states');
    assert.ok(states.length >= 2, `${states.length} samples`);
    const last = states.at(-1)!;
    assert.deepEqual([last.queued, last.pending, last.measured, last.failed].map(Number), [0, 0, summary.measured, summary.failed]);
    const agents = csv(out, 'libp2p-agents');
    assert.deepEqual(new Map(agents.map((r) => [r.agent_version!, Number(r.peers)])), countBy(measured(), (n) => n.agentVersion));
    // The family/version split: the family is the first part, the version the next up to a space.
    for (const r of agents) {
      assert.equal(r.family, familyOf(r.agent_version!));
      assert.equal(r.version, /^[^/]+\/([^/ ]*)/.exec(r.agent_version!)?.[1] ?? '');
    }
    assert.deepEqual(new Map(csv(out, 'libp2p-agent-families').map((r) => [r.family!, Number(r.peers)])), countBy(measured(), (n) => familyOf(n.agentVersion)));
    assert.deepEqual(new Map(csv(out, 'libp2p-protocols').map((r) => [r.protocol!, Number(r.peers)])), countBy(measured().flatMap((n) => n.protocols), (p) => p));
    const shares = csv(out, 'libp2p-protocols').map((r) => Number(r.share));
    assert.ok(shares[0] === 1 && shares.every((s) => s > 0 && s <= 1), 'identify, kad and ping on every peer');
    // Dial errors: as the crawl counted them, both of a failed dial.
    const errors = csv(out, 'libp2p-dial-errors');
    assert.deepEqual(Object.fromEntries(errors.map((r) => [r.reason, Number(r.visits)])), summary.failures);
    assert.ok(errors.every((r) => r.kind === 'dial failed'), JSON.stringify(errors));
    // Loopback addresses on a loopback network: dialable, so no peer is NAT'd; the two failing bootnodes are unreachable.
    assert.deepEqual(csv(out, 'libp2p-nat').map((r) => [r.outcome, r.address, Number(r.peers)]),
      [['measured', 'dialable address', LIBP2P_NODES], ['unreachable (dial failed)', 'dialable address', 2]]);
    const hist = csv(out, 'libp2p-connect-histogram');
    assert.equal(hist.reduce((s, r) => s + Number(r.count), 0), LIBP2P_NODES, 'a connect time per measured visit, none for a failed dial');
    const cdfAll = csv(out, 'libp2p-connect-cdf').filter((r) => r.agent === 'all').map((r) => Number(r.connect_ms));
    assert.ok(cdfAll.length > 100 && cdfAll.every((v, i) => v > 0 && (i === 0 || v >= cdfAll[i - 1]!)), 'the CDF rises');
  }

  it('draws only the libp2p figures for a libp2p-only database, and their numbers match the truth', { timeout: 60_000 }, async () => {
    const out = join(dir, 'l2p-report');
    const r = await report(dbs.libp2p.path, out);
    assert.deepEqual(figureIds(out), LIBP2P_IDS);
    assert.equal(r.figures, LIBP2P_IDS.length);
    checkLibp2pFigures(out, dbs.libp2p.summary);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    assert.match(html, /<td>libp2p peers<\/td><td>32<\/td>/);
    assert.match(html, new RegExp(`n = ${LIBP2P_NODES} peers gave an agent, of ${LIBP2P_NODES} measured and 32 visited`));
    assert.ok(!/<td>records<\/td>/.test(html), 'no records line without a discv5 crawl');
  });

  it('draws both protocols\' figures for a mixed database, and keeps libp2p visits out of the discv5 ones', { timeout: 60_000 }, async () => {
    const out = join(dir, 'mixed-report');
    const r = await report(dbs.mixed.path, out);
    assert.deepEqual(r.crawlIds, [1, 2]);
    assert.deepEqual(figureIds(out), [...DISCV5_IDS, ...LIBP2P_IDS]);
    for (const f of DISCV5_IDS) assertPng(readFileSync(join(out, `${f}.png`)), 400);
    checkLibp2pFigures(out, dbs.mixed.summary);
    // The discv5 figures count the discv5 crawl's visits only.
    const reader = await StoreReader.open(dbs.mixed.path, { memoryLimitMB: 64 });
    try {
      const [d] = await reader.query<{ failed: bigint; rtt: bigint }>(
        `SELECT count(*) FILTER (WHERE status = 'failed') AS failed, count(rtt1_ms) AS rtt FROM visits WHERE crawl_id = 1`);
      assert.equal(csv(out, 'failures').reduce((s, x) => s + Number(x.visits), 0), Number(d!.failed));
      assert.ok(!csv(out, 'failures').some((x) => x.reason! in dbs.mixed.summary.failures), 'no libp2p dial error among discv5 reasons');
      assert.equal(csv(out, 'rtt-histogram').reduce((s, x) => s + Number(x.count), 0), Number(d!.rtt));
      const measuredNodes = csv(out, 'networks').reduce((s, x) => s + Number(x.measured), 0);
      assert.ok(measuredNodes >= 196 && measuredNodes <= 200, `discv5 nodes measured: ${measuredNodes}`);
    } finally { reader.close(); }
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    assert.match(html, /<td>protocols<\/td><td>discv5 \(1 crawl\), libp2p \(1 crawl\)<\/td>/);
    assert.match(html, /<td>crawls<\/td><td>2 crawls \(1-2\)<\/td>/);
    // One crawl given: only its protocol's figures.
    const one = join(dir, 'crawl-2');
    const io = capture();
    assert.equal(await main(['report', '--db', dbs.mixed.path, '--crawl', '2', '--out', one, '--json'], io), 0, io.errs.join('\n'));
    assert.deepEqual(figureIds(one), LIBP2P_IDS);
  });

  it('runs every report query on both databases without error, whatever crawls it is given', { timeout: 60_000 }, async () => {
    const geo = geoFilesInDir(join(repoRoot(), 'test', 'fixtures', 'geo'));
    for (const db of [dbs.libp2p.path, dbs.mixed.path]) {
      const reader = await StoreReader.open(db, { memoryLimitMB: 64, allowedPaths: [geo.countryCsv, geo.asnCsv] });
      try {
        const ids = (await reader.query<{ id: number }>('SELECT id FROM crawls ORDER BY id')).map((r) => Number(r.id));
        const scope: Scope = { crawlIds: ids, latest: { id: ids[ids.length - 1]!, startedAtMs: Date.now() } };
        const figures = [];
        for (const b of [...DISCV5_FIGURES, ...LIBP2P_FIGURES]) figures.push(await b(reader, scope));
        figures.push(...(await geoFigures(reader, scope, geo)));
        for (const f of figures) assert.ok(f.spec !== null || (f.missing ?? '').length > 0, `${db}: ${f.id} neither drawn nor says why`);
        if (db === dbs.libp2p.path) {
          // Peers placed by the address they were dialed at: every one visited (the two failing bootnodes too), all
          // on loopback (no country).
          const [country] = await geoFigures(reader, scope, geo, 'libp2p');
          assert.equal(country!.id, 'libp2p-geo-country');
          assert.ok(country!.spec !== null);
          const rows = country!.tables[0]!.rows as Array<{ country: string; peers: number; measured: number }>;
          assert.deepEqual(rows.map((r) => r.country), ['not listed (private or unrouted)']);
          assert.deepEqual([rows[0]!.peers, rows[0]!.measured], [LIBP2P_NODES + dbs.failing.length, LIBP2P_NODES]);
          // No records: the record-based discv5 figures say so instead of failing.
          const missing = figures.filter((f) => f.spec === null).map((f) => f.id).sort();
          assert.deepEqual(missing, ['accumulation', 'clients', 'density', 'dispersion', 'geo-as', 'geo-country', 'networks']);
        }
      } finally { reader.close(); }
    }
    // Peers are keyed as the truth's Kademlia IDs.
    assert.equal(nodeIdOf(dbs.truth.nodes[0]!.peerId), dbs.truth.nodes[0]!.nodeId);
  });
});
