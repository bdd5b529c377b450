import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toCsv } from '../../../src/report/csv.js';
import { renderHtml } from '../../../src/report/html.js';
import { colorOf, colorScale, PALETTE } from '../../../src/report/theme.js';
import { lineChart, barChart } from '../../../src/report/charts.js';
import { specToSvg, svgToPng } from '../../../src/report/render.js';
import { clientName, networkForkLabel, subtreeCounts, DENSITY_FLAG_FACTOR } from '../../../src/app/report-figures.js';
import { parseSinceMs } from '../../../src/util/args.js';
import { assertPng } from '../../helpers.js';

describe('report: csv', () => {
  it('quotes commas, quotes and newlines, and leaves missing values empty', () => {
    const text = toCsv(['a', 'b', 'c'], [{ a: 'x,y', b: 'say "hi"', c: null }, { a: 1.5, b: 'two\nlines', c: Number.NaN }]);
    assert.equal(text, 'a,b,c\n"x,y","say ""hi""",\n1.5,"two\nlines",\n');
  });
});

describe('report: colours', () => {
  it('gives a listed name its slot and any other name the same colour every time', () => {
    const fixed = ['all', 'mainnet', 'sepolia'];
    assert.equal(colorOf('mainnet', fixed), PALETTE[1]);
    assert.equal(colorOf('eth2:deadbeef', fixed), colorOf('eth2:deadbeef', ['all', 'mainnet', 'sepolia']));
    assert.ok(!fixed.map((n) => colorOf(n, fixed)).includes(colorOf('opstack:10', fixed)) || PALETTE.length <= fixed.length);
    const s = colorScale(['sepolia', 'all'], fixed);
    assert.deepEqual(s, { domain: ['sepolia', 'all'], range: [PALETTE[2], PALETTE[0]] });
  });
});

describe('report: rendering', () => {
  it('draws a spec to SVG with its labels, and to a PNG that decodes', async () => {
    const spec = lineChart({ data: [{ t: 0, v: 1, s: 'a' }, { t: 1, v: 3, s: 'a' }, { t: 0, v: 2, s: 'b' }, { t: 1, v: 0, s: 'b' }],
      x: { field: 't', title: 'time (s)' }, y: { field: 'v', title: 'nodes' }, series: { field: 's', title: 'series', colors: colorScale(['a', 'b'], ['a', 'b']) } });
    const svg = await specToSvg(spec);
    assert.match(svg, /time \(s\)/);
    assert.match(svg, />nodes</);
    assert.equal(await specToSvg(spec), svg, 'deterministic');
    const { width } = assertPng(svgToPng(svg), 600);
    assert.ok(width > 1000, 'drawn at 2x');
  });

  it('orders bars as asked, else by value', async () => {
    const data = [{ k: 'small', v: 1 }, { k: 'big', v: 9 }, { k: 'mid', v: 5 }];
    const svg = await specToSvg(barChart({ data, category: { field: 'k', title: 'k' }, value: { field: 'v', title: 'v' } }));
    assert.ok(svg.indexOf('>big<') < svg.indexOf('>mid<') && svg.indexOf('>mid<') < svg.indexOf('>small<'));
  });
});

describe('report: html', () => {
  it('inlines each SVG with ids made unique per figure, and says why a figure is missing', () => {
    const svg = '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><defs><clipPath id="c1"/></defs><g clip-path="url(#c1)"/></svg>';
    const html = renderHtml({ title: 'T <1>', facts: [['db', 'x.duckdb']] }, [
      { id: 'one', title: 'One', definition: 'def', n: '3 visits', spec: {} as never, tables: [{ name: 'one', columns: ['a'], rows: [] }] },
      { id: 'two', title: 'Two', definition: 'def', n: '0', spec: null, missing: 'no visits', tables: [] },
    ], new Map([['one', svg]]));
    assert.match(html, /<title>T &lt;1&gt;<\/title>/);
    assert.ok(html.includes('id="one-c1"') && html.includes('url(#one-c1)'));
    assert.ok(!html.includes('<?xml'));
    assert.match(html, /<p class="missing">no visits<\/p>/);
    assert.match(html, /href="one.csv"/);
    assert.ok(!/<script/i.test(html), 'no script');
  });
});

describe('report: figure helpers', () => {
  it('names forks by network and fork, and leaves others as their network', () => {
    assert.equal(networkForkLabel('mainnet', 'fulu+bpo2'), 'mainnet/fulu+bpo2');
    assert.equal(networkForkLabel('eth2:12345678', null), 'eth2:12345678');
    assert.equal(networkForkLabel('execution', null), 'execution');
  });

  it('takes the client name from the first part of the entry', () => {
    assert.equal(clientName('Lighthouse/v7.0.0/x86_64-linux'), 'lighthouse');
    assert.equal(clientName(''), 'empty');
  });

  it('splits IDs into subtrees holding ~16 each', () => {
    const ids = Array.from({ length: 4096 }, (_, i) => (i * 16).toString(16).padStart(4, '0') + '00'.repeat(30));
    const { depth, counts } = subtreeCounts(ids);
    assert.equal(depth, 8);
    assert.ok(counts.every((c) => c === 16));
    assert.equal(DENSITY_FLAG_FACTOR, 2);
  });

  it('reads --since as an ISO time or a duration ago', () => {
    const now = Date.parse('2026-12-03T12:00:00Z');
    assert.equal(parseSinceMs('2h', 'since', now), now - 7_200_000);
    assert.equal(parseSinceMs('2026-12-01T00:00Z', 'since', now), Date.parse('2026-12-01T00:00Z'));
    assert.throws(() => parseSinceMs('last week', 'since', now), /neither an ISO time nor a duration/);
  });
});
