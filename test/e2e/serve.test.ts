// `dhtscope serve` over two seeded simnet crawls, driven in headless Chromium (Debian's package, through
// playwright-core): overview, a network, a client facet, a node, lookup by ENR, the CSV export against SQL,
// and a diff of the two crawls. DHTSCOPE_SCREENSHOTS=DIR also saves the overview and a node page there.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';
import { StoreReader } from '../../src/store/index.js';
import { startServer, type RunningServer } from '../../src/web/server.js';
import { geoFilesInDir } from '../../src/app/geo.js';
import { repoRoot } from '../helpers.js';

const PORT = 20000 + Math.floor(Math.random() * 20000);
const dir = mkdtempSync(join(tmpdir(), 'dhtscope-serve-'));
const db = join(dir, 'two.duckdb');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = process.env.DHTSCOPE_SCREENSHOTS;

function capture(): CliIo & { outs: string[]; errs: string[] } {
  const outs: string[] = [], errs: string[] = [];
  return { outs, errs, out: (l) => outs.push(l), err: (l) => errs.push(l), isTty: false };
}

let server: RunningServer;
let browser: Browser | null = null;
let page: Page;
const problems: string[] = [];

describe('e2e: dhtscope serve', () => {
  before(async () => {
    // Two crawls of two different seeded networks: the diff has nodes that appeared and nodes that left.
    for (const [seed, port] of [['1', PORT], ['2', PORT + 1]] as const) {
      const io = capture();
      const code = await main(['demo', '--nodes', '300', '--dead', '300', '--rtt', '5-40', '--seed', seed, '--port', String(port), '--db', db, '--no-report', '--json'], io);
      assert.equal(code, 0, io.errs.join('\n'));
    }
    server = await startServer({ dbPath: db, host: '127.0.0.1', port: 0, dbMemoryMB: 256 });
    if (!existsSync(CHROMIUM)) {
      assert.ok(!process.env.CI, `CI must provide Chromium at ${CHROMIUM}`);
      return;
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('request', (r) => { if (!r.url().startsWith(server.url)) problems.push(`off-site request: ${r.url()}`); });
    if (SHOTS) mkdirSync(SHOTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('listens on loopback by default', () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('walks the UI: overview, a network, a client, a node, lookup by ENR, export, diff', { timeout: 120_000 }, async (t) => {
    if (!browser) { t.skip('no Chromium here'); return; }
    // 1. Overview: the figures are drawn in the page, and the data's age is shown.
    await page.goto(`${server.url}/`);
    await page.waitForSelector('#chart-networks svg', { timeout: 20_000 });
    assert.match(await page.textContent('#fresh') ?? '', /data last written: 20\d\d-/);
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'serve-overview.png'), fullPage: false });

    // 2. A network from the index: its node list holds only that network, as many as the index says.
    await page.goto(`${server.url}/networks`);
    const mainnet = page.locator('a', { hasText: /^mainnet$/ }).first();
    await mainnet.click();
    await page.waitForURL(/\/nodes\?network=mainnet/);
    const total = Number((await page.textContent('#total'))!.replace(/,/g, ''));
    const api = await (await fetch(`${server.url}/api/nodes?network=mainnet&per=1`)).json() as { total: number };
    assert.equal(total, api.total);
    assert.ok(total > 100, `mainnet nodes: ${total}`);

    // 3. A client facet narrows the list; every row shows that client.
    const facet = page.locator('a[data-facet="client"]:not([data-value="-"])').first();
    const client = await facet.getAttribute('data-value');
    await facet.click();
    await page.waitForURL(new RegExp(`client=${client}`));
    const clients = await page.$$eval('tbody tr td:nth-child(4)', (tds) => tds.map((td) => td.textContent));
    assert.ok(clients.length > 0 && clients.every((c) => c === client), JSON.stringify(clients));

    // 4. A node page.
    const first = page.locator('tbody tr:has(td:nth-child(6):text-is("measured")) td:first-child a').first();
    const href = (await first.getAttribute('href'))!;
    await first.click();
    await page.waitForURL(new RegExp(href));
    const id = href.split('/').pop()!;
    const mainText = (await page.textContent('main'))!;
    assert.ok(mainText.includes(id), `node page for ${id}: ${mainText.slice(0, 300)}`);
    const enr = (await page.textContent('#enr'))!;
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'serve-node.png'), fullPage: false });

    // 5. Look up by ENR from the header's form.
    await page.goto(`${server.url}/networks`);
    await page.fill('header input[name=q]', enr);
    await page.click('header button');
    await page.waitForURL(new RegExp(`/nodes/${id}$`));

    // 6. The CSV export of a filter holds exactly the rows SQL finds.
    await page.goto(`${server.url}/nodes?network=mainnet&status=measured`);
    const csvHref = (await page.getAttribute('#export-csv', 'href'))!;
    const csv = await (await fetch(server.url + csvHref)).text();
    const ids = csv.trimEnd().split('\n').slice(1).map((l) => l.split(',')[0]).sort();
    const reader = await StoreReader.open(db, { memoryLimitMB: 64 });
    try {
      const rows = await reader.query<{ node_id: string }>(
        `SELECT node_id FROM (SELECT node_id, arg_max(network, seq) AS network FROM records GROUP BY node_id) r
         JOIN (SELECT node_id, arg_max(status, started_at) AS status FROM visits GROUP BY node_id) v USING (node_id)
         WHERE network = 'mainnet' AND status = 'measured' ORDER BY node_id`);
      assert.deepEqual(ids, rows.map((r) => r.node_id));
    } finally { reader.close(); }

    // 7. The diff of the two crawls: nodes appeared and left, per network.
    await page.goto(`${server.url}/diff?a=1&b=2`);
    const cells = await page.$$eval('#diff tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => Number(td.textContent!.replace(/,/g, '')))));
    const appeared = cells.reduce((s, r) => s + (r[1] ?? 0), 0), left = cells.reduce((s, r) => s + (r[2] ?? 0), 0);
    assert.ok(appeared >= 290 && left >= 290, `appeared ${appeared}, left ${left}`);
    assert.deepEqual(problems, []);
  });

  it('adds country and AS facets with geo databases', async () => {
    const fixtures = join(repoRoot(), 'test', 'fixtures', 'geo');
    const geoServer = await startServer({ dbPath: db, host: '127.0.0.1', port: 0, dbMemoryMB: 256, geo: geoFilesInDir(fixtures) });
    try {
      const de = await (await fetch(`${geoServer.url}/api/nodes?country=DE&class=reachable&per=500`)).json() as { total: number; rows: Array<{ ip: string; asn: string }> };
      assert.ok(de.total > 0 && de.rows.every((r) => r.ip.startsWith('127.20.0.') && r.asn === 'AS64512 Example Net, Inc.'), JSON.stringify(de.rows.slice(0, 3)));
      const page = await (await fetch(`${geoServer.url}/nodes?country=US`)).text();
      assert.match(page, /data-facet="asn" data-value="AS64512 Example Net, Inc."/);
    } finally {
      await geoServer.close();
    }
  });

  it('answers hostile and bad requests with 400 or 404, never a stack trace', async () => {
    const cases: Array<[string, number]> = [
      ["/api/nodes?network=' OR 1=1 --", 400], ['/api/nodes?client=x%3Bdrop%20table%20visits', 400], ['/api/nodes?per=1000000', 400],
      ['/api/nodes?page=-1', 400], ['/api/nodes?sort=node_id;drop', 400], ['/api/nodes?rtt_min=1e999', 400], ['/api/nodes?seen_since=yesterday', 400],
      [`/api/nodes?q=${'x'.repeat(5000)}`, 400], ['/api/nodes/xyz', 400], [`/api/nodes/${'0'.repeat(64)}`, 404], ['/nodes/not-an-id', 400],
      ['/api/diff?a=1', 400], ['/api/diff?a=1&b=0', 400], ['/lookup?q=enr:garbage', 400], ['/api/nope', 404], ['/assets/../../package.json', 404],
      ['/api/nodes/export?format=xml', 400], ['/api/nodes?class=left', 400],
    ];
    for (const [path, status] of cases) {
      const r = await fetch(server.url + path);
      const body = await r.text();
      assert.equal(r.status, status, `${path}: ${r.status} ${body.slice(0, 200)}`);
      assert.ok(!/\n\s+at |node_modules|\.ts:\d+/.test(body), `${path} leaks a stack: ${body.slice(0, 300)}`);
    }
    // Classes: a dead record is visited and never answers; a measured node is reachable.
    const un = await (await fetch(`${server.url}/api/nodes?class=unreachable&per=500`)).json() as { total: number; rows: Array<{ status: string; ip: string }> };
    assert.ok(un.total >= 250 && un.rows.every((r) => r.status === 'failed'), `unreachable: ${un.total}`);
    // Nothing is writable: no method but GET is routed.
    assert.equal((await fetch(`${server.url}/api/nodes`, { method: 'POST' })).status, 404);
  });
});
