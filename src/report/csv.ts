// The tables behind the figures as RFC 4180 CSV.

export type CsvCell = string | number | boolean | null | undefined;

function cell(v: CsvCell): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Rows under a header of `columns`, in that order; missing values are empty cells. */
export function toCsv(columns: readonly string[], rows: ReadonlyArray<Record<string, CsvCell>>): string {
  const out = [columns.map(cell).join(',')];
  for (const r of rows) out.push(columns.map((c) => cell(r[c])).join(','));
  return out.join('\n') + '\n';
}
