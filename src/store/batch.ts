// Column batches: rows of one table laid out by column in typed arrays, built on the producer's thread and
// transferred (not copied) to the writer. Adding a row writes a few numbers and bytes; no string is built.
import { inputColumnsOf, type Column, type InputRow, type TableDecl } from './columns.js';

/** Node IDs are 32 bytes (keccak256 of the public key). */
export const NODE_ID_SIZE = 32;

/** Variable-length bytes: row i is heap[offsets[i], offsets[i + 1]). */
export interface BytesColumn { offsets: Uint32Array; heap: Uint8Array }

/** One sent column: by InputKind, num -> Float64Array (NaN = null), u64 -> BigUint64Array, id -> 32 bytes a row. */
export type ColumnData = Float64Array | BigUint64Array | Uint8Array | BytesColumn | Array<string | null>;

/** Rows of one table, by column (TableDecl input columns, in order). Structured-cloneable. */
export interface TableBatch { table: string; rows: number; cols: ColumnData[] }

/** The buffers a batch can hand over without a copy. */
export function transferList(b: TableBatch): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const c of b.cols) {
    if (Array.isArray(c)) continue;
    if (c instanceof Float64Array || c instanceof BigUint64Array || c instanceof Uint8Array) out.push(c.buffer as ArrayBuffer);
    else out.push(c.offsets.buffer as ArrayBuffer, c.heap.buffer as ArrayBuffer);
  }
  return out;
}

/** Initial heap bytes per row of a bytes column: a typical record is ~150 bytes; the heap doubles past it. */
const BYTES_PER_ROW_GUESS = 160;

/** Writes one value of a column at row r; throws TypeError for a value it cannot hold. */
type Put = (col: ColumnData, r: number, v: unknown, b: { putBytes(col: BytesColumn, r: number, v: Uint8Array): void }) => void;

