// Country and AS number per IPv4 address, from two pinned range databases on the npm registry (ip-location-db's
// IPv4 "num" CSVs: start,end,value). DuckDB reads the CSV and does the range join; nothing is fetched or loaded
// unless the report is asked for --geo.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DhtscopeError } from '../util/errors.js';

export class GeoError extends DhtscopeError {}

/** The databases, pinned: a report names the version it used, and a rerun gives the same figures. */
export const GEO_PACKAGES = {
  country: { name: '@ip-location-db/geo-whois-asn-country', version: '2.3.2026061719', file: 'geo-whois-asn-country-ipv4-num.csv', license: 'CC0-1.0' },
  asn: { name: '@ip-location-db/asn', version: '2.3.2026061719', file: 'asn-ipv4-num.csv', license: 'CC BY 4.0 (RouteViews, DB-IP, NRO)' },
} as const;

export interface GeoFiles { countryCsv: string; asnCsv: string; source: string }

/** Where --geo keeps the packages it installs: outside the project, shared by every checkout. */
export function defaultGeoCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'dhtscope', 'geo');
}

function filesIn(root: string): GeoFiles | null {
  const c = join(root, 'node_modules', GEO_PACKAGES.country.name, GEO_PACKAGES.country.file);
  const a = join(root, 'node_modules', GEO_PACKAGES.asn.name, GEO_PACKAGES.asn.file);
  return existsSync(c) && existsSync(a) ? { countryCsv: c, asnCsv: a, source: root } : null;
}

/** A folder holding the two CSVs by their file names (a copy, or a test fixture). */
export function geoFilesInDir(dir: string): GeoFiles {
  const c = join(dir, GEO_PACKAGES.country.file), a = join(dir, GEO_PACKAGES.asn.file);
  if (!existsSync(c) || !existsSync(a)) throw new GeoError('ERR_GEO_MISSING', `--geo-dir ${dir} must hold ${GEO_PACKAGES.country.file} and ${GEO_PACKAGES.asn.file}`);
  return { countryCsv: c, asnCsv: a, source: dir };
}

/** The installed databases, installing the pinned packages from the npm registry into `cacheDir` when absent. */
export async function ensureGeoFiles(cacheDir: string, log: (line: string) => void): Promise<GeoFiles> {
  const have = filesIn(cacheDir);
  if (have) return have;
  const specs = Object.values(GEO_PACKAGES).map((p) => `${p.name}@${p.version}`);
  log(`geo: installing ${specs.join(' and ')} (about 30 MB) from the npm registry into ${cacheDir}`);
  const code = await new Promise<number | null>((resolve, reject) => {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const child = spawn(npm, ['install', '--prefix', cacheDir, '--no-audit', '--no-fund', '--no-save', '--ignore-scripts', ...specs], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => { if (err.length < 4096) err += d.toString(); });
    child.once('error', (e) => reject(new GeoError('ERR_GEO_INSTALL', `geo: could not run npm: ${e.message}`)));
    child.once('exit', (c) => { if (c !== 0) log(`geo: npm said: ${err.trim().split('\n').pop() ?? ''}`); resolve(c); });
  });
  const got = filesIn(cacheDir);
  if (code !== 0 || !got) throw new GeoError('ERR_GEO_INSTALL', `geo: installing ${specs.join(' ')} into ${cacheDir} failed (npm exit ${code}); install them there by hand or pass --geo-dir`);
  return got;
}

/** SQL of an IPv4 text column as its 32-bit number (NULL when it is not dotted-quad text). */
export function ipv4NumberSql(col: string): string {
  const part = (i: number) => `try_cast(split_part(${col}, '.', ${i}) AS UBIGINT)`;
  return `(${part(1)} * 16777216 + ${part(2)} * 65536 + ${part(3)} * 256 + ${part(4)})`;
}

/** A range CSV as a DuckDB table expression with columns s, e and the value columns named. */
export function rangeCsvSql(path: string, values: Record<string, 'VARCHAR' | 'UBIGINT'>): string {
  const cols = { s: 'UBIGINT', e: 'UBIGINT', ...values };
  const spec = Object.entries(cols).map(([k, t]) => `'${k}': '${t}'`).join(', ');
  return `read_csv('${path.replace(/'/g, "''")}', header = false, auto_detect = false, quote = '"', columns = {${spec}})`;
}
