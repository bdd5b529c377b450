import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// The benchmarks run for minutes; --help and a bad flag must answer at once without starting a simnet.
const BENCH = (name: string) => fileURLToPath(new URL(`../../../bench/${name}.bench.js`, import.meta.url));
const BENCHES = ['crawl', 'headline', 'simnet', 'crypto', 'offload', 'trie', 'store'];

for (const name of BENCHES) {
  test(`bench ${name}: --help lists its flags and exits 0`, () => {
    const r = spawnSync(process.execPath, [BENCH(name), '--help'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Usage: ${name}\\.bench\\.js`));
    assert.match(r.stdout, /--help/);
    assert.doesNotMatch(r.stdout, /--json/, 'benchmarks always end with a JSON line; no --json flag to advertise');
  });

  test(`bench ${name}: an unknown flag exits 2 with one line`, () => {
    const r = spawnSync(process.execPath, [BENCH(name), '--no-such-flag'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /unknown flag --no-such-flag/);
  });
}

test('bench crawl: --help shows each flag with its default', () => {
  const r = spawnSync(process.execPath, [BENCH('crawl'), '--help'], { encoding: 'utf8', timeout: 30_000 });
  assert.match(r.stdout, /--rate <number>\s+request rate limit, req\/s \(default: 1000\)/);
  assert.match(r.stdout, /--threads <int>\s+.*\(default: 1\)/);
});

test('bench headline: a non-integer --runs is refused', () => {
  const r = spawnSync(process.execPath, [BENCH('headline'), '--runs', 'x'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--runs: "x" is not an integer/);
});
