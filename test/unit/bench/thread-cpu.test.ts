import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { clockTicksPerSec, parseTaskStat, readThreadCpu, threadCpuSplit } from '../../../bench/thread-cpu.js';

const linux = process.platform === 'linux';
// A /proc/<pid>/task/<tid>/stat line whose comm holds spaces and parentheses: utime 1234, stime 56.
const STAT = '4242 (a (b) c) d) S 4241 4241 2970 0 -1 4194368 1673 0 0 0 1234 56 0 0 20 0 12 0 881 1222 3 18446744073709551615';

test('thread-cpu: a stat line is read after the last ")", so comm may hold spaces and parentheses', () => {
  assert.deepEqual(parseTaskStat(STAT), { tid: 4242, comm: 'a (b) c) d', utimeTicks: 1234, stimeTicks: 56 });
  assert.deepEqual(parseTaskStat('7 (node) R 1 7 7 0 -1 4194304 2453 0 0 0 11 3 0 0 20 0 11 0 5 6 7\n'),
    { tid: 7, comm: 'node', utimeTicks: 11, stimeTicks: 3 });
  assert.throws(() => parseTaskStat('garbage'), /not a \/proc stat line/);
  assert.throws(() => parseTaskStat('7 (node) R 1 7'), /not a \/proc stat line/);
});

test('thread-cpu: the main thread is the pid and a busy loop on it shows in its figure', { skip: !linux }, () => {
  assert.ok(clockTicksPerSec() > 0);
  const before = readThreadCpu()!;
  assert.ok(before.has(process.pid), 'the main thread has tid = pid');
  const cpu0 = process.cpuUsage();
  while (process.cpuUsage(cpu0).user < 400_000) { /* spin ~400 ms of CPU on this thread */ }
  const after = readThreadCpu()!;
  const total = process.cpuUsage(cpu0);
  const { mainUs, byName } = threadCpuSplit(before, after);
  const otherUs = Object.values(byName).reduce((a, v) => a + v.us, 0);
  assert.ok(mainUs >= 300_000, `main thread ${mainUs} us after a 400 ms spin`);
  assert.ok(mainUs <= total.user + total.system + 20_000, `main ${mainUs} us within the process total`);
  assert.ok(otherUs < 100_000, `other threads ${otherUs} us while the main thread spun`);
});

test('thread-cpu: a busy worker thread counts as another thread, not the main one', { skip: !linux }, async () => {
  const w = new Worker(`
    const { parentPort } = require('node:worker_threads');
    parentPort.once('message', () => {
      const t0 = Date.now(); while (Date.now() - t0 < 400) {}
      parentPort.postMessage('spun');
      parentPort.once('message', () => process.exit(0));
    });
    parentPort.postMessage('ready');`, { eval: true });
  await new Promise((r) => w.once('message', r));
  const before = readThreadCpu()!;
  w.postMessage('spin');
  await new Promise((r) => w.once('message', r));
  const after = readThreadCpu()!; // the worker is still alive, waiting
  w.postMessage('exit');
  await new Promise((r) => w.once('exit', r));
  const { mainUs, byName } = threadCpuSplit(before, after);
  const otherUs = Object.values(byName).reduce((a, v) => a + v.us, 0);
  assert.ok(otherUs >= 200_000, `other threads ${otherUs} us while a worker spun 400 ms`);
  assert.ok(mainUs < 150_000, `main thread ${mainUs} us while it waited`);
});
