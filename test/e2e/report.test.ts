// `dhtscope demo` writes a crawl and its report; the report's files decode, and its HTML loads in headless
// Chromium (Debian's package, driven by playwright-core) with no console error and every figure drawn.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';
import { assertPng, repoRoot } from '../helpers.js';

const PORT = 20000 + Math.floor(Math.random() * 20000);
const dir = mkdtempSync(join(tmpdir(), 'dhtscope-report-'));
const db = join(dir, 'demo.duckdb');
const out = join(dir, 'report');
const CRAWL_FIGURES = ['states', 'rtt', 'dispersion', 'networks', 'clients', 'traffic', 'accumulation', 'failures', 'density'];

/** Debian's chromium; CI installs it, so there a missing browser fails the test instead of skipping it. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function capture(): CliIo & { outs: string[]; errs: string[] } {
  const outs: string[] = [], errs: string[] = [];
  return { outs, errs, out: (l) => outs.push(l), err: (l) => errs.push(l), isTty: false };
}

describe('e2e: dhtscope report', () => {
  before(async () => {
    const io = capture();
    const code = await main(['demo', '--nodes', '400', '--dead', '600', '--rtt', '5-60', '--port', String(PORT), '--db', db, '--report', out, '--json'], io);
    assert.equal(code, 0, io.errs.join('\n'));
    assert.equal(JSON.parse(io.outs[0]!).report, join(out, 'index.html'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes every figure as SVG and PNG, and the tables behind them as CSV', () => {
    for (const f of CRAWL_FIGURES) {
      const svg = readFileSync(join(out, `${f}.svg`), 'utf8');
      assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/, f);
      assertPng(readFileSync(join(out, `${f}.png`)), 400);
    }
    const csvs = readdirSync(out).filter((n) => n.endsWith('.csv'));
    assert.ok(csvs.length >= CRAWL_FIGURES.length, csvs.join(' '));
    for (const n of csvs) {
      const lines = readFileSync(join(out, n), 'utf8').trimEnd().split('\n');
      const cols = lines[0]!.split(',').length;
      assert.ok(cols >= 2, n);
      if (n !== 'density-flagged.csv') assert.ok(lines.length > 1, `${n} has rows`);
    }
    // The demo's simnet: 400 live nodes measured, all on known networks.
    const nets = readFileSync(join(out, 'networks.csv'), 'utf8');
    assert.match(nets, /^mainnet\/fulu\+bpo2,mainnet,\d+,\d+,/m);
    const measured = nets.trimEnd().split('\n').slice(1).reduce((s, l) => s + Number(l.split(',')[3]), 0);
    assert.ok(measured >= 396, `measured ${measured}`);
  });

  it('draws the same bytes for the same data', async () => {
    const again = join(dir, 'again');
    const io = capture();
    assert.equal(await main(['report', '--db', db, '--out', again, '--json'], io), 0, io.errs.join('\n'));
    const r = JSON.parse(io.outs[0]!);
    assert.equal(r.figures, CRAWL_FIGURES.length);
    for (const f of CRAWL_FIGURES) assert.equal(readFileSync(join(again, `${f}.svg`), 'utf8'), readFileSync(join(out, `${f}.svg`), 'utf8'), f);
  });

  it('loads in headless Chromium with no console error, no request off disk, and every figure shown', { timeout: 60_000 }, async () => {
    if (!existsSync(CHROMIUM)) {
      assert.ok(!process.env.CI, `CI must provide Chromium at ${CHROMIUM}`);
      return;
    }
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`); });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      page.on('request', (r) => { if (!r.url().startsWith('file:')) problems.push(`request: ${r.url()}`); });
      page.on('requestfailed', (r) => problems.push(`failed: ${r.url()}`));
      await page.goto(pathToFileURL(join(out, 'index.html')).href, { waitUntil: 'load' });
      const figures = await page.$$eval('figure[data-figure]', (els) => els.map((e) => {
        const svg = e.querySelector('svg');
        const box = svg?.getBoundingClientRect();
        return { id: e.getAttribute('data-figure'), w: box?.width ?? 0, h: box?.height ?? 0, marks: svg?.querySelectorAll('path, line, rect').length ?? 0 };
      }));
      assert.deepEqual(figures.map((f) => f.id), CRAWL_FIGURES);
      for (const f of figures) assert.ok(f.w > 200 && f.h > 40 && f.marks > 5, `${f.id}: ${f.w}x${f.h}, ${f.marks} marks`);
      // Every link in the page points at a file the report wrote.
      const hrefs = await page.$$eval('a[href]', (as) => as.map((a) => a.getAttribute('href')!).filter((h) => !h.startsWith('#')));
      for (const h of hrefs) assert.ok(existsSync(join(out, h)), `link ${h}`);
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
    }
  });

  it('adds country and AS figures with --geo, from the range databases given', async () => {
    const geoOut = join(dir, 'geo');
    const io = capture();
    const fixtures = join(repoRoot(), 'test', 'fixtures', 'geo');
    assert.equal(await main(['report', '--db', db, '--out', geoOut, '--geo', '--geo-dir', fixtures, '--json'], io), 0, io.errs.join('\n'));
    assert.equal(JSON.parse(io.outs[0]!).figures, CRAWL_FIGURES.length + 2);
    for (const f of ['geo-country', 'geo-as']) assertPng(readFileSync(join(geoOut, `${f}.png`)), 400);
    const rows = (f: string) => new Map(readFileSync(join(geoOut, f), 'utf8').trimEnd().split('\n').slice(1).map((l) => {
      const m = /^("(?:[^"]|"")*"|[^,]*),(\d+),(\d+)$/.exec(l)!;
      return [m[1]!.replace(/^"|"$/g, ''), { records: Number(m[2]), measured: Number(m[3]) }];
    }));
    const cc = rows('geo-country.csv');
    // 400 live nodes on 127.20.x.y: every measured node is in DE or US; the dead records are in no range.
    assert.equal((cc.get('DE')?.measured ?? 0) + (cc.get('US')?.measured ?? 0), [...cc.values()].reduce((s, r) => s + r.measured, 0));
    assert.ok((cc.get('DE')?.measured ?? 0) > 0 && (cc.get('US')?.measured ?? 0) > 0, JSON.stringify([...cc]));
    assert.ok((cc.get('not listed (private or unrouted)')?.records ?? 0) >= 500, 'dead records are not listed');
    const as = rows('geo-as.csv');
    assert.ok((as.get('AS64512 Example Net, Inc.')?.measured ?? 0) >= 396, JSON.stringify([...as]));
  });

  it('fails with one line and a non-zero exit on bad input', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['report', '--db', join(dir, 'none.duckdb')], /no database at/],
      [['report', '--db', db, '--crawl', '99'], /no crawl 99 in/],
      [['report', '--db', db, '--since', 'yesterday'], /--since: "yesterday" is neither/],
      [['report', '--db', db, '--crawl', '1', '--since', '1h'], /exclude each other/],
      [['report', '--db', db, '--since', '2099-01-01T00:00Z'], /no crawl in .* started since 2099/],
      [['report', '--db', db, '--geo-dir', dir], /--geo-dir needs --geo/],
      [['report', '--db', db, '--geo', '--geo-dir', dir], /must hold geo-whois-asn-country-ipv4-num.csv/],
    ];
    for (const [argv, msg] of cases) {
      const io = capture();
      const code = await main(argv, io);
      assert.notEqual(code, 0, argv.join(' '));
      assert.equal(io.errs.length, 1, io.errs.join('\n'));
      assert.match(io.errs[0]!, msg);
    }
  });
});
