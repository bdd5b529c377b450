import { version } from './version.js';
import { DhtscopeError } from '../util/errors.js';
import { runEnrDecode } from './enr.js';
import { runDoctor } from './doctor.js';
import { processIo, type CliIo } from './io.js';

export type CommandFn = (argv: string[], io: CliIo) => number | Promise<number>;

interface Command { summary: string; run: CommandFn }

/** Commands are loaded lazily so `enr decode` does not pay for DuckDB or the simnet. */
const COMMANDS: Record<string, Command> = {
  'enr decode': { summary: 'decode and verify node records', run: runEnrDecode },
  doctor: { summary: 'show which native backends are active', run: runDoctor },
  simnet: { summary: 'run a local simulated discv5 network', run: lazy(() => import('./simnet.js'), 'runSimnet') },
  crawl: { summary: 'crawl a discv5 network into DuckDB', run: lazy(() => import('./crawl.js'), 'runCrawl') },
  monitor: { summary: 'run a measurement campaign: periodic crawls plus liveness probes', run: lazy(() => import('./monitor.js'), 'runMonitor') },
  stats: { summary: 'campaign metrics: classes, churn, availability, session length', run: lazy(() => import('./stats.js'), 'runStats') },
  demo: { summary: 'start a simnet, crawl it, and report against the truth', run: lazy(() => import('./demo.js'), 'runDemo') },
  compare: { summary: 'crawl one simnet with several strategies and compare them', run: lazy(() => import('./compare.js'), 'runCompare') },
  report: { summary: 'write a crawl or campaign as an HTML report with figures (SVG, PNG, CSV)', run: lazy(() => import('./report.js'), 'runReportCli') },
  serve: { summary: 'browse a crawl database in a web UI (read-only) with a JSON API', run: lazy(() => import('./serve.js'), 'runServe') },
  export: { summary: 'export a crawl as NDJSON, CSV, Parquet or nodes.json', run: lazy(() => import('./export.js'), 'runExport') },
};

function lazy(load: () => Promise<Record<string, unknown>>, name: string): CommandFn {
  return async (argv, io) => ((await load())[name] as CommandFn)(argv, io);
}

export { version };

function help(): string {
  const names = Object.keys(COMMANDS);
  const w = Math.max(...names.map((n) => n.length)) + 2;
  return `dhtscope ${version()}: crawler and measurement tool for discv5 DHT networks

Usage: dhtscope <command> [options]   (dhtscope <command> --help for details)

Commands:
${names.map((n) => `  ${n.padEnd(w)}${COMMANDS[n]!.summary}`).join('\n')}

Options:
  -h, --help       show this help
  -v, --version    print the version (--verbose adds backends)
`;
}

/** Exit codes: 2 bad usage, 3 the store failed (rows may be missing: the message counts them), 4 a monitor checkpoint cannot be used, 1 anything else. */
export function exitCodeOf(code: string): number {
  if (code.startsWith('ERR_USAGE')) return 2;
  if (code.startsWith('ERR_CHECKPOINT') || code === 'ERR_MONITOR_CHECKPOINT_MISMATCH') return 4;
  if (code.startsWith('ERR_STORE') || code === 'ERR_CRAWL_STORE_FAILED') return 3;
  return 1;
}

export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') { io.out(help()); return 0; }
  if (argv[0] === '--version' || argv[0] === '-v') {
    if (argv.includes('--verbose')) return runDoctor(['--version-line'], io);
    io.out(version());
    return 0;
  }
  const two = argv.slice(0, 2).join(' ');
  const name = COMMANDS[two] ? two : argv[0]!;
  const rest = argv.slice(name.split(' ').length);
  if (name === 'enr') {
    io.out('Usage: dhtscope enr decode [--json] <enr>...');
    return argv.length > 1 && argv[1] !== '--help' ? 2 : 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) { io.err(`dhtscope: unknown command "${name}" (see dhtscope --help)`); return 2; }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof DhtscopeError) {
      io.err(`dhtscope ${name}: ${e.message} [${e.code}]`);
      return exitCodeOf(e.code);
    }
    throw e;
  }
}
