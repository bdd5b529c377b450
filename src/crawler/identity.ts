import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { secp } from '../crypto/index.js';
import { createEnr, type Enr } from '../enr/enr.js';
import { fromHex, toHex } from '../util/bytes.js';
import { DhtscopeError } from '../util/errors.js';

export class IdentityError extends DhtscopeError {}

export interface CrawlerIdentity { sk: Uint8Array; enr: Enr; id: Uint8Array; keyFile: string | null }

/** Default key file: one identity per user, so repeated crawls look like one node to the network. */
export function defaultKeyFile(): string {
  const base = process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config');
  return join(base, 'dhtscope', 'crawler.key');
}

/**
 * The crawler's identity. Its record carries no ip/udp, so crawled nodes never add it to their
 * tables. The key persists (mode 0600) unless `fresh`, which makes a throwaway one.
 */
export function loadIdentity(keyFile: string | null, fresh: boolean): CrawlerIdentity {
  const be = secp();
  const sk = fresh || keyFile === null ? be.generatePrivateKey() : existsSync(keyFile) ? readKey(keyFile) : createKey(keyFile, be.generatePrivateKey());
  let enr: Enr;
  try { enr = createEnr(sk, 1n, {}); } catch {
    throw new IdentityError('ERR_IDENTITY_BAD_KEYFILE', `key file ${keyFile} holds no valid secp256k1 key (zero, or not below the curve order)`);
  }
  return { sk, enr, id: enr.nodeId(), keyFile: fresh ? null : keyFile };
}

/** Group or other permission bits: a key anyone else can read is no longer the crawler's alone. */
const SHARED_MODE_BITS = 0o077;

function readKey(keyFile: string): Uint8Array {
  let text: string;
  try {
    const st = statSync(keyFile);
    if (st.isDirectory()) throw new IdentityError('ERR_IDENTITY_BAD_KEYFILE', `key file ${keyFile} is a directory, not a key`);
    if (!st.isFile()) throw new IdentityError('ERR_IDENTITY_BAD_KEYFILE', `key file ${keyFile} is not a regular file`);
    // As ssh does: refuse a key others can read (on systems with POSIX modes).
    if (process.platform !== 'win32' && (st.mode & SHARED_MODE_BITS) !== 0) {
      throw new IdentityError('ERR_IDENTITY_KEY_PERMISSIONS',
        `key file ${keyFile} is accessible by others (mode ${(st.mode & 0o777).toString(8)}); run chmod 600 ${keyFile}`);
    }
    text = readFileSync(keyFile, 'utf8');
  } catch (e) {
    if (e instanceof IdentityError) throw e;
    throw new IdentityError('ERR_IDENTITY_BAD_KEYFILE', `cannot read key file ${keyFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const hex = text.trim();
  if (!/^[0-9a-f]{64}$/i.test(hex)) throw new IdentityError('ERR_IDENTITY_BAD_KEYFILE', `key file ${keyFile} does not hold a 32-byte hex key`);
  return fromHex(hex);
}

/**
 * Writes a new key so that no reader ever sees a partial file and two crawlers starting at once agree: the key
 * goes to a private temporary file (created with O_EXCL, mode 0600, synced to disk), which is then linked into
 * place (fails if the name exists) and the folder synced; the loser reads the winner's key. Without the syncs a
 * crash could leave the final name pointing at an empty file, which the next start refuses.
 */
function createKey(keyFile: string, sk: Uint8Array): Uint8Array {
  const tmp = `${keyFile}.${process.pid}.${Date.now()}.tmp`;
  try {
    mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, toHex(sk) + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(tmp, keyFile);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return readKey(keyFile);
      throw e;
    }
    syncFolder(dirname(keyFile));
    return sk;
  } catch (e) {
    if (e instanceof IdentityError) throw e;
    throw new IdentityError('ERR_IDENTITY_UNWRITABLE', `cannot write key file ${keyFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Makes a new name in `dir` durable; best effort (some systems cannot open or sync a folder). */
function syncFolder(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch { /* the key is written; only its name's durability is not confirmed */ } finally {
    if (fd !== null) closeSync(fd);
  }
}
