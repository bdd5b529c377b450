// Line charts as SVG text and as PNG (via the small rasteriser in png.ts); one layout for both.
import { Canvas, GLYPH_H, type Rgb } from './png.js';

export interface Series {
  name: string;
  /** (x, y) points in data units, x ascending. */
  points: Array<[number, number]>;
  color?: Rgb;
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  width?: number;
  height?: number;
  /** Dashed horizontal reference lines (e.g. 50/90/99% of a total). */
  hLines?: Array<{ y: number; label: string }>;
}

/** Colour-blind-friendly palette (Okabe-Ito). */
export const PALETTE: Rgb[] = [[0, 114, 178], [213, 94, 0], [0, 158, 115], [204, 121, 167], [230, 159, 0], [86, 180, 233], [0, 0, 0], [240, 228, 66]];

const M = { left: 78, right: 24, top: 40, bottom: 56 };
const AXIS: Rgb = [40, 40, 40];
const GRID: Rgb = [225, 225, 225];
const REF: Rgb = [170, 170, 170];

/** Round tick step (1, 2 or 5 x 10^k) giving about `target` ticks over [0, max]. */
export function niceStep(max: number, target = 6): number {
  if (!(max > 0)) return 1;
  const raw = max / target;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

function fmtTick(v: number, step: number): string {
  const dec = step >= 1 ? 0 : Math.min(6, Math.ceil(-Math.log10(step)));
  return Math.abs(v) >= 10_000 && step >= 1000 ? `${+(v / 1000).toFixed(1)}k` : v.toFixed(dec);
}

interface Layout {
  w: number; h: number; x0: number; x1: number; y0: number; y1: number;
  xMax: number; yMax: number; xStep: number; yStep: number;
  sx(x: number): number; sy(y: number): number;
  colors: Rgb[];
}

function layout(c: LineChart): Layout {
  const w = c.width ?? 900, h = c.height ?? 540;
  let xMax = 0, yMax = 0;
  for (const s of c.series) for (const [x, y] of s.points) { if (x > xMax) xMax = x; if (y > yMax) yMax = y; }
  for (const r of c.hLines ?? []) if (r.y > yMax) yMax = r.y;
  const xStep = niceStep(xMax), yStep = niceStep(yMax);
  xMax = Math.max(xStep, Math.ceil(xMax / xStep - 1e-9) * xStep);
  yMax = Math.max(yStep, Math.ceil((yMax * 1.02) / yStep - 1e-9) * yStep);
  const x0 = M.left, x1 = w - M.right, y0 = h - M.bottom, y1 = M.top;
  return {
    w, h, x0, x1, y0, y1, xMax, yMax, xStep, yStep,
    sx: (x) => x0 + ((x1 - x0) * x) / xMax,
    sy: (y) => y0 - ((y0 - y1) * y) / yMax,
    colors: c.series.map((s, i) => s.color ?? PALETTE[i % PALETTE.length]!),
  };
}

function ticks(max: number, step: number): number[] {
  const out: number[] = [];
  for (let v = 0; v <= max + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const rgb = (c: Rgb) => `rgb(${c[0]},${c[1]},${c[2]})`;
const f1 = (v: number) => (Math.round(v * 10) / 10).toString();

/** The chart as a standalone SVG document. */
export function renderSvg(c: LineChart): string {
  const L = layout(c);
  const o: string[] = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${L.w}" height="${L.h}" viewBox="0 0 ${L.w} ${L.h}" font-family="monospace" font-size="12">`);
  o.push(`<rect width="${L.w}" height="${L.h}" fill="white"/>`);
  o.push(`<text x="${L.w / 2}" y="22" text-anchor="middle" font-size="15">${esc(c.title)}</text>`);
  for (const v of ticks(L.xMax, L.xStep)) {
    const x = f1(L.sx(v));
    o.push(`<line x1="${x}" y1="${L.y1}" x2="${x}" y2="${L.y0}" stroke="${rgb(GRID)}"/>`);
    o.push(`<text x="${x}" y="${L.y0 + 18}" text-anchor="middle">${fmtTick(v, L.xStep)}</text>`);
  }
  for (const v of ticks(L.yMax, L.yStep)) {
    const y = f1(L.sy(v));
    o.push(`<line x1="${L.x0}" y1="${y}" x2="${L.x1}" y2="${y}" stroke="${rgb(GRID)}"/>`);
    o.push(`<text x="${L.x0 - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${fmtTick(v, L.yStep)}</text>`);
  }
  for (const r of c.hLines ?? []) {
    const y = f1(L.sy(r.y));
    o.push(`<line x1="${L.x0}" y1="${y}" x2="${L.x1}" y2="${y}" stroke="${rgb(REF)}" stroke-dasharray="6 4"/>`);
    o.push(`<text x="${L.x1 - 4}" y="${+y - 4}" text-anchor="end" fill="${rgb(REF)}">${esc(r.label)}</text>`);
  }
  o.push(`<polyline points="${L.x0},${L.y1} ${L.x0},${L.y0} ${L.x1},${L.y0}" fill="none" stroke="${rgb(AXIS)}"/>`);
  o.push(`<text x="${(L.x0 + L.x1) / 2}" y="${L.h - 14}" text-anchor="middle">${esc(c.xLabel)}</text>`);
  o.push(`<text transform="translate(16 ${(L.y0 + L.y1) / 2}) rotate(-90)" text-anchor="middle">${esc(c.yLabel)}</text>`);
  c.series.forEach((s, i) => {
    const pts = s.points.map(([x, y]) => `${f1(L.sx(x))},${f1(L.sy(y))}`).join(' ');
    o.push(`<polyline points="${pts}" fill="none" stroke="${rgb(L.colors[i]!)}" stroke-width="2" stroke-linejoin="round"><title>${esc(s.name)}</title></polyline>`);
  });
  c.series.forEach((s, i) => {
    const y = L.y1 + 14 + i * 18, x = L.x0 + 14;
    o.push(`<line x1="${x}" y1="${y}" x2="${x + 22}" y2="${y}" stroke="${rgb(L.colors[i]!)}" stroke-width="3"/>`);
    o.push(`<text x="${x + 28}" y="${y}" dominant-baseline="middle">${esc(s.name)}</text>`);
  });
  o.push('</svg>');
  return o.join('\n') + '\n';
}

/** The same chart rasterised to PNG bytes (5x7 bitmap labels). */
export function renderPng(c: LineChart): Buffer {
  const L = layout(c);
  const cv = new Canvas(L.w, L.h);
  const half = Math.floor(GLYPH_H / 2);
  const title = c.title;
  cv.text(Math.round(L.w / 2 - Canvas.textWidth(title, 2) / 2), 12, title, AXIS, 2);
  for (const v of ticks(L.xMax, L.xStep)) {
    const x = L.sx(v);
    cv.line(x, L.y1, x, L.y0, GRID);
    const s = fmtTick(v, L.xStep);
    cv.text(Math.round(x - Canvas.textWidth(s) / 2), L.y0 + 8, s, AXIS);
  }
  for (const v of ticks(L.yMax, L.yStep)) {
    const y = L.sy(v);
    cv.line(L.x0, y, L.x1, y, GRID);
    const s = fmtTick(v, L.yStep);
    cv.text(L.x0 - 6 - Canvas.textWidth(s), Math.round(y - half), s, AXIS);
  }
  for (const r of c.hLines ?? []) {
    const y = L.sy(r.y);
    for (let x = L.x0; x < L.x1; x += 10) cv.line(x, y, Math.min(L.x1, x + 5), y, REF);
    cv.text(L.x1 - 4 - Canvas.textWidth(r.label), Math.round(y - GLYPH_H - 3), r.label, REF);
  }
  cv.line(L.x0, L.y1, L.x0, L.y0, AXIS);
  cv.line(L.x0, L.y0, L.x1, L.y0, AXIS);
  cv.text(Math.round((L.x0 + L.x1) / 2 - Canvas.textWidth(c.xLabel) / 2), L.h - 22, c.xLabel, AXIS);
  cv.text(12, Math.round((L.y0 + L.y1) / 2 + Canvas.textWidth(c.yLabel) / 2), c.yLabel, AXIS, 1, true);
  c.series.forEach((s, i) => {
    for (let k = 1; k < s.points.length; k++) {
      const [ax, ay] = s.points[k - 1]!, [bx, by] = s.points[k]!;
      cv.line(L.sx(ax), L.sy(ay), L.sx(bx), L.sy(by), L.colors[i]!, 2);
    }
  });
  c.series.forEach((s, i) => {
    const y = L.y1 + 14 + i * 18, x = L.x0 + 14;
    cv.line(x, y, x + 22, y, L.colors[i]!, 3);
    cv.text(x + 28, y - half, s.name, AXIS);
  });
  return cv.toPng();
}
