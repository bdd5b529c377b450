import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../../src/cli/main.js';
import type { CliIo } from '../../../src/cli/io.js';
import { loadVectors } from '../../helpers.js';

function capture(): CliIo & { outs: string[]; errs: string[] } {
  const outs: string[] = [], errs: string[] = [];
  return { outs, errs, out: (l) => outs.push(l), err: (l) => errs.push(l), isTty: false };
}

const E = loadVectors('enr.json');

describe('cli: enr decode', () => {
  it('prints one JSON object per record with typed fields', async () => {
    const io = capture();
    const texts = [E.eip778_example.text, ...E.additional_records.map((r: any) => r.text)];
    assert.equal(await main(['enr', 'decode', '--json', ...texts], io), 0);
    assert.equal(io.outs.length, texts.length);
    const objs = io.outs.map((l) => JSON.parse(l));
    assert.equal(objs[0].nodeId, E.eip778_example.node_id);
    assert.equal(objs[0].udp, 30303);
    const teku = objs.find((o) => o.eth2);
    assert.equal(typeof teku.eth2.forkDigest, 'string');
    assert.deepEqual(objs[1].client, ['Nethermind', '1.9.53', '7fcb567']);
  });

  it('exits 2 with a one-line reason on a bad record and still decodes the rest', async () => {
    const io = capture();
    const bad = E.eip778_example.text.slice(0, -4) + 'AAAA';
    assert.equal(await main(['enr', 'decode', bad, E.eip778_example.text], io), 2);
    assert.equal(io.errs.length, 1);
    assert.match(io.errs[0]!, /ERR_ENR_/);
    assert.ok(!io.errs[0]!.includes('\n'));
    assert.ok(io.outs.join('\n').includes(E.eip778_example.node_id));
  });

  it('answers --help, --version and rejects unknown flags and commands', async () => {
    let io = capture();
    assert.equal(await main(['--help'], io), 0);
    assert.match(io.outs.join(''), /enr decode/);
    io = capture();
    assert.equal(await main(['--version'], io), 0);
    assert.match(io.outs[0]!, /^\d+\.\d+\.\d+/);
    io = capture();
    assert.equal(await main(['enr', 'decode', '--help'], io), 0);
    io = capture();
    assert.equal(await main(['enr', 'decode', '--bogus', 'x'], io), 2);
    assert.match(io.errs[0]!, /unknown flag --bogus/);
    io = capture();
    assert.equal(await main(['nope'], io), 2);
  });
});
