/** Stable error codes shared by the native addon and the TypeScript fallback. */
export const TrieErrorCode = {
  /** An ID (or a batch of IDs) is not a Uint8Array of 32 bytes (batch: a multiple of 32). */
  BAD_ID: 'ERR_TRIE_BAD_ID',
  /** countPrefix: `bits` outside [0, 256] or the prefix is shorter than ceil(bits / 8) bytes. */
  BAD_PREFIX: 'ERR_TRIE_BAD_PREFIX',
  /** Histogram depth outside [1, 20]. */
  BAD_DEPTH: 'ERR_TRIE_BAD_DEPTH',
  /** Any other numeric argument out of range (limit, n, minDistance). */
  BAD_ARG: 'ERR_TRIE_BAD_ARG',
  /** More than 2^31 - 1 entries (u32 indices with a tag bit). */
  FULL: 'ERR_TRIE_FULL',
  /** A native trie method was invoked without the trie it was created for (addon bug). */
  BAD_THIS: 'ERR_TRIE_BAD_THIS',
  /** A Node-API call failed inside the addon. */
  NAPI: 'ERR_TRIE_NAPI',
} as const;

export type TrieErrorCode = (typeof TrieErrorCode)[keyof typeof TrieErrorCode];

const KNOWN_CODES: ReadonlySet<string> = new Set(Object.values(TrieErrorCode));

/** Thrown by every IdTrie backend for invalid input; match on `code`, not on the message. */
export class TrieError extends Error {
  override readonly name = 'TrieError';
  constructor(
    readonly code: TrieErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The addon throws plain Errors carrying a `code` (napi_throw_error);
 * re-wrap those so callers see one error class whatever the backend.
 */
export function toTrieError(e: unknown): unknown {
  if (e instanceof Error && !(e instanceof TrieError)) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && KNOWN_CODES.has(code)) {
      return new TrieError(code as TrieErrorCode, e.message);
    }
  }
  return e;
}