function putFor(c: Column): Put {
  const name = c.name;
  switch (c.input) {
    case 'num':
      return (col, r, v) => {
        if (v == null) {
          if (!c.nullable) throw new TypeError(`${name} is missing`);
          (col as Float64Array)[r] = NaN;
          return;
        }
        const x = typeof v === 'boolean' ? Number(v) : v;
        if (typeof x !== 'number' || !Number.isFinite(x)) throw new TypeError(`${name}: not a finite number: ${String(v)}`);
        (col as Float64Array)[r] = x;
      };
    case 'u64':
      return (col, r, v) => {
        if (typeof v !== 'bigint' || v < 0n || v > 0xffffffffffffffffn) throw new TypeError(`${name}: not a u64 bigint: ${String(v)}`);
        (col as BigUint64Array)[r] = v;
      };
    case 'id':
      return (col, r, v) => {
        if (!(v instanceof Uint8Array) || v.length !== NODE_ID_SIZE) throw new TypeError(`${name} must be a ${NODE_ID_SIZE}-byte Uint8Array`);
        (col as Uint8Array).set(v, r * NODE_ID_SIZE);
      };
    case 'bytes':
      return (col, r, v, b) => {
        if (v == null && c.nullable) v = new Uint8Array(0);
        if (!(v instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
        b.putBytes(col as BytesColumn, r, v);
      };
    case 'text':
      return (col, r, v) => {
        if (v == null) {
          if (!c.nullable) throw new TypeError(`${name} is missing`);
          (col as Array<string | null>)[r] = null;
          return;
        }
        if (typeof v !== 'string') throw new TypeError(`${name} must be a string`);
        (col as Array<string | null>)[r] = v;
      };
    default:
      throw new Error(`${name} is derived, not sent`);
  }
}

function allocColumn(c: Column, rows: number): ColumnData {
  switch (c.input) {
    case 'num': return new Float64Array(rows);
    case 'u64': return new BigUint64Array(rows);
    case 'id': return new Uint8Array(rows * NODE_ID_SIZE);
    case 'bytes': return { offsets: new Uint32Array(rows + 1), heap: new Uint8Array(rows * BYTES_PER_ROW_GUESS) };
    case 'text': return new Array<string | null>(rows);
    default: throw new Error(`${c.name} is derived, not sent`);
  }
}

/** The open batch of one table: at most `capacity` rows, then it must be sealed. Bound: capacity rows. */
export class TableBuffer<T extends TableDecl = TableDecl> {
  readonly columns: readonly Column[];
  private readonly puts: Put[];
  private cols: ColumnData[];
  rows = 0;

  constructor(readonly decl: T, readonly capacity: number) {
    if (!decl.batched) throw new Error(`${decl.name} is not written in batches`);
    this.columns = inputColumnsOf(decl);
    this.puts = this.columns.map(putFor);
    this.cols = this.alloc();
    // Fail at start, not at the first row, if a derived column names a source that is not sent.
    if (decl.derive && !this.columns.some((c) => c.name === decl.derive!.column)) throw new Error(`${decl.name}: derive source ${decl.derive.column} is not sent`);
  }

  private alloc(): ColumnData[] { return this.columns.map((c) => allocColumn(c, this.capacity)); }

  get full(): boolean { return this.rows >= this.capacity; }

  /** Adds a row; throws TypeError (the row is not taken) if a value does not fit its column. */
  add(row: InputRow<T>): void {
    if (this.full) throw new Error(`${this.decl.name}: batch full`);
    const r = this.rows;
    const values = row as Record<string, unknown>;
    // A value that does not fit throws before rows is counted: the next row overwrites the slot.
    for (let i = 0; i < this.columns.length; i++) this.puts[i]!(this.cols[i]!, r, values[this.columns[i]!.name], this);
    this.rows = r + 1;
  }

  /** @internal bytes columns: appends v at row r, growing the heap by doubling. */
  putBytes(col: BytesColumn, r: number, v: Uint8Array): void {
    const at = col.offsets[r]!;
    if (at + v.length > col.heap.length) {
      let len = col.heap.length * 2;
      while (len < at + v.length) len *= 2;
      const h = new Uint8Array(len);
      h.set(col.heap.subarray(0, at));
      col.heap = h;
    }
    col.heap.set(v, at);
    col.offsets[r + 1] = at + v.length;
  }

  /** The rows so far as a batch (trimmed views), and a fresh open batch; null if empty. */
  seal(): TableBatch | null {
    if (this.rows === 0) return null;
    const n = this.rows;
    const cols = this.cols.map((c) => trim(c, n));
    this.cols = this.alloc();
    this.rows = 0;
    return { table: this.decl.name, rows: n, cols };
  }
}

/** Views over the filled rows; the whole buffers are transferred with them (they were allocated per batch). */
function trim(c: ColumnData, n: number): ColumnData {
  if (Array.isArray(c)) { c.length = n; return c; }
  if (c instanceof Float64Array || c instanceof BigUint64Array) return c.subarray(0, n);
  if (c instanceof Uint8Array) return c.subarray(0, n * NODE_ID_SIZE);
  return { offsets: c.offsets.subarray(0, n + 1), heap: c.heap.subarray(0, c.offsets[n]) };
}

/**
 * A batch as the writer reads it: the sent columns by name, and for tables with derived columns each row's
 * decoded source (null where it did not decode: the row keeps its sent columns, the derived ones are NULL).
 */
export interface WriterBatch { byName: ReadonlyMap<string, ColumnData>; sources: unknown[] | null }

export function readBatch(decl: TableDecl, b: TableBatch): WriterBatch {
  const sent = inputColumnsOf(decl);
  if (sent.length !== b.cols.length) throw new TypeError(`${decl.name}: batch has ${b.cols.length} columns, the table sends ${sent.length}`);
  const byName = new Map(sent.map((c, i) => [c.name, b.cols[i]!]));
  let sources: unknown[] | null = null;
  if (decl.derive) {
    const src = byName.get(decl.derive.column) as BytesColumn;
    sources = new Array<unknown>(b.rows);
    for (let r = 0; r < b.rows; r++) {
      try { sources[r] = decl.derive.decode(src.heap.subarray(src.offsets[r]!, src.offsets[r + 1]!)); } catch { sources[r] = null; }
    }
  }
  return { byName, sources };
}

/** A derived column's value for one row's source; a field the decoder cannot render is null, like an undecodable record. */
export function derivedValue(c: Column, source: unknown): unknown {
  if (source == null) return null;
  try { return (c.from as (s: unknown) => unknown)(source); } catch { return null; }
}
