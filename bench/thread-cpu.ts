// Per-thread CPU of a process on Linux, from /proc/<pid>/task/<tid>/stat (utime + stime, in clock ticks:
// 10 ms at the usual CLK_TCK of 100, fine over a crawl of tens of seconds). The main thread's tid is the pid.
// Node names every thread "node" (V8 platform workers, libuv pool, worker_threads), DuckDB's may differ.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface TaskStat { tid: number; comm: string; utimeTicks: number; stimeTicks: number }

/**
 * Parses one /proc/<pid>/task/<tid>/stat line. comm (field 2) may hold spaces and parentheses, so the
 * fields are counted from the last ')': state is field 3, utime field 14, stime field 15.
 */
export function parseTaskStat(line: string): TaskStat {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`not a /proc stat line: ${line.slice(0, 80)}`);
  const rest = line.slice(close + 1).trim().split(/\s+/);
  const tid = Number(line.slice(0, open).trim());
  const utimeTicks = Number(rest[14 - 3]), stimeTicks = Number(rest[15 - 3]);
  if (!Number.isInteger(tid) || !Number.isFinite(utimeTicks) || !Number.isFinite(stimeTicks) || rest.length < 13) {
    throw new Error(`not a /proc stat line: ${line.slice(0, 80)}`);
  }
  return { tid, comm: line.slice(open + 1, close), utimeTicks, stimeTicks };
}

let ticks: number | undefined;
/** Clock ticks per second of /proc's times (`getconf CLK_TCK`; 100 if getconf fails). */
export function clockTicksPerSec(): number {
  if (ticks === undefined) {
    try { ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100; } catch { ticks = 100; }
  }
  return ticks;
}

export interface ThreadCpu { tid: number; name: string; cpuUs: number }

/** CPU (user + system, µs) of each live thread of `pid`, by tid; null where /proc has no task list (not Linux). */
export function readThreadCpu(pid = process.pid): Map<number, ThreadCpu> | null {
  let tids: string[];
  try { tids = readdirSync(`/proc/${pid}/task`); } catch { return null; }
  const usPerTick = 1e6 / clockTicksPerSec();
  const out = new Map<number, ThreadCpu>();
  for (const t of tids) {
    let line: string;
    try { line = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8'); } catch { continue; } // the thread exited meanwhile
    const s = parseTaskStat(line);
    out.set(s.tid, { tid: s.tid, name: s.comm, cpuUs: (s.utimeTicks + s.stimeTicks) * usPerTick });
  }
  return out;
}

export interface ThreadCpuSplit {
  /** The main thread's CPU in the window, µs. */
  mainUs: number;
  /** Threads other than the main one that are alive at the end, by name: CPU in the window (µs) and thread count. */
  byName: Record<string, { threads: number; us: number }>;
}

/**
 * CPU per thread between two readThreadCpu() readings of `pid`. A thread born in the window counts from 0;
 * one that exited in it (e.g. a worker pool closed before the end) is missing here: callers that know the
 * process total (process.cpuUsage) get the exited threads' share as total - main - sum(byName).
 */
export function threadCpuSplit(before: Map<number, ThreadCpu>, after: Map<number, ThreadCpu>, pid = process.pid): ThreadCpuSplit {
  const d = (t: ThreadCpu) => Math.max(0, t.cpuUs - (before.get(t.tid)?.cpuUs ?? 0));
  const main = after.get(pid);
  const byName: ThreadCpuSplit['byName'] = {};
  for (const t of after.values()) {
    if (t.tid === pid) continue;
    const e = (byName[t.name] ??= { threads: 0, us: 0 });
    e.threads++;
    e.us += d(t);
  }
  return { mainUs: main ? d(main) : 0, byName };
}

/** The process IDs of `pid` and all its descendants (Linux: /proc/<pid>/task/<tid>/children); [] where unreadable. */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const walk = (p: number) => {
    let tids: string[];
    try { tids = readdirSync(`/proc/${p}/task`); } catch { return; }
    out.push(p);
    for (const t of tids) {
      let kids = '';
      try { kids = readFileSync(`/proc/${p}/task/${t}/children`, 'utf8'); } catch { continue; }
      for (const k of kids.split(' ')) if (k.trim()) walk(Number(k));
    }
  };
  walk(pid);
  return out;
}

/** CPU (user + system, µs) of `pid` and its descendants alive now (a process's line sums its threads); null if unreadable. */
export function processTreeCpuUs(pid: number): number | null {
  const usPerTick = 1e6 / clockTicksPerSec();
  let us = 0, any = false;
  for (const p of processTree(pid)) {
    let line: string;
    try { line = readFileSync(`/proc/${p}/stat`, 'utf8'); } catch { continue; }
    const s = parseTaskStat(line);
    us += (s.utimeTicks + s.stimeTicks) * usPerTick;
    any = true;
  }
  return any ? us : null;
}
