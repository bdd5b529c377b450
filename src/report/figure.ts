// A figure of the report: its chart, a one-line definition, its n, and the tables behind it.
import type { TopLevelSpec } from 'vega-lite';
import type { CsvCell } from './csv.js';

export interface FigureTable {
  /** File stem: `<name>.csv`. */
  name: string;
  columns: readonly string[];
  rows: ReadonlyArray<Record<string, CsvCell>>;
}

export interface Figure {
  /** File stem of the SVG and PNG, and the HTML anchor. */
  id: string;
  title: string;
  /** What is plotted, in one line, with its units. */
  definition: string;
  /** How many observations it rests on, in words (`19,870 measured visits`). */
  n: string;
  /** null: nothing to draw; `missing` says why, and the HTML shows that instead. */
  spec: TopLevelSpec | null;
  missing?: string;
  tables: FigureTable[];
}

export const fmtInt = (v: number) => Math.round(v).toLocaleString('en-US');
