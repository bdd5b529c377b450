import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
  let sk: Uint8Array;
  if (fresh || keyFile === null) {
    sk = be.generatePrivateKey();
  } else if (existsSync(keyFile)) {
    const hex = readFileSync(keyFile, 'utf8').trim();
    if (!/^[0-9a-f]{64}$/i.test(hex)) throw new IdentityError('ERR_IDENTITY_BAD_KEYFILE', `key file ${keyFile} does not hold a 32-byte hex key`);
    sk = fromHex(hex);
  } else {
    sk = be.generatePrivateKey();
    try {
      mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
      writeFileSync(keyFile, toHex(sk) + '\n', { mode: 0o600 });
      chmodSync(keyFile, 0o600);
    } catch (e) {
      throw new IdentityError('ERR_IDENTITY_UNWRITABLE', `cannot write key file ${keyFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  const enr = createEnr(sk, 1n, {});
  return { sk, enr, id: enr.nodeId(), keyFile: fresh ? null : keyFile };
}
