/** Base for every error dhtscope throws on purpose; `code` is stable across versions. */
export class DhtscopeError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A byte string that does not parse as a discv5 packet or message. */
export class WireError extends DhtscopeError {}
/** An RLP structure that is malformed. */
export class RlpError extends DhtscopeError {}
/** A node record that is malformed, too big or badly signed. */
export class EnrError extends DhtscopeError {}
/** A cryptographic operation that failed (bad key, bad point, bad tag). */
export class CryptoError extends DhtscopeError {}
/** Bad user input: flags, numbers, files. */
export class UsageError extends DhtscopeError {}
/** A libp2p Kademlia message or frame that is malformed or too big, or a key that cannot be crafted. */
export class KadError extends DhtscopeError {}
