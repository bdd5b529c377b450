// Writes a report folder: every figure as SVG and PNG, every table as CSV, and a self-contained index.html.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toCsv } from './csv.js';
import type { Figure } from './figure.js';
import { renderHtml, type ReportHeader } from './html.js';
import { specToSvg, svgToPng } from './render.js';

export interface WrittenReport {
  files: string[];
  figures: number;
  /** Time spent drawing (SVG and PNG), ms. */
  renderMs: number;
}

/** Output names are fixed by the figure ids, so a rerun overwrites its own files and nothing else. */
export async function writeReport(outDir: string, header: ReportHeader, figures: readonly Figure[]): Promise<WrittenReport> {
  mkdirSync(outDir, { recursive: true });
  const files: string[] = [];
  const svgs = new Map<string, string>();
  const t0 = performance.now();
  for (const f of figures) {
    for (const t of f.tables) {
      const p = join(outDir, `${t.name}.csv`);
      writeFileSync(p, toCsv(t.columns, t.rows));
      files.push(p);
    }
    if (!f.spec) continue;
    const svg = await specToSvg(f.spec);
    svgs.set(f.id, svg);
    const svgPath = join(outDir, `${f.id}.svg`), pngPath = join(outDir, `${f.id}.png`);
    writeFileSync(svgPath, svg);
    writeFileSync(pngPath, svgToPng(svg));
    files.push(svgPath, pngPath);
  }
  const renderMs = performance.now() - t0;
  const htmlPath = join(outDir, 'index.html');
  writeFileSync(htmlPath, renderHtml(header, figures, svgs));
  files.push(htmlPath);
  return { files, figures: svgs.size, renderMs };
}
