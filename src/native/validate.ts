// Argument checks for the TypeScript backend. The addon performs the same
// checks natively with the same codes, so both backends reject identically.
import { types } from 'node:util';
import { TrieError, TrieErrorCode } from './errors.js';
import { ID_BITS, ID_BYTES, MAX_HIST_DEPTH } from './types.js';

// util.types.isUint8Array is realm-independent, accepts Buffer and rejects Uint8ClampedArray,
// matching napi_get_typedarray_info's napi_uint8_array type.
function isU8(x: unknown): x is Uint8Array {
  return types.isUint8Array(x);
}

function isIntIn(x: unknown, lo: number, hi: number): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= lo && x <= hi;
}

export function checkId(id: unknown, what = 'id'): asserts id is Uint8Array {
  if (!isU8(id)) throw new TrieError(TrieErrorCode.BAD_ID, `${what} must be a Uint8Array`);
  if (id.length !== ID_BYTES) {
    throw new TrieError(TrieErrorCode.BAD_ID, `${what} must be ${ID_BYTES} bytes, got ${id.length}`);
  }
}

export function checkIdBatch(ids: unknown): asserts ids is Uint8Array {
  if (!isU8(ids)) throw new TrieError(TrieErrorCode.BAD_ID, 'ids must be a Uint8Array');
  if (ids.length % ID_BYTES !== 0) {
    throw new TrieError(TrieErrorCode.BAD_ID, `ids length ${ids.length} is not a multiple of ${ID_BYTES}`);
  }
}

export function checkPrefix(prefix: unknown, bits: unknown): asserts prefix is Uint8Array {
  if (!isU8(prefix)) throw new TrieError(TrieErrorCode.BAD_PREFIX, 'prefix must be a Uint8Array');
  if (!isIntIn(bits, 0, ID_BITS)) {
    throw new TrieError(TrieErrorCode.BAD_PREFIX, `bits must be an integer in [0, ${ID_BITS}]`);
  }
  if (prefix.length * 8 < bits) {
    throw new TrieError(TrieErrorCode.BAD_PREFIX, `prefix has ${prefix.length} bytes, too short for ${bits} bits`);
  }
}

export function checkDepth(depth: unknown): asserts depth is number {
  if (!isIntIn(depth, 1, MAX_HIST_DEPTH)) {
    throw new TrieError(TrieErrorCode.BAD_DEPTH, `depth must be an integer in [1, ${MAX_HIST_DEPTH}]`);
  }
}

export function checkInt(x: unknown, lo: number, hi: number, what: string): asserts x is number {
  if (!isIntIn(x, lo, hi)) throw new TrieError(TrieErrorCode.BAD_ARG, `${what} must be an integer in [${lo}, ${hi}]`);
}
